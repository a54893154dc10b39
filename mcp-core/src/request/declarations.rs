//! The client's declarations in a 2026-07-28 `_meta` (protocol version, `clientCapabilities`,
//! `clientInfo`, `logLevel`), parsed once per distinct text on each thread.
//!
//! A modern client repeats the same declarations, byte for byte, on every request it sends
//! (2026-07-28 basic/index, "_meta": there is no handshake to remember them by). Parsing them
//! into their types was most of the cost of reading a modern request's facts, so each worker
//! thread remembers the last few texts it parsed and the value each gave: whole `_meta`
//! objects (most requests repeat theirs exactly), and, for a `_meta` that differs from request
//! to request (a `progressToken` in it), the capabilities and the identity within it. A text
//! seen before costs a comparison and an `Arc` clone; the value is the one the same text
//! parsed to, so the answer is the same as parsing it again. The memory is bounded: a few
//! texts of a bounded length per thread, and none shared between threads, so there is no
//! lock.

use std::cell::RefCell;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::protocol::{ClientCapabilities, Implementation, LoggingLevel, ProtocolVersion};

/// What a modern `_meta` declares: the facts of a request, apart from the `_meta` itself.
#[derive(Debug)]
pub(super) struct Declared {
    pub(super) version: ProtocolVersion,
    pub(super) capabilities: Arc<ClientCapabilities>,
    pub(super) client_info: Option<Arc<Implementation>>,
    pub(super) log_level: Option<LoggingLevel>,
}

/// How many distinct texts of each kind a thread remembers. A server sees a few kinds of
/// client at a time; a fifth replaces the oldest.
const REMEMBERED: usize = 4;

/// The longest text remembered. A longer one (a client with unusually large declarations) is
/// parsed every time rather than kept.
const LONGEST: usize = 4096;

/// The last few texts of one kind a thread parsed, each with the value it gave. A text is
/// shared (`Arc`) so that a request whose `_meta` is one of them can keep it without a copy.
struct Recent<T> {
    entries: Vec<(Arc<str>, Arc<T>)>,
    /// The entry the next new text replaces, once all are taken.
    oldest: usize,
}

impl<T> Recent<T> {
    const fn new() -> Self {
        Recent { entries: Vec::new(), oldest: 0 }
    }

    /// The value remembered for `text`.
    fn get(&self, text: &str) -> Option<Arc<T>> {
        self.entries.iter().find(|(seen, _)| **seen == *text).map(|(_, value)| value.clone())
    }

    /// The remembered text `rest` starts with, and its value.
    fn prefix_of(&self, rest: &str) -> Option<(Arc<str>, Arc<T>)> {
        let rest = rest.as_bytes();
        self.entries
            .iter()
            .find(|(seen, _)| rest.starts_with(seen.as_bytes()))
            .map(|(seen, value)| (seen.clone(), value.clone()))
    }

    /// Remembers `value` as what `text` gives, unless the text is too long to keep.
    fn remember(&mut self, text: impl AsRef<str> + Into<Arc<str>>, value: Arc<T>) {
        if text.as_ref().len() > LONGEST {
            return;
        }
        let entry = (text.into(), value);
        if self.entries.len() < REMEMBERED {
            self.entries.push(entry);
        } else {
            self.entries[self.oldest] = entry;
            self.oldest = (self.oldest + 1) % REMEMBERED;
        }
    }
}

impl<T: DeserializeOwned> Recent<T> {
    /// The value `text` parses to: remembered, or parsed now (and remembered when it parsed).
    fn parse(&mut self, text: &str) -> Result<Arc<T>, serde_json::Error> {
        if let Some(value) = self.get(text) {
            return Ok(value);
        }
        let value = Arc::new(serde_json::from_str::<T>(text)?);
        self.remember(text, value.clone());
        Ok(value)
    }
}

thread_local! {
    static CAPABILITIES: RefCell<Recent<ClientCapabilities>> = const { RefCell::new(Recent::new()) };
    static CLIENT_INFO: RefCell<Recent<Implementation>> = const { RefCell::new(Recent::new()) };
    static META: RefCell<Recent<Declared>> = const { RefCell::new(Recent::new()) };
}

/// The whole `_meta` text `rest` starts with, and what it declared, when this thread read that
/// text before and it was a modern one that could be served. `rest` is the frame from where
/// the `_meta` object starts: a remembered text is a whole JSON object, so bytes that start
/// with it hold exactly that object, and no scan is needed to find where it ends.
pub(super) fn remembered_at(rest: &str) -> Option<(Arc<str>, Arc<Declared>)> {
    META.with(|recent| recent.borrow().prefix_of(rest))
}

/// Remembers what a modern `_meta` text declares (see [`remembered_at`]).
pub(super) fn remember(meta_text: Arc<str>, declared: Arc<Declared>) {
    META.with(|recent| recent.borrow_mut().remember(meta_text, declared));
}

/// `io.modelcontextprotocol/clientCapabilities` from its JSON text.
pub(super) fn capabilities(text: &str) -> Result<Arc<ClientCapabilities>, serde_json::Error> {
    CAPABILITIES.with(|recent| recent.borrow_mut().parse(text))
}

/// `io.modelcontextprotocol/clientInfo` from its JSON text.
pub(super) fn client_info(text: &str) -> Result<Arc<Implementation>, serde_json::Error> {
    CLIENT_INFO.with(|recent| recent.borrow_mut().parse(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_seen_before_gives_the_value_it_parsed_to() {
        let first = capabilities(r#"{"elicitation":{}}"#).unwrap();
        let again = capabilities(r#"{"elicitation":{}}"#).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "remembered, not parsed again");
        assert!(again.elicitation.is_some());
        // Another text is another value, even when it means the same.
        let spaced = capabilities(r#"{ "elicitation": {} }"#).unwrap();
        assert!(!Arc::ptr_eq(&first, &spaced));
        assert_eq!(*first, *spaced);
    }

    #[test]
    fn a_fifth_text_replaces_the_oldest_and_errors_are_not_remembered() {
        let mut recent = Recent::<Implementation>::new();
        let text = |n: usize| format!(r#"{{"name":"client {n}","version":"1"}}"#);
        let first = recent.parse(&text(0)).unwrap();
        for n in 1..REMEMBERED {
            recent.parse(&text(n)).unwrap();
        }
        assert!(Arc::ptr_eq(&first, &recent.parse(&text(0)).unwrap()));
        recent.parse(&text(REMEMBERED)).unwrap();
        assert_eq!(recent.entries.len(), REMEMBERED);
        let parsed_again = recent.parse(&text(0)).unwrap();
        assert!(!Arc::ptr_eq(&first, &parsed_again), "the oldest was replaced");
        assert_eq!(parsed_again.name, "client 0");

        assert!(recent.parse(r#"{"version":"1"}"#).is_err(), "a name is required");
        assert!(recent.entries.iter().all(|(text, _)| text.contains("name")));
    }

    #[test]
    fn a_long_text_is_parsed_but_not_kept() {
        let mut recent = Recent::<Implementation>::new();
        let long = format!(r#"{{"name":"{}","version":"1"}}"#, "x".repeat(LONGEST));
        assert_eq!(recent.parse(&long).unwrap().name.len(), LONGEST);
        assert!(recent.entries.is_empty());
    }
}
