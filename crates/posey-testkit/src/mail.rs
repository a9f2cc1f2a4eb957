//! Email the services under test really sent. The harness's SMTP server (aiosmtpd, started by
//! `./scripts/test`; `TEST_SMTP_URL`) stores every message it receives in a Maildir
//! (`TEST_SMTP_MAILDIR`), which `Mailbox` reads. Just enough RFC 5322 and MIME is parsed for
//! the services' emails: unfolded headers, RFC 2047 encoded words, 7bit, 8bit, quoted-printable
//! or base64 bodies, and the first text part of a multipart message.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The harness's SMTP server, for a service's `SMTP_URL` (plain SMTP: `smtp://127.0.0.1:<port>`).
pub fn smtp_url() -> String {
    crate::env::required_url("TEST_SMTP_URL")
}

/// One received message.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The Maildir file it came from.
    pub path: PathBuf,
    /// Header names as sent, values unfolded and decoded.
    pub headers: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The (first text part's) body, transfer encoding undone, line ends as `\n`.
    pub body: String,
}

impl ReceivedMail {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Every `http(s)://` link in the body, in order.
    pub fn links(&self) -> Vec<String> {
        self.body
            .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches(['.', ',', ')', ';']).to_owned())
            .collect()
    }

    /// The first link whose text contains `needle` (say `"/verify?"`).
    pub fn link_containing(&self, needle: &str) -> Option<String> {
        self.links().into_iter().find(|l| l.contains(needle))
    }

    /// The link to the auth service's `GET /verify`.
    pub fn verify_link(&self) -> Option<String> {
        self.link_containing("/verify?")
    }

    /// The first six-digit code standing on its own in the text (links are skipped: their
    /// tokens may hold digits).
    pub fn code(&self) -> Option<String> {
        self.body
            .split_whitespace()
            .filter(|w| !w.contains("://"))
            .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned)
    }
}

/// The harness's Maildir. Each `Mailbox` hands out every message once, oldest first, so a test
/// can wait for the second email to an address after taking the first.
#[derive(Debug)]
pub struct Mailbox {
    dir: PathBuf,
    taken: Mutex<HashSet<PathBuf>>,
}

impl Mailbox {
    /// The Maildir in `TEST_SMTP_MAILDIR`.
    pub fn from_env() -> Self {
        Self::at(crate::env::required_url("TEST_SMTP_MAILDIR"))
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), taken: Mutex::default() }
    }

    /// Waits for the next message to `to` (matched against `To` and the server's record of
    /// recipients, case-insensitively) that this `Mailbox` has not handed out yet. Panics,
    /// listing what did arrive, after `timeout`.
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> ReceivedMail {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(mail) = self.take_next(to) {
                return mail;
            }
            if Instant::now() >= deadline {
                let seen: Vec<String> = self
                    .all()
                    .into_iter()
                    .map(|m| format!("to {:?}: {:?}", m.to, m.subject))
                    .collect();
                panic!(
                    "no email to {to} within {timeout:?} in {}; there are {}: {seen:#?}",
                    self.dir.display(),
                    seen.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every message to `to` received so far, oldest first, whether handed out or not.
    pub fn all_for(&self, to: &str) -> Vec<ReceivedMail> {
        self.all().into_iter().filter(|m| is_addressed_to(m, to)).collect()
    }

    fn take_next(&self, to: &str) -> Option<ReceivedMail> {
        let mut taken = self.taken.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mail =
            self.all().into_iter().find(|m| !taken.contains(&m.path) && is_addressed_to(m, to))?;
        taken.insert(mail.path.clone());
        Some(mail)
    }

    /// Every message in `new/` and `cur/`, in the order the server stored them.
    fn all(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.dir.join(sub)).ok())
            .flatten()
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file())
            .collect();
        files.sort_by_key(|path| delivery_order(path));
        files.iter().filter_map(|path| read_message(path)).collect()
    }
}

