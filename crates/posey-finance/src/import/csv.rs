//! (being written)
use super::{ImportError, Importer, Statement};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CsvMapping {}

impl Importer for &CsvMapping {
    fn parse(&self, _bytes: &[u8]) -> Result<Vec<Statement>, ImportError> {
        Err(ImportError::new("file", "not yet"))
    }
}
