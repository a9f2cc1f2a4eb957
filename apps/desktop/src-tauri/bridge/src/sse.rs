//! Server-sent events (the WHATWG EventSource format) from a byte stream: the agents' chat turns
//! and cron's notification stream, as the SDK's `parseSse` reads them.

use serde::Serialize;

/// One event: its name (`message` when the server named none), its data lines joined with
/// newlines, and the last id seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

/// Feeds bytes in, takes complete events out. Comments (keep-alives) are skipped; an event cut
/// off by the end of the stream is never produced.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    name: String,
    data: Vec<String>,
    last_id: Option<String>,
    /// The previous chunk ended in CR: a LF starting this one ends the same line.
    skip_lf: bool,
}

impl SseParser {
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut bytes = chunk;
        if self.skip_lf && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.skip_lf = false;
        self.buffer.extend_from_slice(bytes);
        let mut start = 0;
        let mut i = 0;
        while i < self.buffer.len() {
            let b = self.buffer[i];
            if b == b'\n' || b == b'\r' {
                let line = String::from_utf8_lossy(&self.buffer[start..i]).into_owned();
                let mut next = i + 1;
                if b == b'\r' {
                    if next < self.buffer.len() {
                        if self.buffer[next] == b'\n' {
                            next += 1;
                        }
                    } else {
                        self.skip_lf = true;
                    }
                }
                if let Some(event) = self.line(&line) {
                    events.push(event);
                }
                start = next;
                i = next;
            } else {
                i += 1;
            }
        }
        self.buffer.drain(..start);
        events
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            if self.data.is_empty() {
                self.name.clear();
                return None;
            }
            let name = std::mem::take(&mut self.name);
            return Some(SseEvent {
                event: if name.is_empty() { "message".into() } else { name },
                data: std::mem::take(&mut self.data).join("\n"),
                id: self.last_id.clone(),
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.name = value.to_owned(),
            "data" => self.data.push(value.to_owned()),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        chunks.iter().flat_map(|c| parser.push(c)).collect()
    }

    #[test]
    fn events_across_chunks_and_line_ends() {
        let events = all(&[
            b"event: text\ndata: {\"a\"",
            b":1}\n\n: keep-alive\n\nid: 7\r",
            b"\ndata: x\r\ndata: y\r\n\r\n",
            b"data: cut",
        ]);
        assert_eq!(
            events,
            vec![
                SseEvent { event: "text".into(), data: "{\"a\":1}".into(), id: None },
                SseEvent { event: "message".into(), data: "x\ny".into(), id: Some("7".into()) },
            ]
        );
    }
}
