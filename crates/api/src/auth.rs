//! Request authentication. Baton accepts every request today; this module is
//! the single place SigV4 verification will go, so the dispatcher already
//! calls it for each request with the headers and the raw body (both are
//! needed to recompute the signature).

use axum::http::HeaderMap;

use crate::ApiConfig;
use crate::error::ApiError;

/// Static credentials clients must sign with (`AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY` on the client side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Checks a request's signature. Always `Ok` for now, even when
/// credentials are configured: verification is a later task. When it lands,
/// failures must be `UnrecognizedClientException` (unknown key id) and
/// `InvalidSignatureException` (bad signature), both HTTP 400 (403 for
/// some SDK paths) in AWS's `com.amazon.coral.service` namespace.
pub fn verify(
    config: &ApiConfig,
    _method: &str,
    _path: &str,
    _headers: &HeaderMap,
    _body: &[u8],
) -> Result<(), ApiError> {
    let _ = &config.credentials;
    Ok(())
}
