//! Hostile inputs built in memory, for the tests that prove no person can take a service down
//! with them (issue 12): a PDF whose page tree claims more pages than exist, a zip-bomb Word
//! document, and text nested past any sane depth. Nothing here is committed as a binary.

use std::io::Write;

/// A hand-written PDF whose page tree holds one page twice (directly, then under an
/// intermediate node) and claims `count` pages, with a correct cross-reference table. After
/// the first page, lopdf's page iterator sizes what is left from the intermediate node's
/// `/Count`.
pub fn pdf_claiming(count: u64) -> Vec<u8> {
    let content = "BT /F1 12 Tf 72 720 Td (A page among very many.) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!("<< /Type /Pages /Kids [4 0 R 3 0 R] /Count {count} >>"),
        format!("<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count {count} >>"),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R \
         /Resources << /Font << /F1 6 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut bytes = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(bytes.len());
        bytes.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = bytes.len();
    bytes.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        bytes.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    bytes.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    bytes
}

/// A DOCX whose word/document.xml is `paragraphs` copies of one paragraph: it compresses to
/// almost nothing.
pub fn docx_of(paragraphs: usize) -> Vec<u8> {
    let paragraph = "<w:p><w:r><w:t>All work and no play makes a dull document, again and \
                     again and again.</w:t></w:r></w:p>";
    let mut bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        zip.start_file("word/document.xml", options).expect("writing to memory");
        zip.write_all(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document \
              xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>",
        )
        .expect("writing to memory");
        let block = paragraph.repeat(1000);
        for _ in 0..paragraphs / 1000 {
            zip.write_all(block.as_bytes()).expect("writing to memory");
        }
        zip.write_all(paragraph.repeat(paragraphs % 1000).as_bytes()).expect("writing to memory");
        zip.write_all(b"</w:body></w:document>").expect("writing to memory");
        zip.finish().expect("writing to memory");
    }
    bytes
}

/// `open` repeated `levels` times, then `inner`, then `close` as many times: a GraphQL filter
/// (`nested("{_not: ", "{id: {_eq: 1}}", "}", 2_000)`), a list, a selection or JSON nested
/// past any sane depth.
pub fn nested(open: &str, inner: &str, close: &str, levels: usize) -> String {
    let mut text = String::with_capacity((open.len() + close.len()) * levels + inner.len());
    for _ in 0..levels {
        text.push_str(open);
    }
    text.push_str(inner);
    for _ in 0..levels {
        text.push_str(close);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bombs_are_small_and_claim_what_they_say() {
        let pdf = pdf_claiming(1_000_000_000_000_000);
        assert!(pdf.len() < 1024, "{} bytes", pdf.len());
        assert!(String::from_utf8_lossy(&pdf).contains("/Count 1000000000000000"));
        assert!(docx_of(100_000).len() < 200_000);
        assert_eq!(nested("{_and: [", "{}", "]}", 2), "{_and: [{_and: [{}]}]}");
    }
}
