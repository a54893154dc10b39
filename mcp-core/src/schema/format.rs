//! The `format` values the validator asserts.
//!
//! JSON Schema 2020-12 makes `format` an annotation unless a validator opts in to asserting it.
//! This one opts in for the formats `schemars` emits for ordinary Rust types, because a value
//! that breaks them fails later anyway, when the handler's `serde` deserialisation rejects it
//! with a message about Rust types rather than about the field. Checking here turns that into
//! an `isError` result naming the field and showing a valid example. Other format names
//! (custom ones included) stay annotations: the spec allows any name, and models read them as
//! hints.
//!
//! Every check works on ASCII bytes, so non-ASCII digits and look-alike characters are
//! rejected, and none of them can panic on any input.

use serde_json::{Number, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The `format` names the validator asserts; any other name is an annotation it accepts.
///
/// ```
/// assert!(mcp_connector_core::schema::ASSERTED_FORMATS.contains(&"date-time"));
/// assert!(mcp_connector_core::schema::ASSERTED_FORMATS.contains(&"uint8"));
/// ```
pub const ASSERTED: &[&str] = &[
    "date-time",
    "date",
    "time",
    "partial-date-time",
    "partial-time",
    "uuid",
    "uri",
    "email",
    "ipv4",
    "ipv6",
    "ip",
    "int8",
    "int16",
    "int32",
    "int64",
    "int",
    "int128",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uint",
    "uint128",
    "float",
    "double",
];

/// The violation message when `inst` breaks `format`, or `None` if it conforms, the format is
/// not asserted, or it does not apply to the instance's type (string formats ignore numbers).
pub(crate) fn format_error(format: &str, inst: &Value) -> Option<String> {
    match inst {
        Value::String(s) => string_error(format, s),
        Value::Number(n) => number_error(format, n),
        _ => None,
    }
}

/// The message for a string that breaks a string format.
fn string_error(format: &str, s: &str) -> Option<String> {
    let (ok, what) = match format {
        "date-time" => (is_date_time(s, true), "a date-time in RFC 3339 form, like \"2025-01-31T09:30:00Z\""),
        "partial-date-time" => {
            (is_date_time(s, false), "a date and time without offset, like \"2025-01-31T09:30:00\"")
        }
        "date" => (is_date(s.as_bytes()), "a date in RFC 3339 form (YYYY-MM-DD), like \"2025-01-31\""),
        "time" => (is_time(s.as_bytes(), true), "a time with an offset in RFC 3339 form, like \"09:30:00Z\""),
        "partial-time" => (is_time(s.as_bytes(), false), "a time without offset, like \"09:30:00\""),
        "uuid" => (is_uuid(s), "a UUID, like \"67e55044-10b1-426f-9247-bb680e5fe0c8\""),
        "uri" => (is_uri(s), "an absolute URI with a scheme, like \"https://example.com/path\""),
        "email" => (is_email(s), "an email address, like \"name@example.com\""),
        "ipv4" => (is_ipv4(s), "an IPv4 address, like \"192.0.2.1\""),
        "ipv6" => (is_ipv6(s), "an IPv6 address, like \"2001:db8::1\""),
        "ip" => (is_ipv4(s) || is_ipv6(s), "an IPv4 or IPv6 address, like \"192.0.2.1\" or \"2001:db8::1\""),
        _ => return None,
    };
    (!ok).then(|| format!("must be {what}; got {}", super::validate::excerpt(&Value::String(s.into()))))
}

/// The message for a number outside the range of a Rust integer format.
fn number_error(format: &str, n: &Number) -> Option<String> {
    let (min, max): (i128, i128) = match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        // `isize`/`usize` are 64-bit on every target a server runs on; JSON numbers past 64
        // bits cannot be represented exactly here anyway.
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        "int128" => (i128::MIN, i128::MAX),
        "uint8" => (0, u8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" | "uint" => (0, u64::MAX.into()),
        "uint128" => (0, i128::MAX),
        // `float`/`double` accept any JSON number: serde reads an out-of-range `f32` as infinity.
        _ => return None,
    };
    let whole = n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)).or_else(|| {
        // `3.0` is an integer in JSON Schema; a float beyond the i128 range never fits.
        n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1.7e38).map(|f| f as i128)
    });
    match whole {
        Some(i) if (min..=max).contains(&i) => None,
        _ if format == "uint128" && n.as_f64().is_some_and(|f| f.fract() == 0.0 && f >= 0.0) => None,
        _ => Some(format!("must be an integer from {min} to {max} ({format}); got {n}")),
    }
}

/// `YYYY-MM-DD` `T` time, case-insensitive `T` (RFC 3339 section 5.6 note).
fn is_date_time(s: &str, offset: bool) -> bool {
    let b = s.as_bytes();
    b.len() > 11 && matches!(b[10], b'T' | b't') && is_date(&b[..10]) && is_time(&b[11..], offset)
}

