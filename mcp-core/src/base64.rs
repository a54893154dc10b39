//! Base64 for blob contents and images (standard alphabet, padded), as the schema's
//! `@format byte` fields expect.

use base64::Engine as _;

/// Encodes bytes as standard padded base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard padded base64.
#[allow(dead_code)]
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
