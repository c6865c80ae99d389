//! Time as the site's owner lives it (Settings > General): a timezone (an
//! IANA name, UTC by default) and WordPress's date and time formats, which
//! are PHP `date()` strings (`F j, Y`, `g:i a`). Times are stored as UTC
//! Unix seconds; every date a reader or staff member sees goes through here.

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// WordPress's defaults: "November 26, 2026" and "8:40 am".
pub const DEFAULT_DATE_FORMAT: &str = "F j, Y";
pub const DEFAULT_TIME_FORMAT: &str = "g:i a";

/// The site's timezone and formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteClock {
    pub timezone: Tz,
    pub date_format: String,
    pub time_format: String,
}

impl Default for SiteClock {
    fn default() -> SiteClock {
        SiteClock {
            timezone: Tz::UTC,
            date_format: DEFAULT_DATE_FORMAT.to_owned(),
            time_format: DEFAULT_TIME_FORMAT.to_owned(),
        }
    }
}

/// An IANA timezone name (`Europe/Berlin`), or `None` for anything else.
pub fn parse_timezone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// The timezone a WordPress site was in, from its posts' local and UTC
/// dates: `samples` are (UTC time, local minus UTC in seconds). The zone
/// must give nearly every sample its offset (summer and winter time
/// alike): WordPress writes what it makes at install ("Hello world!", the
/// sample page) before its owner chooses a timezone, so a few samples at
/// UTC are the rule. Among the zones that fit best, the one of the
/// export's language region (`de-CH` → Zurich), then a well-known city,
/// then the first by name. `None` when the dates say UTC or no zone fits
/// four samples in five.
pub fn infer_timezone(samples: &[(i64, i32)], language: &str) -> Option<Tz> {
    use chrono::Offset;
    let enough = |count: usize| count * 5 >= samples.len() * 4;
    let at_utc = samples.iter().filter(|(_, offset)| *offset == 0).count();
    if samples.is_empty() || enough(at_utc) {
        return None;
    }
    let fitting = |zone: &Tz| {
        samples
            .iter()
            .filter(|(at, offset)| {
                DateTime::<Utc>::from_timestamp(*at, 0).is_some_and(|utc| {
                    zone.offset_from_utc_datetime(&utc.naive_utc())
                        .fix()
                        .local_minus_utc()
                        == *offset
                })
            })
            .count()
    };
    let scored: Vec<(Tz, usize)> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|zone| {
            let name = zone.name();
            name.contains('/') && !name.starts_with("Etc/") && !name.starts_with("SystemV/")
        })
        .map(|zone| (*zone, fitting(zone)))
        .collect();
    let best = scored.iter().map(|(_, count)| *count).max().unwrap_or(0);
    if !enough(best) {
        return None;
    }
    let candidates: Vec<Tz> = scored
        .into_iter()
        .filter(|(_, count)| *count == best)
        .map(|(zone, _)| zone)
        .collect();
    const BY_REGION: [(&str, &str); 24] = [
        ("CH", "Europe/Zurich"),
        ("DE", "Europe/Berlin"),
        ("AT", "Europe/Vienna"),
        ("FR", "Europe/Paris"),
        ("BE", "Europe/Brussels"),
        ("NL", "Europe/Amsterdam"),
        ("IT", "Europe/Rome"),
        ("ES", "Europe/Madrid"),
        ("PT", "Europe/Lisbon"),
        ("GB", "Europe/London"),
        ("IE", "Europe/Dublin"),
        ("SE", "Europe/Stockholm"),
        ("NO", "Europe/Oslo"),
        ("DK", "Europe/Copenhagen"),
        ("FI", "Europe/Helsinki"),
        ("PL", "Europe/Warsaw"),
        ("CZ", "Europe/Prague"),
        ("GR", "Europe/Athens"),
        ("JP", "Asia/Tokyo"),
        ("IN", "Asia/Kolkata"),
        ("BR", "America/Sao_Paulo"),
        ("AU", "Australia/Sydney"),
        ("NZ", "Pacific/Auckland"),
        ("CA", "America/Toronto"),
    ];
    const WELL_KNOWN: [&str; 14] = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Phoenix",
        "America/Anchorage",
        "Pacific/Honolulu",
        "Europe/London",
        "Europe/Berlin",
        "Europe/Moscow",
        "Asia/Shanghai",
        "Asia/Singapore",
        "Asia/Dubai",
        "Africa/Johannesburg",
    ];
    let region = language
        .trim()
        .split(['-', '_'])
        .nth(1)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let named = |name: &str| candidates.iter().find(|zone| zone.name() == name).copied();
    BY_REGION
        .iter()
        .filter(|(code, _)| *code == region)
        .find_map(|(_, name)| named(name))
        .or_else(|| WELL_KNOWN.iter().find_map(|name| named(name)))
        .or_else(|| candidates.first().copied())
}

