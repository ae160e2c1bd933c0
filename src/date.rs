//! Dates: the `date` field of a document in, seconds since the epoch out, for the formats news
//! dumps use: ISO 8601 / RFC 3339, RFC 2822, common written forms, and digits alone (a Unix
//! time in seconds or milliseconds, `YYYYMMDD`, `YYYYMMDDhhmmss`). A date that cannot be read is
//! `None` (the document is kept, the summary counts it).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Seconds since 1970-01-01T00:00:00Z. Dates without a zone are taken as UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_digits(s);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp());
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.timestamp());
    }
    const ZONED: [&str; 2] = ["%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z"];
    for f in ZONED {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.timestamp());
        }
    }
    const NAIVE: [&str; 6] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%d-%b-%Y %H:%M:%S%.f", // Reuters-21578: 26-FEB-1987 15:01:01.79
        "%Y/%m/%d %H:%M:%S",
    ];
    for f in NAIVE {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc().timestamp());
        }
    }
    for f in
        ["%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d-%b-%Y"]
    {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp());
        }
    }
    None
}

/// A date written as digits alone (a JSON number reads as its digits): by their count, a Unix
/// time in seconds (9 or 10 digits, 1973 to 2286; a fraction allowed) or milliseconds (12 or 13),
/// `YYYYMMDD` (8) or `YYYYMMDDhhmmss` (14). Other counts are not dates anyone writes this way.
fn parse_digits(s: &str) -> Option<i64> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if fraction.contains('.') || whole.is_empty() {
        return None;
    }
    match (whole.len(), fraction.is_empty()) {
        (9 | 10, _) => whole.parse().ok(),
        (12 | 13, true) => whole.parse::<i64>().ok().map(|ms| ms.div_euclid(1000)),
        (8, true) => Some(NaiveDate::parse_from_str(s, "%Y%m%d").ok()?.and_hms_opt(0, 0, 0)?.and_utc().timestamp()),
        (14, true) => Some(NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok()?.and_utc().timestamp()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_common_news_formats() {
        let day = 1_712_534_400; // 2024-04-08T00:00:00Z
        assert_eq!(parse_date("2024-04-08"), Some(day));
        assert_eq!(parse_date("2024-04-08T01:00:00Z"), Some(day + 3600));
        assert_eq!(parse_date("2024-04-08T03:00:00+02:00"), Some(day + 3600));
        assert_eq!(parse_date("2024-04-08 01:00:00"), Some(day + 3600));
        assert_eq!(parse_date("Mon, 08 Apr 2024 01:00:00 +0000"), Some(day + 3600));
        assert_eq!(parse_date("April 8, 2024"), Some(day));
        assert_eq!(parse_date("Apr 8 2024"), Some(day));
        assert_eq!(parse_date("8 Apr 2024"), Some(day));
        assert_eq!(parse_date("8 April 2024"), Some(day));
        assert_eq!(parse_date("26-FEB-1987 15:01:01.79"), Some(541_350_061));
    }

    #[test]
    fn reads_dates_written_as_digits() {
        let day = 1_712_534_400; // 2024-04-08T00:00:00Z
        assert_eq!(parse_date("1712534400"), Some(day));
        assert_eq!(parse_date("1712534400.75"), Some(day));
        assert_eq!(parse_date("1712534400000"), Some(day));
        assert_eq!(parse_date("1712534401999"), Some(day + 1));
        assert_eq!(parse_date("20240408"), Some(day));
        assert_eq!(parse_date("20240408010203"), Some(day + 3723));
        // 1987.
        assert_eq!(parse_date("541350061"), Some(541_350_061));
        // Not dates: too few or too many digits, impossible days, stray dots.
        for s in ["2024", "12345", "20241308", "20240431", "17125344000000", "1.2.3", ".", "20240408.5"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn unreadable_dates_are_none() {
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("2024-13-45"), None);
    }
}
