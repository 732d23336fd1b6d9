//! `AttributeValue` and items, with DynamoDB's JSON form and validation.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use crate::number::Number;

/// One attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    /// Sets keep insertion order on the wire; equality ignores order.
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
    L(Vec<AttributeValue>),
    M(Item),
}

/// An item: attribute name → value.
pub type Item = BTreeMap<String, AttributeValue>;

/// Nesting limit of documents (DynamoDB allows 32 levels).
pub const MAX_DEPTH: usize = 32;

impl AttributeValue {
    /// The type descriptor (`S`, `N`, `SS`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
            AttributeValue::L(_) => "L",
            AttributeValue::M(_) => "M",
        }
    }

    /// Parses the wire form (`{"S": "x"}`).
    pub fn from_json(v: &Value) -> Result<AttributeValue, String> {
        Self::from_json_at(v, 0)
    }

    fn from_json_at(v: &Value, depth: usize) -> Result<AttributeValue, String> {
        if depth > MAX_DEPTH {
            return Err("Nesting Levels have exceeded supported limits".into());
        }
        let Value::Object(m) = v else {
            return Err("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".into());
        };
        let set: Vec<(&String, &Value)> = m.iter().filter(|(_, v)| !v.is_null()).collect();
        if set.len() != 1 {
            return Err(if set.is_empty() {
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
            } else {
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
            }
            .into());
        }
        let (k, v) = set[0];
        let bad = || format!("Invalid attribute value type for {k}");
        let strings = |v: &Value| -> Result<Vec<String>, String> {
            let Value::Array(a) = v else {
                return Err(bad());
            };
            a.iter()
                .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
                .collect()
        };
        let number = |s: &str| Number::parse(s).map_err(|e| e.to_string());
        let binary = |s: &str| {
            B64.decode(s)
                .map_err(|_| "Invalid Base64 value for binary attribute".to_string())
        };
        // Wire strings of a set member, for DynamoDB's messages.
        let shown = || -> String {
            let parts: Vec<String> = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default();
            format!("[{}]", parts.join(", "))
        };
        let check_set = |len: usize, dedup: usize| -> Result<(), String> {
            if len == 0 {
                let what = match k.as_str() {
                    "SS" => "An string set ",
                    "NS" => "An number set ",
                    _ => "Binary sets should not be empty",
                };
                return Err(if k == "BS" {
                    format!("One or more parameter values were invalid: {what}")
                } else {
                    format!("One or more parameter values were invalid: {what} may not be empty")
                });
            }
            if dedup != len {
                return Err(format!(
                    "One or more parameter values were invalid: Input collection {} contains duplicates.",
                    shown()
                ));
            }
            Ok(())
        };
        Ok(match k.as_str() {
            "S" => AttributeValue::S(v.as_str().ok_or_else(bad)?.to_string()),
            "N" => AttributeValue::N(number(v.as_str().ok_or_else(bad)?)?),
            "B" => AttributeValue::B(binary(v.as_str().ok_or_else(bad)?)?),
            "BOOL" => AttributeValue::Bool(v.as_bool().ok_or_else(bad)?),
            "NULL" => {
                if v.as_bool() != Some(true) {
                    return Err("One or more parameter values were invalid: Null attribute value types must have the value of true".into());
                }
                AttributeValue::Null
            }
            "SS" => {
                let s = strings(v)?;
                let mut d = s.clone();
                d.sort();
                d.dedup();
                check_set(s.len(), d.len())?;
                AttributeValue::Ss(s)
            }
            "NS" => {
                let s = strings(v)?
                    .iter()
                    .map(|x| number(x))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut d = s.clone();
                d.sort();
                d.dedup();
                check_set(s.len(), d.len())?;
                AttributeValue::Ns(s)
            }
            "BS" => {
                let s = strings(v)?
                    .iter()
                    .map(|x| binary(x))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut d = s.clone();
                d.sort();
                d.dedup();
                check_set(s.len(), d.len())?;
                AttributeValue::Bs(s)
            }
            "L" => {
                let Value::Array(a) = v else {
                    return Err(bad());
                };
                AttributeValue::L(
                    a.iter()
                        .map(|x| Self::from_json_at(x, depth + 1))
                        .collect::<Result<_, _>>()?,
                )
            }
            "M" => {
                let Value::Object(o) = v else {
                    return Err(bad());
                };
                let mut item = Item::new();
                for (k, x) in o {
                    item.insert(k.clone(), Self::from_json_at(x, depth + 1)?);
                }
                AttributeValue::M(item)
            }
            _ => {
                return Err(format!(
                    "Supplied AttributeValue has unknown datatype {k}, must contain exactly one of the supported datatypes"
                ));
            }
        })
    }

    /// The wire form.
    pub fn to_json(&self) -> Value {
        match self {
            AttributeValue::S(s) => json!({"S": s}),
            AttributeValue::N(n) => json!({"N": n.to_string()}),
            AttributeValue::B(b) => json!({"B": B64.encode(b)}),
            AttributeValue::Bool(b) => json!({"BOOL": b}),
            AttributeValue::Null => json!({"NULL": true}),
            AttributeValue::Ss(s) => json!({"SS": s}),
            AttributeValue::Ns(s) => {
                json!({"NS": s.iter().map(|n| n.to_string()).collect::<Vec<_>>()})
            }
            AttributeValue::Bs(s) => {
                json!({"BS": s.iter().map(|b| B64.encode(b)).collect::<Vec<_>>()})
            }
            AttributeValue::L(l) => json!({"L": l.iter().map(|v| v.to_json()).collect::<Vec<_>>()}),
            AttributeValue::M(m) => json!({"M": item_to_json(m)}),
        }
    }

    /// DynamoDB's comparison for `<`, `>`, BETWEEN: defined only between
    /// two N, two S or two B.
    pub fn compare(&self, other: &AttributeValue) -> Option<Ordering> {
        match (self, other) {
            (AttributeValue::N(a), AttributeValue::N(b)) => Some(a.cmp(b)),
            (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Equality as DynamoDB sees it (sets ignore order).
    pub fn same(&self, other: &AttributeValue) -> bool {
        fn set_eq<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.len() == b.len() && a.iter().all(|x| b.contains(x))
        }
        match (self, other) {
            (AttributeValue::Ss(a), AttributeValue::Ss(b)) => set_eq(a, b),
            (AttributeValue::Ns(a), AttributeValue::Ns(b)) => set_eq(a, b),
            (AttributeValue::Bs(a), AttributeValue::Bs(b)) => set_eq(a, b),
            (AttributeValue::L(a), AttributeValue::L(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (AttributeValue::M(a), AttributeValue::M(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same(w)))
            }
            _ => self == other,
        }
    }

    /// Bytes whose bytewise order is DynamoDB's key order (S, N, B only).
    pub fn key_bytes(&self) -> Option<Vec<u8>> {
        match self {
            AttributeValue::S(s) => Some(s.as_bytes().to_vec()),
            AttributeValue::N(n) => Some(n.order_key()),
            AttributeValue::B(b) => Some(b.clone()),
            _ => None,
        }
    }

    /// Approximate stored size in bytes (name excluded), for the 400 KB limit.
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.to_string().len().div_ceil(2) + 1,
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
            AttributeValue::Ns(s) => s.iter().map(|n| n.to_string().len().div_ceil(2) + 1).sum(),
            AttributeValue::Bs(s) => s.iter().map(Vec::len).sum(),
            AttributeValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::M(m) => {
                3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>()
            }
        }
    }
}

