//! The engine's model: tracked tables with their GraphQL names, columns, keys, relationships
//! (inferred from foreign keys with Hasura's default names, renamed by metadata) and each role's
//! permissions. Built from an introspection and the metadata; rebuilt when either changes.

use std::collections::{BTreeMap, HashMap};

use anyhow::bail;
use async_graphql::Value;

use crate::config::is_identifier;
use crate::introspect::DbTable;
use crate::metadata::{Columns, ForeignKeyOn, Metadata, QualifiedTable};

#[derive(Debug, Default)]
pub struct Catalog {
    pub tables: Vec<Table>,
    by_qualified: HashMap<QualifiedTable, usize>,
}

#[derive(Debug)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// The GraphQL name (`albums`, `cron_notifications`).
    pub gql: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Unique and primary key constraints, for `on_conflict`.
    pub unique_constraints: Vec<String>,
    pub relationships: Vec<Relationship>,
    pub permissions: HashMap<String, RolePermissions>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub sql_type: String,
    /// The GraphQL scalar (`Int`, `String`, `uuid`, `jsonb`, ...).
    pub scalar: String,
    pub nullable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Object,
    Array,
}

#[derive(Debug, Clone)]
pub struct Relationship {
    pub name: String,
    pub kind: RelKind,
    pub target: usize,
    /// (this table's column, the target's column)
    pub mapping: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct RolePermissions {
    pub select: Option<SelectPerm>,
    pub insert: Option<InsertPerm>,
    pub update: Option<UpdatePerm>,
    pub delete: Option<DeletePerm>,
}

#[derive(Debug, Clone)]
pub struct SelectPerm {
    pub columns: Vec<String>,
    pub filter: Value,
    pub limit: Option<u64>,
    pub allow_aggregations: bool,
}

#[derive(Debug, Clone)]
pub struct InsertPerm {
    pub columns: Vec<String>,
    pub check: Value,
    pub set: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
pub struct UpdatePerm {
    pub columns: Vec<String>,
    pub filter: Value,
    pub check: Option<Value>,
    pub set: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
pub struct DeletePerm {
    pub filter: Value,
}

/// Who is asking: the operator (everything) or a role (what its metadata grants).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Access {
    Admin,
    Role(String),
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn relationship(&self, name: &str) -> Option<&Relationship> {
        self.relationships.iter().find(|r| r.name == name)
    }

    /// The qualified name, quoted for SQL.
    pub fn sql_name(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.name))
    }

