//! Cursor pagination for the `*/list` methods (2025-11-25, server/utilities/pagination).
//! Cursors are opaque to clients; ours encode the offset of the next page, so an unknown or
//! tampered cursor is refused with `-32602` as the spec asks.

use crate::error::McpError;

const PREFIX: &str = "mcp-page:";

/// Which of `len` items one page holds, starting where `cursor` says, and the cursor of the
/// next page. Returning the range rather than the items lets the caller copy only the page.
pub(crate) fn page(
    len: usize,
    cursor: Option<&str>,
    size: usize,
) -> Result<(std::ops::Range<usize>, Option<String>), McpError> {
    let start = match cursor {
        None => 0,
        Some(c) => decode(c).filter(|&s| s <= len).ok_or_else(|| {
            McpError::invalid_params(format!(
                "Invalid cursor {c:?}: pass back a nextCursor exactly as received"
            ))
        })?,
    };
    let end = start.saturating_add(size).min(len);
    let next = (end < len).then(|| encode(end));
    Ok((start..end, next))
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
        let (p1, c1) = page(items.len(), None, 3).unwrap();
        let (p2, c2) = page(items.len(), c1.as_deref(), 3).unwrap();
        let (p3, c3) = page(items.len(), c2.as_deref(), 3).unwrap();
        assert_eq!([&items[p1], &items[p2], &items[p3]].concat(), items);
        assert!(c3.is_none());
    }

    #[test]
    fn foreign_cursors_are_invalid_params() {
        assert_eq!(page(2, Some("garbage"), 1).unwrap_err().code, -32602);
        assert_eq!(page(2, Some(&encode(9)), 1).unwrap_err().code, -32602);
    }
}
