//! (being written)
use super::{ImportError, Importer, Statement};

pub struct Ofx;

impl Importer for Ofx {
    fn parse(&self, _bytes: &[u8]) -> Result<Vec<Statement>, ImportError> {
        Err(ImportError::new("file", "not yet"))
    }
}
