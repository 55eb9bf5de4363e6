//! The driver: pulls values from jiter's parser and hands each to the sink it belongs to,
//! capturing the envelope around the data on the way.

use super::traits::{DataAt, Elements, FromJson, Scalar, Sink};
use crate::write::{JsonError, Segment};
use jiter::{Jiter, JiterError, LinePosition, Peek};
use serde_json::{Map, Value};
use std::ops::Range;

/// The envelope around the data, captured in the same pass for the protocol to read: members
/// that are not data are captured whole; inside the data, scalars down to `depth` levels (where
/// protocols find codes such as Douyin's `data.error_code`), other values only as their kind.
#[derive(Debug)]
pub(crate) struct Capture<'c> {
    pub(crate) into: &'c mut Value,
    pub(crate) depth: u8,
}

/// A captured string is cut to this many bytes: protocols read codes and messages from the
/// envelope, and a long string's copy would only cost memory.
pub(crate) const CAPTURED_STRING: usize = 64 << 10;

fn captured_scalar(v: Scalar<'_>) -> Value {
    match v {
        Scalar::Str(s) if s.len() > CAPTURED_STRING => {
            let mut end = CAPTURED_STRING;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            Value::String(s[..end].to_owned())
        }
        v => v.to_value(),
    }
}

/// Objects and arrays nested deeper than this are refused rather than risk the stack (serde_json
/// stops at 128 too).
const MAX_DEPTH: u16 = 128;

/// Pulls values from jiter's parser (a pull parser: no visitor per type, and the reader, not
/// the parser, decides where each value goes) and hands each to the sink it belongs to.
struct Reader<'j> {
    jiter: Jiter<'j>,
    body: &'j [u8],
}

/// A syntax error, with where it is in the body.
fn syntax(body: &[u8]) -> impl Fn(JiterError) -> JsonError + '_ {
    move |e| {
        let at = LinePosition::find(body, e.index);
        JsonError::new(format!("{} at {at}", e.error_type))
    }
}

fn too_deep() -> JsonError {
    JsonError::new(format!("nested more than {MAX_DEPTH} levels deep"))
}

/// The member being read, named only if an error needs it: a key without escapes is found
/// again in the body by its position, so reading copies no key.
enum KeyAt {
    Body(Range<usize>),
    Unescaped(String),
}

impl KeyAt {
    fn of(body: &[u8], key: &str) -> KeyAt {
        let start = (key.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        match start.checked_add(key.len()) {
            Some(end) if end <= body.len() => KeyAt::Body(start..end),
            _ => KeyAt::Unescaped(key.to_owned()),
        }
    }

    fn segment(self, body: &[u8]) -> Segment {
        Segment::Field(match self {
            KeyAt::Body(range) => String::from_utf8_lossy(&body[range]).into_owned(),
            KeyAt::Unescaped(key) => key,
        })
    }
}

impl Reader<'_> {
    fn value(
        &mut self,
        peek: Peek,
        sink: Option<&mut dyn Sink>,
        capture: Option<Capture<'_>>,
        depth: u16,
    ) -> Result<(), JsonError> {
        if peek != Peek::Object && peek != Peek::Array {
            let v = self.scalar(peek)?;
            if let Some(c) = capture {
                *c.into = captured_scalar(v);
            }
            return match sink {
                Some(sink) => sink.scalar(v),
                None => Ok(()),
            };
        }
        if depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        match sink {
            Some(sink) if !sink.wants_tree() => {
                if peek == Peek::Object {
                    self.object(sink, capture, depth + 1)
                } else {
                    self.array(sink, capture, depth + 1)
                }
            }
            None if capture.is_none() => self.skip(peek),
            // Inside the data, a member the data does not read: its kind only.
            None if capture.as_ref().is_some_and(|c| c.depth != u8::MAX) => {
                if let Some(c) = capture {
                    *c.into = if peek == Peek::Object {
                        Value::Object(Map::new())
                    } else {
                        Value::Array(Vec::new())
                    };
                }
                self.skip(peek)
            }
            sink => {
                // Captured whole, or read by a sink that takes trees.
                let tree = self.tree(peek, depth)?;
                match (sink, capture) {
                    (Some(sink), Some(c)) => {
                        *c.into = tree.clone();
                        sink.tree(tree)
                    }
                    (Some(sink), None) => sink.tree(tree),
                    (None, Some(c)) => {
                        *c.into = tree;
                        Ok(())
                    }
                    (None, None) => Ok(()),
                }
            }
        }
    }

