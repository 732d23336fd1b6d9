//! Nothing here: this crate exists for `tests/`, which drive a real Baton
//! server through the AWS SDK for Rust, kept out of the other crates'
//! dependency trees.
