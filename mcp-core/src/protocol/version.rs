use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A protocol revision, such as `2025-11-25`. Kept as the string the peer sent, so that an
/// unknown revision can be negotiated down rather than refused. Revisions are dates, so they
/// compare as versions: `2025-03-26 < 2025-11-25`. A revision this server speaks is held
/// without an allocation, so copying the version of every request costs nothing.
///
/// ```
/// use mcp_connector_core::protocol::ProtocolVersion;
/// assert!(ProtocolVersion::new("2025-03-26") < ProtocolVersion::new("2025-11-25"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ProtocolVersion(Cow<'static, str>);

impl<'de> Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <Cow<'de, str>>::deserialize(deserializer).map(ProtocolVersion::new)
    }
}

impl ProtocolVersion {
    /// The first published revision.
    pub const V2024_11_05: &'static str = "2024-11-05";
    /// Streamable HTTP, batching, tool annotations.
    pub const V2025_03_26: &'static str = "2025-03-26";
    /// Structured tool output, elicitation; batching removed.
    pub const V2025_06_18: &'static str = "2025-06-18";
    /// Icons, URL elicitation, tasks, tool-calling in sampling. The last revision with the
    /// `initialize` handshake.
    pub const V2025_11_25: &'static str = "2025-11-25";
    /// The first "modern" revision: no handshake, each request carries its version and the
    /// client's capabilities in `_meta`; `server/discover`, multi round-trip requests,
    /// `subscriptions/listen`, caching hints.
    pub const V2026_07_28: &'static str = "2026-07-28";

    /// The revisions this server speaks, oldest first, both eras.
    pub const SUPPORTED: &'static [&'static str] =
        &[Self::V2024_11_05, Self::V2025_03_26, Self::V2025_06_18, Self::V2025_11_25, Self::V2026_07_28];

    /// The revisions a client may ask for in `initialize` (the "legacy" era), oldest first.
    pub const HANDSHAKE: &'static [&'static str] =
        &[Self::V2024_11_05, Self::V2025_03_26, Self::V2025_06_18, Self::V2025_11_25];

    /// The newest revision with the `initialize` handshake: what `initialize` answers when the
    /// client asks for a revision the handshake cannot speak.
    pub fn latest() -> Self {
        ProtocolVersion(Cow::Borrowed(Self::V2025_11_25))
    }

    /// The newest revision this server speaks, of either era.
    pub fn newest() -> Self {
        ProtocolVersion(Cow::Borrowed(Self::V2026_07_28))
    }

    /// Whether this is a "modern" revision (2026-07-28 and later): no handshake, per-request
    /// `_meta` ("Versioning and Compatibility", 2026-07-28).
    ///
    /// ```
    /// # use mcp_connector_core::protocol::ProtocolVersion;
    /// assert!(ProtocolVersion::new("2026-07-28").is_modern());
    /// assert!(!ProtocolVersion::new("2025-11-25").is_modern());
    /// assert!(!ProtocolVersion::new("v999.0.0").is_modern());
    /// ```
    pub fn is_modern(&self) -> bool {
        // Revisions are `YYYY-MM-DD` dates; anything else is no revision at all, of either era.
        let is_date = self.0.len() == 10
            && self
                .0
                .bytes()
                .enumerate()
                .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        is_date && self.as_str() >= Self::V2026_07_28
    }

    /// A revision from its date string.
    ///
    /// ```
    /// # use mcp_connector_core::protocol::ProtocolVersion;
    /// assert!(ProtocolVersion::new("2025-06-18").is_supported());
    /// assert!(!ProtocolVersion::new("1999-01-01").is_supported());
    /// ```
    pub fn new(v: impl AsRef<str>) -> Self {
        // A revision this server speaks costs no allocation: it is on every request's path.
        let v = v.as_ref();
        match Self::SUPPORTED.iter().find(|known| **known == v) {
            Some(known) => ProtocolVersion(Cow::Borrowed(known)),
            None => ProtocolVersion(Cow::Owned(v.to_owned())),
        }
    }

    /// The date string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this server speaks the revision.
    pub fn is_supported(&self) -> bool {
        Self::SUPPORTED.contains(&self.as_str())
    }

    /// The version to answer an `initialize` with: the client's when the handshake speaks it,
    /// otherwise the newest handshake revision (the lifecycle section of the spec: the client
    /// then decides whether to go on).
    pub fn negotiate(requested: &str) -> Self {
        if Self::HANDSHAKE.contains(&requested) { ProtocolVersion::new(requested) } else { Self::latest() }
    }

    /// Whether this revision accepts JSON-RPC batches (2025-03-26 only allowed them; 2024-11-05
    /// inherited them from JSON-RPC 2.0; 2025-06-18 removed them).
    pub fn allows_batches(&self) -> bool {
        self.as_str() < Self::V2025_06_18
    }

    /// Whether this revision is at least `other` (revisions are dates, so they sort).
    pub fn at_least(&self, other: &str) -> bool {
        self.as_str() >= other
    }
}

impl Default for ProtocolVersion {
    fn default() -> Self {
        Self::latest()
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
