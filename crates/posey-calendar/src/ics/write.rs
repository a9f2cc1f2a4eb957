//! Writing components as iCalendar text: CRLF line ends, lines folded at 75 octets (RFC 5545
//! 3.1), parameter values quoted or RFC 6868-escaped as they need, so `parse` reads back the
//! same tree.

use super::{Component, Param, Property};

/// RFC 5545's longest line, in octets, not counting the CRLF.
const MAX_LINE: usize = 75;

/// `component` and everything inside it as iCalendar text.
pub fn write(component: &Component) -> String {
    let mut out = String::new();
    let mut line = String::new();
    write_component(component, &mut out, &mut line);
    out
}

/// `line` is a reused buffer for one unfolded content line.
fn write_component(component: &Component, out: &mut String, line: &mut String) {
    line.clear();
    line.push_str("BEGIN:");
    line.push_str(&component.name);
    fold(line, out);
    for property in &component.properties {
        content_line(property, line);
        fold(line, out);
    }
    for inner in &component.components {
        write_component(inner, out, line);
    }
    line.clear();
    line.push_str("END:");
    line.push_str(&component.name);
    fold(line, out);
}

fn content_line(property: &Property, line: &mut String) {
    line.clear();
    line.push_str(&property.name);
    for Param { name, values } in &property.params {
        line.push(';');
        line.push_str(name);
        line.push('=');
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                line.push(',');
            }
            param_value(value, line);
        }
    }
    line.push(':');
    // A raw line break is never valid in a value (TEXT escapes it); writing it as `\n` keeps
    // a value from ending its line and smuggling in lines of its own.
    push_without_breaks(&property.value, "\\n", line);
}

/// Quoted when it holds ':' ';' or ','; '^', '"' and line breaks escaped (RFC 6868).
fn param_value(value: &str, line: &mut String) {
    let quote = value.contains([':', ';', ',']);
    if quote {
        line.push('"');
    }
    let mut escaped = String::new();
    let value = if value.contains(['^', '"']) {
        for c in value.chars() {
            match c {
                '^' => escaped.push_str("^^"),
                '"' => escaped.push_str("^'"),
                c => escaped.push(c),
            }
        }
        escaped.as_str()
    } else {
        value
    };
    push_without_breaks(value, "^n", line);
    if quote {
        line.push('"');
    }
}

/// `text` with each CRLF, CR or LF written as `instead`.
fn push_without_breaks(text: &str, instead: &str, line: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find(['\r', '\n']) {
        line.push_str(&rest[..at]);
        line.push_str(instead);
        let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[at + skip..];
    }
    line.push_str(rest);
}

/// Appends `line` to `out` in pieces of at most 75 octets, continuation lines starting with a
/// space, never splitting a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut rest = line;
    let mut room = MAX_LINE;
    loop {
        if rest.len() <= room {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space counts toward the 75.
        room = MAX_LINE - 1;
    }
}

#[cfg(test)]
mod tests;
