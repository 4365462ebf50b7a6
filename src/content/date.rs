//! Dates as Jekyll, Hugo and Zola write them, the site's time zone for dates written without
//! an offset, and the dates a file name (`2014-05-06-title.md`) or a Zola `path`
//! (`2014/12/12/title`) carry. Pure functions over `&str`.
//!
//! Accepted forms (a `T` or a space between date and time; seconds and fractions optional;
//! the offset as `Z`, `±hh:mm`, `±hhmm`, `±hh`, `UTC` or `GMT`, an offset may be followed by a
//! zone abbreviation as Go prints it: `-0700 MST`):
//!
//! - `2014-09-30`, `2014-9-3`, `30 Sep 2014`
//! - `2014-09-30T09:45`, `2014-09-30 09:45:47`, `2014-09-30T09:45:47.123`
//! - `2014-09-30T09:45:47Z`, `2014-09-30T09:45:47-04:00`, `2014-09-30T09:45:47-0400`
//! - `2014-09-30 09:45:47 -0400`, `2014-09-30 09:45:47.123 -07:00`, `2014-09-30 09:45:47 UTC`
//! - `2014-09-30 09:45:47.999 -0700 MST` (Go's default format)
//! - RFC 2822 / RFC 1123: `Tue, 30 Sep 2014 09:45:47 -0400`, `Tue, 30 Sep 2014 09:45:47 GMT`

use std::fmt;

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
};

/// What the message of a bad date says was expected (the README lists every accepted form;
/// this wording is the one the messages always had, and scripts may match it).
pub(crate) const EXPECTED: &str = "YYYY-MM-DD or RFC 3339";

/// The zone of dates written without an offset: `timezone` in site.toml, an IANA name
/// (`Europe/Berlin`) or a fixed offset (`+02:00`); UTC by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SiteZone {
    /// UTC.
    #[default]
    Utc,
    /// A fixed offset.
    Fixed(FixedOffset),
    /// An IANA zone, with its daylight-saving rules.
    Named(chrono_tz::Tz),
}

impl SiteZone {
    /// Parses `timezone` from site.toml: empty or `UTC` for UTC, an IANA name, or `±hh:mm`.
    pub fn parse(s: &str) -> Option<SiteZone> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Some(SiteZone::Utc);
        }
        if let Some(offset) = parse_offset(s) {
            return Some(SiteZone::Fixed(offset));
        }
        s.parse::<chrono_tz::Tz>().ok().map(SiteZone::Named)
    }

    /// `local` read in this zone (in a daylight-saving gap, the offset before the gap).
    pub(crate) fn localize(&self, local: NaiveDateTime) -> DateTime<FixedOffset> {
        match self {
            SiteZone::Utc => local.and_utc().fixed_offset(),
            SiteZone::Fixed(offset) => fixed(offset, local),
            SiteZone::Named(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => d.fixed_offset(),
                LocalResult::None => {
                    let offset = tz.offset_from_utc_datetime(&local).fix();
                    fixed(&offset, local)
                }
            },
        }
    }

    /// `date` as a date in this zone (for the `:year`/`:month`/`:day` of a Jekyll URL).
    pub fn convert(&self, date: &DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        match self {
            SiteZone::Utc => date.to_utc().fixed_offset(),
            SiteZone::Fixed(offset) => date.with_timezone(offset),
            SiteZone::Named(tz) => date.with_timezone(tz).fixed_offset(),
        }
    }
}

impl fmt::Display for SiteZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteZone::Utc => f.write_str("UTC"),
            SiteZone::Fixed(o) => write!(f, "{o}"),
            SiteZone::Named(tz) => write!(f, "{}", tz.name()),
        }
    }
}

fn fixed(offset: &FixedOffset, local: NaiveDateTime) -> DateTime<FixedOffset> {
    offset
        .from_local_datetime(&local)
        .single()
        .unwrap_or_else(|| local.and_utc().fixed_offset())
}

/// Parses a date in any of the forms the module lists; a date without an offset is read in
/// `zone`.
pub(crate) fn parse_date(s: &str, zone: &SiteZone) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d);
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%d %b %Y") {
        return Some(zone.localize(day.and_time(NaiveTime::MIN)));
    }
    // The date, then the time and zone after a `T` or a space.
    let split = s.find(['T', ' ']).unwrap_or(s.len());
    let day = NaiveDate::parse_from_str(&s[..split], "%Y-%m-%d").ok()?;
    let rest = s[split..].trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some(zone.localize(day.and_time(NaiveTime::MIN)));
    }
    // The time runs to the first character that starts a zone.
    let time_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let time = parse_time(&rest[..time_end])?;
    let local = day.and_time(time);
    let zone_text = rest[time_end..].trim();
    if zone_text.is_empty() {
        return Some(zone.localize(local));
    }
    let offset = zone_offset(zone_text)?;
    Some(fixed(&offset, local))
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

/// `Z`, `UTC`, `GMT`, `±hh:mm`, `±hhmm` or `±hh`, optionally followed by an abbreviation
/// (`-0700 MST`): the abbreviation is ignored when an offset precedes it.
fn zone_offset(s: &str) -> Option<FixedOffset> {
    let mut words = s.split_whitespace();
    let first = words.next()?;
    let rest: Vec<&str> = words.collect();
    let utc = |w: &str| matches!(w.to_ascii_uppercase().as_str(), "Z" | "UTC" | "GMT");
    if utc(first) && rest.is_empty() {
        return FixedOffset::east_opt(0);
    }
    let offset = parse_offset(first)?;
    let abbreviation_ok = match rest.as_slice() {
        [] => true,
        [abbr] => abbr.chars().all(|c| c.is_ascii_alphabetic()),
        _ => false,
    };
    abbreviation_ok.then_some(offset)
}

