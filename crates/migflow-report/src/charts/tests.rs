//! Tests of every chart kind, in both formats.

use super::axes::value_range;
use super::*;

fn line_chart() -> LineChart {
    let years: Vec<f64> = (2015..=2035).map(f64::from).collect();
    let series = ["outbound", "local", "farm"]
        .iter()
        .enumerate()
        .map(|(k, name)| Series {
            name: name.to_string(),
            points: years
                .iter()
                .map(|&y| (y, 0.2 + 0.1 * k as f64 + 0.005 * (y - 2015.0)))
                .collect(),
            band: (k == 0).then(|| {
                years
                    .iter()
                    .map(|&y| {
                        let m = 0.2 + 0.005 * (y - 2015.0);
                        (y, m - 0.03, m + 0.03)
                    })
                    .collect()
            }),
        })
        .collect();
    LineChart {
        title: "Livelihood shares by year".into(),
        x_label: "Year".into(),
        y_label: "Share of households".into(),
        series,
        windows: vec![(2021.0, 2025.0, "workshops".into())],
        markers: vec![(2028.0, "flood".into())],
        zero_line: false,
    }
}

fn stacked() -> StackedArea {
    let xs: Vec<f64> = (2015..=2035).map(f64::from).collect();
    let names = ["outbound", "local", "farm", "mixed", "none"];
    let layers = names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let v = xs
                .iter()
                .map(|x| (0.1 + 0.02 * k as f64) + 0.002 * (x - 2015.0) * (k as f64 - 2.0))
                .collect();
            (n.to_string(), v)
        })
        .collect();
    StackedArea {
        title: "Livelihood mix".into(),
        x_label: "Year".into(),
        y_label: "Share of households".into(),
        xs,
        layers,
    }
}

