//! The metadata file: Hasura's table metadata in YAML. Per tracked table, relationship names
//! (overriding the defaults inferred from foreign keys) and per-role permissions. No rule for a
//! role means no access.

use std::collections::BTreeMap;

use anyhow::Context;
use serde::Deserialize;

/// The metadata built into the binary, used when `GATEWAY_METADATA` is unset.
pub const DEFAULT_METADATA: &str = include_str!("../metadata.yaml");

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    #[serde(default)]
    pub tables: Vec<TableMetadata>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMetadata {
    pub table: QualifiedTable,
    #[serde(default)]
    pub object_relationships: Vec<RelationshipMetadata>,
    #[serde(default)]
    pub array_relationships: Vec<RelationshipMetadata>,
    #[serde(default)]
    pub select_permissions: Vec<RolePermission<SelectPermission>>,
    #[serde(default)]
    pub insert_permissions: Vec<RolePermission<InsertPermission>>,
    #[serde(default)]
    pub update_permissions: Vec<RolePermission<UpdatePermission>>,
    #[serde(default)]
    pub delete_permissions: Vec<RolePermission<DeletePermission>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualifiedTable {
    pub schema: String,
    pub name: String,
}

/// `{name, using: {foreign_key_constraint_on: column | {table, column}}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipMetadata {
    pub name: String,
    pub using: RelationshipUsing,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipUsing {
    pub foreign_key_constraint_on: ForeignKeyOn,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ForeignKeyOn {
    /// An object relationship: this table's column.
    Column(String),
    /// An array relationship: the referencing table and its column.
    Remote { table: QualifiedTable, column: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePermission<P> {
    pub role: String,
    pub permission: P,
}

/// `"*"` or a list of columns.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Columns {
    All(String),
    Some(Vec<String>),
}

impl Default for Columns {
    fn default() -> Self {
        Self::Some(Vec::new())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectPermission {
    #[serde(default)]
    pub columns: Columns,
    #[serde(default = "empty_object")]
    pub filter: serde_json::Value,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub allow_aggregations: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsertPermission {
    #[serde(default)]
    pub columns: Columns,
    #[serde(default = "empty_object")]
    pub check: serde_json::Value,
    #[serde(default)]
    pub set: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePermission {
    #[serde(default)]
    pub columns: Columns,
    #[serde(default = "empty_object")]
    pub filter: serde_json::Value,
    #[serde(default)]
    pub check: Option<serde_json::Value>,
    #[serde(default)]
    pub set: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletePermission {
    #[serde(default = "empty_object")]
    pub filter: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl Metadata {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        serde_yaml_ng::from_str(text).context("the gateway metadata is not valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_metadata_parses() {
        let metadata = Metadata::parse(DEFAULT_METADATA).unwrap_or_default();
        assert!(!metadata.tables.is_empty());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(
            Metadata::parse("tables:\n- table: {schema: app, name: t}\n  selects: []\n").is_err()
        );
    }
}
