//! What a file is (sniffed from its bytes, never its name) and its text, cut into sections by
//! structure: one per PDF page, one per heading of DOCX, HTML and Markdown. Everything here is
//! CPU-bound and synchronous, and reads untrusted bytes: the worker runs it in a child process
//! under memory and time limits (`sandbox`), and [`Limits`] bound what a file may inflate to.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

/// The formats documents accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Docx,
    Html,
    Markdown,
    Text,
}

impl Kind {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Html => "text/html",
            Self::Markdown => "text/markdown",
            Self::Text => "text/plain",
        }
    }

    pub fn from_media_type(media_type: &str) -> Option<Self> {
        [Self::Pdf, Self::Docx, Self::Html, Self::Markdown, Self::Text]
            .into_iter()
            .find(|kind| kind.media_type() == media_type)
    }
}

/// What the bytes are. `Err` names what was found instead of a supported format (for the 415).
pub fn sniff(bytes: &[u8], filename: &str) -> Result<Kind, String> {
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Ok(Kind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let is_docx = zip::ZipArchive::new(Cursor::new(bytes))
            .map(|archive| archive.index_for_name("word/document.xml").is_some())
            .unwrap_or(false);
        return if is_docx {
            Ok(Kind::Docx)
        } else {
            Err("a ZIP archive (application/zip) that is not a Word document".into())
        };
    }
    for (magic, what) in BINARY_MAGIC {
        if bytes.starts_with(magic) {
            return Err((*what).to_owned());
        }
    }
    let text = match text_of(bytes) {
        Some(text) => text,
        None => return Err("binary data (application/octet-stream)".into()),
    };
    if looks_like_html(text) {
        return Ok(Kind::Html);
    }
    let named_markdown = {
        let name = filename.to_ascii_lowercase();
        name.ends_with(".md") || name.ends_with(".markdown")
    };
    if named_markdown || looks_like_markdown(text) {
        return Ok(Kind::Markdown);
    }
    Ok(Kind::Text)
}

const BINARY_MAGIC: &[(&[u8], &str)] = &[
    (
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "a legacy or password-protected Office file (application/x-cfb)",
    ),
    (b"\x89PNG", "an image (image/png)"),
    (b"\xFF\xD8\xFF", "an image (image/jpeg)"),
    (b"GIF8", "an image (image/gif)"),
    (b"\x1F\x8B", "a gzip archive (application/gzip)"),
    (b"7z\xBC\xAF", "a 7-Zip archive (application/x-7z-compressed)"),
    (b"Rar!", "a RAR archive (application/vnd.rar)"),
    (b"\x7FELF", "a program (application/x-executable)"),
];

/// The bytes as UTF-8 text (a BOM dropped), if they are text: valid UTF-8 without NULs.
fn text_of(bytes: &[u8]) -> Option<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).ok()?;
    (!text.contains('\0')).then_some(text)
}

fn looks_like_html(text: &str) -> bool {
    let start: String = text.trim_start().chars().take(512).collect::<String>().to_lowercase();
    ["<!doctype html", "<html", "<head", "<body", "<!--"].iter().any(|tag| start.starts_with(tag))
        && (start.contains("<html") || start.contains("<body") || start.contains("<!doctype html"))
}

/// ATX headings, fences or links on several lines: written as Markdown.
fn looks_like_markdown(text: &str) -> bool {
    let mut signs = 0;
    for line in text.lines().take(200) {
        let line = line.trim_start();
        let heading = line.starts_with('#')
            && line.trim_start_matches('#').starts_with(' ')
            && line.len() - line.trim_start_matches('#').len() <= 6;
        if heading || line.starts_with("```") || (line.contains("](") && line.contains('[')) {
            signs += 1;
        }
    }
    signs >= 2
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// A document's text by structure.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// Pages of a PDF.
    pub pages: Option<u32>,
    pub sections: Vec<Section>,
}

/// A run of paragraphs with one position: a PDF page, or the heading path above them.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub page: Option<u32>,
    /// "Installation > Wiring": the headings the paragraphs sit under.
    pub heading: Option<String>,
    pub paragraphs: Vec<String>,
}

impl Extracted {
    pub fn is_empty(&self) -> bool {
        self.sections.iter().all(|section| section.paragraphs.is_empty())
    }

    /// Bytes of text in its paragraphs.
    pub fn text_bytes(&self) -> u64 {
        self.sections.iter().flat_map(|s| &s.paragraphs).map(|p| p.len() as u64).sum()
    }
}

