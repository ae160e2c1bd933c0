//! Dates: the `date` field of a document in, seconds since the epoch out, for the formats news
//! dumps use. A date that cannot be read is `None` (the document is kept, the summary counts it).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Seconds since 1970-01-01T00:00:00Z. Dates without a zone are taken as UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
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
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y", "%d-%b-%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp());
        }
    }
    None
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
        assert_eq!(parse_date("26-FEB-1987 15:01:01.79"), Some(541_350_061));
    }

    #[test]
    fn unreadable_dates_are_none() {
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("2024-13-45"), None);
    }
}
