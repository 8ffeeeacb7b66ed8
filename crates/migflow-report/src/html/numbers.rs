//! Numbers as the report writes them: per cents, percentage points, yuan
//! and counted words. A unit follows its number after a narrow no-break
//! space (U+202F).

use crate::build::thousands;
use migflow_io::results::Estimate;

/// "1 replicate", "4 replicates".
pub(super) fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", thousands(n as f64))
    }
}

/// A share in per cent with one decimal, or "–".
pub(super) fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.1}\u{202f}%", v * 100.0))
}

/// A difference of shares in percentage points, with `digits` decimals.
pub(super) fn pp_n(x: Option<f64>, digits: usize) -> String {
    x.map_or("–".into(), |v| {
        let s = format!("{:+.digits$}", v * 100.0);
        // No sign on a difference that rounds to zero.
        let s = if s[1..].chars().all(|c| c == '0' || c == '.') {
            s[1..].to_string()
        } else {
            s.replace('-', "−")
        };
        format!("{s}\u{202f}pp")
    })
}

/// A difference of shares in percentage points, with two decimals.
pub(super) fn pp(x: Option<f64>) -> String {
    pp_n(x, 2)
}

/// Yuan with thousands separators, or "–".
pub(super) fn yuan(x: Option<f64>) -> String {
    x.map_or("–".into(), thousands)
}

/// A count that may be a mean over replicates: whole numbers with
/// thousands separators, others below 100 with one decimal; "–" for none.
pub(super) fn count(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| {
        if (v - v.round()).abs() < 1e-9 || v.abs() >= 100.0 {
            thousands(v)
        } else {
            format!("{v:.1}")
        }
    })
}

/// " (95% CI 12.0–14.1 %)" for an estimate with an interval, else nothing.
pub(super) fn ci_words(e: &Estimate) -> String {
    match e.ci {
        Some((lo, hi)) => format!(" (95% CI {:.1}–{:.1}\u{202f}%)", lo * 100.0, hi * 100.0),
        None => String::new(),
    }
}

/// "1.20–3.45 %" for an interval of shares, or "–".
pub(super) fn pct_interval(ci: Option<(f64, f64)>) -> String {
    ci.map_or("–".into(), |(lo, hi)| {
        format!("{:.2}–{:.2}\u{202f}%", lo * 100.0, hi * 100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_read_well() {
        assert_eq!(pp(Some(-0.0123)), "−1.23\u{202f}pp");
        assert_eq!(pp(Some(-0.000001)), "0.00\u{202f}pp");
        assert_eq!(pp(Some(0.005)), "+0.50\u{202f}pp");
        assert_eq!(pct(Some(0.1234)), "12.3\u{202f}%");
        assert_eq!(pct(None), "–");
        assert_eq!(plural(1, "site"), "1 site");
        assert_eq!(plural(1200, "site"), "1,200 sites");
        assert_eq!(count(Some(2.0)), "2");
        assert_eq!(count(Some(1.25)), "1.2");
        assert_eq!(count(Some(7996.75)), "7,997");
        assert_eq!(count(None), "–");
    }
}
