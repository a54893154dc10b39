//! Compiled `pattern` and `patternProperties` regular expressions, cached by source text.
//!
//! Tool calls are the hot path, so a pattern is compiled once per process, not per call:
//! `ServerBuilder::build` checks every tool schema with [`super::check_supported`], which
//! compiles (and so caches) each pattern and turns an invalid one into a build error. Later
//! validations only look the compiled program up. The cache is bounded so that validating
//! against schemas made at run time cannot grow it without limit; past the bound a pattern is
//! compiled for the one validation, which is slower but still correct.

use regex_lite::Regex;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// Most distinct patterns kept compiled.
const MAX_CACHED: usize = 4096;

/// Source text to compiled program, or to the compile error's message.
type Cache = HashMap<String, Result<Arc<Regex>, String>>;

fn cache() -> &'static RwLock<Cache> {
    static CACHE: OnceLock<RwLock<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| RwLock::new(HashMap::new()))
}

/// The compiled form of `pattern`, or why it does not compile.
///
/// The dialect is regex-lite's, which agrees with ECMA-262 (the dialect JSON Schema names) on
/// the syntax schemas use in practice: classes, quantifiers, anchors, groups, alternation,
/// ASCII `\d` and `\w`; `\s`, `\S` and `\cX` are rewritten to their ECMA-262 meaning first. Look-around, back-references and `\p{..}` classes do not compile,
/// and are reported when the server is built.
pub(crate) fn compile(pattern: &str) -> Result<Arc<Regex>, String> {
    // A poisoned lock only means another thread panicked mid-insert of a complete value:
    // the map is still consistent, so keep using it.
    if let Some(found) = cache().read().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return found.clone();
    }
    let compiled = Regex::new(&translate(pattern)).map(Arc::new).map_err(|e| e.to_string());
    let mut map = cache().write().unwrap_or_else(|e| e.into_inner());
    if map.len() < MAX_CACHED {
        map.insert(pattern.to_owned(), compiled.clone());
    }
    compiled
}

/// ECMA-262 `WhiteSpace` and `LineTerminator`, which its `\s` matches, as class items.
const ECMA_SPACE: &str =
    r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// Rewrites the ECMA-262 escapes whose meaning regex-lite lacks or differs on: `\s` and `\S`
/// (Unicode spaces in ECMA-262, ASCII only in regex-lite) and `\cX` control escapes.
/// Everything else is passed through as written.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('s') if in_class => out.push_str(ECMA_SPACE),
                Some('s') => out.push_str(&format!("[{ECMA_SPACE}]")),
                // Inside a class `\S` keeps regex-lite's ASCII meaning: a negated set cannot be
                // spliced into another class.
                Some('S') if !in_class => out.push_str(&format!("[^{ECMA_SPACE}]")),
                Some('c') if chars.peek().is_some_and(char::is_ascii_alphabetic) => {
                    let letter = chars.next().map_or(0, |l| l as u32);
                    out.push_str(&format!("\\x{{{:X}}}", letter % 32));
                }
                Some(escaped) => {
                    out.push('\\');
                    out.push(escaped);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // regex-lite reads a `]` right after `[` or `[^` as a literal, not the end.
                if chars.peek() == Some(&'^') {
                    out.extend(chars.next());
                }
                if chars.peek() == Some(&']') {
                    out.extend(chars.next());
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether `text` contains a match of `pattern` (JSON Schema patterns are not anchored);
/// `None` when the pattern does not compile.
pub(crate) fn is_match(pattern: &str, text: &str) -> Option<bool> {
    compile(pattern).ok().map(|re| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_unanchored_and_ascii_classed() {
        assert_eq!(is_match("^a*$", "aaa"), Some(true));
        assert_eq!(is_match("b", "abc"), Some(true));
        assert_eq!(is_match(r"^\d+$", "১২"), Some(false));
        assert_eq!(is_match(r"^\w+$", "é"), Some(false));
    }

    #[test]
    fn compiled_once_and_reused() {
        let first = compile("^cached-[0-9]+$").ok();
        let second = compile("^cached-[0-9]+$").ok();
        assert!(first.zip(second).is_some_and(|(a, b)| Arc::ptr_eq(&a, &b)));
    }

    #[test]
    fn ecma_whitespace_and_control_escapes() {
        assert_eq!(is_match(r"^\s$", "\u{a0}"), Some(true));
        assert_eq!(is_match(r"^\s$", "\u{feff}"), Some(true));
        assert_eq!(is_match(r"^\S$", "\u{2003}"), Some(false));
        assert_eq!(is_match(r"^[\sx]+$", "x \u{3000}"), Some(true));
        assert_eq!(is_match(r"^\cC$", "\u{3}"), Some(true));
        assert_eq!(is_match(r"^\\s$", "\\s"), Some(true));
    }

    #[test]
    fn invalid_patterns_report_why() {
        assert!(compile("(unclosed").is_err());
        assert!(compile("(?=lookahead)").is_err());
        assert_eq!(is_match("(unclosed", "x"), None);
    }
}
