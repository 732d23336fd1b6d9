//! Small value predicates: integers as AWS reads them, RFC 3339 timestamps,
//! JSONata `{% … %}` strings.

use serde_json::Value;

/// Integer view of a JSON number. Integral floats (`5.0`) count, because AWS's JSON
/// binding coerces them; anything fractional or non-numeric does not.
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i)
            } else if n.as_u64().is_some() {
                Some(i64::MAX)
            } else {
                let f = n.as_f64()?;
                if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e18 {
                    Some(f as i64)
                } else {
                    None
                }
            }
        }
        _ => None,
    }
}

/// If `s` is a JSONata expression string (`{%` … `%}` with nothing outside the
/// delimiters), returns the body.
pub(crate) fn jsonata_body(s: &str) -> Option<&str> {
    if s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}") {
        Some(&s[2..s.len() - 2])
    } else {
        None
    }
}

/// RFC 3339 date-time as AWS accepts it (Java's ISO offset date-time parser):
/// `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH:MM[:SS])`. Letters are accepted in either
/// case because that parser is case-insensitive.
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut p = Parser { b, i: 0 };
    (|| {
        let year = p.digits(4)?;
        p.lit(b'-')?;
        let month = p.digits(2)?;
        p.lit(b'-')?;
        let day = p.digits(2)?;
        if !p.lit_ci(b'T') {
            return None;
        }
        let hour = p.digits(2)?;
        p.lit(b':')?;
        let minute = p.digits(2)?;
        let mut second = 0;
        if p.peek() == Some(b':') {
            p.i += 1;
            second = p.digits(2)?;
            if p.peek() == Some(b'.') {
                p.i += 1;
                let start = p.i;
                while matches!(p.peek(), Some(c) if c.is_ascii_digit()) {
                    p.i += 1;
                }
                let n = p.i - start;
                if n == 0 || n > 9 {
                    return None;
                }
            }
        }
        match p.peek()? {
            b'Z' | b'z' => p.i += 1,
            b'+' | b'-' => {
                p.i += 1;
                let oh = p.digits(2)?;
                p.lit(b':')?;
                let om = p.digits(2)?;
                let mut os = 0;
                if p.peek() == Some(b':') {
                    p.i += 1;
                    os = p.digits(2)?;
                }
                if oh > 18 || om > 59 || os > 59 {
                    return None;
                }
            }
            _ => return None,
        }
        if p.i != b.len() {
            return None;
        }
        let dim = days_in_month(year, month)?;
        (day >= 1 && day <= dim && hour <= 23 && minute <= 59 && second <= 59).then_some(())
    })()
    .is_some()
}

fn days_in_month(year: u32, month: u32) -> Option<u32> {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    })
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn digits(&mut self, n: usize) -> Option<u32> {
        let end = self.i.checked_add(n)?;
        let s = self.b.get(self.i..end)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i = end;
        Some(s.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }
    fn lit(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
    fn lit_ci(&mut self, c: u8) -> bool {
        match self.peek() {
            Some(x) if x.eq_ignore_ascii_case(&c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }
}

/// JSON type name in AWS's wording, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Bool(_) => "BOOLEAN",
        Value::Number(n) if n.is_f64() => "NUMBER",
        Value::Number(_) => "INTEGER",
        Value::String(_) => "STRING",
        Value::Array(_) => "ARRAY",
        Value::Object(_) => "OBJECT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for ok in [
            "2016-03-14T01:59:00Z",
            "2016-03-14T01:59:00.123Z",
            "2016-03-14T01:59:00+05:30",
            "2024-02-29T00:00:00-00:00",
            "2016-03-14t01:59:00z",
            "2016-03-14T01:59Z",
        ] {
            assert!(is_timestamp(ok), "{ok}");
        }
        for bad in [
            "2016-03-14",
            "2016-03-14T01:59:00",
            "2023-02-29T00:00:00Z",
            "2016-13-14T01:59:00Z",
            "2016-03-14 01:59:00Z",
            "2016-03-14T25:59:00Z",
            "2016-03-14T01:59:00.Z",
            "x",
            "",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
    }

    #[test]
    fn ints() {
        assert_eq!(as_int(&serde_json::json!(5)), Some(5));
        assert_eq!(as_int(&serde_json::json!(5.0)), Some(5));
        assert_eq!(as_int(&serde_json::json!(5.5)), None);
        assert_eq!(as_int(&serde_json::json!("5")), None);
    }
}