fn is_addressed_to(mail: &ReceivedMail, to: &str) -> bool {
    ["To", "X-RcptTo"]
        .iter()
        .filter_map(|name| mail.header(name))
        .flat_map(|value| value.split(','))
        .any(|entry| address_of(entry).eq_ignore_ascii_case(to.trim()))
}

/// `Name <a@b>` or `a@b` -> `a@b`.
fn address_of(entry: &str) -> &str {
    match (entry.rfind('<'), entry.rfind('>')) {
        (Some(open), Some(close)) if open < close => entry[open + 1..close].trim(),
        _ => entry.trim(),
    }
}

/// Python's Maildir names files `<seconds>.M<microseconds>P<pid>Q<count>.<host>`: sort on the
/// numbers, then on the name (for files named otherwise).
fn delivery_order(path: &Path) -> (u64, u64, u64, String) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut parts = name.split('.');
    let seconds = parts.next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let unique = parts.next().unwrap_or_default();
    let number_after = |tag: char| {
        unique
            .split_once(tag)
            .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
            .and_then(|digits| digits.parse().ok())
            .unwrap_or(0)
    };
    (seconds, number_after('M'), number_after('Q'), name)
}

fn read_message(path: &Path) -> Option<ReceivedMail> {
    let raw = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&raw).replace("\r\n", "\n");
    let (headers, body) = split_entity(&text);
    let found = |name| header(&headers, name).unwrap_or_default().to_owned();
    Some(ReceivedMail {
        path: path.to_owned(),
        from: found("From"),
        to: found("To"),
        subject: found("Subject"),
        body: decode_entity(&headers, body),
        headers,
    })
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Headers (unfolded, encoded words decoded) and the raw body of a message or MIME part.
fn split_entity(text: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match text.find("\n\n") {
        Some(at) => (&text[..at], &text[at + 2..]),
        None => (text, ""),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    for (_, value) in &mut headers {
        *value = decode_words(value);
    }
    (headers, body)
}

/// The body as text: the transfer encoding undone, or the first text part of a multipart one.
fn decode_entity(headers: &[(String, String)], body: &str) -> String {
    let content_type = header(headers, "Content-Type").unwrap_or("text/plain");
    if content_type.to_ascii_lowercase().starts_with("multipart/")
        && let Some(boundary) = parameter(content_type, "boundary")
    {
        let delimiter = format!("--{boundary}");
        let parts: Vec<(Vec<(String, String)>, &str)> = body
            .split(delimiter.as_str())
            .skip(1)
            .filter(|part| !part.starts_with("--"))
            .map(|part| split_entity(part.strip_prefix('\n').unwrap_or(part)))
            .collect();
        let text = parts.iter().find(|(h, _)| {
            header(h, "Content-Type")
                .is_none_or(|t| t.to_ascii_lowercase().starts_with("text/plain"))
        });
        if let Some((h, b)) = text.or(parts.first()) {
            return decode_entity(h, b);
        }
    }
    let encoding = header(headers, "Content-Transfer-Encoding").unwrap_or("7bit");
    match encoding.trim().to_ascii_lowercase().as_str() {
        "quoted-printable" => String::from_utf8_lossy(&quoted_printable(body)).into_owned(),
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            STANDARD
                .decode(compact)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_else(|_| body.to_owned())
        }
        _ => body.to_owned(),
    }
}

/// A `name=value` parameter of a header value, quotes removed.
fn parameter<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (key, v) = p.split_once('=')?;
        key.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"'))
    })
}

