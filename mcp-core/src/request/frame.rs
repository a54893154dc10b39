//! The bytes of one `tools/call` frame, read in a single pass without a tree of the message
//! (see [`RequestEnvelope::from_call_frame`](super::RequestEnvelope::from_call_frame)).
//!
//! Almost every request a busy connector serves is a `tools/call`, and most of its bytes are
//! the frame around the arguments: `jsonrpc`, `id`, `method`, the tool's name and, in the
//! modern era, a `_meta` the client repeats byte for byte on every request. Going through
//! serde_json's generic visitors for those costs more than the rest of decoding together, so
//! this reader walks the bytes itself: member names are matched as the bytes they are, strings
//! without escapes are borrowed, and a `_meta` this thread has read before is recognised by
//! comparing the remembered text with the bytes where the value starts (see
//! [`declarations::remembered_at`]), without scanning it at all.
//!
//! It reads a strict subset of JSON and gives up (`None`) on anything outside it: a syntax
//! error, a repeated member it reads, a number with an exponent or of unusual length, nesting
//! deeper than [`DEEPEST`]. The general path, which owns every error message, then decides the
//! frame. Whatever this reader accepts, serde_json accepts too and reads the same way: the
//! pieces whose reading is not trivial (strings with escapes, numbers other than plain
//! integers, and the values the call keeps: the arguments and the input round) are read by
//! serde_json itself, from their own text.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

use super::declarations::{self, Declared};
use crate::jsonrpc::{JSONRPC_VERSION, RequestId};
use crate::protocol::method;

/// The deepest nesting of arrays and objects read, the frame's own object counted as 1.
/// serde_json refuses anything past 128 levels; stopping well before means this reader never
/// accepts a frame the general path refuses as too deep.
const DEEPEST: usize = 100;

/// The longest number taken as in range without asking serde_json: a double holds any
/// number of up to 300 digits (and serde_json refuses those it does not hold).
const PLAIN_NUMBER: usize = 100;

/// The bytes a string's scan stops at: its end, an escape, or a control character (which
/// must be escaped).
static STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        stops[byte] = true;
        byte += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops
};

/// What a `tools/call` frame holds.
pub(super) struct CallFrame<'a> {
    pub(super) id: RequestId,
    pub(super) params: CallFrameParams<'a>,
}

/// The params of `tools/call` as the envelope needs them: `_meta` and the input round come out
/// beside the call, as [`RequestEnvelope::decode`](super::RequestEnvelope::decode) takes them out
/// of the params object.
pub(super) struct CallFrameParams<'a> {
    pub(super) name: String,
    pub(super) arguments: Option<Map<String, Value>>,
    pub(super) meta: Option<MetaFound<'a>>,
    /// Present (`null` included, as `Some(Value::Null)`) or absent, as taking it out of the
    /// params object gives.
    pub(super) request_state: Option<Value>,
    pub(super) input_responses: Option<Value>,
}

/// A `_meta` object as the reader found it.
pub(super) enum MetaFound<'a> {
    /// A text this thread read before, with what it declared.
    Remembered(Arc<str>, Arc<Declared>),
    /// Any other object, as its text.
    Text(&'a str),
}

/// Reads `frame` as one `tools/call` request, or `None` when it is anything else or anything
/// outside the subset this reader takes (see the module documentation).
pub(super) fn read(frame: &str) -> Option<CallFrame<'_>> {
    let mut reader = Reader { text: frame, at: 0 };
    let (mut jsonrpc, mut id, mut method, mut params) = (None, None, None, None);
    reader.expect(b'{')?;
    reader.members(|reader, name| {
        match name.as_ref() {
            "jsonrpc" => once(&mut jsonrpc, reader.string()?),
            "id" => once(&mut id, reader.id()?),
            "method" => {
                let named = reader.string()?;
                // Another method: the general path serves it; no need to read further.
                if named != method::TOOLS_CALL {
                    return None;
                }
                once(&mut method, named)
            }
            "params" => {
                let read = if method.is_some() {
                    Params::Read(reader.params()?)
                } else {
                    // `params` before `method`: read once the method is known.
                    let start = reader.at;
                    reader.skip_value(1)?;
                    Params::Later(start)
                };
                once(&mut params, read)
            }
            _ => reader.skip_value(1),
        }
    })?;
    reader.skip_space();
    if reader.at != frame.len() || jsonrpc? != JSONRPC_VERSION {
        return None;
    }
    method?;
    // No params at all is a call without a name: the general path words that error.
    let params = match params? {
        Params::Read(params) => params,
        Params::Later(start) => Reader { text: frame, at: start }.params()?,
    };
    Some(CallFrame { id: id?, params })
}