/// RFC 3339 `full-date`, with the real number of days in the month.
fn is_date(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10])) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// RFC 3339 `full-time` (`offset`: a `Z` or `±HH:MM` is required) or `partial-time`.
/// A leap second (`:60`) is valid only at 23:59 UTC.
fn is_time(b: &[u8], offset: bool) -> bool {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (Some(hour), Some(minute), Some(second)) = (digits(&b[0..2]), digits(&b[3..5]), digits(&b[6..8]))
    else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &b[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    if !offset {
        return rest.is_empty();
    }
    // Minutes east of UTC.
    let shift: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (Some(h), Some(m)) = (digits(&[*h1, *h2]), digits(&[*m1, *m2])) else {
                return false;
            };
            if h > 23 || m > 59 {
                return false;
            }
            let minutes = (h * 60 + m) as i64;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return false,
    };
    if second == 60 {
        let utc = ((hour * 60 + minute) as i64 - shift).rem_euclid(24 * 60);
        return utc == 23 * 60 + 59;
    }
    true
}

/// The value of a run of ASCII digits; `None` if any byte is not one.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

/// 8-4-4-4-12 hexadecimal digits, any version.
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Dotted-quad IPv4 without leading zeros (std's parser rejects them, as RFC 6943 advises).
fn is_ipv4(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok()
}

/// RFC 4291 text form, `::` and embedded IPv4 included, no zone index.
fn is_ipv6(s: &str) -> bool {
    s.parse::<Ipv6Addr>().is_ok()
}

/// RFC 5321 `Mailbox`: a dot-atom or quoted local part, and a host name or an address literal.
fn is_email(s: &str) -> bool {
    let Some(at) = s.rfind('@') else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    let local_ok = match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(quoted) => is_quoted_content(quoted),
        None => is_dot_atom(local),
    };
    local_ok && local.len() <= 64 && is_mail_domain(domain)
}

/// The inside of an RFC 5321 `Quoted-string`: printable ASCII, `"` and `\` only escaped.
fn is_quoted_content(s: &str) -> bool {
    let mut bytes = s.bytes();
    while let Some(c) = bytes.next() {
        match c {
            b'\\' => {
                if !bytes.next().is_some_and(|e| (32..=126).contains(&e)) {
                    return false;
                }
            }
            b'"' => return false,
            32..=126 => {}
            _ => return false,
        }
    }
    true
}

/// Atoms of RFC 5322 `atext` joined by single dots.
fn is_dot_atom(s: &str) -> bool {
    const SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
    !s.is_empty()
        && s.split('.').all(|atom| {
            !atom.is_empty() && atom.bytes().all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(&c))
        })
}

/// A host name, `[IPv4]` or `[IPv6:...]`.
fn is_mail_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return match literal.strip_prefix("IPv6:") {
            Some(v6) => is_ipv6(v6),
            None => is_ipv4(literal),
        };
    }
    is_hostname(domain)
}

/// RFC 1123 host name: labels of letters, digits and inner hyphens, at most 63 and 253 long.
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// RFC 3986 `URI`: a scheme, then a hierarchical part, optional query and fragment, every
/// character allowed where it stands (`%` followed by two hex digits).
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let sb = scheme.as_bytes();
    if sb.is_empty()
        || !sb[0].is_ascii_alphabetic()
        || !sb.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (hier, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    let extra = |c: u8| matches!(c, b'/' | b'?');
    if !query.is_none_or(|q| uri_chars(q, |c| is_pchar(c) || extra(c)))
        || !fragment.is_none_or(|f| uri_chars(f, |c| is_pchar(c) || extra(c)))
    {
        return false;
    }
    match hier.strip_prefix("//") {
        Some(after) => {
            let (authority, path) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            is_authority(authority) && uri_chars(path, |c| is_pchar(c) || c == b'/')
        }
        None => uri_chars(hier, |c| is_pchar(c) || c == b'/'),
    }
}

