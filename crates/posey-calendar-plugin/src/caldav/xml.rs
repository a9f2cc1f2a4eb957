//! WebDAV request bodies read into a small tree of namespaced elements, bounded: the body's
//! size (checked by the caller), the nesting and the number of elements. A DOCTYPE is refused,
//! so no entity is ever defined or expanded (no XXE, no billion laughs); only XML's five
//! predefined entities and character references are read.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CS: &str = "http://calendarserver.org/ns/";
pub const APPLE: &str = "http://apple.com/ns/ical/";

/// The largest XML body read.
pub const MAX_BODY: usize = 1 << 20;
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 20_000;

/// An element: its namespace (empty when none), local name, attributes, children and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The first child named so.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.is(ns, name))
    }

    /// Every child named so.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.is(ns, name))
    }

    /// An attribute (without namespace) by name.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub fn trimmed_text(&self) -> &str {
        self.text.trim()
    }
}

/// Parses a whole body into its root element, or says why it cannot in words for the client.
pub fn parse(body: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(body);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut count = 0usize;
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(|error| error.to_string())?;
        let ns = match resolved {
            ResolveResult::Bound(ns) => ns.into_inner().to_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(prefix) => {
                return Err(format!("the namespace prefix {prefix:?} is not declared"));
            }
        };
        match event {
            Event::Start(start) => {
                admit(&mut count, &stack, &root)?;
                stack.push(element(ns, &start)?);
            }
            Event::Empty(start) => {
                admit(&mut count, &stack, &root)?;
                close(&mut stack, &mut root, element(ns, &start)?);
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("an end tag closes nothing")?;
                close(&mut stack, &mut root, done);
            }
            Event::Text(text) => append(&mut stack, &text.xml10_content())?,
            Event::CData(data) => {
                let data = data.into_inner();
                append(&mut stack, &data)?;
            }
            Event::GeneralRef(reference) => {
                let character = match reference.resolve_char_ref() {
                    Ok(Some(character)) => character,
                    Ok(None) => match &*reference.into_inner() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("the entity &{other}; is not defined")),
                    },
                    Err(error) => return Err(error.to_string()),
                };
                append(&mut stack, character.encode_utf8(&mut [0; 4]))?;
            }
            Event::DocType(_) => return Err("a DOCTYPE is not accepted".into()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("the XML ends inside an element".into());
    }
    root.ok_or_else(|| "the body holds no XML element".into())
}

/// Counts one more element, refusing it past the bounds or after the root.
fn admit(count: &mut usize, stack: &[Element], root: &Option<Element>) -> Result<(), String> {
    if root.is_some() {
        return Err("there is more than one root element".into());
    }
    *count += 1;
    if *count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
        return Err("the XML is nested too deeply or has too many elements".into());
    }
    Ok(())
}

fn element(ns: String, start: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| error.to_string())?;
        let key = attribute.key.into_inner();
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| error.to_string())?;
        attributes.push((key.to_owned(), value.into_owned()));
    }
    let name = start.local_name().into_inner().to_owned();
    Ok(Element { ns, name, attributes, children: Vec::new(), text: String::new() })
}

fn close(stack: &mut [Element], root: &mut Option<Element>, done: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

fn append(stack: &mut [Element], text: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err("there is text outside the root element".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_text_and_entities_are_read() {
        let body = r#"<?xml version="1.0"?>
            <d:propfind xmlns:d="DAV:" xmlns="urn:ietf:params:xml:ns:caldav">
              <d:prop><calendar-data/><d:displayname>a &amp; b &#x41;</d:displayname></d:prop>
            </d:propfind>"#;
        let root = parse(body).unwrap();
        assert!(root.is(DAV, "propfind"));
        let prop = root.child(DAV, "prop").unwrap();
        assert!(prop.child(CALDAV, "calendar-data").is_some());
        assert_eq!(prop.child(DAV, "displayname").unwrap().text, "a & b A");
    }

    #[test]
    fn doctypes_entities_and_deep_nesting_are_refused() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#;
        assert!(parse(xxe).unwrap_err().contains("DOCTYPE"));
        assert!(parse("<x>&e;</x>").unwrap_err().contains("not defined"));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).unwrap_err().contains("nested"));
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<p:a/>").is_err());
        assert!(parse("").is_err());
    }
}
