//! DynamoDB's Number: an exact decimal of up to 38 significant digits with a
//! magnitude between 1E-130 and 9.99…E+125 (or zero). Never a float.

use std::cmp::Ordering;
use std::fmt;

/// Most significant digits a Number may hold.
pub const MAX_DIGITS: usize = 38;

/// A normalised decimal: `digits` (no leading or trailing zeros; empty for
/// zero) times `10^exp`, negated when `neg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

/// Why a string is not a valid Number (DynamoDB's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("The parameter cannot be converted to a numeric value")]
    NotNumeric,
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    #[error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )]
    Underflow,
}

impl Number {
    pub fn zero() -> Number {
        Number {
            neg: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Parses DynamoDB's number syntax (`-12.50`, `1e3`, `.5`, `+7`).
    pub fn parse(s: &str) -> Result<Number, NumberError> {
        let s = s.trim();
        let b = s.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            neg = b[i] == b'-';
            i += 1;
        }
        let mut digits = Vec::new();
        let mut frac = 0i64;
        let mut seen_digit = false;
        let mut seen_dot = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    seen_digit = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_dot {
                        frac += 1;
                    }
                    if digits.len() > 400 {
                        return Err(NumberError::TooManyDigits);
                    }
                }
                b'.' if !seen_dot => seen_dot = true,
                _ => break,
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NumberError::NotNumeric);
        }
        let mut e: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                e = (e * 10 + i64::from(b[i] - b'0')).min(1_000_000);
                i += 1;
            }
            if i == start {
                return Err(NumberError::NotNumeric);
            }
            if eneg {
                e = -e;
            }
        }
        if i != b.len() {
            return Err(NumberError::NotNumeric);
        }
        let n = Number::normalise(neg, digits, e - frac)?;
        if n.digits.len() > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        n.check_range()?;
        Ok(n)
    }

    fn normalise(neg: bool, mut digits: Vec<u8>, mut exp: i64) -> Result<Number, NumberError> {
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        while digits.last() == Some(&0) {
            digits.pop();
            exp += 1;
        }
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        let exp = i32::try_from(exp.clamp(-100_000, 100_000)).unwrap_or(0);
        Ok(Number { neg, digits, exp })
    }

    /// Position of the most significant digit: the value is in
    /// `[10^(adj-1), 10^adj)`.
    fn adjusted(&self) -> i32 {
        self.exp + self.digits.len() as i32
    }

    fn check_range(&self) -> Result<(), NumberError> {
        if self.is_zero() {
            return Ok(());
        }
        // Largest: 9.9…9E+125, i.e. adjusted exponent 126; smallest 1E-130.
        if self.adjusted() > 126 {
            return Err(NumberError::Overflow);
        }
        if self.adjusted() < -129 {
            return Err(NumberError::Underflow);
        }
        Ok(())
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.adjusted()
            .cmp(&other.adjusted())
            .then_with(|| self.digits.cmp(&other.digits))
    }

    /// Digits aligned to exponent `exp` (which must be <= self.exp), least
    /// significant first.
    fn aligned(&self, exp: i32) -> Vec<u8> {
        let mut v = vec![0u8; (self.exp - exp) as usize];
        v.extend(self.digits.iter().rev());
        v
    }

    /// `self + other`, failing like DynamoDB when the result does not fit.
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        let exp = self.exp.min(other.exp);
        let a = self.aligned(exp);
        let b = other.aligned(exp);
        let (neg, digits) = if self.neg == other.neg {
            let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
            let mut carry = 0u8;
            for i in 0..a.len().max(b.len()) {
                let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
                out.push(s % 10);
                carry = s / 10;
            }
            if carry > 0 {
                out.push(carry);
            }
            (self.neg, out)
        } else {
            let (big, small, neg) = match self.cmp_magnitude(other) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (&a, &b, self.neg),
                Ordering::Less => (&b, &a, other.neg),
            };
            let mut out = Vec::with_capacity(big.len());
            let mut borrow = 0i8;
            for (i, b) in big.iter().enumerate() {
                let mut d = *b as i8 - small.get(i).copied().unwrap_or(0) as i8 - borrow;
                borrow = 0;
                if d < 0 {
                    d += 10;
                    borrow = 1;
                }
                out.push(d as u8);
            }
            (neg, out)
        };
        let digits: Vec<u8> = digits.into_iter().rev().collect();
        let n = Number::normalise(neg, digits, i64::from(exp))?;
        if n.digits.len() > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        n.check_range()?;
        Ok(n)
    }

    pub fn negate(&self) -> Number {
        Number {
            neg: !self.neg && !self.is_zero(),
            ..self.clone()
        }
    }

    pub fn sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.add(&other.negate())
    }

    /// A byte string whose bytewise order is the numeric order (for keys).
    pub fn order_key(&self) -> Vec<u8> {
        if self.is_zero() {
            return vec![0x80];
        }
        let e = (self.adjusted() + 1000) as u16;
        let mut out = Vec::with_capacity(self.digits.len() + 4);
        if self.neg {
            out.push(0x7f);
            out.extend((!e).to_be_bytes());
            out.extend(self.digits.iter().map(|d| 0xff - (b'0' + d)));
            out.push(0xff);
        } else {
            out.push(0x81);
            out.extend(e.to_be_bytes());
            out.extend(self.digits.iter().map(|d| b'0' + d));
        }
        out
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        match (self.neg, other.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation, as DynamoDB returns numbers (`1E+3` → `1000`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut s = String::new();
        if self.neg {
            s.push('-');
        }
        let digits: String = self.digits.iter().map(|d| (b'0' + d) as char).collect();
        if self.exp >= 0 {
            s.push_str(&digits);
            s.extend(std::iter::repeat_n('0', self.exp as usize));
        } else {
            let point = self.digits.len() as i32 + self.exp;
            if point > 0 {
                s.push_str(&digits[..point as usize]);
                s.push('.');
                s.push_str(&digits[point as usize..]);
            } else {
                s.push_str("0.");
                s.extend(std::iter::repeat_n('0', (-point) as usize));
                s.push_str(&digits);
            }
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn holds_38_digits_exactly() {
        let s = "12345678901234567890123456789012345678";
        assert_eq!(n(s).to_string(), s);
        assert_eq!(
            Number::parse("123456789012345678901234567890123456789"),
            Err(NumberError::TooManyDigits)
        );
        assert_eq!(n("0.1").add(&n("0.2")).unwrap().to_string(), "0.3");
        let big = n("99999999999999999999999999999999999999");
        assert_eq!(
            big.add(&n("1")).unwrap().to_string(),
            format!("1{}", "0".repeat(38))
        );
        assert_eq!(
            big.add(&n("0.1")),
            Err(NumberError::TooManyDigits),
            "39 significant digits do not fit"
        );
    }

    #[test]
    fn normalises() {
        assert_eq!(n("1.50").to_string(), "1.5");
        assert_eq!(n("+001e3").to_string(), "1000");
        assert_eq!(n("-0.000").to_string(), "0");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("-12.5e-3").to_string(), "-0.0125");
        assert_eq!(n("1.50"), n("1.5"));
        for bad in [
            "", "abc", "1e", "1.2.3", "--1", "1 2", "e5", "NaN", "Infinity",
        ] {
            assert_eq!(Number::parse(bad), Err(NumberError::NotNumeric), "{bad}");
        }
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert!(Number::parse("9.9999999999999999999999999999999999999e125").is_ok());
        assert!(Number::parse("1e-130").is_ok());
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
    }

    #[test]
    fn orders_numerically_and_by_key_bytes() {
        let sorted = [
            "-1e100", "-10", "-9.5", "-1", "-0.123", "-0.12", "-0.001", "0", "0.001", "0.12",
            "0.123", "1", "2", "9.5", "10", "11", "1e100",
        ];
        for w in sorted.windows(2) {
            let (a, b) = (n(w[0]), n(w[1]));
            assert!(a < b, "{} < {}", w[0], w[1]);
            assert!(a.order_key() < b.order_key(), "key {} < {}", w[0], w[1]);
        }
        assert_eq!(n("5").cmp(&n("5.0")), Ordering::Equal);
    }

    #[test]
    fn arithmetic() {
        assert_eq!(n("10").sub(&n("10.5")).unwrap().to_string(), "-0.5");
        assert_eq!(n("-3").add(&n("5")).unwrap().to_string(), "2");
        assert_eq!(
            n("1e-5").add(&n("1e5")).unwrap().to_string(),
            "100000.00001"
        );
        assert_eq!(n("7").sub(&n("7")).unwrap().to_string(), "0");
    }
}
