//! (being written)
use super::{ImportError, Importer, Statement};

pub struct Camt053;

impl Importer for Camt053 {
    fn parse(&self, _bytes: &[u8]) -> Result<Vec<Statement>, ImportError> {
        Err(ImportError::new("file", "not yet"))
    }
}
