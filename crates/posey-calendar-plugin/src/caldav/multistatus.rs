//! What the CalDAV routes answer in XML: `207 Multi-Status` bodies (a response per resource,
//! its properties grouped by status), `DAV:error` bodies naming the precondition that failed,
//! and the hrefs in them, percent-encoded.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::xml::{APPLE, CALDAV, CS, DAV};

/// A property's name: its namespace and local name.
pub type Name = (String, String);

pub fn name(ns: &str, local: &str) -> Name {
    (ns.to_owned(), local.to_owned())
}

/// A property's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Empty,
    /// Text, escaped when written.
    Text(String),
    /// XML written as it is (made by this module's helpers from escaped parts).
    Xml(String),
}

/// `<d:href>` of an absolute path.
pub fn href(path: &str) -> String {
    format!("<d:href>{}</d:href>", escape(path))
}

/// An element without content, in one of the known namespaces.
pub fn empty(ns: &str, local: &str) -> String {
    let (open, _) = tags(ns, local);
    format!("{}/>", open.trim_end_matches('>'))
}

/// `<tag>` and `</tag>` for a name: prefixed in the namespaces the root declares, with its own
/// declaration otherwise.
fn tags(ns: &str, local: &str) -> (String, String) {
    let prefix = match ns {
        DAV => "d",
        CALDAV => "c",
        CS => "cs",
        APPLE => "ic",
        "" => return (format!("<{local}>"), format!("</{local}>")),
        other => {
            return (format!("<x:{local} xmlns:x=\"{}\">", escape(other)), format!("</x:{local}>"));
        }
    };
    (format!("<{prefix}:{local}>"), format!("</{prefix}:{local}>"))
}

const DECLARATIONS: &str = concat!(
    r#" xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav""#,
    r#" xmlns:cs="http://calendarserver.org/ns/" xmlns:ic="http://apple.com/ns/ical/""#
);

fn status_line(status: StatusCode) -> String {
    format!(
        "<d:status>HTTP/1.1 {} {}</d:status>",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
}

/// A 207 body being written.
pub struct Multistatus {
    body: String,
}

impl Default for Multistatus {
    fn default() -> Self {
        Self::new()
    }
}

impl Multistatus {
    pub fn new() -> Self {
        let mut body = String::with_capacity(4096);
        body.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        body.push_str(&format!("<d:multistatus{DECLARATIONS}>"));
        Self { body }
    }

    /// A resource's properties: those found with their values (200), those it does not have
    /// (404), and any refused with their own status.
    pub fn resource(
        &mut self,
        path: &str,
        found: &[(Name, Value)],
        missing: &[Name],
        refused: &[(Name, StatusCode)],
    ) {
        self.body.push_str("<d:response>");
        self.body.push_str(&href(path));
        if !found.is_empty() {
            self.body.push_str("<d:propstat><d:prop>");
            for ((ns, local), value) in found {
                let (open, close) = tags(ns, local);
                match value {
                    Value::Empty => self.body.push_str(&empty(ns, local)),
                    Value::Text(text) => {
                        self.body.push_str(&format!("{open}{}{close}", escape(text)));
                    }
                    Value::Xml(xml) => self.body.push_str(&format!("{open}{xml}{close}")),
                }
            }
            self.body.push_str("</d:prop>");
            self.body.push_str(&status_line(StatusCode::OK));
            self.body.push_str("</d:propstat>");
        }
        let mut groups: Vec<(StatusCode, Vec<&Name>)> = Vec::new();
        if !missing.is_empty() {
            groups.push((StatusCode::NOT_FOUND, missing.iter().collect()));
        }
        for (name, status) in refused {
            match groups.iter_mut().find(|(s, _)| s == status) {
                Some((_, names)) => names.push(name),
                None => groups.push((*status, vec![name])),
            }
        }
        for (status, names) in groups {
            self.body.push_str("<d:propstat><d:prop>");
            for (ns, local) in names {
                self.body.push_str(&empty(ns, local));
            }
            self.body.push_str("</d:prop>");
            self.body.push_str(&status_line(status));
            self.body.push_str("</d:propstat>");
        }
        self.body.push_str("</d:response>");
    }

    /// A resource with a status and no properties (a multiget's missing href, a deletion in a
    /// sync report).
    pub fn status(&mut self, path: &str, status: StatusCode) {
        self.body.push_str("<d:response>");
        self.body.push_str(&href(path));
        self.body.push_str(&status_line(status));
        self.body.push_str("</d:response>");
    }

    pub fn sync_token(&mut self, token: &str) {
        self.body.push_str(&format!("<d:sync-token>{}</d:sync-token>", escape(token)));
    }

    pub fn finish(mut self) -> Response {
        self.body.push_str("</d:multistatus>");
        xml_response(StatusCode::MULTI_STATUS, self.body)
    }
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    response
}

/// A `DAV:error` naming the precondition (or postcondition) that failed, and why in words.
pub fn error(status: StatusCode, ns: &str, condition: &str, message: &str) -> Response {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><d:error{DECLARATIONS}>{}<d:responsedescription>{}</d:responsedescription></d:error>"#,
        empty(ns, condition),
        escape(message)
    );
    xml_response(status, body)
}

/// Text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A path segment percent-encoded (what an href holds).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@+:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A path segment percent-decoded; `None` when it is not UTF-8 or not well encoded.
pub fn decode_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = segment.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip_and_text_is_escaped() {
        let segment = "a b/ü@x.ics";
        assert_eq!(encode_segment(segment), "a%20b%2F%C3%BC@x.ics");
        assert_eq!(decode_segment(&encode_segment(segment)).unwrap(), segment);
        assert_eq!(decode_segment("%zz"), None);
        assert_eq!(escape("<a & 'b'>\u{1}"), "&lt;a &amp; &apos;b&apos;&gt;");
        assert_eq!(empty("urn:x", "y"), r#"<x:y xmlns:x="urn:x"/>"#);
    }
}
