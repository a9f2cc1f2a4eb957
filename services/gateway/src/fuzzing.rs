//! A narrow entry for the fuzz targets (`fuzz/`, feature `fuzzing`, never in the product's
//! build): a request compiled to SQL as the server compiles it, against a catalog read from an
//! introspection's JSON instead of from Postgres. The role's schema validates the request (the
//! fast path's extension stops before any resolver runs), then each root field goes through
//! the compiler the way the fast path or the resolvers send it. Nothing reaches a database.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use async_graphql::dynamic::Schema;
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Variables};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::catalog::{Access, Catalog};
use crate::compile::Compiler;
use crate::config::Limits;
use crate::execute::Engine;
use crate::fast::{self, FastPath};
use crate::live::LiveQueries;
use crate::metadata::Metadata;
use crate::sel::Sel;
use crate::session::Session;
use crate::{guard, introspect, nested, schema};

pub use crate::compile::Compiled;

/// The catalog's description of `schemas` as JSON text, read with the gateway's own
/// introspection query (to write the catalog the fuzz target compiles against).
pub async fn read_catalog(db: &sqlx::PgPool, schemas: &[String]) -> anyhow::Result<String> {
    introspect::read_catalog(db, schemas).await
}

/// A catalog, and the schema of each session a request is compiled as.
pub struct CompileTarget {
    catalog: Arc<Catalog>,
    limits: Limits,
    sessions: Vec<(Session, Schema)>,
}

impl CompileTarget {
    /// The catalog of `introspection` (what `read_catalog` wrote) under `metadata`, with the
    /// operator's session and a person's (role `user`, `user_id` as `x-hasura-user-id`).
    pub fn new(
        introspection: &str,
        metadata: &str,
        schemas: &[String],
        user_id: &str,
    ) -> anyhow::Result<Self> {
        let metadata = Metadata::parse(metadata)?;
        let catalog =
            Arc::new(Catalog::build(introspect::parse(introspection)?, &metadata, schemas)?);
        let limits = Limits::default();
        // Never connected: the fast path's extension answers before any resolver runs. No
        // lifetimes or idle timeouts, so the pool spawns no task (and needs no runtime).
        let pool = PgPoolOptions::new()
            .max_lifetime(None)
            .idle_timeout(None)
            .min_connections(0)
            .connect_lazy_with(PgConnectOptions::new());
        let engine = Arc::new(Engine {
            catalog: catalog.clone(),
            limits,
            pool,
            live: LiveQueries::new(std::time::Duration::from_secs(1)),
            validated: Default::default(),
        });
        let person = Session {
            access: Access::Role("user".into()),
            vars: HashMap::from([("x-hasura-user-id".to_owned(), user_id.to_owned())]),
            expires_at: None,
        };
        let operator = Session { access: Access::Admin, vars: HashMap::new(), expires_at: None };
        let mut sessions = Vec::new();
        for session in [operator, person] {
            let schema =
                schema::build(&catalog, &session.access, engine.clone(), &limits, false)
                    .with_context(|| format!("building the schema of {}", session.role_key()))?;
            sessions.push((session, schema));
        }
        Ok(Self { catalog, limits, sessions })
    }

