//! Nested inserts through relationships (`insert_albums_one(object: {title, artist: {data: {...}}
//! tracks: {data: [...]}})`): the rows an object points at are inserted first, then the object
//! with their keys, then the rows pointing at it with its key; all in the request's transaction,
//! each table's insert rule (columns, presets, check) applied. The answer is then read back in
//! one statement, so its relationships see the new rows.

use async_graphql::indexmap::IndexMap;
use async_graphql::{Name, Value};
use sqlx::{PgConnection, Row};

use crate::catalog::{Catalog, RelKind};
use crate::compile::{Compiled, Compiler};
use crate::errors::{GResult, GatewayError};
use crate::execute::{Engine, TxSlot, bind_all};
use crate::sel::Sel;
use crate::session::Session;

type Object = IndexMap<Name, Value>;

/// Whether an insert's objects carry relationship data (else it is one plain INSERT).
pub fn is_nested(catalog: &Catalog, t: usize, sel: &Sel, one: bool) -> bool {
    let table = catalog.table(t);
    let has_rel = |o: &Value| match o {
        Value::Object(map) => map.keys().any(|k| table.relationship(k).is_some()),
        _ => false,
    };
    match sel.arg(if one { "object" } else { "objects" }) {
        Some(Value::List(items)) => items.iter().any(has_rel),
        Some(object) => has_rel(object),
        None => false,
    }
}

impl Engine {
    pub async fn insert_nested(
        &self,
        slot: Option<&TxSlot>,
        session: &Session,
        t: usize,
        sel: &Sel,
        one: bool,
    ) -> GResult<Option<serde_json::Value>> {
        let Some(slot) = slot else {
            let own = TxSlot::default();
            let result = Box::pin(self.insert_nested(Some(&own), session, t, sel, one)).await;
            own.finish(result.is_ok()).await?;
            return result;
        };
        if sel.arg("on_conflict").is_some() {
            return Err(GatewayError::validation(
                "on_conflict is not supported with nested inserts",
            ));
        }
        let objects: Vec<&Object> = match sel.arg(if one { "object" } else { "objects" }) {
            Some(Value::List(items)) => items.iter().map(as_object).collect::<GResult<_>>()?,
            Some(object) => vec![as_object(object)?],
            None => return Err(GatewayError::validation("objects are required")),
        };
        let mut guard = slot.0.lock().await;
        if guard.is_none() {
            *guard = Some(self.pool.begin().await.map_err(|e| GatewayError::from_db(&e))?);
        }
        let Some(tx) = guard.as_mut() else {
            return Err(GatewayError::new("unexpected", "no transaction"));
        };
        let mut affected = 0u64;
        let mut rows = Vec::with_capacity(objects.len());
        for object in objects {
            rows.push(
                self.insert_tree(tx, session, t, object, &Object::new(), &mut affected).await?,
            );
        }
        let answer = Compiler::new(&self.catalog, session, &self.limits)
            .inserted_answer(t, sel, one, &rows, affected)?;
        fetch_j(tx, &answer).await
    }

    /// Inserts `object` into `t` with its related rows; returns the new row.
    fn insert_tree<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        session: &'a Session,
        t: usize,
        object: &'a Object,
        implicit: &'a Object,
        affected: &'a mut u64,
    ) -> futures::future::BoxFuture<'a, GResult<serde_json::Value>> {
        Box::pin(async move {
            let table = self.catalog.table(t);
            let mut keys = implicit.clone();
            // The rows this one points at come first; their keys fill this row's columns.
            for (name, value) in object {
                let Some(rel) = table.relationship(name) else { continue };
                if rel.kind != RelKind::Object {
                    continue;
                }
                let data = rel_data(value)?;
                let [one] = data.as_slice() else {
                    return Err(GatewayError::validation(format!(
                        "{name}: data must be one object"
                    )));
                };
                let parent = self
                    .insert_tree(conn, session, rel.target, one, &Object::new(), affected)
                    .await?;
                for (local, remote) in &rel.mapping {
                    keys.insert(Name::new(local), json_value(parent.get(remote)));
                }
            }
            let compiled =
                Compiler::new(&self.catalog, session, &self.limits).insert_row(t, object, &keys)?;
            let row = bind_all(&compiled.sql, &compiled.params)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| GatewayError::from_db(&e))?;
            let ok: bool = row.try_get("ok").map_err(|e| GatewayError::from_db(&e))?;
            if !ok {
                return Err(GatewayError::permission(
                    "check constraint of an insert permission has failed",
                ));
            }
            let inserted: serde_json::Value =
                row.try_get("j").map_err(|e| GatewayError::from_db(&e))?;
            *affected += 1;
            // Then the rows pointing at it, with its key.
            for (name, value) in object {
                let Some(rel) = table.relationship(name) else { continue };
                if rel.kind != RelKind::Array {
                    continue;
                }
                let mut child_keys = Object::new();
                for (local, remote) in &rel.mapping {
                    child_keys.insert(Name::new(remote), json_value(inserted.get(local)));
                }
                for child in rel_data(value)? {
                    self.insert_tree(conn, session, rel.target, child, &child_keys, affected)
                        .await?;
                }
            }
            Ok(inserted)
        })
    }
}

async fn fetch_j(conn: &mut PgConnection, c: &Compiled) -> GResult<Option<serde_json::Value>> {
    let row =
        bind_all(&c.sql, &c.params).fetch_one(conn).await.map_err(|e| GatewayError::from_db(&e))?;
    row.try_get::<Option<serde_json::Value>, _>("j").map_err(|e| GatewayError::from_db(&e))
}

fn as_object(value: &Value) -> GResult<&Object> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(GatewayError::validation("each object must be an object")),
    }
}

/// The `data` of a relationship's insert input: one object or a list.
fn rel_data(value: &Value) -> GResult<Vec<&Object>> {
    let Value::Object(input) = value else {
        return Err(GatewayError::validation("a relationship insert is {data: ...}"));
    };
    match input.get("data") {
        Some(Value::List(items)) => items.iter().map(as_object).collect(),
        Some(object) => Ok(vec![as_object(object)?]),
        None => Err(GatewayError::validation("a relationship insert needs data")),
    }
}

fn json_value(value: Option<&serde_json::Value>) -> Value {
    value.cloned().and_then(|v| Value::from_json(v).ok()).unwrap_or(Value::Null)
}