/// `±hh:mm`, `±hhmm` or `±hh`, also with a `Z` for UTC.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    if s == "Z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// The date a file or bundle-folder name starts with (`2014-05-06-title`,
/// `2014-05-06_title`), as a day.
pub(crate) fn date_in_name(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    let shaped = b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && (b.len() == 10 || matches!(b[10], b'-' | b'_'));
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(&name[..10], "%Y-%m-%d").ok()
}

/// The date a URL path starts with (`2014/12/12/1.0-Timeline`, Zola's `path`), as a day.
pub(crate) fn date_in_path(path: &str) -> Option<NaiveDate> {
    let mut parts = path.trim_start_matches('/').split('/');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let all_digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    if !(all_digits(y, 4) && all_digits(m, 2) && all_digits(d, 2)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        parse_date(s, &SiteZone::Utc)
            .unwrap_or_else(|| panic!("{s} is refused"))
            .to_rfc3339()
    }

    #[test]
    fn every_documented_form() {
        for (written, meant) in [
            ("2014-09-30", "2014-09-30T00:00:00+00:00"),
            ("2014-9-3", "2014-09-03T00:00:00+00:00"),
            ("30 Sep 2014", "2014-09-30T00:00:00+00:00"),
            ("2014-09-30T09:45", "2014-09-30T09:45:00+00:00"),
            ("2014-09-30 09:45", "2014-09-30T09:45:00+00:00"),
            ("2014-09-30 09:45:47", "2014-09-30T09:45:47+00:00"),
            ("2014-09-30T09:45:47.123", "2014-09-30T09:45:47.123+00:00"),
            ("2014-09-30T09:45:47Z", "2014-09-30T09:45:47+00:00"),
            ("2014-09-30T09:45:47-04:00", "2014-09-30T09:45:47-04:00"),
            ("2014-09-30T09:45:47-0400", "2014-09-30T09:45:47-04:00"),
            ("2014-09-30T09:45:47+05", "2014-09-30T09:45:47+05:00"),
            ("2014-09-30 09:45:47 -0400", "2014-09-30T09:45:47-04:00"),
            ("2014-09-30 09:45:47-04:00", "2014-09-30T09:45:47-04:00"),
            ("2014-09-30 09:45:47 UTC", "2014-09-30T09:45:47+00:00"),
            ("2014-09-30 09:45:47 GMT", "2014-09-30T09:45:47+00:00"),
            (
                "2014-09-30 09:45:47.123 -07:00",
                "2014-09-30T09:45:47.123-07:00",
            ),
            (
                "2014-09-30 09:45:47.5 -0700 MST",
                "2014-09-30T09:45:47.500-07:00",
            ),
            (
                "Tue, 30 Sep 2014 09:45:47 -0400",
                "2014-09-30T09:45:47-04:00",
            ),
            ("Tue, 30 Sep 2014 09:45:47 GMT", "2014-09-30T09:45:47+00:00"),
        ] {
            assert_eq!(utc(written), meant, "{written}");
        }
    }

    #[test]
    fn nonsense_and_impossible_dates_are_refused() {
        for s in [
            "soon",
            "2023-02-30",
            "2014-09-30 25:00",
            "2014-09-30 09:45 EST",
            "2014-09-30 09:45 +0400 x y",
            "2014-09-30T09:45:47+2400",
            "",
        ] {
            assert!(parse_date(s, &SiteZone::Utc).is_none(), "{s} accepted");
        }
    }

    #[test]
    fn the_site_zone_applies_only_to_dates_without_an_offset() {
        let ny = SiteZone::parse("America/New_York").unwrap();
        let d = |s| parse_date(s, &ny).unwrap().to_rfc3339();
        assert_eq!(d("2014-09-30 09:45"), "2014-09-30T09:45:00-04:00");
        assert_eq!(d("2014-01-30"), "2014-01-30T00:00:00-05:00", "winter time");
        assert_eq!(d("2014-09-30T09:45:47Z"), "2014-09-30T09:45:47+00:00");
        // 02:30 does not exist on the night clocks go forward: the offset before the gap.
        assert_eq!(d("2014-03-09 02:30"), "2014-03-09T02:30:00-05:00");
        let plus2 = SiteZone::parse("+02:00").unwrap();
        assert_eq!(
            parse_date("2014-09-30", &plus2).unwrap().to_rfc3339(),
            "2014-09-30T00:00:00+02:00"
        );
        assert_eq!(SiteZone::parse(""), Some(SiteZone::Utc));
        assert_eq!(SiteZone::parse("Mars/Olympus"), None);
        assert_eq!(
            ny.convert(&parse_date("2014-10-01T02:00:00Z", &SiteZone::Utc).unwrap())
                .to_rfc3339(),
            "2014-09-30T22:00:00-04:00"
        );
    }

    #[test]
    fn dates_in_names_and_paths() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(date_in_name("2014-05-06-title"), day(2014, 5, 6));
        assert_eq!(date_in_name("2014-05-06_title"), day(2014, 5, 6));
        assert_eq!(date_in_name("2014-05-06"), day(2014, 5, 6));
        assert_eq!(date_in_name("2014-13-06-title"), None);
        assert_eq!(date_in_name("title-2014-05-06"), None);
        assert_eq!(date_in_path("2014/12/12/1.0-Timeline"), day(2014, 12, 12));
        assert_eq!(date_in_path("/2014/12/12/"), day(2014, 12, 12));
        assert_eq!(date_in_path("blog/2014/12/12/x"), None);
        assert_eq!(date_in_path("2014/1/12/x"), None);
    }
}