/// An item's wire form.
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect::<Map<String, Value>>(),
    )
}

/// Parses an item (or key) map.
pub fn item_from_json(v: &Value) -> Result<Item, String> {
    let Value::Object(o) = v else {
        return Err("Expected a map of attribute values".into());
    };
    let mut item = Item::new();
    for (k, x) in o {
        item.insert(k.clone(), AttributeValue::from_json(x)?);
    }
    Ok(item)
}

/// Size of an item as DynamoDB counts it (names plus values).
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        let v = json!({"M": {"a": {"L": [{"N": "1.50"}, {"S": "x"}, {"NULL": true}, {"BOOL": false},
            {"B": "AAE="}, {"SS": ["b", "a"]}, {"NS": ["2", "1"]}, {"BS": ["AQ=="]}]}}});
        let a = AttributeValue::from_json(&v).unwrap();
        let back = a.to_json();
        assert_eq!(back["M"]["a"]["L"][0], json!({"N": "1.5"}));
        assert_eq!(AttributeValue::from_json(&back).unwrap(), a);
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            json!({}),
            json!({"S": "a", "N": "1"}),
            json!({"N": "abc"}),
            json!({"SS": []}),
            json!({"SS": ["a", "a"]}),
            json!({"NS": ["1", "1.0"]}),
            json!({"NULL": false}),
            json!({"X": 1}),
        ] {
            assert!(AttributeValue::from_json(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            AttributeValue::from_json(&json!({"SS": ["a", "a"]})).unwrap_err(),
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
        );
        let mut deep = json!({"S": "x"});
        for _ in 0..100 {
            deep = json!({"L": [deep]});
        }
        assert!(AttributeValue::from_json(&deep).is_err());
    }

    #[test]
    fn key_order_is_dynamodb_order() {
        let s = |x: &str| AttributeValue::S(x.into()).key_bytes().unwrap();
        assert!(s("B") < s("a"), "strings compare by UTF-8 bytes");
        assert!(s("a") < s("ab"));
        let n = |x: &str| {
            AttributeValue::N(Number::parse(x).unwrap())
                .key_bytes()
                .unwrap()
        };
        assert!(n("2") < n("10"), "numbers compare numerically");
        assert!(n("-10") < n("-2"));
        let b = |x: &[u8]| AttributeValue::B(x.to_vec()).key_bytes().unwrap();
        assert!(b(&[0x01]) < b(&[0xff]), "binary compares unsigned");
    }
}
