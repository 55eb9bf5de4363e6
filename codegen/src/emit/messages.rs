//! A platform's push messages: the typed payloads and the `Message` enum.

use super::types::*;
use super::writer::*;
use crate::ir::{Message, Platform};

/// The platform's push messages: a payload struct per kind and `Message`, the enum of them
/// with `Unknown` for a kind the specs do not list, read from a verified
/// `opengate::push::Push`.
pub(super) fn messages_module(p: &Platform) -> String {
    let (i1, i2, i3, i4) = (INDENT, 2 * INDENT, 3 * INDENT, 4 * INDENT);
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let mut w = Writer::new();
    w.docs(
        0,
        &[
            format!("{title} push messages, typed by kind (`messages:` in the specs)."),
            String::new(),
            "Receive them with `opengate::push::Receiver`, then read each with".into(),
            "[`Message::from_push`](messages::Message::from_push).".into(),
        ],
    );
    w.line(0, "pub mod messages {");
    w.line(i1, "use ::opengate::__private as __rt;");
    w.docs(
        i1,
        &[format!(
            "A {title} push message; a kind the specs do not list is `Unknown`, the message as it arrived."
        )],
    );
    w.line(i1, "#[derive(Debug, Clone)]");
    w.line(i1, "#[non_exhaustive]");
    w.line(i1, "pub enum Message {");
    for m in &p.messages {
        w.docs(i2, &message_doc_lines(m));
        w.line(i2, &format!("{}({}),", m.variant, m.payload.ident));
    }
    w.docs(
        i2,
        &["A kind the specs do not list: the message as it arrived, payload untouched.".into()],
    );
    w.line(i2, "Unknown(::opengate::push::Push),");
    w.line(i1, "}");
    w.line(i1, "impl Message {");
    w.docs(
        i2,
        &[
            "Reads a verified message's payload by its kind. A payload that does not fit its kind's"
                .into(),
            "shape is an `Error::Decode` naming the platform and the kind.".into(),
        ],
    );
    w.line(
        i2,
        "pub fn from_push(push: &::opengate::push::Push) -> ::opengate::Result<Self> {",
    );
    w.line(i3, "let message = match push.kind.as_str() {");
    for m in &p.messages {
        w.line(
            i4,
            &format!("{} => Self::{}(push.decode()?),", lit(&m.kind), m.variant),
        );
    }
    w.line(i4, "_ => Self::Unknown(push.clone()),");
    w.line(i3, "};");
    w.line(i3, "Ok(message)");
    w.line(i2, "}");
    w.docs(i2, &["The kind as the platform names it.".into()]);
    w.line(i2, "pub fn kind(&self) -> &str {");
    w.line(i3, "match self {");
    for m in &p.messages {
        w.line(i4, &format!("Self::{}(_) => {},", m.variant, lit(&m.kind)));
    }
    w.line(i4, "Self::Unknown(push) => &push.kind,");
    w.line(i3, "}");
    w.line(i2, "}");
    w.line(i1, "}");
    w.docs(i1, &["Every kind the specs list, in order.".into()]);
    let kinds: Vec<String> = p.messages.iter().map(|m| lit(&m.kind)).collect();
    w.list(
        i1,
        &format!("pub const KINDS: [&str; {}] = [", kinds.len()),
        &kinds,
        "];",
    );
    for m in &p.messages {
        let mut doc = message_doc_lines(m);
        doc.push(String::new());
        doc.push(
            "Absent, `null` and `\"\"` values read as `None`; numbers sent as strings (and the reverse) are accepted."
                .into(),
        );
        read_struct(&mut w, &m.payload, &doc);
        for s in &m.types {
            read_struct(&mut w, s, &[format!("Part of a message: `{}`.", s.ident)]);
        }
        let fields = m
            .payload
            .fields
            .iter()
            .chain(m.types.iter().flat_map(|s| &s.fields));
        for f in fields {
            if let Some(e) = &f.enum_type {
                enum_type(&mut w, f, e);
            }
        }
    }
    w.line(0, "}");
    w.out
}

pub(super) fn message_doc_lines(m: &Message) -> Vec<String> {
    let mut lines = Vec::new();
    match &m.summary {
        Some(summary) => lines.extend(prose(summary)),
        None => lines.push(format!("Message {}.", code(&m.kind))),
    }
    lines.push(String::new());
    if let Some(d) = &m.description {
        lines.extend(prose(d));
        lines.push(String::new());
    }
    lines.push(format!("- Kind: {}", code(&m.kind)));
    if let Some(u) = &m.doc_url {
        lines.push(format!("- Platform docs: <{u}>"));
    }
    lines
}