fn heat(title: &str, scale: f64) -> HeatMap {
    let names: Vec<String> = ["outbound", "local", "farm", "mixed", "none"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let values = (0..5)
        .map(|i| {
            (0..5)
                .map(|j| ((i * 7 + j * 13) % 40) as f64 * scale + if i == j { 300.0 } else { 0.0 })
                .collect()
        })
        .collect();
    HeatMap {
        title: title.into(),
        x_label: "Livelihood after".into(),
        y_label: "Livelihood before".into(),
        x_names: names.clone(),
        y_names: names,
        values,
        annotate: true,
    }
}

fn boxes() -> BoxPlots {
    BoxPlots {
        title: "Household income by livelihood".into(),
        x_label: "Livelihood".into(),
        y_label: "Income per head (yuan/year)".into(),
        boxes: vec![
            (
                "outbound".into(),
                [3000.0, 6000.0, 8000.0, 11000.0, 18000.0],
            ),
            ("local".into(), [2500.0, 5000.0, 6500.0, 8000.0, 12000.0]),
            ("farm".into(), [1500.0, 3000.0, 4200.0, 5500.0, 9000.0]),
            ("none".into(), [800.0, 1800.0, 2600.0, 3500.0, 6000.0]),
        ],
        lines: vec![
            (4000.0, "poverty line".into()),
            (6000.0, "monitoring line".into()),
        ],
    }
}

fn bars() -> Bars {
    Bars {
        title: "Poverty return rate by scenario".into(),
        x_label: "Scenario".into(),
        y_label: "Households returned to poverty (%)".into(),
        bars: vec![
            ("baseline".into(), 6.2, Some((5.1, 7.4))),
            ("workshops".into(), 4.8, Some((3.9, 5.9))),
            ("subsidy".into(), 3.1, Some((2.4, 3.9))),
            ("both".into(), 2.2, None),
        ],
    }
}

fn multiples() -> SmallMultiples {
    SmallMultiples {
        title: "Livelihood flows per year".into(),
        panels: (0..6)
            .map(|k| heat(&format!("{}", 2020 + k), 1.0 + k as f64 * 0.3))
            .collect(),
        columns: 3,
    }
}

fn png_size(png: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("decodes");
    (img.width(), img.height())
}

#[test]
fn svg_line_chart_has_title_legend_labels_and_band() {
    let c = line_chart();
    let svg = render_svg(&Chart::Line(c.clone()), DEFAULT_SIZE).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    for needle in [
        "Livelihood shares by year",
        "outbound",
        "local",
        "farm",
        "Year",
        "Share of households",
        "workshops",
        "flood",
    ] {
        assert!(
            svg.contains(&format!(">{needle}<")) || svg.contains(needle),
            "missing {needle}"
        );
    }
    assert!(svg.contains("<polygon"), "band polygon missing");
}

#[test]
fn stacked_area_has_one_filled_layer_per_name() {
    let c = stacked();
    let svg = render_svg(&Chart::Stacked(c.clone()), DEFAULT_SIZE).unwrap();
    assert_eq!(svg.matches("<polygon").count(), c.layers.len());
    for (name, _) in &c.layers {
        assert!(svg.contains(name.as_str()), "legend lacks {name}");
    }
}

#[test]
fn heat_map_annotates_counts() {
    let h = heat("Livelihood transitions", 1.0);
    let svg = render_svg(&Chart::Heat(h.clone()), DEFAULT_SIZE).unwrap();
    for row in &h.values {
        for v in row {
            let t = fmt_value(*v);
            assert!(
                svg.contains(&format!(">{t}<")) || svg.contains(&format!(">\n{t}\n<")),
                "count {t} missing"
            );
        }
    }
    assert!(svg.contains("Livelihood after") && svg.contains("Livelihood before"));
}

#[test]
fn png_rendering_has_signature_and_requested_size() {
    for (chart, size) in [
        (Chart::Line(line_chart()), DEFAULT_SIZE),
        (Chart::Heat(heat("t", 1.0)), (640, 480)),
        (Chart::Bars(bars()), (401, 301)),
    ] {
        let png = render_png(&chart, size).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(png_size(&png), size);
    }
}

#[test]
fn empty_series_is_an_error() {
    let mut c = line_chart();
    c.series.clear();
    let e = render_svg(&Chart::Line(c.clone()), DEFAULT_SIZE).unwrap_err();
    assert!(e.to_string().contains(&c.title), "{e}");
    c.series = vec![Series {
        name: "a".into(),
        points: vec![],
        band: None,
    }];
    assert!(render_png(&Chart::Line(c), DEFAULT_SIZE).is_err());
    let nan_only = Series {
        name: "a".into(),
        points: vec![(f64::NAN, 1.0), (2.0, f64::INFINITY)],
        band: None,
    };
    let c = LineChart {
        title: "x".into(),
        series: vec![nan_only],
        ..Default::default()
    };
    assert!(render_svg(&Chart::Line(c), DEFAULT_SIZE).is_err());
    assert!(render_svg(&Chart::Stacked(StackedArea::default()), DEFAULT_SIZE).is_err());
    assert!(render_svg(&Chart::Heat(HeatMap::default()), DEFAULT_SIZE).is_err());
    assert!(render_svg(&Chart::Box(BoxPlots::default()), DEFAULT_SIZE).is_err());
    assert!(render_svg(&Chart::Bars(Bars::default()), DEFAULT_SIZE).is_err());
    assert!(render_svg(&Chart::Multiples(SmallMultiples::default()), DEFAULT_SIZE).is_err());
    let mut ragged = heat("r", 1.0);
    ragged.values[2].pop();
    assert!(render_svg(&Chart::Heat(ragged), DEFAULT_SIZE).is_err());
    assert!(render_svg(&Chart::Line(line_chart()), (10, 10)).is_err());
}

#[test]
fn nan_values_are_skipped() {
    let mut c = line_chart();
    c.series[0].points[3].1 = f64::NAN;
    c.series[1].points[5].0 = f64::INFINITY;
    c.series[2].points[7].1 = f64::NEG_INFINITY;
    if let Some(b) = c.series[0].band.as_mut() {
        b[4].1 = f64::NAN;
    }
    c.windows.push((f64::NAN, 2020.0, "bad".into()));
    c.markers.push((f64::INFINITY, "bad marker".into()));
    let svg = render_svg(&Chart::Line(c.clone()), DEFAULT_SIZE).unwrap();
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "non-finite leaked"
    );
    assert!(!svg.contains("bad marker"));
    render_png(&Chart::Line(c), (480, 320)).unwrap();

    let mut s = stacked();
    s.layers[1].1[2] = f64::NAN;
    s.xs[4] = f64::NAN;
    render_svg(&Chart::Stacked(s), DEFAULT_SIZE).unwrap();
    let mut h = heat("h", 1.0);
    h.values[1][1] = f64::NAN;
    let svg = render_svg(&Chart::Heat(h), DEFAULT_SIZE).unwrap();
    assert!(!svg.contains("NaN"));
    let mut b = boxes();
    b.boxes[1].1[2] = f64::NAN;
    b.lines.push((f64::NAN, "nan line".into()));
    let svg = render_svg(&Chart::Box(b), DEFAULT_SIZE).unwrap();
    assert!(!svg.contains("nan line"));
    let mut r = bars();
    r.bars[0].1 = f64::NAN;
    r.bars[1].2 = Some((f64::NAN, 3.0));
    render_svg(&Chart::Bars(r), DEFAULT_SIZE).unwrap();
}

