//! An uploaded document's bytes as the extractor child reads them: sniffed for its kind (or,
//! by the first byte, read as a kind whatever it is), extracted within small limits and cut
//! into chunks. `extract` turns a parser's panic into a failure by design (and the child's
//! rlimits stand behind it), so panics are caught here too, but a panic in our own code, or
//! an abort, an OOM or a timeout anywhere, is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posey_fuzz::documents::chunk::chunk;
use posey_fuzz::documents::extract::{Kind, Limits, extract, sniff};

const KINDS: [Kind; 5] = [Kind::Pdf, Kind::Docx, Kind::Html, Kind::Markdown, Kind::Text];

fuzz_target!(init: posey_fuzz::panics_outside_dependencies_abort(), |data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let kind = match KINDS.get(usize::from(pick)) {
        Some(kind) => *kind,
        None => match sniff(bytes, "upload") {
            Ok(kind) => kind,
            Err(_) => return,
        },
    };
    // Small limits so a bomb is found within the fuzzer's memory limit.
    let limits = Limits { max_inflated_bytes: 4 << 20, max_text_bytes: 1 << 20, max_chunks: 2_000 };
    if let Ok(extracted) = extract(kind, bytes, &limits) {
        let _ = chunk(&extracted);
    }
});