/// Why a file could not be read, in words for its owner.
pub type Reason = String;

/// How much one file may make: a file over a limit fails with a reason naming it. The defaults
/// (see `.env.example`) let a 500-page book through with room to spare and stop a bomb early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// `AGENTS_DOCUMENT_MAX_INFLATED_BYTES`: what the compressed parts of a file may inflate
    /// to: a DOCX's word/document.xml, a PDF's page contents all together.
    pub max_inflated_bytes: u64,
    /// `AGENTS_DOCUMENT_MAX_TEXT_BYTES`: the text extracted from one file.
    pub max_text_bytes: u64,
    /// `AGENTS_DOCUMENT_MAX_CHUNKS`: the chunks one file is cut into (each is embedded).
    pub max_chunks: usize,
}

impl Limits {
    /// 32 MiB: a 500-page book's PDF page contents are ~10 MB (~20 KB a page), its DOCX XML
    /// ~5-15 MB; the issue's zip bomb inflated to 64 MiB.
    pub const MAX_INFLATED_BYTES: u64 = 32 * 1024 * 1024;
    /// 8 MiB: a 500-page book has 1-3 MB of text (2,400-5,000 characters a page).
    pub const MAX_TEXT_BYTES: u64 = 8 * 1024 * 1024;
    /// 10,000: about what 8 MiB of text makes (chunks of ~1,000 bytes with overlap); a 500-page
    /// book makes 1,500-3,500, and each chunk costs an embedding.
    pub const MAX_CHUNKS: usize = 10_000;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_inflated_bytes: Self::MAX_INFLATED_BYTES,
            max_text_bytes: Self::MAX_TEXT_BYTES,
            max_chunks: Self::MAX_CHUNKS,
        }
    }
}

/// Bytes in MiB for a reason, rounded up ("32 MiB").
pub(crate) fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1024 * 1024))
}

fn too_much_text(limits: &Limits) -> Reason {
    format!(
        "the document has more text than the limit of {} (AGENTS_DOCUMENT_MAX_TEXT_BYTES)",
        mib(limits.max_text_bytes)
    )
}

fn inflates_too_far(what: &str, limits: &Limits) -> Reason {
    format!(
        "the {what} inflates to more than the limit of {} when decompressed \
         (AGENTS_DOCUMENT_MAX_INFLATED_BYTES)",
        mib(limits.max_inflated_bytes)
    )
}

/// Extracts `bytes` as `kind` within `limits`. A panic inside a parser becomes a failure, not a
/// crash (an abort, which no code can catch, is what the child process is for).
pub fn extract(kind: Kind, bytes: &[u8], limits: &Limits) -> Result<Extracted, Reason> {
    let extracted = std::panic::catch_unwind(|| match kind {
        Kind::Pdf => pdf(bytes, limits),
        Kind::Docx => docx(bytes, limits),
        Kind::Html => match text_of(bytes) {
            Some(text) => html_within_depth(text).map(|()| html(text)),
            None => Err("the file is not UTF-8 text".into()),
        },
        Kind::Markdown => {
            text_of(bytes).map(markdown).ok_or_else(|| "the file is not UTF-8 text".into())
        }
        Kind::Text => text_of(bytes).map(plain).ok_or_else(|| "the file is not UTF-8 text".into()),
    })
    .unwrap_or_else(|_| Err(format!("the {} could not be read (its parser failed)", name(kind))))?;
    if extracted.text_bytes() > limits.max_text_bytes {
        return Err(too_much_text(limits));
    }
    if extracted.is_empty() {
        return Err(match kind {
            Kind::Pdf => "the PDF has no text (a scanned PDF needs OCR, which is not supported)",
            _ => "the document has no text",
        }
        .into());
    }
    Ok(extracted)
}

fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::Pdf => "PDF",
        Kind::Docx => "Word document",
        Kind::Html => "HTML page",
        Kind::Markdown => "Markdown file",
        Kind::Text => "text file",
    }
}

