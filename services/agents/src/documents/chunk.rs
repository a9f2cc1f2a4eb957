//! Cutting extracted text into chunks to embed: by structure first (a chunk never spans two
//! pages or two headings), then by paragraphs packed up to a target size, with an overlap so a
//! sentence cut at a boundary is whole in one of the two chunks.

use serde::{Deserialize, Serialize};

use super::extract::Extracted;

/// A chunk aims at this many bytes of text...
pub const TARGET: usize = 1000;
/// ...never exceeds this many (a longer paragraph is split at whitespace)...
pub const MAX: usize = 1200;
/// ...and repeats about this much of the previous chunk of its section.
pub const OVERLAP: usize = 150;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub ordinal: u32,
    pub text: String,
    pub page: Option<u32>,
    pub heading: Option<String>,
    /// Character offsets in the document's text (its paragraphs joined by blank lines).
    pub char_start: u32,
    pub char_end: u32,
}

/// The chunks of `extracted`, in order.
pub fn chunk(extracted: &Extracted) -> Vec<Chunk> {
    // The whole text, and each piece's byte span in it, by section.
    let mut full = String::new();
    let mut sections: Vec<Vec<(usize, usize)>> = Vec::with_capacity(extracted.sections.len());
    for section in &extracted.sections {
        let mut pieces = Vec::new();
        for paragraph in &section.paragraphs {
            if !full.is_empty() {
                full.push_str("\n\n");
            }
            let start = full.len();
            full.push_str(paragraph);
            split(&full, start, full.len(), &mut pieces);
        }
        sections.push(pieces);
    }

    let mut spans = Vec::new();
    for (index, pieces) in sections.iter().enumerate() {
        let Some(&(first, _)) = pieces.first() else { continue };
        let mut start = first;
        let mut end = first;
        for &(piece_start, piece_end) in pieces {
            // Full enough, or this piece would make it too long: the chunk ends here.
            if end > start && (end - start >= TARGET || piece_end - start > MAX) {
                spans.push((index, start, end));
                let next = overlap_start(&full, start, end);
                start = if piece_end - next > MAX { piece_start } else { next };
            }
            end = piece_end;
        }
        if end > start {
            spans.push((index, start, end));
        }
    }

    let mut chars = CharOffsets::new(&full);
    spans
        .into_iter()
        .enumerate()
        .map(|(ordinal, (index, start, end))| {
            let section = &extracted.sections[index];
            Chunk {
                ordinal: ordinal as u32,
                text: full[start..end].to_owned(),
                page: section.page,
                heading: section.heading.clone(),
                char_start: chars.at(start),
                char_end: chars.at(end),
            }
        })
        .collect()
}

/// Splits `full[start..end]` (one paragraph) into pieces of at most `MAX` bytes, at whitespace
/// when there is some.
fn split(full: &str, mut start: usize, end: usize, pieces: &mut Vec<(usize, usize)>) {
    while end - start > MAX {
        let mut cut = floor_boundary(full, start + TARGET);
        if let Some(space) = full[start..cut].rfind(char::is_whitespace)
            && space > 0
        {
            cut = start + space;
        }
        if cut <= start {
            cut = floor_boundary(full, start + MAX).max(start + 1);
            cut = ceil_boundary(full, cut);
        }
        pieces.push((start, cut));
        start = cut;
        while start < end && full[start..].starts_with(char::is_whitespace) {
            start += full[start..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if end > start {
        pieces.push((start, end));
    }
}

/// Where the next chunk starts: about `OVERLAP` bytes before `end`, at a word's start.
fn overlap_start(full: &str, start: usize, end: usize) -> usize {
    if end - start <= OVERLAP {
        return start;
    }
    let from = floor_boundary(full, end - OVERLAP);
    match full[from..end].find(char::is_whitespace) {
        Some(space) => {
            let at = from + space;
            at + full[at..].chars().next().map_or(0, char::len_utf8)
        }
        None => from,
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Byte offsets to character offsets, for offsets asked in roughly increasing order.
struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, byte: 0, chars: 0 }
    }

    fn at(&mut self, byte: usize) -> u32 {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::extract::Section;

    fn words(n: usize, word: &str) -> String {
        vec![word; n].join(" ")
    }

    #[test]
    fn chunks_keep_their_page_and_never_cross_one() {
        let extracted = Extracted {
            pages: Some(2),
            sections: vec![
                Section { page: Some(1), heading: None, paragraphs: vec!["one".into()] },
                Section { page: Some(2), heading: None, paragraphs: vec!["two".into()] },
            ],
        };
        let chunks = chunk(&extracted);
        assert_eq!(chunks.len(), 2);
        assert_eq!((chunks[1].text.as_str(), chunks[1].page), ("two", Some(2)));
        assert_eq!((chunks[1].char_start, chunks[1].char_end), (5, 8));
    }

    #[test]
    fn long_sections_are_packed_with_overlap_and_bounded() {
        let paragraphs: Vec<String> = (0..12).map(|i| words(40, &format!("word{i}"))).collect();
        let extracted = Extracted {
            pages: None,
            sections: vec![Section { page: None, heading: Some("H".into()), paragraphs }],
        };
        let chunks = chunk(&extracted);
        assert!(chunks.len() >= 3, "{}", chunks.len());
        for pair in chunks.windows(2) {
            assert!(pair[0].text.len() <= MAX);
            assert!(pair[1].char_start < pair[0].char_end, "no overlap");
        }
        assert!(chunks.iter().all(|c| c.heading.as_deref() == Some("H")));
        let last = chunks.last().unwrap();
        assert!(last.text.ends_with("word11"));
    }

    #[test]
    fn a_paragraph_without_spaces_is_still_cut() {
        let paragraph = "é".repeat(3000);
        let extracted = Extracted {
            pages: None,
            sections: vec![Section { paragraphs: vec![paragraph], ..Section::default() }],
        };
        let chunks = chunk(&extracted);
        assert!(chunks.len() >= 3);
        assert!(chunks.iter().all(|c| c.text.len() <= MAX));
        assert_eq!(chunks.last().unwrap().char_end, 3000);
    }
}