    fn all_columns(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    fn empty_filter() -> Value {
        Value::Object(Default::default())
    }

    /// The select rule `access` has on this table.
    pub fn select(&self, access: &Access) -> Option<SelectPerm> {
        match access {
            Access::Admin => Some(SelectPerm {
                columns: self.all_columns(),
                filter: Self::empty_filter(),
                limit: None,
                allow_aggregations: true,
            }),
            Access::Role(role) => self.permissions.get(role)?.select.clone(),
        }
    }

    pub fn insert(&self, access: &Access) -> Option<InsertPerm> {
        match access {
            Access::Admin => Some(InsertPerm {
                columns: self.all_columns(),
                check: Self::empty_filter(),
                set: BTreeMap::new(),
            }),
            Access::Role(role) => self.permissions.get(role)?.insert.clone(),
        }
    }

    pub fn update(&self, access: &Access) -> Option<UpdatePerm> {
        match access {
            Access::Admin => Some(UpdatePerm {
                columns: self.all_columns(),
                filter: Self::empty_filter(),
                check: None,
                set: BTreeMap::new(),
            }),
            Access::Role(role) => self.permissions.get(role)?.update.clone(),
        }
    }

    pub fn delete(&self, access: &Access) -> Option<DeletePerm> {
        match access {
            Access::Admin => Some(DeletePerm { filter: Self::empty_filter() }),
            Access::Role(role) => self.permissions.get(role)?.delete.clone(),
        }
    }

    /// Whether `access` may see `column` (select rule).
    pub fn can_see(&self, access: &Access, column: &str) -> bool {
        self.select(access).is_some_and(|p| p.columns.iter().any(|c| c == column))
    }
}

/// Quotes an identifier for SQL.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The GraphQL scalar of a Postgres type (Hasura's names).
fn scalar_of(udt: &str) -> String {
    match udt {
        "int2" | "int4" => "Int",
        "int8" => "bigint",
        "float4" | "float8" => "Float",
        "numeric" => "numeric",
        "bool" => "Boolean",
        "text" | "varchar" | "bpchar" | "name" | "citext" => "String",
        "uuid" => "uuid",
        "json" => "json",
        "jsonb" => "jsonb",
        "timestamptz" => "timestamptz",
        "timestamp" => "timestamp",
        "date" => "date",
        "time" => "time",
        "timetz" => "timetz",
        "interval" => "interval",
        "bytea" => "bytea",
        "inet" => "inet",
        other if other.starts_with('_') => "String",
        // Enums and other types travel as their text form.
        _ => "String",
    }
    .to_owned()
}

/// Whether values of `scalar` add up (sum, avg, _inc).
pub fn is_numeric(scalar: &str) -> bool {
    matches!(scalar, "Int" | "bigint" | "Float" | "numeric")
}

impl Catalog {
    pub fn build(
        db: Vec<DbTable>,
        metadata: &Metadata,
        schemas: &[String],
    ) -> anyhow::Result<Self> {
        let default_schema = schemas.first().map(String::as_str).unwrap_or("public");
        let mut catalog = Catalog::default();
        let mut constraints = Vec::new();
        for t in db {
            if !is_identifier(&t.name) {
                tracing::warn!(table = %t.name, "table not tracked: its name is not a GraphQL name");
                continue;
            }
            let gql = if t.schema == default_schema {
                t.name.clone()
            } else {
                format!("{}_{}", t.schema, t.name)
            };
            let columns: Vec<Column> = t
                .columns
                .iter()
                .filter(|c| is_identifier(&c.name))
                .map(|c| Column {
                    name: c.name.clone(),
                    sql_type: c.sql_type.clone(),
                    scalar: scalar_of(&c.udt),
                    nullable: c.nullable,
                })
                .collect();
            let cons = t.constraints.unwrap_or_default();
            let primary_key =
                cons.iter().find(|k| k.kind == "p").map(|k| k.columns.clone()).unwrap_or_default();
            let unique_constraints =
                cons.iter().filter(|k| k.kind != "f").map(|k| k.name.clone()).collect();
            catalog.by_qualified.insert(
                QualifiedTable { schema: t.schema.clone(), name: t.name.clone() },
                catalog.tables.len(),
            );
            catalog.tables.push(Table {
                schema: t.schema,
                name: t.name,
                gql,
                columns,
                primary_key,
                unique_constraints,
                relationships: Vec::new(),
                permissions: HashMap::new(),
            });
            constraints.push(cons);
        }
        catalog.infer_relationships(&constraints);
        for tm in &metadata.tables {
            let Some(&index) = catalog.by_qualified.get(&tm.table) else {
                // Absent tables are normal until their owner creates them (the calendar plugin's,
                // when the agents service first starts): the next catalog check picks them up.
                tracing::warn!(schema = %tm.table.schema, table = %tm.table.name,
                    "metadata names a table that is not tracked (not created yet, or outside GATEWAY_SCHEMAS)");
                continue;
            };
            catalog.apply_relationship_names(index, tm)?;
            catalog.apply_permissions(index, tm)?;
        }
        Ok(catalog)
    }

    fn infer_relationships(&mut self, constraints: &[Vec<crate::introspect::DbConstraint>]) {
        for (index, cons) in constraints.iter().enumerate() {
            for fk in cons.iter().filter(|k| k.kind == "f") {
                let (Some(schema), Some(table), Some(ref_columns)) =
                    (&fk.ref_schema, &fk.ref_table, &fk.ref_columns)
                else {
                    continue;
                };
                let key = QualifiedTable { schema: schema.clone(), name: table.clone() };
                let Some(&target) = self.by_qualified.get(&key) else { continue };
                let mapping: Vec<(String, String)> =
                    fk.columns.iter().cloned().zip(ref_columns.iter().cloned()).collect();
                // Object relationship: the column without `_id` (or the target's name).
                let object_name = match fk.columns.as_slice() {
                    [one] if one.ends_with("_id") && one.len() > 3 => {
                        one[..one.len() - 3].to_owned()
                    }
                    _ => self.tables[target].gql.clone(),
                };
                self.add_relationship(index, object_name, RelKind::Object, target, mapping.clone());
                // Array relationship on the target: the referencing table's name.
                let array_name = self.tables[index].gql.clone();
                let reversed = mapping.into_iter().map(|(a, b)| (b, a)).collect();
                self.add_relationship(target, array_name, RelKind::Array, index, reversed);
            }
        }
    }