fn pdf(bytes: &[u8], limits: &Limits) -> Result<Extracted, Reason> {
    const ENCRYPTED: &str = "the PDF is encrypted (password protected)";
    // Object and cross-reference streams are inflated while the file loads: each within the
    // same bound as page contents (lopdf's own default is 256 MiB a stream).
    let options = lopdf::LoadOptions::with_max_decompressed_size(
        usize::try_from(limits.max_inflated_bytes).unwrap_or(usize::MAX),
    );
    let mut document = match lopdf::Document::load_mem_with_options(bytes, options) {
        Ok(document) => document,
        Err(lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_)) => {
            return Err(ENCRYPTED.into());
        }
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            return Err(inflates_too_far("PDF", limits));
        }
        Err(error) => return Err(format!("the PDF is damaged and cannot be read ({error})")),
    };
    if document.is_encrypted() {
        return Err(ENCRYPTED.into());
    }
    distrust_page_counts(&mut document)?;
    let pages = document.get_pages();
    if pages.is_empty() {
        return Err("the PDF is damaged and cannot be read (it has no pages)".into());
    }
    let mut sections = Vec::with_capacity(pages.len());
    let mut inflated = 0u64;
    let mut text_bytes = 0u64;
    for (&number, &page) in &pages {
        // A page whose dictionary or content is missing (a truncated file) is damage, not an
        // empty page (lopdf would skip it quietly).
        let damaged = |what: &str| format!("the PDF is damaged: page {number} {what}");
        if document.get_dictionary(page).is_err() {
            return Err(damaged("is missing"));
        }
        let streams = document.get_page_contents(page);
        if streams.iter().any(|id| document.get_object(*id).and_then(|o| o.as_stream()).is_err()) {
            return Err(damaged("has lost its content"));
        }
        // One budget for every page's content, so many pages of a little each stop too.
        let budget = usize::try_from(limits.max_inflated_bytes.saturating_sub(inflated))
            .unwrap_or(usize::MAX);
        let unreadable = |error: lopdf::Error| match error {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
                inflates_too_far("PDF", limits)
            }
            error => damaged(&format!("cannot be read ({error})")),
        };
        let content = document.get_page_content_with_limit(page, budget).map_err(unreadable)?;
        inflated += content.len() as u64;
        let text = if content.is_empty() {
            String::new()
        } else {
            document.extract_text_with_limit(&[number], budget).map_err(unreadable)?
        };
        let paragraphs = paragraphs(&text);
        text_bytes += paragraphs.iter().map(|p| p.len() as u64).sum::<u64>();
        if text_bytes > limits.max_text_bytes {
            return Err(too_much_text(limits));
        }
        sections.push(Section { page: Some(number), heading: None, paragraphs });
    }
    Ok(Extracted { pages: Some(pages.len() as u32), sections })
}

/// Checks the page tree's `/Count`s against what the file can hold, then drops them: lopdf sizes
/// a collection of pages from them (`get_pages` collects through an iterator whose size hint
/// sums the `/Count`s), so a 700-byte file claiming 10^15 pages would ask for petabytes and
/// abort the process. Pages are found by walking `/Kids`, which never needs a count.
fn distrust_page_counts(document: &mut lopdf::Document) -> Result<(), Reason> {
    // lopdf yields at most one page per object, so a larger claim is a lie.
    let objects = document.objects.len() as i64;
    let is_pages = |dict: &lopdf::Dictionary| dict.get_type().is_ok_and(|kind| kind == b"Pages");
    for object in document.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if !is_pages(dict) {
            continue;
        }
        let claimed =
            dict.get_deref(b"Count", document).and_then(lopdf::Object::as_i64).unwrap_or(0);
        if claimed > objects {
            return Err(format!(
                "the PDF is damaged: its page tree claims {claimed} pages, more than the file \
                 can hold"
            ));
        }
    }
    for object in document.objects.values_mut() {
        if let lopdf::Object::Dictionary(dict) = object
            && is_pages(dict)
        {
            dict.remove(b"Count");
        }
    }
    Ok(())
}

/// Paragraphs of plain text: blank lines separate them, whitespace is collapsed.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Sections built from paragraphs and headings in reading order.
#[derive(Default)]
struct Outline {
    headings: Vec<(u8, String)>,
    sections: Vec<Section>,
}

impl Outline {
    fn heading(&mut self, level: u8, text: &str) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return;
        }
        self.headings.retain(|(other, _)| *other < level);
        self.headings.push((level, text.clone()));
        let path = self.headings.iter().map(|(_, h)| h.as_str()).collect::<Vec<_>>().join(" > ");
        // The heading is the first line of its section, so searches for it find the section.
        self.sections.push(Section { page: None, heading: Some(path), paragraphs: vec![text] });
    }

    fn paragraph(&mut self, text: &str) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return;
        }
        match self.sections.last_mut() {
            Some(section) => section.paragraphs.push(text),
            None => self.sections.push(Section { paragraphs: vec![text], ..Section::default() }),
        }
    }

    fn finish(self) -> Extracted {
        Extracted { pages: None, sections: self.sections }
    }
}