/// `[ userinfo "@" ] host [ ":" port ]`.
fn is_authority(authority: &str) -> bool {
    let (userinfo, host_port) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    if !userinfo.is_none_or(|u| uri_chars(u, |c| is_unreserved(c) || is_sub_delim(c) || c == b':')) {
        return false;
    }
    let (host, port) = if let Some(literal) = host_port.strip_prefix('[') {
        let Some((inside, after)) = literal.split_once(']') else {
            return false;
        };
        if !(is_ipv6(inside) || is_ipv_future(inside)) {
            return false;
        }
        match after {
            "" => ("", None),
            _ => match after.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return false,
            },
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    port.is_none_or(|p| p.bytes().all(|c| c.is_ascii_digit()))
        && uri_chars(host, |c| is_unreserved(c) || is_sub_delim(c))
}

/// `"v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )`.
fn is_ipv_future(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(['v', 'V']) else {
        return false;
    };
    let Some((version, tail)) = rest.split_once('.') else {
        return false;
    };
    !version.is_empty()
        && version.bytes().all(|c| c.is_ascii_hexdigit())
        && !tail.is_empty()
        && tail.bytes().all(|c| is_unreserved(c) || is_sub_delim(c) || c == b':')
}

/// Whether every byte is allowed by `allowed` or is part of a `%XX` escape.
fn uri_chars(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
        } else if allowed(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// RFC 3986 `pchar` without the `%XX` escape, which [`uri_chars`] handles.
fn is_pchar(c: u8) -> bool {
    is_unreserved(c) || is_sub_delim(c) || matches!(c, b':' | b'@')
}

/// RFC 3986 `unreserved`.
fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `sub-delims`.
fn is_sub_delim(c: u8) -> bool {
    matches!(c, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid(format: &str, value: Value) -> bool {
        format_error(format, &value).is_none()
    }

    #[test]
    fn date_time_checks_calendar_offset_and_leap_seconds() {
        assert!(valid("date-time", json!("2024-02-29T23:59:59.123+02:00")));
        assert!(valid("date-time", json!("1998-12-31t23:59:60z")));
        assert!(valid("date-time", json!("1998-12-31T15:59:60-08:00")));
        assert!(!valid("date-time", json!("2023-02-29T00:00:00Z")));
        assert!(!valid("date-time", json!("1998-12-31T23:58:60Z")));
        assert!(!valid("date-time", json!("2024-01-01T00:00:00")));
        assert!(!valid("date-time", json!("2024-01-01 00:00:00Z")));
        assert!(!valid("date-time", json!("2024-01-0١T00:00:00Z")));
        assert!(valid("partial-date-time", json!("2024-01-01T00:00:00")));
        assert!(!valid("partial-date-time", json!("2024-01-01T00:00:00Z")));
    }

    #[test]
    fn date_and_time() {
        assert!(valid("date", json!("2000-02-29")));
        assert!(!valid("date", json!("1900-02-29")));
        assert!(!valid("date", json!("2020-1-01")));
        assert!(valid("time", json!("08:30:06.283185Z")));
        assert!(!valid("time", json!("08:30:06")));
        assert!(!valid("time", json!("24:00:00Z")));
        assert!(valid("partial-time", json!("08:30:06")));
    }

    #[test]
    fn message_shows_an_example_and_the_value() {
        assert_eq!(
            format_error("date", &json!("31/01/2025")).as_deref(),
            Some("must be a date in RFC 3339 form (YYYY-MM-DD), like \"2025-01-31\"; got \"31/01/2025\"")
        );
        assert_eq!(
            format_error("uint8", &json!(300)).as_deref(),
            Some("must be an integer from 0 to 255 (uint8); got 300")
        );
    }

    #[test]
    fn integer_formats_bound_the_rust_type() {
        assert!(valid("uint8", json!(255)));
        assert!(!valid("uint8", json!(256)));
        assert!(!valid("uint32", json!(-1)));
        assert!(valid("int8", json!(-128)));
        assert!(valid("int16", json!(3.0)));
        assert!(!valid("int16", json!(3.5)));
        assert!(valid("uint64", json!(u64::MAX)));
        assert!(valid("int64", json!(i64::MIN)));
        assert!(!valid("int64", json!(u64::MAX)));
        assert!(valid("uint128", json!(1e30)));
        assert!(valid("double", json!(1e300)));
        assert!(valid("custom-format", json!("anything")));
    }

    #[test]
    fn string_formats_ignore_other_types() {
        for format in ["date-time", "uuid", "email", "uri", "ipv4"] {
            assert!(valid(format, json!(12)));
            assert!(valid(format, json!(null)));
        }
        assert!(valid("uint8", json!("300")));
    }

    #[test]
    fn uuid_email_ip_uri() {
        assert!(valid("uuid", json!("2EB8AA08-AA98-11EA-B4AA-73B441D16380")));
        assert!(!valid("uuid", json!("2eb8aa08aa9811eab4aa73b441d16380")));
        assert!(valid("email", json!("\"joe bloggs\"@example.com")));
        assert!(valid("email", json!("joe.bloggs@[IPv6:::1]")));
        assert!(!valid("email", json!("te..st@example.com")));
        assert!(!valid("email", json!("joe@-example.com")));
        assert!(valid("ipv4", json!("192.168.0.1")));
        assert!(!valid("ipv4", json!("087.10.0.1")));
        assert!(valid("ipv6", json!("::ffff:192.168.0.1")));
        assert!(!valid("ipv6", json!("fe80::1%eth0")));
        assert!(valid("ip", json!("::1")));
        assert!(valid("uri", json!("http://-.~_!$&'()*+,;=:%40:80%2f::::::@example.com")));
        assert!(valid("uri", json!("ldap://[2001:db8::7]/c=GB?objectClass?one")));
        assert!(valid("uri", json!("urn:oasis:names:specification:docbook:dtd:xml:4.1.2")));
        assert!(!valid("uri", json!("//foo.bar/?baz=qux#quux")));
        assert!(!valid("uri", json!("bar,baz:foo")));
        assert!(!valid("uri", json!("http:// shouldfail.com")));
        assert!(!valid("uri", json!("http://example.com/%zz")));
        assert!(!valid("uri", json!("http://[::1/")));
    }
}
