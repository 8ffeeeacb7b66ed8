//! The fixed quantities of MODEL.md that are not scenario keys. They live
//! together because rules of several sections must agree on them: the
//! months a job lasts and the range a lost job's months are drawn from
//! (§3.2 expects what §3.4 draws), and the ages of work, dependency and
//! pension (§2, §3.1, §3.2).

/// Last working age, inclusive (the first is the scenario's `work_age`).
pub const LAST_WORK_AGE: u8 = 59;
/// Age from which members draw a pension.
pub const PENSION_AGE: u8 = 60;
/// Members are dependents outside this range of ages (under 16, or 65 and
/// over).
pub const NON_DEPENDENT_AGES: std::ops::Range<u8> = 16..65;
/// Age of the oldest laborer from which age weighs against outbound work
/// and job search.
pub const AGE_THRESHOLD: f64 = 45.0;

/// Months worked in an outbound job that does not end early.
pub const OUTBOUND_MONTHS: f64 = 10.0;
/// Months worked in an outbound job that ends early: uniform on these
/// integers, inclusive.
pub const OUTBOUND_LOST_MONTHS: (i64, i64) = (2, 10);
/// Months an outbound job that ends early loses on average: what the
/// decision expects of the draw above.
pub const OUTBOUND_EXPECTED_MONTHS_LOST: f64 =
    OUTBOUND_MONTHS - (OUTBOUND_LOST_MONTHS.0 + OUTBOUND_LOST_MONTHS.1) as f64 / 2.0;
/// Months worked in an informal local job.
pub const INFORMAL_MONTHS: f64 = 9.0;
/// Months of a firm or workshop job that does not end early.
pub const FULL_YEAR_MONTHS: f64 = 12.0;
/// Months of every local job when the household's local work ends early:
/// uniform on these integers, inclusive.
pub const LOCAL_LOST_MONTHS: (i64, i64) = (2, 8);

/// Floor of every expected income (yuan per household).
pub const EXPECTED_INCOME_FLOOR: f64 = 100.0;

/// Ages of a member who can become a parent: a household with one may
/// have a birth (MODEL.md §3.1).
pub const PARENT_AGES: std::ops::RangeInclusive<u8> = 20..=34;
/// Members younger than this count as children for the cap on births.
pub const CHILD_AGE_BELOW: u8 = 16;
/// A household with this many children (under 16) has no birth.
pub const MAX_CHILDREN_FOR_BIRTH: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_outbound_job_is_expected_to_lose_four_months() {
        assert_eq!(OUTBOUND_EXPECTED_MONTHS_LOST, 4.0);
    }
}