#[test]
fn every_chart_kind_renders_both_formats() {
    let single = LineChart {
        title: "Difference from baseline".into(),
        x_label: "Year".into(),
        y_label: "Percentage points".into(),
        series: vec![Series {
            name: "workshops − baseline".into(),
            points: (0..15)
                .map(|i| (2020.0 + i as f64, (i as f64 - 5.0) * 0.4))
                .collect(),
            band: Some(
                (0..15)
                    .map(|i| {
                        (
                            2020.0 + i as f64,
                            (i as f64 - 5.0) * 0.4 - 1.0,
                            (i as f64 - 5.0) * 0.4 + 1.0,
                        )
                    })
                    .collect(),
            ),
        }],
        windows: vec![],
        markers: vec![(2024.0, "policy start".into())],
        zero_line: true,
    };
    let charts = [
        ("line", Chart::Line(line_chart())),
        ("difference", Chart::Line(single)),
        ("stacked", Chart::Stacked(stacked())),
        (
            "heat",
            Chart::Heat(heat("Livelihood transitions, 2015–2035 (households)", 1.0)),
        ),
        ("box", Chart::Box(boxes())),
        ("bars", Chart::Bars(bars())),
        ("multiples", Chart::Multiples(multiples())),
    ];
    let dir = std::env::var_os("MIGFLOW_CHART_DIR").map(std::path::PathBuf::from);
    for (name, chart) in &charts {
        let svg = render_svg(chart, DEFAULT_SIZE).unwrap();
        assert!(svg.contains(chart.title()), "{name}: title missing");
        let png = render_png(chart, DEFAULT_SIZE).unwrap();
        assert_eq!(png_size(&png), DEFAULT_SIZE);
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.svg")), &svg).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
        }
    }
}