/// Every IANA name, for the settings' list.
pub fn timezone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

impl SiteClock {
    /// `unix_seconds` in the site's zone.
    pub fn local(&self, unix_seconds: i64) -> DateTime<Tz> {
        DateTime::<Utc>::from_timestamp(unix_seconds, 0)
            .unwrap_or_default()
            .with_timezone(&self.timezone)
    }

    /// The date, in the site's date format.
    pub fn date(&self, unix_seconds: i64) -> String {
        php_date(&self.date_format, &self.local(unix_seconds))
    }

    /// The time, in the site's time format.
    pub fn time(&self, unix_seconds: i64) -> String {
        php_date(&self.time_format, &self.local(unix_seconds))
    }

    /// "November 26, 2026 at 8:40 am": how WordPress dates comments.
    pub fn date_at_time(&self, unix_seconds: i64) -> String {
        format!("{} at {}", self.date(unix_seconds), self.time(unix_seconds))
    }

    /// The value of an `<input type="datetime-local">` in the site's zone.
    pub fn input_value(&self, unix_seconds: i64) -> String {
        self.local(unix_seconds)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    }

    /// A `datetime-local` value typed in the site's zone, as Unix seconds.
    /// A time the clocks skip (a spring-forward gap) is read as the first
    /// moment after it; a time they pass twice, as the first of the two.
    pub fn parse_input(&self, value: &str) -> Option<i64> {
        let value = value.trim();
        let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        match self.timezone.from_local_datetime(&naive) {
            chrono::LocalResult::Single(at) => Some(at.timestamp()),
            chrono::LocalResult::Ambiguous(first, _) => Some(first.timestamp()),
            chrono::LocalResult::None => (1..=180).find_map(|minutes| {
                self.timezone
                    .from_local_datetime(&(naive + chrono::Duration::minutes(minutes)))
                    .earliest()
                    .map(|at| at.timestamp())
            }),
        }
    }
}

/// The months' English names, January first.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn ordinal_suffix(day: u32) -> &'static str {
    match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// `at` formatted as PHP's `date(format)` does, which is what WordPress's
