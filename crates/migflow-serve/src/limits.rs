//! What one request may ask for, and why.

/// The largest request body, bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most households a run of the explorer simulates.
pub const MAX_HOUSEHOLDS: u64 = 10_000;
/// The fewest replicates (an interval needs two).
pub const MIN_REPLICATES: u32 = 2;
/// The most replicates.
pub const MAX_REPLICATES: u32 = 32;
/// The most household-years (households × replicates × years) of one arm.
pub const MAX_HOUSEHOLD_YEARS: u64 = 2_400_000;
/// The longest a run may take, seconds.
pub const TIMEOUT_SECONDS: u64 = 60;
/// The default replicates.
pub const DEFAULT_REPLICATES: u32 = 8;
/// How many runs' files are kept for download.
pub const KEPT_RUNS: usize = 8;
/// The longest `client` name, characters.
pub const MAX_CLIENT_CHARS: usize = 64;

/// Why households are capped, in one sentence (`limits.why` of the schema).
pub const WHY: &str = "A slider move must be answered in under a second on a two-core laptop, \
     which bounds a run of both arms to about 10,000 households; larger studies run with \
     `migflow run` and compare with `migflow compare`.";

/// The `limits` object of `GET /api/schema`.
pub fn json(timeout_seconds: u64) -> serde_json::Value {
    serde_json::json!({
        "max_body_bytes": MAX_BODY_BYTES,
        "max_households": MAX_HOUSEHOLDS,
        "min_replicates": MIN_REPLICATES,
        "max_replicates": MAX_REPLICATES,
        "max_household_years": MAX_HOUSEHOLD_YEARS,
        "timeout_seconds": timeout_seconds,
        "why": WHY,
    })
}
