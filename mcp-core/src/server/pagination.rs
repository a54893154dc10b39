//! Cursor pagination for the `*/list` methods (2025-11-25, server/utilities/pagination).
//! Cursors are opaque to clients; ours encode the offset of the next page, so an unknown or
//! tampered cursor is refused with `-32602` as the spec asks.

use crate::error::McpError;

const PREFIX: &str = "mcp-page:";

/// Cuts one page out of `items`, starting where `cursor` says; returns the page and the
/// cursor of the next one.
pub(crate) fn page<T: Clone>(
    items: &[T],
    cursor: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), McpError> {
    let start = match cursor {
        None => 0,
        Some(c) => decode(c).filter(|&s| s <= items.len()).ok_or_else(|| {
            McpError::invalid_params(format!(
                "Invalid cursor {c:?}: pass back a nextCursor exactly as received"
            ))
        })?,
    };
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| encode(end));
    Ok((items[start..end].to_vec(), next))
}

fn encode(offset: usize) -> String {
    crate::base64::encode(format!("{PREFIX}{offset}").as_bytes())
}

fn decode(cursor: &str) -> Option<usize> {
    let bytes = crate::base64::decode(cursor)?;
    std::str::from_utf8(&bytes).ok()?.strip_prefix(PREFIX)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once() {
        let items: Vec<u32> = (0..7).collect();
        let (p1, c1) = page(&items, None, 3).unwrap();
        let (p2, c2) = page(&items, c1.as_deref(), 3).unwrap();
        let (p3, c3) = page(&items, c2.as_deref(), 3).unwrap();
        assert_eq!([p1, p2, p3].concat(), items);
        assert!(c3.is_none());
    }

    #[test]
    fn foreign_cursors_are_invalid_params() {
        let items = [1, 2];
        assert_eq!(page(&items, Some("garbage"), 1).unwrap_err().code, -32602);
        assert_eq!(page(&items, Some(&encode(9)), 1).unwrap_err().code, -32602);
    }
}
