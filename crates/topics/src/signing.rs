//! Message signatures. Baton makes one RSA key and a self-signed X.509
//! certificate for it the first time it signs (kept in the topics store, so
//! the certificate stays the same across restarts) and serves the
//! certificate at `SigningCertURL`. SignatureVersion 1 is SHA1withRSA,
//! 2 is SHA256withRSA (PKCS#1 v1.5), both over AWS's canonical string.

use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer as _};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::EncodePem;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use crate::error::SnsError;

pub struct Signer {
    key: RsaPrivateKey,
    cert_pem: String,
}

fn failed(what: &str, e: impl std::fmt::Display) -> SnsError {
    SnsError::internal(format!("signing key: {what}: {e}"))
}

impl Signer {
    /// A fresh 2048-bit key and its certificate (ten years).
    pub fn generate() -> Result<Signer, SnsError> {
        let mut rng = rand_core::OsRng;
        let key = RsaPrivateKey::new(&mut rng, 2048).map_err(|e| failed("generate", e))?;
        let cert_pem = certificate(&key)?;
        Ok(Signer { key, cert_pem })
    }

    /// A signer from its stored forms.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Signer, SnsError> {
        let key = RsaPrivateKey::from_pkcs8_pem(key_pem).map_err(|e| failed("read", e))?;
        Ok(Signer {
            key,
            cert_pem: cert_pem.to_string(),
        })
    }

    pub fn key_pem(&self) -> Result<String, SnsError> {
        Ok(self
            .key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| failed("encode", e))?
            .to_string())
    }

    /// The certificate, PEM-encoded (what `SigningCertURL` serves).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Base64 signature of `text` for `version` ("2" = SHA256, else SHA1).
    pub fn sign(&self, version: &str, text: &str) -> String {
        let bytes = if version == "2" {
            rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.key.clone())
                .sign(text.as_bytes())
                .to_vec()
        } else {
            rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(self.key.clone())
                .sign(text.as_bytes())
                .to_vec()
        };
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

fn certificate(key: &RsaPrivateKey) -> Result<String, SnsError> {
    let signing_key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    let subject =
        Name::from_str("CN=sns.baton.local,O=Baton,C=US").map_err(|e| failed("name", e))?;
    let spki =
        SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).map_err(|e| failed("spki", e))?;
    let validity = Validity::from_now(Duration::from_secs(10 * 365 * 86_400))
        .map_err(|e| failed("validity", e))?;
    let serial = SerialNumber::from(
        u32::from_be_bytes(
            uuid::Uuid::new_v4().as_bytes()[..4]
                .try_into()
                .unwrap_or([0, 0, 0, 1]),
        ) | 1,
    );
    let builder =
        CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &signing_key)
            .map_err(|e| failed("certificate", e))?;
    let cert = builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| failed("certificate", e))?;
    cert.to_pem(x509_cert::der::pem::LineEnding::LF)
        .map_err(|e| failed("certificate", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::signature::Verifier;

    #[test]
    fn signatures_verify_with_the_certificate_key() {
        let s = Signer::generate().unwrap();
        assert!(s.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let again = Signer::from_pem(&s.key_pem().unwrap(), s.cert_pem()).unwrap();
        let text = "Message\nhi\nType\nNotification\n";
        let b64 = base64::engine::general_purpose::STANDARD;
        for version in ["1", "2"] {
            let sig = b64.decode(again.sign(version, text)).unwrap();
            let sig = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap();
            let public = s.key.to_public_key();
            if version == "2" {
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public)
                    .verify(text.as_bytes(), &sig)
                    .unwrap();
            } else {
                rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(public)
                    .verify(text.as_bytes(), &sig)
                    .unwrap();
            }
        }
    }
}