fn docx(bytes: &[u8], limits: &Limits) -> Result<Extracted, Reason> {
    const DAMAGED: &str = "the Word document is damaged and cannot be read";
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| format!("{DAMAGED} ({error})"))?;
    let xml = {
        let entry = archive.by_name("word/document.xml").map_err(|error| match error {
            zip::result::ZipError::UnsupportedArchive(_) => {
                "the Word document is encrypted or uses an unsupported compression".to_owned()
            }
            error => format!("{DAMAGED} ({error})"),
        })?;
        if entry.encrypted() {
            return Err("the Word document is encrypted (password protected)".into());
        }
        // One byte past the limit tells a file at the limit from one over it.
        let mut xml = Vec::new();
        entry
            .take(limits.max_inflated_bytes.saturating_add(1))
            .read_to_end(&mut xml)
            .map_err(|error| format!("{DAMAGED} ({error})"))?;
        if xml.len() as u64 > limits.max_inflated_bytes {
            return Err(inflates_too_far("Word document", limits));
        }
        String::from_utf8(xml).map_err(|error| format!("{DAMAGED} ({error})"))?
    };
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut outline = Outline::default();
    let mut text = String::new();
    let mut level: Option<u8> = None;
    let mut in_text = false;
    loop {
        let event = reader.read_event().map_err(|error| format!("{DAMAGED} ({error})"))?;
        match event {
            Event::Start(element) if element.name().0 == "w:t" => in_text = true,
            Event::Start(element) | Event::Empty(element) => match element.name().0 {
                "w:p" => {
                    text.clear();
                    level = None;
                }
                "w:pStyle" => {
                    let style = attribute(&element, "w:val").unwrap_or_default();
                    level = heading_level(&style).or(level);
                }
                "w:outlineLvl" => {
                    let outline_level = attribute(&element, "w:val")
                        .and_then(|value| value.parse::<u8>().ok())
                        .filter(|value| *value < 9);
                    level = outline_level.map(|value| value + 1).or(level);
                }
                "w:tab" => text.push('\t'),
                "w:br" | "w:cr" => text.push('\n'),
                _ => {}
            },
            Event::End(element) => match element.name().0 {
                "w:t" => in_text = false,
                "w:p" => {
                    match level {
                        Some(level) => outline.heading(level, &text),
                        None => outline.paragraph(&text),
                    }
                    text.clear();
                    level = None;
                }
                _ => {}
            },
            Event::Text(content) if in_text => text.push_str(&content.xml10_content()),
            Event::CData(content) if in_text => text.push_str(&content),
            Event::GeneralRef(reference) if in_text => push_reference(&mut text, &reference),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(outline.finish())
}

fn attribute(element: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|attribute| attribute.key.0 == name)
        .map(|attribute| attribute.value.into_owned())
}

/// "Heading1".."Heading9" (and "Title") are headings; the level is the number.
fn heading_level(style: &str) -> Option<u8> {
    let lower = style.to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let digits = lower.strip_prefix("heading")?;
    digits.trim().parse::<u8>().ok().filter(|level| (1..=9).contains(level))
}

fn push_reference(text: &mut String, reference: &quick_xml::events::BytesRef<'_>) {
    if let Ok(Some(character)) = reference.resolve_char_ref() {
        text.push(character);
        return;
    }
    text.push_str(match &**reference {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    });
}

/// How deep HTML elements may nest. The parser's tree builder looks through the open elements
/// at each tag (for a `<p>` to close, a formatting element to reopen), so a page of 200,000
/// nested `<div>`s costs time quadratic in its depth; browsers stop nesting at 512 (Blink's
/// parser), and real pages stay far below it.
pub const MAX_HTML_DEPTH: usize = 512;

/// Elements that never hold others, or whose end tag may be left out (`<p>`, `<li>`, `<td>`
/// close themselves): they do not count toward the depth.
const UNCOUNTED: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "menuitem", "meta", "param", "source", "track", "wbr", "html",
    "head", "body", "p", "li", "dt", "dd", "rb", "rt", "rtc", "rp", "optgroup", "option",
    "colgroup", "caption", "thead", "tbody", "tfoot", "tr", "td", "th",
];

/// Elements whose content is text up to their end tag (a `<` in it is no tag).
const RAW_TEXT: &[&str] =
    &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"];

