//! Shared helpers for the integration tests.

/// A readable line-by-line diff of two texts (first differing lines).
pub fn first_difference(a: &str, b: &str) -> Option<String> {
    for (i, (la, lb)) in a.lines().zip(b.lines()).enumerate() {
        if la != lb {
            return Some(format!("line {}:\n  left:  {la}\n  right: {lb}", i + 1));
        }
    }
    (a.lines().count() != b.lines().count()).then(|| {
        format!(
            "line counts differ: {} vs {}",
            a.lines().count(),
            b.lines().count()
        )
    })
}