#[test]
fn edge_cases_do_not_panic() {
    let one = |title: &str, pts: Vec<(f64, f64)>| {
        Chart::Line(LineChart {
            title: title.into(),
            series: vec![Series {
                name: "all".into(),
                points: pts,
                band: None,
            }],
            windows: vec![(0.0, 10.0, "w".into())],
            markers: vec![(1.0, "m".into())],
            zero_line: true,
            ..Default::default()
        })
    };
    let long: Vec<String> = (0..60)
        .map(|i| format!("village with a long name {i}"))
        .collect();
    let charts = vec![
        one("single point", vec![(1.0, 5.0)]),
        one("constant", vec![(1.0, 5.0), (2.0, 5.0)]),
        one("zeros", vec![(1.0, 0.0), (2.0, 0.0)]),
        one("huge", vec![(1.0, 1e300), (2.0, -1e300)]),
        one("overflow", vec![(1.0, f64::MAX), (2.0, -f64::MAX)]),
        Chart::Stacked(StackedArea {
            title: "one x".into(),
            xs: vec![3.0],
            layers: vec![("a".into(), vec![1.0]), ("b".into(), vec![f64::NAN])],
            ..Default::default()
        }),
        Chart::Heat(HeatMap {
            title: "1x1".into(),
            x_names: vec!["a".into()],
            y_names: vec!["b".into()],
            values: vec![vec![-2.5]],
            annotate: true,
            ..Default::default()
        }),
        Chart::Heat(HeatMap {
            title: "60x60".into(),
            x_names: long.clone(),
            y_names: long.clone(),
            values: (0..60)
                .map(|i| (0..60).map(|j| (i * j) as f64).collect())
                .collect(),
            annotate: true,
            ..Default::default()
        }),
        Chart::Bars(Bars {
            title: "many".into(),
            bars: long
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i as f64 - 30.0, None))
                .collect(),
            ..Default::default()
        }),
        Chart::Box(BoxPlots {
            title: "one box".into(),
            boxes: vec![("x".into(), [5.0, 4.0, 3.0, 2.0, 1.0])],
            ..Default::default()
        }),
        Chart::Multiples(SmallMultiples {
            columns: 0,
            ..multiples()
        }),
        Chart::Multiples(SmallMultiples {
            columns: 99,
            ..multiples()
        }),
    ];
    let dir = std::env::var_os("MIGFLOW_CHART_DIR").map(std::path::PathBuf::from);
    for (k, c) in charts.iter().enumerate() {
        if let (Some(dir), Ok(png)) = (&dir, render_png(c, DEFAULT_SIZE)) {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("edge{k}.png")), png).unwrap();
        }
        for size in [MIN_SIZE, DEFAULT_SIZE] {
            let svg = render_svg(c, size);
            let png = render_png(c, size);
            if c.title() == "huge" {
                // Either outcome is fine; not panicking is the point.
                assert_eq!(svg.is_ok(), png.is_ok());
            } else {
                let expect_ok = c.title() != "overflow";
                assert_eq!(svg.is_ok(), expect_ok, "{}: {:?}", c.title(), svg.err());
                assert_eq!(png.is_ok(), expect_ok, "{}: {:?}", c.title(), png.err());
            }
        }
    }
}

#[test]
fn colours_and_formatting() {
    assert_eq!(livelihood_colour("Outbound", 5), PALETTE[0]);
    assert_eq!(livelihood_colour("village 9", 9), PALETTE[1]);
    assert_eq!(fmt_tick(2020.0), "2020");
    assert_eq!(fmt_tick(0.15000000000000002), "0.15");
    assert_eq!(fmt_tick(-0.0), "0");
    assert_eq!(fmt_value(12.0), "12");
    assert_eq!(fmt_value(0.4567), "0.457");
    let r = value_range("t", 0.2, 0.6, false).unwrap();
    assert!(r.start == 0.0 && (r.end - 0.63).abs() < 1e-12);
    let r = value_range("t", 10.0, 20.0, false).unwrap();
    assert!((r.start - 9.5).abs() < 1e-12 && (r.end - 20.5).abs() < 1e-12);
}

#[test]
fn svg_text_is_escaped() {
    // The report inlines these SVGs unescaped: every text must be escaped
    // by plotters.
    let hostile = "<script>alert(1)</script> & \"><img src=x onerror=alert(2)>";
    let mut c = line_chart();
    c.title = hostile.into();
    c.series[0].name = hostile.into();
    c.markers[0].1 = hostile.into();
    let svg = render_svg(&Chart::Line(c), DEFAULT_SIZE).unwrap();
    assert!(!svg.contains("<script") && !svg.contains("<img"), "{svg}");
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;&gt;&lt;img"));
}
