//! `ban_duration`: how long a ban lasts, written as Supabase (Go's `time.ParseDuration`) reads
//! it — `"24h"`, `"1h30m"`, `"90s"`, `"1.5h"` — or `"none"` to lift a ban.

use chrono::{DateTime, Duration, Utc};

use crate::error::{AuthError, AuthResult};

/// What a `ban_duration` asks for: `None` lifts the ban, `Some(t)` bans until `t`.
pub fn banned_until(raw: &str, now: DateTime<Utc>) -> AuthResult<Option<DateTime<Utc>>> {
    let raw = raw.trim();
    if raw == "none" {
        return Ok(None);
    }
    let invalid = || {
        AuthError::validation(format!(
            "invalid format for ban duration: ban_duration {raw:?} is not a duration such as \
             \"24h\", \"90m\" or \"none\""
        ))
    };
    let duration = parse_go_duration(raw).ok_or_else(invalid)?;
    // A zero (or negative) ban is no ban, as in Supabase.
    if duration <= Duration::zero() {
        return Ok(None);
    }
    now.checked_add_signed(duration).map(Some).ok_or_else(invalid)
}

/// Go's `time.ParseDuration`: an optional sign, then one or more decimal numbers (fractions
/// allowed) each with a unit of `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m` or `h`; `"0"` alone
/// needs no unit. `None` when malformed or beyond Go's ±292 years.
pub fn parse_go_duration(raw: &str) -> Option<Duration> {
    let (negative, mut rest) = match raw.as_bytes().first() {
        Some(b'-') => (true, &raw[1..]),
        Some(b'+') => (false, &raw[1..]),
        _ => (false, raw),
    };
    if rest == "0" {
        return Some(Duration::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let digits_end = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut nanos: i128 = 0;
    while !rest.is_empty() {
        let (whole, after) = rest.split_at(digits_end(rest));
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => after.split_at(digits_end(after)),
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let unit_end = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let per_unit: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            _ => return None,
        };
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        nanos = nanos.checked_add(whole.checked_mul(per_unit)?)?;
        if !fraction.is_empty() {
            // Digits past nanosecond precision of an hour cannot change the result.
            let fraction = &fraction[..fraction.len().min(18)];
            let scale = 10_i128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
            nanos = nanos.checked_add(fraction.parse::<i128>().ok()? * per_unit / scale)?;
        }
        if nanos > i128::from(i64::MAX) {
            return None;
        }
        rest = after;
    }
    let nanos = i64::try_from(nanos).ok()?;
    Some(Duration::nanoseconds(if negative { -nanos } else { nanos }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(raw: &str) -> Option<i64> {
        parse_go_duration(raw).map(|d| d.num_seconds())
    }

    #[test]
    fn reads_go_durations() {
        assert_eq!(secs("24h"), Some(86_400));
        assert_eq!(secs("1h30m"), Some(5_400));
        assert_eq!(secs("2h45m10s"), Some(9_910));
        assert_eq!(secs("1.5h"), Some(5_400));
        assert_eq!(secs(".5m"), Some(30));
        assert_eq!(secs("0"), Some(0));
        assert_eq!(secs("-1h"), Some(-3_600));
        assert_eq!(parse_go_duration("300ms"), Some(Duration::milliseconds(300)));
        assert_eq!(parse_go_duration("1µs"), Some(Duration::microseconds(1)));
        assert_eq!(parse_go_duration("1us"), Some(Duration::microseconds(1)));
    }

    #[test]
    fn refuses_what_go_refuses() {
        for bad in ["", "24", "1d", "h", ".h", "forever", "1h ", "- 1h", "1e3s", "99999999999999h"]
        {
            assert_eq!(parse_go_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn none_and_zero_lift_a_ban() {
        let now = Utc::now();
        assert_eq!(banned_until("none", now).unwrap(), None);
        assert_eq!(banned_until("0", now).unwrap(), None);
        assert_eq!(banned_until("24h", now).unwrap(), Some(now + Duration::hours(24)));
        let err = banned_until("forever", now).unwrap_err().to_string();
        assert!(err.contains("ban_duration") && err.contains("forever"), "{err}");
    }
}
