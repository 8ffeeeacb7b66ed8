//! The server-side time of `POST /api/run` for the default county (8,000
//! households × 8 replicates): with a cold base (both arms run) and with
//! the base cached (a slider move: only the modified arm runs).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use migflow_core::params::Params;
use migflow_serve::{Config, router};
use serde_json::json;
use tower::ServiceExt;

fn post(app: &axum::Router, rt: &tokio::runtime::Runtime, body: &serde_json::Value) {
    let req = Request::post("/api/run")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = rt.block_on(app.clone().oneshot(req)).unwrap();
    let status = res.status();
    if status != StatusCode::OK {
        let body = rt.block_on(axum::body::to_bytes(res.into_body(), usize::MAX));
        panic!("{status}: {body:?}");
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("post_run");
    g.sample_size(10);
    let body = |end: i32| {
        json!({"client": "bench", "households": 8000, "replicates": 8,
               "set": {"levers.workshops.end_year": end}})
    };
    g.bench_function("cold_base_8000x8", |b| {
        // A new server each time: nothing cached.
        b.iter_batched(
            || router(Config::new(Params::default())).unwrap(),
            |app| post(&app, &rt, &body(2030)),
            criterion::BatchSize::PerIteration,
        )
    });
    let app = router(Config::new(Params::default())).unwrap();
    post(&app, &rt, &body(2030));
    let mut end = 2026;
    g.bench_function("cached_base_8000x8", |b| {
        b.iter(|| {
            // Another modified scenario each time, the same base.
            end = if end == 2035 { 2026 } else { end + 1 };
            post(&app, &rt, &body(end))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No charts: a machine without fonts cannot draw them.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
