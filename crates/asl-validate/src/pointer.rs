//! Locations inside the definition, rendered like AWS does: a JSON Pointer with raw
//! key names (spaces kept), `~` and `/` escaped as in RFC 6901, `/` for the root.

use std::fmt;

/// An owned JSON-Pointer-like location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ptr(String);

impl Ptr {
    /// The document root.
    pub(crate) fn root() -> Self {
        Ptr(String::new())
    }

    /// Child location for an object key.
    pub(crate) fn key(&self, k: &str) -> Self {
        let mut s = String::with_capacity(self.0.len() + k.len() + 1);
        s.push_str(&self.0);
        s.push('/');
        for c in k.chars() {
            match c {
                '~' => s.push_str("~0"),
                '/' => s.push_str("~1"),
                c => s.push(c),
            }
        }
        Ptr(s)
    }

    /// Child location for an array index.
    pub(crate) fn idx(&self, i: usize) -> Self {
        Ptr(format!("{}/{}", self.0, i))
    }

    /// Rendered form; the root renders as `/` (as AWS prints it).
    pub(crate) fn render(&self) -> String {
        if self.0.is_empty() {
            "/".to_string()
        } else {
            self.0.clone()
        }
    }
}

impl fmt::Display for Ptr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