    // Inlined: the one per-value step of every read.
    #[inline(always)]
    fn scalar(&mut self, peek: Peek) -> Result<Scalar<'_>, JsonError> {
        let jiter = &mut self.jiter;
        match peek {
            Peek::Null => jiter.known_null().map(|()| Scalar::Null),
            Peek::True | Peek::False => jiter.known_bool(peek).map(Scalar::Bool),
            Peek::String => jiter.known_str().map(Scalar::Str),
            // A number's text is ASCII: the conversion cannot fail.
            _ => jiter
                .known_number_bytes(peek)
                .map(|n| Scalar::Number(std::str::from_utf8(n).unwrap_or_default())),
        }
        .map_err(syntax(self.body))
    }

    fn skip(&mut self, peek: Peek) -> Result<(), JsonError> {
        self.jiter.known_skip(peek).map_err(syntax(self.body))
    }

    fn object(
        &mut self,
        sink: &mut dyn Sink,
        capture: Option<Capture<'_>>,
        depth: u16,
    ) -> Result<(), JsonError> {
        let body = self.body;
        sink.begin_object()?;
        let mut captured = capture.map(|c| {
            *c.into = Value::Object(Map::new());
            c
        });
        let mut key = self.jiter.known_object().map_err(syntax(body))?;
        while let Some(k) = key {
            if let Some(elements) = sink.wrapped() {
                let at = KeyAt::of(body, k);
                self.wrapped(elements, depth)
                    .map_err(|e| e.at(at.segment(body)))?;
                key = self.jiter.next_key().map_err(syntax(body))?;
                continue;
            }
            let child = sink.member(k);
            let child_capture = match captured.as_mut() {
                Some(Capture {
                    into: Value::Object(members),
                    depth: levels @ 1..,
                }) => {
                    // The envelope's members that are not data are captured whole; inside
                    // the data, unread members too follow the levels, so that a large one
                    // the data skips is not copied (a 48 MiB member had doubled a call's peak).
                    let at_root = depth == 1;
                    let levels = if child.is_none() && at_root {
                        u8::MAX
                    } else {
                        *levels - 1
                    };
                    // A member sent twice: the last one counts, as in serde_json.
                    let slot = members.entry(k).or_insert(Value::Null);
                    *slot = Value::Null;
                    Some(Capture {
                        into: slot,
                        depth: levels,
                    })
                }
                _ => None,
            };
            let at = KeyAt::of(body, k);
            let peek = self.jiter.peek().map_err(syntax(body))?;
            match (child, child_capture) {
                (None, None) => self.skip(peek),
                // Most members are scalars read into a field: no call through `value`.
                (Some(child), None) if peek != Peek::Object && peek != Peek::Array => {
                    self.scalar(peek).and_then(|v| child.scalar(v))
                }
                (child, capture) => self.value(peek, child, capture, depth),
            }
            .map_err(|e| e.at(at.segment(body)))?;
            key = self.jiter.next_key().map_err(syntax(body))?;
        }
        Ok(())
    }

    fn array(
        &mut self,
        sink: &mut dyn Sink,
        capture: Option<Capture<'_>>,
        depth: u16,
    ) -> Result<(), JsonError> {
        if let Some(c) = capture {
            // Inside the data, an array is captured as its kind only.
            *c.into = Value::Array(Vec::new());
        }
        let mut elements = sink.array()?;
        self.elements(elements.as_mut(), depth)
    }

    /// The elements of the array that begins here, each read into `elements`.
    fn elements(&mut self, elements: &mut dyn Elements, depth: u16) -> Result<(), JsonError> {
        let mut next = self.jiter.known_array().map_err(syntax(self.body))?;
        let mut index = 0;
        while let Some(peek) = next {
            self.value(peek, Some(elements.element()), None, depth)
                .map_err(|e| e.at(Segment::Index(index)))?;
            elements.done();
            index += 1;
            next = self.jiter.array_step().map_err(syntax(self.body))?;
        }
        Ok(())
    }

    /// One member of a list's wrapper: its array's elements, or one element.
    fn wrapped(
        &mut self,
        mut elements: Box<dyn Elements + '_>,
        depth: u16,
    ) -> Result<(), JsonError> {
        let peek = self.jiter.peek().map_err(syntax(self.body))?;
        if peek != Peek::Array {
            self.value(peek, Some(elements.element()), None, depth)?;
            elements.done();
            return Ok(());
        }
        self.elements(elements.as_mut(), depth)
    }

    /// The whole value as a tree.
    fn tree(&mut self, peek: Peek, depth: u16) -> Result<Value, JsonError> {
        let body = self.body;
        match peek {
            Peek::Object | Peek::Array if depth >= MAX_DEPTH => Err(too_deep()),
            Peek::Object => {
                let mut members = Map::new();
                let mut key = self.jiter.known_object().map_err(syntax(body))?;
                while let Some(k) = key {
                    let k = k.to_owned();
                    let peek = self.jiter.peek().map_err(syntax(body))?;
                    // A member sent twice: the last one counts, as in serde_json.
                    members.insert(k, self.tree(peek, depth + 1)?);
                    key = self.jiter.next_key().map_err(syntax(body))?;
                }
                Ok(Value::Object(members))
            }
            Peek::Array => {
                let mut items = Vec::new();
                let mut next = self.jiter.known_array().map_err(syntax(body))?;
                while let Some(peek) = next {
                    items.push(self.tree(peek, depth + 1)?);
                    next = self.jiter.array_step().map_err(syntax(body))?;
                }
                Ok(Value::Array(items))
            }
            _ => self.scalar(peek).map(Scalar::to_value),
        }
    }
}

