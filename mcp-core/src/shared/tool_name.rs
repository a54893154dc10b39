//! Tool names (2025-11-25, server/tools, "Tool names"): 1 to 64 characters, each of
//! `A-Z a-z 0-9 _ - .`. Compiled into `mcp-core` and `mcp-macros` alike (see `shared/mod.rs`).

/// What makes `name` invalid, or `Ok` when it is a valid tool name.
pub(crate) fn check(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    let count = name.chars().count();
    if count > 64 {
        return Err(format!("it has {count} characters, more than 64"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        return Err(format!("it contains {c:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn names_follow_the_2025_11_25_rules() {
        assert!(check("search_tickets").is_ok());
        assert!(check("admin.tools-list_v2").is_ok());
        assert!(check("").is_err());
        assert_eq!(check("search tickets").unwrap_err(), "it contains ' '");
        assert!(check(&"a".repeat(65)).unwrap_err().contains("65"));
        assert!(check(&"a".repeat(64)).is_ok());
        assert!(check("café").is_err());
    }
}
