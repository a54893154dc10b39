//! PLACEHOLDER replaced by the real validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}
impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}
pub fn validate(_s: &serde_json::Value, _i: &serde_json::Value) -> Result<(), Vec<Violation>> {
    Ok(())
}
