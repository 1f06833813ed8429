//! Human durations in config: `500ms`, `90s`, `30m`, `1h`, `2h30m`.
//!
//! Parsing is humantime's; formatting stays here because `status` and the
//! records have their own fixed shapes (`1h05m` for people, `90s`/`1500ms` on disk)
//! that humantime's `1h 5m` would change.

use std::time::Duration;

/// The longest duration accepted: a hundred years is no deadline.
const MAX_MS: u64 = 100 * 365 * 86_400_000;

/// Parses a duration in humantime's grammar: `<number><unit>` parts such as `500ms`,
/// `90s`, `30m`, `1h`, `2h30m` or `1d`, optionally spaced (`2h 30m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration; write e.g. `90s`, `30m`, `1h` or `2h30m`");
    let too_long = || format!("`{text}` is longer than 100 years; write a real deadline such as `30m`");
    let d = match humantime::parse_duration(text.trim()) {
        Ok(d) => d,
        Err(humantime::DurationError::NumberOverflow) => return Err(too_long()),
        Err(_) => return Err(bad()),
    };
    if d.as_millis() > u128::from(MAX_MS) {
        return Err(too_long());
    }
    // Records store whole milliseconds (`exact`), so a finer value could not read back.
    if d.subsec_nanos() % 1_000_000 != 0 {
        return Err(format!("`{text}` is finer than a millisecond; write e.g. `500ms`"));
    }
    Ok(d)
}

/// Formats a duration for people, in a shape `parse_duration` reads back (`1h05m`, `42s`).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// Writes a duration exactly, as `parse_duration` reads it back (`90s`, `1500ms`).
fn exact(d: &Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

pub(super) fn deserialize_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    deserialize(d).map(Some)
}

pub(crate) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&exact(d))
}

pub(super) fn serialize_opt<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => serialize(d, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_duration("2h30m"), Ok(Duration::from_secs(9000)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(format_duration(Duration::from_secs(3900)), "1h05m");
        assert_eq!(format_duration(Duration::from_secs(65)), "1m05s");
        for d in [Duration::from_millis(1500), Duration::from_secs(5400)] {
            assert_eq!(parse_duration(&exact(&d)), Ok(d));
        }
    }

    #[test]
    fn documented_forms_keep_reading() {
        let cases = [
            ("500ms", 500),
            ("90s", 90_000),
            ("30m", 1_800_000),
            ("1h", 3_600_000),
            ("1h30m", 5_400_000),
            ("2h30m", 9_000_000),
            (" 2h30m ", 9_000_000),
            ("1d", 86_400_000),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_duration(text), Ok(Duration::from_millis(ms)), "{text}");
        }
        assert_eq!(parse_duration("2h 30m"), Ok(Duration::from_secs(9000)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1500us")
            .unwrap_err()
            .contains("finer than a millisecond"));
    }

    #[test]
    fn overflowing_durations_are_refused_not_wrapped() {
        for text in [
            "5124095576031h",
            "99999999999999999999s",
            "36500d1ms",
            "18446744073709551615ms",
        ] {
            let err = parse_duration(text).unwrap_err();
            assert!(err.contains("longer than 100 years"), "{text}: {err}");
        }
        assert_eq!(parse_duration("36500d"), Ok(Duration::from_millis(MAX_MS)));
    }
}