/// Quoted-printable (RFC 2045 6.7): `=XX` is a byte, `=` at a line end joins the lines.
fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' => match bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'=');
                    i += 1;
                }
            },
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// RFC 2047 encoded words (`=?utf-8?B?...?=`, `=?utf-8?Q?...?=`) in a header value; whitespace
/// between two encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let decoded = rest[start + 2..].splitn(3, '?').collect::<Vec<_>>();
        let word = match decoded.as_slice() {
            [_charset, encoding, tail] => tail.find("?=").map(|end| (*encoding, &tail[..end])),
            _ => None,
        };
        let Some((encoding, text)) = word else { break };
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        let bytes = match encoding.to_ascii_uppercase().as_str() {
            "B" => STANDARD.decode(text).unwrap_or_else(|_| text.as_bytes().to_vec()),
            _ => quoted_printable(&text.replace('_', " ")),
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        // Skip past this word: "=?" + charset + "?" + encoding + "?" + text + "?=".
        let consumed = start + 2 + decoded[0].len() + 1 + encoding.len() + 1 + text.len() + 2;
        rest = &rest[consumed..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn maildir_with(messages: &[&str]) -> Mailbox {
        let dir =
            std::env::temp_dir().join(format!("posey-mail-{}", uuid::Uuid::new_v4().simple()));
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        for (i, message) in messages.iter().enumerate() {
            let name = format!("1700000000.M{}P1Q{}.host", 90 + i * 5, i + 1);
            std::fs::write(dir.join("new").join(name), message).unwrap();
        }
        Mailbox::at(dir)
    }

    #[tokio::test]
    async fn reads_quoted_printable_bodies_and_hands_each_message_out_once() {
        let first = "From: Posey <noreply@posey.test>\r\nTo: ada@example.test\r\n\
            Subject: =?utf-8?b?Q29uZmlybQ==?= =?utf-8?q?_your_signup?=\r\n\
            Content-Transfer-Encoding: quoted-printable\r\n\r\n\
            Follow this link:\r\n\r\nhttp://localhost:9000/verify?token=3Dab-12345=\r\n\
            6_cd&type=3Dsignup\r\n\r\nOr enter this code: 042137\r\n";
        let second =
            "To: Someone Else <bob@example.test>\nX-RcptTo: bob@example.test\nSubject: x\n\nhi\n";
        let third = "To: ADA@example.test\nSubject: again\n\nsecond one\n";
        let mailbox = maildir_with(&[first, second, third]);

        let mail = mailbox.wait_for("ada@example.test", Duration::from_secs(1)).await;
        assert_eq!(mail.subject, "Confirm your signup");
        assert_eq!(mail.from, "Posey <noreply@posey.test>");
        assert_eq!(
            mail.verify_link().unwrap(),
            "http://localhost:9000/verify?token=ab-123456_cd&type=signup"
        );
        assert_eq!(mail.code().unwrap(), "042137");

        let next = mailbox.wait_for("ada@example.test", Duration::from_secs(1)).await;
        assert_eq!(next.subject, "again");
        assert_eq!(mailbox.all_for("ada@example.test").len(), 2);
        assert_eq!(mailbox.wait_for("bob@example.test", Duration::from_secs(1)).await.body, "hi\n");
    }

    #[test]
    fn reads_base64_and_the_text_part_of_multipart_messages() {
        let headers = vec![("Content-Transfer-Encoding".to_owned(), "base64".to_owned())];
        assert_eq!(decode_entity(&headers, "aMOpbGxv\nIHdvcmxk\n"), "héllo world");

        let headers =
            vec![("Content-Type".to_owned(), "multipart/alternative; boundary=\"b1\"".to_owned())];
        let body = "--b1\nContent-Type: text/plain; charset=utf-8\n\
            Content-Transfer-Encoding: quoted-printable\n\ncode =3D 123456\n\
            --b1\nContent-Type: text/html\n\n<p>html</p>\n--b1--\n";
        assert_eq!(decode_entity(&headers, body), "code = 123456\n");
    }

    #[test]
    fn folded_headers_are_unfolded() {
        let (headers, body) = split_entity("To: a@x.test,\n  b@x.test\nSubject: s\n\nbody");
        assert_eq!(header(&headers, "to"), Some("a@x.test, b@x.test"));
        assert_eq!(body, "body");
    }
}
