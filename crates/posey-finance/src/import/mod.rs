//! Bank statements read from the files banks give out: CSV with a saved mapping per bank
//! ([`csv::CsvMapping`]), OFX 1.x (SGML) and 2.x (XML) / QFX, and ISO 20022 CAMT.053; each
//! behind [`Importer`], each giving [`Statement`]s or an [`ImportError`] that names where the
//! file is broken. What a line is once imported (its dedupe key) is [`dedupe`]'s.

pub mod camt;
pub mod csv;
pub mod dedupe;
pub mod ofx;
mod statement;

pub use statement::{AccountRef, Balance, ImportError, Importer, Statement, StatementLine};

use serde::{Deserialize, Serialize};

/// The formats, as an upload names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
// One per upload and never in a collection: boxing the mapping would only make it harder to build.
#[expect(clippy::large_enum_variant, reason = "one per upload")]
pub enum Format {
    Csv {
        mapping: csv::CsvMapping,
    },
    /// OFX 1.x or 2.x, and QFX (which is OFX).
    Ofx,
    Camt053,
}

impl Format {
    pub fn importer(&self) -> Box<dyn Importer + '_> {
        match self {
            Self::Csv { mapping } => Box::new(mapping),
            Self::Ofx => Box::new(ofx::Ofx),
            Self::Camt053 => Box::new(camt::Camt053),
        }
    }
}

/// The format a file's first bytes show (OFX's header or root, CAMT's namespace); `None`: it
/// may be CSV, which needs a mapping.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_uppercase();
    if head.contains("OFXHEADER") || head.contains("<OFX>") {
        Some(Format::Ofx)
    } else if head.contains("CAMT.053") {
        Some(Format::Camt053)
    } else {
        None
    }
}