/// Reads the one JSON document in `bytes` with `read`, and checks that nothing follows it.
fn document<T>(
    bytes: &[u8],
    read: impl FnOnce(&mut Reader<'_>, Peek) -> Result<T, JsonError>,
) -> Result<T, JsonError> {
    let mut reader = Reader {
        jiter: Jiter::new(bytes),
        body: bytes,
    };
    let peek = reader.jiter.peek().map_err(syntax(bytes))?;
    let read = read(&mut reader, peek)?;
    reader.jiter.finish().map_err(syntax(bytes))?;
    Ok(read)
}

/// Reads the JSON document `bytes` into `sink`, capturing the envelope if asked. A syntax
/// error or a value the sink refuses comes back with its path.
pub(super) fn read(
    bytes: &[u8],
    sink: Option<&mut dyn Sink>,
    capture: Option<Capture<'_>>,
) -> Result<(), JsonError> {
    document(bytes, |reader, peek| reader.value(peek, sink, capture, 0))
}

/// The JSON document `bytes` read as a `T` (`None` when it is `null`): push payloads.
pub(crate) fn read_value<T: FromJson>(bytes: &[u8]) -> Result<Option<T>, JsonError> {
    let mut slot: Option<T> = None;
    read(bytes, Some(&mut slot), None)?;
    Ok(slot)
}

/// The JSON document `bytes` as a tree.
pub(crate) fn tree(bytes: &[u8]) -> Result<Value, JsonError> {
    document(bytes, |reader, peek| reader.tree(peek, 0))
}

/// Reads the data of a JSON body, at `at`, into `sink`, capturing the envelope if asked. Errors
/// carry paths relative to the data (`trade.orders`, not `trade_fullinfo_get_response.trade...`).
pub(crate) fn read_data(
    body: &[u8],
    at: &DataAt,
    sink: &mut dyn Sink,
    capture: Option<Capture<'_>>,
) -> Result<(), JsonError> {
    match at {
        DataAt::Whole => read(body, Some(sink), capture),
        DataAt::Member(key) => {
            let mut root = Member { key, data: sink };
            read(body, Some(&mut root), capture).map_err(|e| e.within(key))
        }
    }
}

/// A value sent as JSON text inside a string.
pub(super) fn read_text(text: &str, sink: &mut dyn Sink) -> Result<(), JsonError> {
    read(text.as_bytes(), Some(sink), None)
}

/// Routes member `key` of the root object into `data` (a platform's data member).
struct Member<'d> {
    key: &'d str,
    data: &'d mut dyn Sink,
}

impl Sink for Member<'_> {
    fn scalar(&mut self, _v: Scalar<'_>) -> Result<(), JsonError> {
        Ok(())
    }
    fn begin_object(&mut self) -> Result<(), JsonError> {
        Ok(())
    }
    fn member(&mut self, key: &str) -> Option<&mut dyn Sink> {
        (key == self.key).then_some(&mut *self.data)
    }
    fn array(&mut self) -> Result<Box<dyn Elements + '_>, JsonError> {
        Ok(Box::new(Nowhere))
    }
}

/// Elements nobody reads.
struct Nowhere;

impl Sink for Nowhere {
    fn scalar(&mut self, _v: Scalar<'_>) -> Result<(), JsonError> {
        Ok(())
    }
    fn begin_object(&mut self) -> Result<(), JsonError> {
        Ok(())
    }
    fn member(&mut self, _key: &str) -> Option<&mut dyn Sink> {
        None
    }
    fn array(&mut self) -> Result<Box<dyn Elements + '_>, JsonError> {
        Ok(Box::new(Nowhere))
    }
}

impl Elements for Nowhere {
    fn element(&mut self) -> &mut dyn Sink {
        self
    }
    fn done(&mut self) {}
}
