//! A small blocking HTTP/1.1 client for the AWS JSON 1.0 protocol (Step
//! Functions) and the REST-JSON one (Lambda), enough to talk to a local
//! `baton serve` over one keep-alive connection (no TLS, no proxies, no
//! redirects). Kept in-house so the runner needs no HTTP crate.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

pub struct Client {
    /// `host:port`, also sent as `Host`.
    authority: String,
    conn: Option<BufReader<TcpStream>>,
}

/// An AWS error answer: HTTP status and the `__type` of its body.
#[derive(Debug)]
pub struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

impl Client {
    /// `endpoint` is `http://host:port` (a trailing `/` is fine).
    pub fn new(endpoint: &str) -> Result<Client> {
        let rest = endpoint
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("--endpoint must start with http:// (got {endpoint})"))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            bail!("--endpoint must be http://host:port (got {endpoint})");
        }
        let authority = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(Client {
            authority,
            conn: None,
        })
    }

    /// Calls `AWSStepFunctions.<operation>`. An error answer of the service
    /// comes back as an [`AwsError`] inside the `anyhow::Error`.
    pub fn call(&mut self, operation: &str, body: &Value) -> Result<Value> {
        let body = serde_json::to_vec(body)?;
        let target = format!("X-Amz-Target: AWSStepFunctions.{operation}\r\n");
        self.send("POST", "/", "application/x-amz-json-1.0", &target, &body)
    }

    /// A REST-JSON request (the Lambda API): `method` on `path`, with an
    /// optional JSON body.
    pub fn rest(&mut self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let body = match body {
            Some(b) => serde_json::to_vec(b)?,
            None => Vec::new(),
        };
        self.send(method, path, "application/json", "", &body)
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        extra_headers: &str,
        body: &[u8],
    ) -> Result<Value> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             {extra_headers}Content-Length: {}\r\n\r\n",
            self.authority,
            body.len()
        );
        let what = format!("{method} {path}");
        // A kept-alive connection may have been closed by the server: retry
        // once on a fresh one (every operation used here is safe to repeat
        // or idempotent by name).
        let reused = self.conn.is_some();
        match self.exchange(&what, &head, body) {
            Ok(r) => r,
            Err(_) if reused => {
                self.conn = None;
                self.exchange(&what, &head, body)?
            }
            Err(e) => Err(e),
        }
    }

    /// Outer error: transport; inner: the answer.
    fn exchange(&mut self, operation: &str, head: &str, body: &[u8]) -> Result<Result<Value>> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(&self.authority)
                .with_context(|| format!("cannot connect to {}", self.authority))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(120)))?;
            self.conn = Some(BufReader::new(stream));
        }
        let conn = self.conn.as_mut().expect("connected above");
        let stream = conn.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;

        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            bail!("connection closed before the response");
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        let mut error_type = None;
        loop {
            line.clear();
            if conn.read_line(&mut line)? == 0 {
                bail!("connection closed in the response headers");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse::<usize>().ok(),
                    "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                    "connection" => close = value.eq_ignore_ascii_case("close"),
                    "x-amzn-errortype" => error_type = Some(value.to_string()),
                    _ => {}
                }
            }
        }
        let mut data = Vec::new();
        if status == 204 || status == 304 {
            // No body, whatever the headers say (DeleteFunction answers 204).
        } else if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| anyhow!("bad chunk size {line:?}"))?;
                let start = data.len();
                data.resize(start + size, 0);
                conn.read_exact(&mut data[start..])?;
                line.clear();
                conn.read_line(&mut line)?; // CRLF after the chunk (or trailers' end)
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            data.resize(n, 0);
            conn.read_exact(&mut data)?;
        } else {
            conn.read_to_end(&mut data)?;
            close = true;
        }
        if close {
            self.conn = None;
        }
        let value: Value = if data.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&data)
                .with_context(|| format!("{operation}: the response is not JSON"))?
        };
        if (200..300).contains(&status) {
            return Ok(Ok(value));
        }
        let code = value["__type"]
            .as_str()
            .or(error_type.as_deref())
            .map(|t| {
                let t = t.split(':').next().unwrap_or(t);
                t.rsplit('#').next().unwrap_or(t).to_string()
            })
            .unwrap_or_default();
        let message = value["message"]
            .as_str()
            .or_else(|| value["Message"].as_str())
            .unwrap_or_default()
            .to_string();
        Ok(Err(AwsError {
            status,
            code,
            message,
        }
        .into()))
    }
}
