//! The fast path for plain queries, as Hasura answers them: async-graphql still parses and
//! validates the operation against the role's schema (so every permission and limit holds),
//! but instead of resolving field by field, each root field's JSON text from Postgres is
//! spliced into the response as it is. Used when the operation is a query of table root fields
//! with no directives, no `__typename` and no repeated response keys; anything else takes the
//! ordinary executor.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Name, Response, Value, Variables};

use crate::catalog::{Access, Catalog};
use crate::sel::Sel;

/// In a request's data (as `Arc<FastPath>`): validation passed, and the handler answers it (set by the extension).
#[derive(Default)]
pub struct FastPath(AtomicBool);

impl FastPath {
    pub fn validated(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Stops execution after validation for requests carrying a `FastPath`.
pub struct FastPathExtension;

impl ExtensionFactory for FastPathExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FastPathHook)
    }
}

struct FastPathHook;

#[async_trait::async_trait]
impl Extension for FastPathHook {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        match ctx.data_opt::<Arc<FastPath>>() {
            Some(fast) => {
                fast.0.store(true, Ordering::Release);
                Response::new(Value::Null)
            }
            None => next.run(ctx, operation_name).await,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum RootQuery {
    List,
    ByPk,
    Aggregate,
}

/// A root field to answer: its response key, table, kind and selection.
pub struct Planned {
    pub key: String,
    pub table: usize,
    pub kind: RootQuery,
    pub sel: Sel,
}

/// The plan of a request that can take the fast path, or `None`.
pub fn plan(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    catalog: &Catalog,
    access: &Access,
) -> Option<Vec<Planned>> {
    let op = operation(document, operation_name)?;
    if op.ty != OperationType::Query {
        return None;
    }
    let mut planned = Vec::new();
    for sel in root_selections(document, op, variables)? {
        let (table, kind) = root_of(catalog, access, &sel.name)?;
        planned.push(Planned { key: sel.key.clone(), table, kind, sel });
    }
    Some(planned)
}

/// The operation a request runs.
pub fn operation<'d>(
    document: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    Some(&operation.node)
}

/// The operation's root fields as the compiler reads them (fragments flattened, variables and
/// their defaults substituted), or `None` if it needs the executor (directives, `__` fields,
/// repeated response keys).
pub fn root_selections(
    document: &ExecutableDocument,
    op: &OperationDefinition,
    variables: &Variables,
) -> Option<Vec<Sel>> {
    if !op.directives.is_empty() {
        return None;
    }
    let mut values = variables.clone();
    for definition in &op.variable_definitions {
        let name = &definition.node.name.node;
        if !values.contains_key(name)
            && let Some(default) = definition.node.default_value()
        {
            values.insert(name.clone(), default.clone());
        }
    }
    let builder = Builder { document, variables: &values };
    builder.selection(&op.selection_set.node, 0)
}

fn root_of(catalog: &Catalog, access: &Access, name: &str) -> Option<(usize, RootQuery)> {
    for (t, table) in catalog.tables.iter().enumerate() {
        let kind = if name == table.gql {
            RootQuery::List
        } else if name.strip_suffix("_by_pk") == Some(table.gql.as_str()) {
            RootQuery::ByPk
        } else if name.strip_suffix("_aggregate") == Some(table.gql.as_str()) {
            RootQuery::Aggregate
        } else {
            continue;
        };
        table.select(access)?;
        return Some((t, kind));
    }
    None
}

struct Builder<'d> {
    document: &'d ExecutableDocument,
    variables: &'d Variables,
}

/// Deeper than any schema allows (validation's depth limit holds first); guards the recursion.
const MAX_DEPTH: usize = 64;

impl Builder<'_> {
    /// The fields of a selection set, fragments flattened; `None` if it needs the executor.
    fn selection(&self, set: &SelectionSet, depth: usize) -> Option<Vec<Sel>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut out = Vec::new();
        let mut keys = HashSet::new();
        self.collect(set, depth, &mut out, &mut keys, &mut HashSet::new())?;
        Some(out)
    }

    fn collect(
        &self,
        set: &SelectionSet,
        depth: usize,
        out: &mut Vec<Sel>,
        keys: &mut HashSet<String>,
        fragments: &mut HashSet<Name>,
    ) -> Option<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if !field.directives.is_empty() || name.starts_with("__") {
                        return None;
                    }
                    let key = field.alias.as_ref().map_or(name, |a| a.node.as_str()).to_owned();
                    // A repeated key would need merging; the executor does that.
                    if !keys.insert(key.clone()) {
                        return None;
                    }
                    let mut args = async_graphql::indexmap::IndexMap::new();
                    for (arg, value) in &field.arguments {
                        let value = value
                            .node
                            .clone()
                            .into_const_with(|var| self.variables.get(&var).cloned().ok_or(()))
                            .ok()?;
                        args.insert(arg.node.clone(), value);
                    }
                    let children = self.selection(&field.selection_set.node, depth + 1)?;
                    out.push(Sel { key, name: name.to_owned(), args, children });
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    if !spread.directives.is_empty() {
                        return None;
                    }
                    let name = &spread.fragment_name.node;
                    // A cycle is a validation error; stop rather than loop.
                    if !fragments.insert(name.clone()) {
                        return None;
                    }
                    let fragment = self.document.fragments.get(name)?;
                    self.collect(&fragment.node.selection_set.node, depth, out, keys, fragments)?;
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    if !inline.directives.is_empty() {
                        return None;
                    }
                    self.collect(&inline.selection_set.node, depth, out, keys, fragments)?;
                }
            }
        }
        Some(())
    }
}
