use std::fmt;

use serde::{Deserialize, Serialize};

/// A protocol revision, such as `2025-11-25`. Kept as the string the peer sent, so that an
/// unknown revision can be negotiated down rather than refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProtocolVersion(String);

impl ProtocolVersion {
    /// The first published revision.
    pub const V2024_11_05: &'static str = "2024-11-05";
    /// Streamable HTTP, batching, tool annotations.
    pub const V2025_03_26: &'static str = "2025-03-26";
    /// Structured tool output, elicitation; batching removed.
    pub const V2025_06_18: &'static str = "2025-06-18";
    /// Icons, URL elicitation, tasks, tool-calling in sampling.
    pub const V2025_11_25: &'static str = "2025-11-25";

    /// The revisions this server speaks, oldest first.
    pub const SUPPORTED: &'static [&'static str] =
        &[Self::V2024_11_05, Self::V2025_03_26, Self::V2025_06_18, Self::V2025_11_25];

    /// The newest revision this server speaks.
    pub fn latest() -> Self {
        ProtocolVersion(Self::V2025_11_25.to_owned())
    }

    /// A revision from its date string.
    ///
    /// ```
    /// # use mcp_core::protocol::ProtocolVersion;
    /// assert!(ProtocolVersion::new("2025-06-18").is_supported());
    /// assert!(!ProtocolVersion::new("1999-01-01").is_supported());
    /// ```
    pub fn new(v: impl Into<String>) -> Self {
        ProtocolVersion(v.into())
    }

    /// The date string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this server speaks the revision.
    pub fn is_supported(&self) -> bool {
        Self::SUPPORTED.contains(&self.0.as_str())
    }

    /// The version to answer an `initialize` with: the client's when supported, otherwise the
    /// newest (the lifecycle section of the spec: the client then decides whether to go on).
    pub fn negotiate(requested: &str) -> Self {
        let requested = ProtocolVersion::new(requested);
        if requested.is_supported() { requested } else { Self::latest() }
    }

    /// Whether this revision accepts JSON-RPC batches (2025-03-26 only allowed them; 2024-11-05
    /// inherited them from JSON-RPC 2.0; 2025-06-18 removed them).
    pub fn allows_batches(&self) -> bool {
        self.0.as_str() < Self::V2025_06_18
    }

    /// Whether this revision is at least `other` (revisions are dates, so they sort).
    pub fn at_least(&self, other: &str) -> bool {
        self.0.as_str() >= other
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
