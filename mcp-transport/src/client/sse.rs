//! Reading a `text/event-stream` body as it arrives (the WHATWG "server-sent events" event
//! stream format): `data`, `event`, `id` and `retry` fields, comments ignored, an event
//! dispatched at each blank line. Bytes may arrive split anywhere, even inside a line.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Event {
    /// The `event` field (`None` means `message`).
    pub(crate) kind: Option<String>,
    /// The `data` lines, joined with `\n`.
    pub(crate) data: String,
}

/// The parser's state across chunks.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    line: Vec<u8>,
    data: Option<String>,
    kind: Option<String>,
    /// The last event id seen (kept across events, as the format says).
    pub(crate) last_event_id: Option<String>,
    /// The last `retry` the server asked for, in milliseconds.
    pub(crate) retry_ms: Option<u64>,
}

impl Parser {
    /// Feeds a chunk; returns the events it completed.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &byte in chunk {
            if byte == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if let Some(event) = self.line_done(&line) {
                    events.push(event);
                }
            } else {
                self.line.push(byte);
            }
        }
        events
    }

    fn line_done(&mut self, line: &[u8]) -> Option<Event> {
        if line.is_empty() {
            let data = self.data.take();
            let kind = self.kind.take();
            return data.map(|data| Event { kind, data });
        }
        if line.first() == Some(&b':') {
            return None;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "data" => {
                let data = self.data.get_or_insert_with(String::new);
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            "event" => self.kind = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.last_event_id = Some(value.to_owned()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.retry_ms = Some(ms);
                }
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_ids_retry_and_comments() {
        let mut parser = Parser::default();
        assert!(parser.feed(b": keep-alive\n\nid: e-1\nretry: 500\nda").is_empty());
        let events = parser.feed(b"ta: \n\nevent: message\ndata: {\"a\":\r\ndata: 1}\r\n\r\n");
        // The priming event (empty data) is dispatched with empty data; the JSON one whole.
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].data, "");
        assert_eq!(events[1], Event { kind: Some("message".into()), data: "{\"a\":\n1}".into() });
        assert_eq!(parser.last_event_id.as_deref(), Some("e-1"));
        assert_eq!(parser.retry_ms, Some(500));
    }
}