/// Refuses HTML nested deeper than [`MAX_HTML_DEPTH`], found in one pass over the text before
/// the parser sees it: a stack of open elements, where an end tag closes up to its element
/// (as the parser does with elements left open) and a stray one is ignored.
fn html_within_depth(source: &str) -> Result<(), Reason> {
    let bytes = source.as_bytes();
    let mut open: Vec<String> = Vec::new();
    // How many of each name are open, so a stray end tag costs nothing to ignore.
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|&b| b == b'<') {
        i += at + 1;
        let rest = &bytes[i..];
        if rest.starts_with(b"!--") {
            i += find(rest, b"-->").map_or(rest.len(), |end| end + 3);
            continue;
        }
        if rest.starts_with(b"!") || rest.starts_with(b"?") {
            i += rest.iter().position(|&b| b == b'>').map_or(rest.len(), |end| end + 1);
            continue;
        }
        let closing = rest.starts_with(b"/");
        let name_start = i + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric() && *b != b'-' && *b != b':')
            .unwrap_or(bytes.len() - name_start);
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = source[name_start..name_start + name_len].to_ascii_lowercase();
        // The rest of the tag, to its `>` outside quoted attribute values.
        let (mut j, mut quote) = (name_start + name_len, None);
        while j < bytes.len() {
            match (quote, bytes[j]) {
                (None, b'>') => break,
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), b) if b == q => quote = None,
                _ => {}
            }
            j += 1;
        }
        let self_closing = j > 0 && bytes[j - 1] == b'/';
        i = (j + 1).min(bytes.len());
        if closing {
            if counts.get(&name).copied().unwrap_or(0) > 0 {
                while let Some(top) = open.pop() {
                    if let Some(count) = counts.get_mut(&top) {
                        *count -= 1;
                    }
                    if top == name {
                        break;
                    }
                }
            }
            continue;
        }
        if UNCOUNTED.contains(&name.as_str()) {
            continue;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            i = end_tag(bytes, i, name.as_bytes());
            continue;
        }
        // `<x/>` closes itself only inside SVG and MathML; in HTML the slash means nothing.
        let foreign = ["svg", "math"].iter().any(|f| counts.get(*f).is_some_and(|c| *c > 0));
        if self_closing && foreign {
            continue;
        }
        *counts.entry(name.clone()).or_default() += 1;
        open.push(name);
        if open.len() > MAX_HTML_DEPTH {
            return Err(format!(
                "the HTML page nests its elements more than the limit of {MAX_HTML_DEPTH} levels \
                 deep"
            ));
        }
    }
    Ok(())
}

/// Where the end tag `</name` is, from `from` on (case-insensitive), or the end of `bytes`.
fn end_tag(bytes: &[u8], mut from: usize, name: &[u8]) -> usize {
    while let Some(at) = find(&bytes[from..], b"</") {
        let start = from + at + 2;
        if bytes.len() >= start + name.len()
            && bytes[start..start + name.len()].eq_ignore_ascii_case(name)
        {
            return from + at;
        }
        from = start;
    }
    bytes.len()
}

fn html(source: &str) -> Extracted {
    use scraper::Node;

    let document = scraper::Html::parse_document(source);
    let mut outline = Outline::default();
    let mut text = String::new();
    // Depth-first, by hand: deep markup must not overflow the stack. `None` closes a block.
    let mut stack = vec![Some(document.tree.root())];
    while let Some(entry) = stack.pop() {
        let Some(node) = entry else {
            flush(&mut outline, &mut text, None);
            continue;
        };
        match node.value() {
            Node::Text(content) => text.push_str(content),
            Node::Element(element) => {
                let name = element.name();
                if matches!(name, "script" | "style" | "noscript" | "template" | "head" | "svg") {
                    continue;
                }
                if let Some(level) = name
                    .strip_prefix('h')
                    .and_then(|digit| digit.parse::<u8>().ok())
                    .filter(|level| (1..=6).contains(level))
                {
                    flush(&mut outline, &mut text, None);
                    let heading: String = node
                        .descendants()
                        .filter_map(|child| child.value().as_text().map(|t| t.to_string()))
                        .collect();
                    flush(&mut outline, &mut heading.clone(), Some(level));
                    continue;
                }
                if name == "br" {
                    text.push('\n');
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    flush(&mut outline, &mut text, None);
                    stack.push(None);
                }
                stack.extend(node.children().rev().map(Some));
            }
            _ => stack.extend(node.children().rev().map(Some)),
        }
    }
    flush(&mut outline, &mut text, None);
    outline.finish()
}

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "dd",
    "dt",
    "dl",
    "figure",
    "figcaption",
    "body",
    "html",
];

