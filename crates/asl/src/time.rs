//! Timestamps as Step Functions reads and writes them.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::history::Millis;

/// Parses an ISO-8601 extended offset date-time the way AWS accepts it in
/// `Timestamp` fields and `Timestamp*` comparisons: RFC 3339 with an upper-case
/// `T` and a `Z` or numeric offset. Returns milliseconds since the epoch.
pub fn parse_timestamp(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    // chrono also accepts a space or a lower-case `t`/`z`; AWS does not.
    if b.len() < 20 || b[10] != b'T' || s.contains(['t', 'z', ' ']) {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Parses like [`parse_timestamp`] but keeps nanoseconds, for ordering
/// comparisons in Choice rules.
pub fn parse_timestamp_nanos(s: &str) -> Option<i128> {
    parse_timestamp(s)?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| i128::from(d.timestamp()) * 1_000_000_000 + i128::from(d.timestamp_subsec_nanos()))
}

/// Formats like AWS's Context object timestamps: `2024-01-02T03:04:05.678Z`.
pub fn format_millis(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339_and_rejects_what_aws_rejects() {
        assert_eq!(
            parse_timestamp("2016-03-14T01:59:00Z"),
            Some(1_457_920_740_000)
        );
        assert!(parse_timestamp("2016-03-14T01:59:00.123+01:00").is_some());
        for bad in [
            "05-12-2016T21:29:29Z",
            "2016-12-05 21:29:29Z",
            "2016-12-05T21:29:29",
            "2016-12-05T25:29:29Z",
            "2016-13-05T21:29:29Z",
            "2016-12-05t21:29:29z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(format_millis(1_457_920_740_000), "2016-03-14T01:59:00.000Z");
    }
}
