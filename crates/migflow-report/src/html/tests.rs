//! The report's markup: SVG made responsive, hostile text escaped.

use super::*;

#[test]
fn svg_is_made_responsive() {
    let svg = "<?xml version=\"1.0\"?>\n<svg width=\"800\" height=\"600\" xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>";
    let out = inline_svg(svg, "A & B").into_string();
    assert!(out.starts_with("<svg"), "{out}");
    assert!(!out.contains("width=\"800\""), "{out}");
    assert!(out.contains("viewBox=\"0 0 800 600\""), "{out}");
    assert!(out.contains("aria-label=\"A &amp; B\""), "{out}");
    assert!(out.ends_with("<rect/></svg>"), "{out}");
    // Not SVG: text, escaped.
    let out = inline_svg("<b>bold", "t").into_string();
    assert_eq!(out, "&lt;b&gt;bold");
}

/// Paths, the scenario source and the command of a run come from outside;
/// the report shows them as text, never as markup.
#[test]
fn hostile_text_is_escaped() {
    let tmp = tempfile::TempDir::new().unwrap();
    // The scenario source is `…/<script>alert(1)</script>.toml`.
    let dir = tmp.path().join("<script>alert(1)<");
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("script>.toml");
    std::fs::write(
        &scenario,
        "[population]\nhouseholds = 200\n\n[run]\nyears = 3\n",
    )
    .unwrap();
    let loaded = migflow_io::files::load_scenario(&scenario).unwrap();
    let out = tmp.path().join("\"><img src=x onerror=alert(2)>");
    let opts = migflow_experiments::run::RunOptions {
        loaded,
        seed: 1,
        replicates: 2,
        threads: 1,
        out: out.clone(),
        households_out: false,
        command: vec!["migflow".into(), "<b onmouseover=alert(3)>'x'</b>".into()],
        force: false,
        population_sha256: None,
    };
    migflow_experiments::run::run_to_dir(&opts, &|| {}).unwrap();
    // Alone and compared with itself (the comparison names both runs).
    for compare in [None, Some(out.as_path())] {
        let (html, _) = report(&out, compare, None, None).unwrap();
        for bad in ["<script", "<img", "<b onmouseover"] {
            assert!(!html.contains(bad), "the report holds {bad:?}");
        }
        for escaped in [
            "&lt;script&gt;alert(1)&lt;/script&gt;.toml",
            "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
            "&lt;b onmouseover=alert(3)&gt;'x'&lt;/b&gt;",
        ] {
            assert!(html.contains(escaped), "the report lacks {escaped:?}");
        }
        assert!(html.matches("<svg").count() >= 4);
    }
}

/// The style sheet goes into the page unescaped: it must not close its
/// `<style>` element.
#[test]
fn style_sheet_stays_in_its_element() {
    assert!(!CSS.to_ascii_lowercase().contains("</style"));
    assert!(CSS.contains(".mono") && CSS.contains("@media print"));
}
