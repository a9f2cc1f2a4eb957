//! Reading the tracked schemas' tables from Postgres's catalog: columns and their types, primary
//! keys, unique constraints and foreign keys, in one query returning JSON (so a change is seen by
//! comparing the text).

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct DbTable {
    pub schema: String,
    pub name: String,
    #[serde(default)]
    pub columns: Vec<DbColumn>,
    #[serde(default)]
    pub constraints: Option<Vec<DbConstraint>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DbColumn {
    pub name: String,
    /// The type's name (`int4`, `varchar`, `jsonb`, ...).
    pub udt: String,
    /// The type as SQL spells it, for casts (`character varying(160)`, `app.mood`).
    pub sql_type: String,
    pub nullable: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DbConstraint {
    pub name: String,
    /// `p`rimary key, `u`nique or `f`oreign key.
    pub kind: String,
    pub columns: Vec<String>,
    pub ref_schema: Option<String>,
    pub ref_table: Option<String>,
    pub ref_columns: Option<Vec<String>>,
}

/// The catalog's description of `schemas`, as JSON text: one query returning JSON.
pub async fn read_catalog(db: &sqlx::PgPool, schemas: &[String]) -> anyhow::Result<String> {
    sqlx::query_scalar!(
        r#"
SELECT coalesce(json_agg(t ORDER BY t.schema, t.name), '[]')::text AS "catalog!" FROM (
  SELECT n.nspname AS schema, c.relname AS name,
    coalesce((SELECT json_agg(json_build_object(
        'name', a.attname, 'udt', ty.typname,
        'sql_type', format_type(a.atttypid, a.atttypmod),
        'nullable', NOT a.attnotnull) ORDER BY a.attnum)
      FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
    (SELECT json_agg(json_build_object(
        'name', k.conname, 'kind', k.contype,
        'columns', (SELECT json_agg(a.attname ORDER BY u.ord)
                    FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
        'ref_schema', rn.nspname, 'ref_table', rc.relname,
        'ref_columns', (SELECT json_agg(a.attname ORDER BY u.ord)
                        FROM unnest(k.confkey) WITH ORDINALITY u(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum))
        ORDER BY k.conname)
      FROM pg_constraint k
      LEFT JOIN pg_class rc ON rc.oid = k.confrelid
      LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'f')) AS constraints
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
) t"#,
        schemas
    )
    .fetch_one(db)
    .await
    .context("introspecting the tracked schemas")
}

pub fn parse(text: &str) -> anyhow::Result<Vec<DbTable>> {
    serde_json::from_str(text).context("reading the catalog's description")
}