    /// Compiles `query` with `variables` as each session: the guard, validation, then every
    /// root field the compiler answers (nested inserts, which interleave statements with their
    /// results, are left out). Returns the statements compiled and the errors, as text.
    pub fn compile(
        &self,
        query: &str,
        variables: serde_json::Value,
    ) -> Vec<Result<Compiled, String>> {
        let variables = Variables::from_json(variables);
        let document = match guard::parse_bounded(query, &variables, &self.limits) {
            Ok(Some(document)) => document,
            Ok(None) => return Vec::new(),
            Err(error) => return vec![Err(error.message)],
        };
        let mut out = Vec::new();
        for (session, schema) in &self.sessions {
            let marker = Arc::new(FastPath::default());
            let mut request = Request::new(query).variables(variables.clone());
            request.set_parsed_query(document.clone());
            let response = futures::executor::block_on(
                schema.execute(request.data(session.clone()).data(marker.clone())),
            );
            if !marker.validated() {
                out.extend(response.errors.into_iter().map(|e| Err(e.message)));
                continue;
            }
            // A query the fast path takes is compiled from its plan, as the server does.
            if let Some(plan) =
                fast::plan(&document, None, &variables, &self.catalog, &session.access)
            {
                for planned in plan {
                    let compiler = Compiler::new(&self.catalog, session, &self.limits);
                    let compiled = match planned.kind {
                        fast::RootQuery::List => compiler.select_list(planned.table, &planned.sel),
                        fast::RootQuery::ByPk => compiler.select_by_pk(planned.table, &planned.sel),
                        fast::RootQuery::Aggregate => {
                            compiler.select_aggregate(planned.table, &planned.sel)
                        }
                    };
                    out.push(compiled.map_err(|e| e.message));
                }
                continue;
            }
            // A mutation field by field, as its resolver does (a subscription compiles as the
            // query it repeats; the executor answers one through `execute_stream`, not here).
            let Some(op) = fast::operation(&document, None) else { continue };
            let Some(roots) = fast::root_selections(&document, op, &variables) else { continue };
            for sel in &roots {
                let Some((t, kind)) = self.root(op.ty, &sel.name) else { continue };
                if matches!(kind, Kind::Insert(one) if nested::is_nested(&self.catalog, t, sel, one))
                {
                    continue;
                }
                let compiler = Compiler::new(&self.catalog, session, &self.limits);
                out.push(kind.compile(compiler, t, sel).map_err(|e| e.message));
            }
        }
        out
    }

    /// The table and the kind of a root field, by the names the schema gives them (the role's
    /// schema has validated that the field is there for it).
    fn root(&self, ty: OperationType, name: &str) -> Option<(usize, Kind)> {
        for (t, table) in self.catalog.tables.iter().enumerate() {
            let g = table.gql.as_str();
            let kind = match ty {
                OperationType::Query | OperationType::Subscription => {
                    if name == g {
                        Kind::List
                    } else if name.strip_suffix("_by_pk") == Some(g) {
                        Kind::ByPk
                    } else if name.strip_suffix("_aggregate") == Some(g) {
                        Kind::Aggregate
                    } else {
                        continue;
                    }
                }
                OperationType::Mutation => {
                    if name.strip_prefix("insert_").and_then(|n| n.strip_suffix("_one")) == Some(g)
                    {
                        Kind::Insert(true)
                    } else if name.strip_prefix("insert_") == Some(g) {
                        Kind::Insert(false)
                    } else if name.strip_prefix("update_").and_then(|n| n.strip_suffix("_by_pk"))
                        == Some(g)
                    {
                        Kind::Update(true)
                    } else if name.strip_prefix("update_") == Some(g) {
                        Kind::Update(false)
                    } else if name.strip_prefix("delete_").and_then(|n| n.strip_suffix("_by_pk"))
                        == Some(g)
                    {
                        Kind::Delete(true)
                    } else if name.strip_prefix("delete_") == Some(g) {
                        Kind::Delete(false)
                    } else {
                        continue;
                    }
                }
            };
            return Some((t, kind));
        }
        None
    }
}

/// A root field's kind; the flag is `_one` / `_by_pk`.
#[derive(Clone, Copy)]
enum Kind {
    List,
    ByPk,
    Aggregate,
    Insert(bool),
    Update(bool),
    Delete(bool),
}

impl Kind {
    fn compile(
        self,
        compiler: Compiler<'_>,
        t: usize,
        sel: &Sel,
    ) -> crate::errors::GResult<Compiled> {
        match self {
            Kind::List => compiler.select_list(t, sel),
            Kind::ByPk => compiler.select_by_pk(t, sel),
            Kind::Aggregate => compiler.select_aggregate(t, sel),
            Kind::Insert(one) => compiler.insert(t, sel, one),
            Kind::Update(by_pk) => compiler.update(t, sel, by_pk),
            Kind::Delete(by_pk) => compiler.delete(t, sel, by_pk),
        }
    }
}
