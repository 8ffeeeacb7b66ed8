"""`Scenario`: dotted-path get and set, validated at once; TOML round trips."""

import pytest

import migflow

KEY = "levers.workshops.workshop_jobs_share"


def test_set_then_get():
    s = migflow.Scenario.default()
    s.set(KEY, 0.16)
    assert s.get(KEY) == 0.16
    s.set("population.households", 1200)
    assert s.get("population.households") == 1200
    s.set(KEY, 0)  # an int for a float key, as --set takes it
    assert s.get(KEY) == 0.0 and isinstance(s.get(KEY), float)


def test_a_value_out_of_range_names_the_key_and_what_was_expected():
    s = migflow.Scenario.default()
    before = s.get(KEY)
    with pytest.raises(migflow.ScenarioError) as e:
        s.set(KEY, 7.0)
    assert KEY in str(e.value) and "expected" in str(e.value) and "[0, 1]" in str(e.value)
    assert s.get(KEY) == before  # unchanged


def test_a_value_of_the_wrong_kind_names_the_key():
    s = migflow.Scenario.default()
    with pytest.raises(migflow.ScenarioError, match=r"workshop_jobs_share.*expected a number"):
        s.set(KEY, "many")


def test_an_unknown_key_names_the_closest():
    s = migflow.Scenario.default()
    with pytest.raises(migflow.ScenarioError, match=r"no such scenario key.*workshop_jobs_share"):
        s.set("levers.workshops.workshop_job_share", 0.1)
    with pytest.raises(migflow.ScenarioError, match="no such scenario key"):
        s.get("levers.workshops.nothing")
    with pytest.raises(migflow.Error):
        s.get("levers")


def test_to_toml_round_trips(tmp_path):
    s = migflow.Scenario.default()
    s.set(KEY, 0.16)
    text = s.to_toml()
    again = migflow.Scenario.from_toml(text)
    assert again.to_toml() == text
    assert again.get(KEY) == 0.16
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    from_file = migflow.Scenario.from_toml(path)
    assert from_file.to_toml() == text
    assert from_file.source is not None


def test_a_bad_scenario_raises_scenario_error():
    with pytest.raises(migflow.ScenarioError, match=r"<TOML text>:2:1: unknown field `beta_nett`.*did you mean `beta_net`"):
        migflow.Scenario.from_toml("[decision]\nbeta_nett = 1.0\n")
    with pytest.raises(migflow.ScenarioError, match=r"<TOML text>: invalid settings"):
        migflow.Scenario.from_toml("[population]\nhouseholds = 0\n")


def test_help_is_documented():
    for obj in [migflow.Scenario, migflow.Scenario.set, migflow.Scenario.get, migflow.run, migflow.read,
                migflow.Results, migflow.Results.save, migflow.Error, migflow.ScenarioError]:
        assert obj.__doc__ and len(obj.__doc__) > 20, obj
