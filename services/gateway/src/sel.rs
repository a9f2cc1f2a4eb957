//! A selection as the compiler reads it: the response key, the field's name, its arguments
//! (variables substituted, in the order written) and its sub-selection, fragments flattened.

use async_graphql::context::SelectionField;
use async_graphql::indexmap::IndexMap;
use async_graphql::{Name, Value};

use crate::errors::{GResult, GatewayError};

#[derive(Debug, Clone)]
pub struct Sel {
    /// The alias, or the name.
    pub key: String,
    pub name: String,
    pub args: IndexMap<Name, Value>,
    pub children: Vec<Sel>,
}

impl Sel {
    pub fn from_field(field: SelectionField<'_>) -> GResult<Self> {
        let args = field
            .arguments()
            .map_err(|e| GatewayError::validation(e.message))?
            .into_iter()
            .collect();
        let mut children = Vec::new();
        for child in field.selection_set() {
            // `__typename` is answered by the executor, not the database.
            if child.name() == "__typename" {
                continue;
            }
            children.push(Sel::from_field(child)?);
        }
        Ok(Sel {
            key: field.alias().unwrap_or(field.name()).to_owned(),
            name: field.name().to_owned(),
            args,
            children,
        })
    }

    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.get(name).filter(|v| !matches!(v, Value::Null))
    }
}