/// date and time settings hold. A backslash makes the next character
/// literal (`j \d\e F`); characters that are no format code stay as they are.
pub fn php_date(format: &str, at: &DateTime<Tz>) -> String {
    let mut out = String::with_capacity(format.len() * 2);
    let mut chars = format.chars();
    let month = at.month0() as usize;
    let weekday = at.weekday().num_days_from_monday() as usize;
    let hour12 = match at.hour() % 12 {
        0 => 12,
        hour => hour,
    };
    let offset = at.offset().fix().local_minus_utc();
    let signed_offset = |colon: bool| {
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.abs() / 60;
        let separator = if colon { ":" } else { "" };
        format!("{sign}{:02}{separator}{:02}", minutes / 60, minutes % 60)
    };
    while let Some(code) = chars.next() {
        match code {
            '\\' => {
                if let Some(literal) = chars.next() {
                    out.push(literal);
                }
            }
            'd' => out.push_str(&format!("{:02}", at.day())),
            'D' => out.push_str(&DAYS[weekday][..3]),
            'j' => out.push_str(&at.day().to_string()),
            'l' => out.push_str(DAYS[weekday]),
            'N' => out.push_str(&(weekday + 1).to_string()),
            'S' => out.push_str(ordinal_suffix(at.day())),
            'w' => out.push_str(&at.weekday().num_days_from_sunday().to_string()),
            'z' => out.push_str(&at.ordinal0().to_string()),
            'W' => out.push_str(&format!("{:02}", at.iso_week().week())),
            'F' => out.push_str(MONTHS[month]),
            'm' => out.push_str(&format!("{:02}", at.month())),
            'M' => out.push_str(&MONTHS[month][..3]),
            'n' => out.push_str(&at.month().to_string()),
            't' => out.push_str(&days_in_month(at.year(), at.month()).to_string()),
            'L' => out.push(if is_leap(at.year()) { '1' } else { '0' }),
            'o' => out.push_str(&at.iso_week().year().to_string()),
            'Y' => out.push_str(&at.year().to_string()),
            'y' => out.push_str(&format!("{:02}", at.year().rem_euclid(100))),
            'a' => out.push_str(if at.hour() < 12 { "am" } else { "pm" }),
            'A' => out.push_str(if at.hour() < 12 { "AM" } else { "PM" }),
            'g' => out.push_str(&hour12.to_string()),
            'G' => out.push_str(&at.hour().to_string()),
            'h' => out.push_str(&format!("{hour12:02}")),
            'H' => out.push_str(&format!("{:02}", at.hour())),
            'i' => out.push_str(&format!("{:02}", at.minute())),
            's' => out.push_str(&format!("{:02}", at.second())),
            'u' => out.push_str("000000"),
            'v' => out.push_str("000"),
            'e' => out.push_str(at.timezone().name()),
            'T' => out.push_str(&at.format("%Z").to_string()),
            'O' => out.push_str(&signed_offset(false)),
            'P' => out.push_str(&signed_offset(true)),
            'p' if offset == 0 => out.push('Z'),
            'p' => out.push_str(&signed_offset(true)),
            'Z' => out.push_str(&offset.to_string()),
            'c' => out.push_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
            'r' => out.push_str(&at.to_rfc2822()),
            'U' => out.push_str(&at.timestamp().to_string()),
            other => out.push(other),
        }
    }
    out
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_site_timezone_is_read_from_its_posts_local_and_utc_dates() {
        // 2023-01-14 23:30 UTC was 00:30 in Zurich (+1); 2023-05-20 07:00 UTC, 09:00 (+2).
        let samples = [(1_673_739_000, 3_600), (1_684_566_000, 7_200)];
        assert_eq!(
            infer_timezone(&samples, "de-CH").map(|zone| zone.name()),
            Some("Europe/Zurich")
        );
        assert_eq!(
            infer_timezone(&samples, "en-US").map(|zone| zone.name()),
            Some("Europe/Berlin")
        );
        // Winter -5 and summer -4: New York, whatever the language says.
        let eastern = [(1_673_739_000, -18_000), (1_684_566_000, -14_400)];
        assert_eq!(
            infer_timezone(&eastern, "de-CH").map(|zone| zone.name()),
            Some("America/New_York")
        );
        assert_eq!(infer_timezone(&[(1_673_739_000, 0)], "en"), None);
        assert_eq!(infer_timezone(&[], "en"), None);
        // No zone is +1 in summer and +5 in winter.
        assert_eq!(
            infer_timezone(&[(1_673_739_000, 18_000), (1_684_566_000, 3_600)], "en"),
            None
        );
        // What WordPress made at install, before the timezone was chosen,
        // is at UTC: a few such samples among many do not hide the zone.
        let mut installed = vec![(1_765_000_000, 0); 3];
        for month in 0..12 {
            let at = 1_672_574_400 + month * 30 * 86_400;
            let summer = (3..=10).contains(&month);
            installed.push((at, if summer { 7_200 } else { 3_600 }));
        }
        assert_eq!(
            infer_timezone(&installed, "en-US").map(|zone| zone.name()),
            Some("Europe/Berlin")
        );
    }

    use super::*;

    /// 2022-03-14 10:22:05 UTC, a Monday.
    const PI_DAY: i64 = 1_647_253_325;

    fn clock(zone: &str, date: &str, time: &str) -> SiteClock {
        SiteClock {
            timezone: parse_timezone(zone).unwrap(),
            date_format: date.to_owned(),
            time_format: time.to_owned(),
        }
    }

    #[test]
    fn wordpress_defaults_in_utc() {
        let clock = SiteClock::default();
        assert_eq!(clock.date(PI_DAY), "March 14, 2022");
        assert_eq!(clock.time(PI_DAY), "10:22 am");
        assert_eq!(clock.date_at_time(PI_DAY), "March 14, 2022 at 10:22 am");
    }

    #[test]
    fn every_format_wordpress_offers_and_the_php_codes() {
        let at = SiteClock::default().local(PI_DAY);
        for (format, shown) in [
            ("F j, Y", "March 14, 2022"),
            ("Y-m-d", "2022-03-14"),
            ("m/d/Y", "03/14/2022"),
            ("d/m/Y", "14/03/2022"),
            ("g:i a", "10:22 am"),
            ("g:i A", "10:22 AM"),
            ("H:i", "10:22"),
            ("l, jS \\o\\f F Y", "Monday, 14th of March 2022"),
            ("D M n y z t L N w W o", "Mon Mar 3 22 72 31 0 1 1 11 2022"),
            (
                "h:i:s G e T O P p Z U",
                "10:22:05 10 UTC UTC +0000 +00:00 Z 0 1647253325",
            ),
            ("c", "2022-03-14T10:22:05+00:00"),
            ("\\Y \\\\ Q", "Y \\ Q"),
        ] {
            assert_eq!(php_date(format, &at), shown, "{format}");
        }
        for (day, suffix) in [
            (1, "st"),
            (2, "nd"),
            (3, "rd"),
            (4, "th"),
            (11, "th"),
            (12, "th"),
            (13, "th"),
            (21, "st"),
            (22, "nd"),
            (23, "rd"),
            (31, "st"),
        ] {
            assert_eq!(ordinal_suffix(day), suffix, "{day}");
        }
    }

    #[test]
    fn dates_are_the_owners_local_ones() {
        let berlin = clock("Europe/Berlin", "j. F Y", "H:i");
        // 23:30 UTC on 2022-03-14 is already the 15th in Berlin (UTC+1).
        let late = 1_647_300_600;
        assert_eq!(berlin.date_at_time(late), "15. March 2022 at 00:30");
        assert_eq!(php_date("T P", &berlin.local(late)), "CET +01:00");
        let summer = berlin.local(1_657_800_000);
        assert_eq!(php_date("T O", &summer), "CEST +0200");
        let kathmandu = clock("Asia/Kathmandu", "Y-m-d", "H:i");
        assert_eq!(php_date("P", &kathmandu.local(PI_DAY)), "+05:45");
        let honolulu = clock("Pacific/Honolulu", "Y-m-d", "g:i a");
        assert_eq!(honolulu.date_at_time(PI_DAY), "2022-03-14 at 12:22 am");
    }

    #[test]
    fn the_editor_reads_and_writes_times_in_the_site_zone() {
        let new_york = clock("America/New_York", "Y-m-d", "H:i");
        assert_eq!(new_york.input_value(PI_DAY), "2022-03-14T06:22");
        assert_eq!(new_york.parse_input("2022-03-14T06:22"), Some(PI_DAY - 5));
        // 02:30 on 2022-03-13 never happened in New York: read as 03:00 EDT.
        assert_eq!(
            new_york.parse_input("2022-03-13T02:30"),
            new_york.parse_input("2022-03-13T03:00")
        );
        // 01:30 on 2022-11-06 happened twice: the first (EDT) is taken.
        let twice = new_york.parse_input("2022-11-06T01:30").unwrap();
        assert_eq!(php_date("T", &new_york.local(twice)), "EDT");
        assert_eq!(new_york.parse_input("yesterday"), None);
        assert!(parse_timezone("Mars/Olympus").is_none());
        assert!(timezone_names().any(|name| name == "Europe/Berlin"));
    }
}
