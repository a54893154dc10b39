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

/// Where the first byte [`STOPS`] names is among eight bytes read as a little-endian word (the
/// first byte the least significant), if any is.
///
/// The classic test for a zero byte, `(x - 0x01..01) & !x & 0x80..80`, flags every zero byte of
/// `x` and may also flag a byte above a flagged one (a borrow runs upward), never below: its
/// lowest flag is exact. `x - 0x20..20` in its place flags the bytes below 0x20 the same way.
/// The lowest flag of the three tests together is therefore the first stop.
fn first_stop(word: u64) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = ONES * 0x80;
    let below = |word: u64, bound: u8| word.wrapping_sub(ONES * u64::from(bound)) & !word & HIGHS;
    let flags = below(word ^ (ONES * u64::from(b'"')), 1)
        | below(word ^ (ONES * u64::from(b'\\')), 1)
        | below(word, 0x20);
    (flags != 0).then(|| flags.trailing_zeros() as usize / 8)
}

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
    /// The text `arguments` was read from, when it is an object: a modern call's input round
    /// digests the arguments only if it needs to, long after the handler took the map (see
    /// `mrtr::Binding`), and reads them again from this.
    pub(super) arguments_text: Option<&'a str>,
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
    /// The members of a frame this reader reads.
    #[derive(Clone, Copy)]
    enum Member {
        Jsonrpc,
        Id,
        Method,
        Params,
    }
    const MEMBERS: [(&str, Member); 4] = [
        ("jsonrpc", Member::Jsonrpc),
        ("id", Member::Id),
        ("method", Member::Method),
        ("params", Member::Params),
    ];
    let mut reader = Reader { text: frame, at: 0 };
    let (mut jsonrpc, mut id, mut method, mut params) = (None, None, None, None);
    reader.expect(b'{')?;
    reader.fields(&MEMBERS, |reader, member| match member {
        // Anything but "2.0" is the general path's to refuse.
        Some(Member::Jsonrpc) => once(&mut jsonrpc, reader.string_is(JSONRPC_VERSION)?.then_some(())?),
        Some(Member::Id) => once(&mut id, reader.id()?),
        // Another method: the general path serves it; no need to read further.
        Some(Member::Method) => once(&mut method, reader.string_is(method::TOOLS_CALL)?.then_some(())?),
        Some(Member::Params) => {
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
        None => reader.skip_value(1),
    })?;
    reader.skip_space();
    if reader.at != frame.len() {
        return None;
    }
    jsonrpc?;
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
        self.each_member(|reader| {
            let name = reader.string_rest()?;
            reader.expect(b':')?;
            member(reader, name)
        })
    }

    /// [`Reader::members`] for an object whose members of interest are `known`: `member` gets
    /// each one's `K` (`None` for any other name) and reads (or skips) its value. A known name
    /// written plainly, as clients write them, is recognised by its bytes without a scan.
    fn fields<K: Copy>(
        &mut self,
        known: &[(&str, K)],
        mut member: impl FnMut(&mut Self, Option<K>) -> Option<()>,
    ) -> Option<()> {
        self.each_member(|reader| {
            let rest = &reader.text.as_bytes()[reader.at..];
            let plain = known
                .iter()
                .find(|(name, _)| rest.get(name.len()) == Some(&b'"') && rest.starts_with(name.as_bytes()));
            let kind = match plain {
                Some((name, kind)) => {
                    reader.at += name.len() + 1;
                    Some(*kind)
                }
                // Another name, or a known one spelled with escapes.
                None => {
                    let name = reader.string_rest()?;
                    known.iter().find(|(known, _)| *known == name).map(|(_, kind)| *kind)
                }
            };
            reader.expect(b':')?;
            member(reader, kind)
        })
    }

    /// The loop of [`Reader::members`] and [`Reader::fields`]: `member` reads a member whose
    /// name's opening quote was just consumed.
    fn each_member(&mut self, mut member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.skip_space();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.expect(b'"')?;
            member(self)?;
            match self.next_token()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Whether the next value, which must be a string, is `expected`: recognised by its bytes
    /// when written plainly, compared once unescaped otherwise.
    fn string_is(&mut self, expected: &str) -> Option<bool> {
        self.skip_space();
        let rest = &self.text.as_bytes()[self.at..];
        let plain = rest.first() == Some(&b'"')
            && rest.get(expected.len() + 1) == Some(&b'"')
            && rest[1..].starts_with(expected.as_bytes());
        if plain {
            self.at += expected.len() + 2;
            return Some(true);
        }
        Some(self.string()? == expected)
    }

    /// A string value.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        self.string_rest()
    }

    /// The rest of a string whose opening quote was just consumed, unescaped: borrowed when it
    /// has no escapes, read by serde_json when it has (which checks them as the general path
    /// does, lone surrogates included).
    #[inline]
    fn string_rest(&mut self) -> Option<Cow<'a, str>> {
        // Most strings of a frame (member names, the version, the method, the tool's name) are
        // plain and shorter than sixteen bytes: found in two words, inline.
        let bytes = self.text.as_bytes();
        let start = self.at;
        for word_at in [start, start + 8] {
            let Some(eight) =
                bytes.get(word_at..word_at + 8).and_then(|eight| <[u8; 8]>::try_from(eight).ok())
            else {
                break;
            };
            match first_stop(u64::from_le_bytes(eight)) {
                Some(offset) if eight[offset] == b'"' => {
                    let end = word_at + offset;
                    self.at = end + 1;
                    return Some(Cow::Borrowed(&self.text[start..end]));
                }
                Some(_) => break,
                None => {}
            }
        }
        self.string_rest_scanned()
    }

    /// [`Reader::string_rest`] for any string: long, escaped, or near the end of the frame.
    #[inline(never)]
    fn string_rest_scanned(&mut self) -> Option<Cow<'a, str>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut at = start;
        let mut escaped = false;
        loop {
            // Eight bytes at a time while eight remain (most strings are shorter, but the frame
            // goes on after them), then byte by byte.
            match bytes.get(at..at + 8).and_then(|eight| <[u8; 8]>::try_from(eight).ok()) {
                Some(eight) => match first_stop(u64::from_le_bytes(eight)) {
                    Some(offset) => at += offset,
                    None => {
                        at += 8;
                        continue;
                    }
                },
                None => at += bytes.get(at..)?.iter().position(|&byte| STOPS[usize::from(byte)])?,
            }
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
        /// The params this reader reads.
        #[derive(Clone, Copy)]
        enum Member {
            Name,
            Arguments,
            Meta,
            RequestState,
            InputResponses,
        }
        const MEMBERS: [(&str, Member); 5] = [
            ("name", Member::Name),
            ("arguments", Member::Arguments),
            ("_meta", Member::Meta),
            ("requestState", Member::RequestState),
            ("inputResponses", Member::InputResponses),
        ];
        const DEPTH: usize = 2;
        self.expect(b'{')?;
        let (mut name, mut arguments, mut meta, mut request_state, mut input_responses) =
            (None, None, None, None, None);
        self.fields(&MEMBERS, |reader, member| match member {
            Some(Member::Name) => once(&mut name, reader.string()?.into_owned()),
            Some(Member::Arguments) => {
                let read = if reader.null() {
                    None
                } else {
                    // Anything but an object is the params' own parse's to refuse.
                    reader.expect(b'{')?;
                    let start = reader.at - 1;
                    let map = reader.object_rest(DEPTH + 1)?;
                    Some((map, &reader.text[start..reader.at]))
                };
                once(&mut arguments, read)
            }
            Some(Member::Meta) => {
                let read = if reader.null() { None } else { Some(reader.meta(DEPTH)?) };
                once(&mut meta, read)
            }
            Some(Member::RequestState) => once(&mut request_state, reader.value(DEPTH)?),
            Some(Member::InputResponses) => once(&mut input_responses, reader.value(DEPTH)?),
            None => reader.skip_value(DEPTH),
        })?;
        let (arguments, arguments_text) = arguments.flatten().unzip();
        Some(CallFrameParams {
            name: name?,
            arguments,
            arguments_text,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`first_stop`] must find, byte by byte.
    fn first_stop_slowly(eight: [u8; 8]) -> Option<usize> {
        eight.iter().position(|&byte| STOPS[usize::from(byte)])
    }

    #[test]
    fn eight_bytes_at_a_time_stop_where_one_at_a_time_does() {
        // Every byte value at every place, among bytes that never stop and among bytes just
        // above and below the stops (where a borrow could go wrong).
        for filler in [b'a', 0x00, 0x1f, 0x20, b'!', b'#', b'[', b']', 0x7f, 0x80, 0xa2, 0xdc, 0xff] {
            for place in 0..8 {
                for byte in 0..=255u8 {
                    let mut eight = [filler; 8];
                    eight[place] = byte;
                    assert_eq!(first_stop(u64::from_le_bytes(eight)), first_stop_slowly(eight), "{eight:?}");
                }
            }
        }
        // Many words of bytes picked from those that matter, by a fixed pseudo-random sequence.
        let picks = [b'"', b'\\', 0x00, 0x01, 0x1f, 0x20, 0x21, b'#', 0x5b, 0x5d, 0x7f, 0x80, 0xff, b'a'];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let eight: [u8; 8] =
                std::array::from_fn(|i| picks[((state >> (i * 8)) % picks.len() as u64) as usize]);
            assert_eq!(first_stop(u64::from_le_bytes(eight)), first_stop_slowly(eight), "{eight:?}");
        }
    }
}