fn flush(outline: &mut Outline, text: &mut String, level: Option<u8>) {
    match level {
        Some(level) => outline.heading(level, text),
        None => outline.paragraph(text),
    }
    text.clear();
}

fn markdown(source: &str) -> Extracted {
    let mut outline = Outline::default();
    let mut paragraph = String::new();
    let mut fenced = false;
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        let hashes = trimmed.len() - trimmed.trim_start_matches('#').len();
        let is_heading = !fenced && (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ');
        if is_heading {
            flush(&mut outline, &mut paragraph, None);
            let title = trimmed[hashes..].trim().trim_end_matches('#').trim();
            outline.heading(hashes as u8, title);
        } else if trimmed.is_empty() {
            flush(&mut outline, &mut paragraph, None);
        } else {
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(trimmed);
        }
    }
    flush(&mut outline, &mut paragraph, None);
    outline.finish()
}

fn plain(source: &str) -> Extracted {
    let paragraphs = paragraphs(source);
    let sections = if paragraphs.is_empty() {
        Vec::new()
    } else {
        vec![Section { page: None, heading: None, paragraphs }]
    };
    Extracted { pages: None, sections }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_reads_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "notes.txt"), Ok(Kind::Pdf));
        assert_eq!(sniff(b"<!DOCTYPE html><html><body>x</body></html>", "a.pdf"), Ok(Kind::Html));
        assert_eq!(sniff(b"# Title\n\nSee [here](x).\n\n## More\n", "a.pdf"), Ok(Kind::Markdown));
        assert_eq!(sniff(b"just words", "a.md"), Ok(Kind::Markdown));
        assert_eq!(sniff(b"just words", "a.pdf"), Ok(Kind::Text));
        assert!(sniff(b"\x89PNG\r\n", "a.txt").unwrap_err().contains("image/png"));
        assert!(sniff(b"\x00\x01\x02\xff", "a.txt").unwrap_err().contains("octet-stream"));
    }

    #[test]
    fn markdown_sections_keep_their_heading_path() {
        let extracted = markdown("intro\n\n# Setup\n\nplug it in\n\n## Wiring\n\nred to red\n");
        let headings: Vec<Option<&str>> =
            extracted.sections.iter().map(|s| s.heading.as_deref()).collect();
        assert_eq!(headings, [None, Some("Setup"), Some("Setup > Wiring")]);
        assert_eq!(extracted.sections[2].paragraphs, ["Wiring", "red to red"]);
    }

    #[test]
    fn html_nested_past_the_limit_is_refused_before_parsing() {
        let deep = |open: &str, close: &str, levels: usize| {
            format!("<html><body>{}deep{}</body></html>", open.repeat(levels), close.repeat(levels))
        };
        let started = std::time::Instant::now();
        for (open, close) in [("<div>", "</div>"), ("<b>", "</b>"), ("<div/>", "")] {
            let reason = html_within_depth(&deep(open, close, 200_000)).unwrap_err();
            assert!(reason.contains("more than the limit of 512 levels"), "{reason}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        // At the limit, and what real pages do: elements left open that close themselves,
        // closed up by an outer end tag, self-closed inside SVG, and markup inside a script.
        assert_eq!(html_within_depth(&deep("<div>", "</div>", MAX_HTML_DEPTH)), Ok(()));
        let sloppy = format!(
            "<html><body>{}{}<svg>{}</svg><script>{}</script></body></html>",
            "<p>para<li>item<td>cell".repeat(5_000),
            "<section><span><i>left open</section>".repeat(1_000),
            "<path d='M0 0'/>".repeat(1_000),
            "document.write('<div>');".repeat(1_000),
        );
        assert_eq!(html_within_depth(&sloppy), Ok(()));
    }

    #[test]
    fn html_keeps_headings_and_drops_scripts() {
        let extracted = html(
            "<html><head><title>t</title><script>var x;</script></head><body>\
             <h1>Guide</h1><p>Hello <b>there</b></p><h2>Care</h2><p>Dust it.</p></body></html>",
        );
        let headings: Vec<Option<&str>> =
            extracted.sections.iter().map(|s| s.heading.as_deref()).collect();
        assert_eq!(headings, [Some("Guide"), Some("Guide > Care")]);
        assert_eq!(extracted.sections[0].paragraphs, ["Guide", "Hello there"]);
        assert!(!format!("{extracted:?}").contains("var x"));
    }
}