    fn add_relationship(
        &mut self,
        table: usize,
        mut name: String,
        kind: RelKind,
        target: usize,
        mapping: Vec<(String, String)>,
    ) {
        let t = &self.tables[table];
        // A name taken by a column or an earlier relationship gets a suffix rather than a clash.
        while t.column(&name).is_some() || t.relationship(&name).is_some() {
            name.push_str(match kind {
                RelKind::Object => "_object",
                RelKind::Array => "_array",
            });
        }
        self.tables[table].relationships.push(Relationship { name, kind, target, mapping });
    }

    fn apply_relationship_names(
        &mut self,
        index: usize,
        tm: &crate::metadata::TableMetadata,
    ) -> anyhow::Result<()> {
        let rels = tm.object_relationships.iter().chain(&tm.array_relationships);
        for rel in rels {
            if !is_identifier(&rel.name) {
                bail!("relationship name {:?} is not a GraphQL name", rel.name);
            }
            let found = match &rel.using.foreign_key_constraint_on {
                ForeignKeyOn::Column(column) => {
                    self.tables[index].relationships.iter().position(|r| {
                        r.kind == RelKind::Object
                            && r.mapping.len() == 1
                            && &r.mapping[0].0 == column
                    })
                }
                ForeignKeyOn::Remote { table, column } => {
                    let remote = self.by_qualified.get(table).copied();
                    self.tables[index].relationships.iter().position(|r| {
                        r.kind == RelKind::Array
                            && Some(r.target) == remote
                            && r.mapping.len() == 1
                            && &r.mapping[0].1 == column
                    })
                }
            };
            let Some(position) = found else {
                bail!(
                    "relationship {} of {}.{}: no such foreign key",
                    rel.name,
                    tm.table.schema,
                    tm.table.name
                );
            };
            self.tables[index].relationships[position].name = rel.name.clone();
        }
        Ok(())
    }

    fn apply_permissions(
        &mut self,
        index: usize,
        tm: &crate::metadata::TableMetadata,
    ) -> anyhow::Result<()> {
        let table = &mut self.tables[index];
        let label = format!("{}.{}", table.schema, table.name);
        let expand = |columns: &Columns, table: &Table| -> anyhow::Result<Vec<String>> {
            match columns {
                Columns::All(star) if star == "*" => Ok(table.all_columns()),
                Columns::All(other) => {
                    bail!("{label}: columns must be \"*\" or a list, not {other:?}")
                }
                Columns::Some(list) => {
                    for c in list {
                        if table.column(c).is_none() {
                            bail!("{label}: no column {c}");
                        }
                    }
                    Ok(list.clone())
                }
            }
        };
        let presets = |set: &BTreeMap<String, serde_json::Value>| -> BTreeMap<String, Value> {
            set.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()
        };
        for p in &tm.select_permissions {
            let columns = expand(&p.permission.columns, table)?;
            let entry = table.permissions.entry(p.role.clone()).or_default();
            entry.select = Some(SelectPerm {
                columns,
                filter: to_value(&p.permission.filter),
                limit: p.permission.limit,
                allow_aggregations: p.permission.allow_aggregations,
            });
        }
        for p in &tm.insert_permissions {
            let columns = expand(&p.permission.columns, table)?;
            let entry = table.permissions.entry(p.role.clone()).or_default();
            entry.insert = Some(InsertPerm {
                columns,
                check: to_value(&p.permission.check),
                set: presets(&p.permission.set),
            });
        }
        for p in &tm.update_permissions {
            let columns = expand(&p.permission.columns, table)?;
            let entry = table.permissions.entry(p.role.clone()).or_default();
            entry.update = Some(UpdatePerm {
                columns,
                filter: to_value(&p.permission.filter),
                check: p.permission.check.as_ref().map(to_value),
                set: presets(&p.permission.set),
            });
        }
        for p in &tm.delete_permissions {
            let entry = table.permissions.entry(p.role.clone()).or_default();
            entry.delete = Some(DeletePerm { filter: to_value(&p.permission.filter) });
        }
        Ok(())
    }

    pub fn table(&self, index: usize) -> &Table {
        &self.tables[index]
    }
}

fn to_value(json: &serde_json::Value) -> Value {
    Value::from_json(json.clone()).unwrap_or(Value::Null)
}
