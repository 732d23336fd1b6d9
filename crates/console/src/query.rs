//! Query-string parameters of the console endpoints (`?arn=…&after=3`).

use axum::http::Uri;

use crate::ConsoleError;

/// The decoded query parameters of a request, in order.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn of(uri: &Uri) -> Query {
        let pairs = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect();
        Query(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn required(&self, name: &'static str) -> Result<&str, ConsoleError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or(ConsoleError::MissingParameter(name))
    }

    /// An optional unsigned number.
    pub fn number(&self, name: &'static str) -> Result<Option<u64>, ConsoleError> {
        match self.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| ConsoleError::NotANumber {
                name,
                value: v.to_string(),
            }),
        }
    }
}

/// Form decoding: `+` is a space, `%XX` a byte.
fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_arns_and_numbers() {
        let uri: Uri = "/x?arn=arn%3Aaws%3Astates%3A%3Aexecution%3Aa+b&after=12&bad=x"
            .parse()
            .unwrap();
        let q = Query::of(&uri);
        assert_eq!(q.get("arn"), Some("arn:aws:states::execution:a b"));
        assert_eq!(q.number("after").unwrap(), Some(12));
        assert!(matches!(
            q.number("bad"),
            Err(ConsoleError::NotANumber { .. })
        ));
        assert!(matches!(
            q.required("missing"),
            Err(ConsoleError::MissingParameter("missing"))
        ));
    }
}
