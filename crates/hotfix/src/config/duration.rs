//! Human durations in config: `500ms`, `90s`, `30m`, `1h`, `2h30m`.

use std::time::Duration;

/// The longest duration accepted: a hundred years is no deadline.
const MAX_MS: u64 = 100 * 365 * 86_400_000;

/// Parses a duration made of `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration; write e.g. `90s`, `30m`, `1h` or `2h30m`");
    let too_long = || format!("`{text}` is longer than 100 years; write a real deadline such as `30m`");
    let mut total_ms = 0u64;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit_ms = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            's' => 1000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => return Err(bad()),
        };
        if number.is_empty() {
            return Err(bad());
        }
        // Digits only, so the one way to fail is a number past u64.
        let n: u64 = number.parse().map_err(|_| too_long())?;
        total_ms = n
            .checked_mul(unit_ms)
            .and_then(|ms| total_ms.checked_add(ms))
            .filter(|ms| *ms <= MAX_MS)
            .ok_or_else(too_long)?;
        number.clear();
    }
    if !number.is_empty() || text.trim().is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_millis(total_ms))
}

/// Formats a duration the way `parse_duration` reads it (`1h05m`, `42s`).
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