/// The params of a frame: read as they come when `method` came first and named `tools/call`
/// (the usual order), or where they start, to be read once `method` is known.
enum Params<'a> {
    Read(CallFrameParams<'a>),
    Later(usize),
}

/// Fills `slot` with a member's value; a member read twice gives the frame up (the general path
/// takes the last one, and says nothing of it; this reader does not guess).
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot.replace(value) {
        None => Some(()),
        Some(_) => None,
    }
}

/// A number from its checked text, as serde_json reads it: a plain non-negative integer that
/// fits in a `u64` directly (what serde_json makes of one), anything else by serde_json.
fn number_of(text: &str) -> Option<Number> {
    match text.parse::<u64>() {
        // `parse` also takes a leading `+`, which the grammar checked away.
        Ok(n) => Some(Number::from(n)),
        Err(_) => serde_json::from_str::<Number>(text).ok(),
    }
}

/// A position in a frame's text.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Steps over JSON whitespace (the four bytes RFC 8259 allows, as serde_json).
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.skip_space();
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next_token()? == byte).then_some(())
    }

    /// Reads the members of an object whose `{` was just consumed: `member` gets each name and
    /// reads (or skips) its value.
    fn members(&mut self, mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>) -> Option<()> {
        self.skip_space();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.expect(b'"')?;
            let name = self.string_rest()?;
            self.expect(b':')?;
            member(self, name)?;
            match self.next_token()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// A string value.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        self.string_rest()
    }

    /// The rest of a string whose opening quote was just consumed, unescaped: borrowed when it
    /// has no escapes, read by serde_json when it has (which checks them as the general path
    /// does, lone surrogates included).
    fn string_rest(&mut self) -> Option<Cow<'a, str>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut at = start;
        let mut escaped = false;
        loop {
            at += bytes.get(at..)?.iter().position(|&byte| STOPS[usize::from(byte)])?;
            match bytes[at] {
                b'"' => break,
                // The escaped byte is skipped here (so that `\"` does not end the string) and
                // checked by serde_json below.
                b'\\' => {
                    escaped = true;
                    at += 2;
                }
                // A control character, which must be escaped inside a string.
                _ => return None,
            }
        }
        self.at = at + 1;
        if escaped {
            // `start - 1` and `at` are the quotes: ASCII, so on character boundaries.
            serde_json::from_str::<String>(&self.text[start - 1..=at]).ok().map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(&self.text[start..at]))
        }
    }

    /// The text of a number whose first byte is next, checked against JSON's grammar. One
    /// with an exponent, or long, may be out of a double's range, which serde_json refuses:
    /// serde_json reads those to tell.
    fn number(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut at = start;
        let digits = |at: &mut usize| {
            let from = *at;
            while let Some(b'0'..=b'9') = bytes.get(*at) {
                *at += 1;
            }
            *at > from
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at)? {
            // A leading zero stands alone: `01` fails at the `1`, where the caller expects a
            // delimiter.
            b'0' => at += 1,
            b'1'..=b'9' => {
                digits(&mut at);
            }
            _ => return None,
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return None;
            }
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = bytes.get(at) {
            exponent = true;
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            if !digits(&mut at) {
                return None;
            }
        }
        self.at = at;
        let text = &self.text[start..at];
        if exponent || text.len() > PLAIN_NUMBER {
            serde_json::from_str::<Number>(text).ok()?;
        }
        Some(text)
    }

    /// A request id: a string, or a number as serde_json reads it (a plain non-negative
    /// integer directly, being what serde_json makes of one).
    fn id(&mut self) -> Option<RequestId> {
        self.skip_space();
        match self.peek()? {
            b'"' => Some(RequestId::String(self.string()?.into_owned())),
            b'-' | b'0'..=b'9' => Some(RequestId::Number(number_of(self.number()?)?)),
            _ => None,
        }
    }

    /// Steps over one value, checking it as serde_json would; `depth` is the nesting of the
    /// container it is in.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.next_token()? {
            b'"' => self.string_rest().map(drop),
            b'{' if depth < DEEPEST => self.members(|reader, _| reader.skip_value(depth + 1)),
            b'[' if depth < DEEPEST => {
                self.skip_space();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    match self.next_token()? {
                        b',' => {}
                        b']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"rue"),
            b'f' => self.literal(b"alse"),
            b'n' => self.literal(b"ull"),
            b'-' | b'0'..=b'9' => {
                self.at -= 1;
                self.number().map(drop)
            }
            _ => None,
        }
    }

    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let found = self.text.as_bytes().get(self.at..)?.starts_with(rest);
        self.at += rest.len();
        found.then_some(())
    }

    /// The text of the next value, checked.
    fn value_text(&mut self, depth: usize) -> Option<&'a str> {
        self.skip_space();
        let start = self.at;
        self.skip_value(depth)?;
        Some(&self.text[start..self.at])
    }

    /// Whether the next value is `null`, consumed if it is.
    fn null(&mut self) -> bool {
        self.skip_space();
        let null = self.text.as_bytes()[self.at..].starts_with(b"null");
        if null {
            self.at += 4;
        }
        null
    }

    /// The params object of `tools/call` (nested once in the frame).
    fn params(&mut self) -> Option<CallFrameParams<'a>> {
        const DEPTH: usize = 2;
        self.expect(b'{')?;
        let (mut name, mut arguments, mut meta, mut request_state, mut input_responses) =
            (None, None, None, None, None);
        self.members(|reader, member| match member.as_ref() {
            "name" => once(&mut name, reader.string()?.into_owned()),
            "arguments" => {
                let read = if reader.null() {
                    None
                } else {
                    // Anything but an object is the params' own parse's to refuse.
                    reader.expect(b'{')?;
                    Some(reader.object_rest(DEPTH + 1)?)
                };
                once(&mut arguments, read)
            }
            "_meta" => {
                let read = if reader.null() { None } else { Some(reader.meta(DEPTH)?) };
                once(&mut meta, read)
            }
            "requestState" => once(&mut request_state, reader.value(DEPTH)?),
            "inputResponses" => once(&mut input_responses, reader.value(DEPTH)?),
            _ => reader.skip_value(DEPTH),
        })?;
        Some(CallFrameParams {
            name: name?,
            arguments: arguments.flatten(),
            meta: meta.flatten(),
            request_state,
            input_responses,
        })
    }

    /// The next value, built as serde_json builds a [`Value`]: members in a map (a repeated
    /// name keeps the last value), strings unescaped, numbers as [`number_of`] reads them.
    fn value(&mut self, depth: usize) -> Option<Value> {
        Some(match self.next_token()? {
            b'"' => Value::String(self.string_rest()?.into_owned()),
            b'{' if depth < DEEPEST => Value::Object(self.object_rest(depth + 1)?),
            b'[' if depth < DEEPEST => {
                let mut items = Vec::new();
                self.skip_space();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    match self.next_token()? {
                        b',' => {}
                        b']' => break Value::Array(items),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"rue").map(|()| Value::Bool(true))?,
            b'f' => self.literal(b"alse").map(|()| Value::Bool(false))?,
            b'n' => self.literal(b"ull").map(|()| Value::Null)?,
            b'-' | b'0'..=b'9' => {
                self.at -= 1;
                Value::Number(number_of(self.number()?)?)
            }
            _ => return None,
        })
    }

    /// The members of an object whose `{` was just consumed, `depth` deep, as a map.
    fn object_rest(&mut self, depth: usize) -> Option<Map<String, Value>> {
        let mut map = Map::new();
        self.members(|reader, name| {
            let value = reader.value(depth)?;
            map.insert(name.into_owned(), value);
            Some(())
        })?;
        Some(map)
    }

    /// A `_meta`, which must be an object (anything else is the params' own parse's to
    /// refuse): one this thread remembers is recognised where it starts, without reading it.
    fn meta(&mut self, depth: usize) -> Option<MetaFound<'a>> {
        self.skip_space();
        if self.peek()? != b'{' {
            return None;
        }
        if let Some((text, declared)) = declarations::remembered_at(&self.text[self.at..]) {
            // A remembered text is a whole object read before at this same depth: the bytes
            // that start with it hold that object and end where it ends.
            self.at += text.len();
            return Some(MetaFound::Remembered(text, declared));
        }
        self.value_text(depth).map(MetaFound::Text)
    }
}
