//! The compiler: each root field becomes ONE SQL statement that builds its whole JSON answer in
//! Postgres (`json_build_object`, `json_agg`, `LEFT JOIN LATERAL` per relationship, limits pushed
//! into the subqueries). Every value is a bind parameter (sent as text and cast to the column's
//! type), so the SQL text depends only on the query's shape.

use std::collections::BTreeMap;

use async_graphql::indexmap::IndexMap;
use async_graphql::{Name, Value};

use crate::catalog::{Access, Catalog, RelKind, Relationship, Table, is_numeric, quote};
use crate::config::Limits;
use crate::errors::{GResult, GatewayError};
use crate::sel::Sel;
use crate::session::Session;

/// A statement and its parameters (text, or NULL).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// Levels the compiler allows past the request's nesting limit, for the permission rules it
/// adds inside a request's filters and selections.
const RULE_NESTING: usize = 32;

/// The rows a list may cost when neither the query nor the role bounds it.
const UNBOUNDED_LIST_COST: u64 = 100;

pub struct Compiler<'a> {
    catalog: &'a Catalog,
    access: &'a Access,
    session: &'a Session,
    /// `None` for the operator: no caps.
    limits: Option<&'a Limits>,
    params: Vec<Option<String>>,
    aliases: usize,
    cost: u64,
    multiplier: u64,
    /// How deep the compiler has recursed, and how deep it may (for every role).
    depth: usize,
    max_depth: usize,
}

#[derive(Default)]
struct ListArgs<'v> {
    filter: Option<&'v Value>,
    order_by: Option<&'v Value>,
    limit: Option<u64>,
    offset: Option<u64>,
    distinct_on: Vec<String>,
}

impl<'a> Compiler<'a> {
    pub fn new(catalog: &'a Catalog, session: &'a Session, limits: &'a Limits) -> Self {
        // The request's nesting was bounded before parsing; permission rules nest inside it.
        let max_depth = limits.max_nesting + RULE_NESTING;
        let limits = match session.access {
            Access::Admin => None,
            Access::Role(_) => Some(limits),
        };
        Self {
            catalog,
            access: &session.access,
            session,
            limits,
            params: Vec::new(),
            aliases: 0,
            cost: 0,
            multiplier: 1,
            depth: 0,
            max_depth,
        }
    }

    fn finish(self, sql: String) -> GResult<Compiled> {
        if let Some(limits) = self.limits
            && self.cost > limits.max_cost
        {
            return Err(GatewayError::validation(format!(
                "the query costs {} (fields times list limits), more than the limit of {}",
                self.cost, limits.max_cost
            )));
        }
        Ok(Compiled { sql, params: self.params })
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("_t{}", self.aliases)
    }

    fn table(&self, t: usize) -> &'a Table {
        self.catalog.table(t)
    }

    /// Binds `text` as a parameter cast to `sql_type`.
    fn bind(&mut self, text: Option<String>, sql_type: &str) -> String {
        self.params.push(text);
        format!("${}::{}", self.params.len(), sql_type)
    }

    /// The text form of a value; in a permission rule, `X-Hasura-*` strings are session variables.
    /// Every value bound to a statement comes through here, so this is where a NUL character is
    /// refused: Postgres' `text` and `jsonb` cannot hold one.
    fn text_of(&self, value: &Value, permission: bool) -> GResult<Option<String>> {
        if let Some(nul) = find_nul(value) {
            return Err(nul);
        }
        let text = self.text_of_checked(value, permission)?;
        // A session variable's value, too.
        if text.as_deref().is_some_and(|t| t.contains('\0')) {
            return Err(nul_error());
        }
        Ok(text)
    }

    fn text_of_checked(&self, value: &Value, permission: bool) -> GResult<Option<String>> {
        Ok(match value {
            Value::Null => None,
            Value::String(s) if permission && s.to_ascii_lowercase().starts_with("x-hasura-") => {
                Some(
                    self.session
                        .var(s)
                        .ok_or_else(|| {
                            GatewayError::permission(format!("missing session variable {s}"))
                        })?
                        .to_owned(),
                )
            }
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Boolean(b) => Some(b.to_string()),
            Value::Enum(e) => Some(e.to_string()),
            other => {
                Some(
                    serde_json::to_string(&other.clone().into_json().map_err(|_| {
                        GatewayError::validation("a value could not be read as JSON")
                    })?)
                    .unwrap_or_default(),
                )
            }
        })
    }

    /// One level deeper into the request (a filter, an ordering, a selection). The request's
    /// nesting was bounded before parsing; this keeps the compiler's own recursion bounded
    /// whatever reaches it (a permission rule from the metadata, say).
    fn descend(&mut self) -> GResult<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(GatewayError::validation(format!(
                "the query, with the permission rules it meets, nests more than {} levels deep",
                self.max_depth
            )));
        }
        Ok(())
    }

    fn add_cost(&mut self, n: u64) {
        self.cost = self.cost.saturating_add(n.saturating_mul(self.multiplier));
    }

    // ---- boolean expressions -------------------------------------------------------------

    /// A `t_bool_exp` on the row `alias` of table `t`. `permission`: a rule from the metadata
    /// (session variables allowed, hidden columns allowed, relationships unfiltered).
    fn bool_exp(
        &mut self,
        t: usize,
        alias: &str,
        exp: &Value,
        permission: bool,
    ) -> GResult<String> {
        self.descend()?;
        let sql = self.bool_exp_at(t, alias, exp, permission);
        self.depth -= 1;
        sql
    }

    fn bool_exp_at(
        &mut self,
        t: usize,
        alias: &str,
        exp: &Value,
        permission: bool,
    ) -> GResult<String> {
        let Value::Object(map) = exp else {
            return match exp {
                Value::Null => Ok("true".into()),
                _ => Err(GatewayError::validation("a where clause must be an object")),
            };
        };
        let table = self.table(t);
        let mut parts = Vec::new();
        for (key, value) in map {
            let part = match key.as_str() {
                "_and" | "_or" => {
                    let items: Vec<&Value> = match value {
                        Value::List(list) => list.iter().collect(),
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let mut sub = Vec::new();
                    for item in items {
                        sub.push(self.bool_exp(t, alias, item, permission)?);
                    }
                    let (joiner, empty) =
                        if key.as_str() == "_and" { (" AND ", "true") } else { (" OR ", "false") };
                    if sub.is_empty() {
                        empty.to_owned()
                    } else {
                        format!("({})", sub.join(joiner))
                    }
                }
                "_not" => format!("NOT ({})", self.bool_exp(t, alias, value, permission)?),
                name => {
                    if let Some(column) = table.column(name) {
                        if !permission && !table.can_see(self.access, name) {
                            return Err(unknown_field(name));
                        }
                        let column_sql = format!("{alias}.{}", quote(&column.name));
                        self.comparison(&column_sql, &column.sql_type, value, permission)?
                    } else if let Some(rel) = table.relationship(name) {
                        let target = rel.target;
                        let inner = self.alias();
                        let join = join_condition(&rel.mapping, alias, &inner);
                        let mut conds = vec![join];
                        if !permission {
                            conds.push(self.select_filter(target, &inner)?);
                        }
                        conds.push(self.bool_exp(target, &inner, value, permission)?);
                        format!(
                            "EXISTS (SELECT 1 FROM {} AS {inner} WHERE {})",
                            self.table(target).sql_name(),
                            conds.join(" AND ")
                        )
                    } else {
                        return Err(unknown_field(name));
                    }
                }
            };
            parts.push(part);
        }
        Ok(if parts.is_empty() { "true".into() } else { format!("({})", parts.join(" AND ")) })
    }

    fn comparison(
        &mut self,
        column: &str,
        sql_type: &str,
        ops: &Value,
        permission: bool,
    ) -> GResult<String> {
        let Value::Object(ops) = ops else {
            return Err(GatewayError::validation("a column's comparison must be an object"));
        };
        let mut parts = Vec::new();
        for (op, value) in ops {
            let symbol = match op.as_str() {
                "_eq" => Some("="),
                "_neq" => Some("<>"),
                "_gt" => Some(">"),
                "_gte" => Some(">="),
                "_lt" => Some("<"),
                "_lte" => Some("<="),
                "_like" => Some("LIKE"),
                "_nlike" => Some("NOT LIKE"),
                "_ilike" => Some("ILIKE"),
                "_nilike" => Some("NOT ILIKE"),
                _ => None,
            };
            let part = if let Some(symbol) = symbol {
                let text = self.text_of(value, permission)?;
                let param = self.bind(text, sql_type);
                format!("{column} {symbol} {param}")
            } else {
                match op.as_str() {
                    "_in" | "_nin" => {
                        let Value::List(items) = value else {
                            return Err(GatewayError::validation(format!("{op} takes a list")));
                        };
                        let mut texts = Vec::with_capacity(items.len());
                        for item in items {
                            texts.push(self.text_of(item, permission)?);
                        }
                        let json = serde_json::to_string(&texts).unwrap_or_default();
                        let param = self.bind(Some(json), "json");
                        let not = if op.as_str() == "_nin" { "NOT " } else { "" };
                        format!(
                            "{column} {not}IN (SELECT _v::{sql_type} FROM json_array_elements_text({param}) AS _v)"
                        )
                    }
                    "_is_null" => match value {
                        Value::Boolean(true) => format!("{column} IS NULL"),
                        Value::Boolean(false) => format!("{column} IS NOT NULL"),
                        _ => return Err(GatewayError::validation("_is_null takes a boolean")),
                    },
                    "_contains" | "_contained_in" => {
                        let text = self.text_of(value, permission)?;
                        let param = self.bind(text, "jsonb");
                        let symbol = if op.as_str() == "_contains" { "@>" } else { "<@" };
                        format!("{column} {symbol} {param}")
                    }
                    "_has_key" => {
                        let text = self.text_of(value, permission)?;
                        let param = self.bind(text, "text");
                        format!("{column} ? {param}")
                    }
                    other => {
                        return Err(GatewayError::validation(format!("unknown operator {other}")));
                    }
                }
            };
            parts.push(part);
        }
        Ok(if parts.is_empty() { "true".into() } else { format!("({})", parts.join(" AND ")) })
    }

    /// The role's select filter on table `t`, for row `alias`.
    fn select_filter(&mut self, t: usize, alias: &str) -> GResult<String> {
        let perm = self
            .table(t)
            .select(self.access)
            .ok_or_else(|| GatewayError::permission("no select permission"))?;
        if is_empty(&perm.filter) {
            return Ok("true".into());
        }
        self.bool_exp(t, alias, &perm.filter, true)
    }

    // ---- ordering ------------------------------------------------------------------------

    fn order_by(&mut self, t: usize, alias: &str, spec: &Value) -> GResult<Vec<(String, String)>> {
        self.descend()?;
        let out = self.order_by_at(t, alias, spec);
        self.depth -= 1;
        out
    }

    fn order_by_at(
        &mut self,
        t: usize,
        alias: &str,
        spec: &Value,
    ) -> GResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        match spec {
            Value::List(items) => {
                for item in items {
                    out.extend(self.order_by(t, alias, item)?);
                }
            }
            Value::Object(map) => {
                let table = self.table(t);
                for (key, value) in map {
                    if let Some(column) = table.column(key) {
                        if !table.can_see(self.access, key) {
                            return Err(unknown_field(key));
                        }
                        out.push((format!("{alias}.{}", quote(&column.name)), direction(value)?));
                    } else if let Some(rel) = table.relationship(key) {
                        if rel.kind != RelKind::Object {
                            return Err(GatewayError::validation(format!(
                                "ordering by the array relationship {key} is not supported"
                            )));
                        }
                        let target = rel.target;
                        let inner = self.alias();
                        let join = join_condition(&rel.mapping, alias, &inner);
                        let filter = self.select_filter(target, &inner)?;
                        for (expr, dir) in self.order_by(target, &inner, value)? {
                            out.push((
                                format!(
                                    "(SELECT {expr} FROM {} AS {inner} WHERE {join} AND {filter} LIMIT 1)",
                                    self.table(target).sql_name()
                                ),
                                dir,
                            ));
                        }
                    } else if let Some(rel) = key
                        .strip_suffix("_aggregate")
                        .and_then(|name| table.relationship(name))
                        .filter(|rel| rel.kind == RelKind::Array)
                    {
                        out.extend(self.order_by_aggregate(key, rel, alias, value)?);
                    } else {
                        return Err(unknown_field(key));
                    }
                }
            }
            Value::Null => {}
            _ => return Err(GatewayError::validation("order_by must be an object or a list")),
        }
        Ok(out)
    }

    /// Ordering by an aggregate of an array relationship (`albums_aggregate: {count: desc}`,
    /// `{max: {milliseconds: asc}}`): a correlated aggregate over the related rows the role
    /// may see, allowed where the role may aggregate them.
    fn order_by_aggregate(
        &mut self,
        key: &str,
        rel: &Relationship,
        alias: &str,
        spec: &Value,
    ) -> GResult<Vec<(String, String)>> {
        let target = self.table(rel.target);
        if !target.select(self.access).is_some_and(|p| p.allow_aggregations) {
            return Err(unknown_field(key));
        }
        let Value::Object(map) = spec else {
            return Err(GatewayError::validation(format!("order_by {key} must be an object")));
        };
        let inner = self.alias();
        let join = join_condition(&rel.mapping, alias, &inner);
        let filter = self.select_filter(rel.target, &inner)?;
        let from = format!("FROM {} AS {inner} WHERE {join} AND {filter}", target.sql_name());
        let mut out = Vec::new();
        for (function, value) in map {
            match function.as_str() {
                "count" => out.push((format!("(SELECT count(*) {from})"), direction(value)?)),
                "sum" | "avg" | "max" | "min" => {
                    let Value::Object(columns) = value else {
                        return Err(GatewayError::validation(format!(
                            "order_by {key}.{function} must be an object of columns"
                        )));
                    };
                    for (name, dir) in columns {
                        let column = target
                            .column(name)
                            .filter(|_| target.can_see(self.access, name))
                            .ok_or_else(|| unknown_field(name))?;
                        if matches!(function.as_str(), "sum" | "avg") && !is_numeric(&column.scalar)
                        {
                            return Err(unknown_field(name));
                        }
                        out.push((
                            format!("(SELECT {function}({inner}.{}) {from})", quote(&column.name)),
                            direction(dir)?,
                        ));
                    }
                }
                other => return Err(unknown_field(other)),
            }
        }
        Ok(out)
    }

    // ---- selections ----------------------------------------------------------------------

    /// The JSON of one row `alias` of `t` with `fields`, and the lateral joins it needs.
    fn row_json(&mut self, t: usize, alias: &str, fields: &[Sel]) -> GResult<(String, String)> {
        self.descend()?;
        let out = self.row_json_at(t, alias, fields);
        self.depth -= 1;
        out
    }

    fn row_json_at(&mut self, t: usize, alias: &str, fields: &[Sel]) -> GResult<(String, String)> {
        let table = self.table(t);
        let mut pairs = Vec::with_capacity(fields.len());
        let mut joins = String::new();
        for field in fields {
            self.add_cost(1);
            let value = if let Some(column) = table.column(&field.name) {
                if !table.can_see(self.access, &field.name) {
                    return Err(unknown_field(&field.name));
                }
                format!("{alias}.{}", quote(&column.name))
            } else if let Some(rel) = table.relationship(&field.name) {
                let target = rel.target;
                let mapping = rel.mapping.clone();
                let r = self.alias();
                match rel.kind {
                    RelKind::Object => {
                        let inner = self.alias();
                        let (json, inner_joins) = self.row_json(target, &inner, &field.children)?;
                        let join = join_condition(&mapping, alias, &inner);
                        let filter = self.select_filter(target, &inner)?;
                        joins.push_str(&format!(
                            " LEFT JOIN LATERAL (SELECT {json} AS j FROM {} AS {inner}{inner_joins} WHERE {join} AND {filter} LIMIT 1) AS {r} ON true",
                            self.table(target).sql_name()
                        ));
                    }
                    RelKind::Array => {
                        let sub = self.rows(target, field, Some((&mapping, alias)))?;
                        joins.push_str(&format!(" LEFT JOIN LATERAL ({sub}) AS {r} ON true"));
                    }
                }
                format!("{r}.j")
            } else if let Some(rel) = field
                .name
                .strip_suffix("_aggregate")
                .and_then(|name| table.relationship(name))
                .filter(|rel| rel.kind == RelKind::Array)
            {
                let target = rel.target;
                let mapping = rel.mapping.clone();
                let r = self.alias();
                let sub = self.aggregate(target, field, Some((&mapping, alias)))?;
                joins.push_str(&format!(" LEFT JOIN LATERAL ({sub}) AS {r} ON true"));
                format!("{r}.j")
            } else {
                return Err(unknown_field(&field.name));
            };
            pairs.push((field.key.clone(), value));
        }
        Ok((build_object(&pairs), joins))
    }

    fn list_args<'v>(&self, t: usize, field: &'v Sel) -> GResult<ListArgs<'v>> {
        let number = |name: &str| -> GResult<Option<u64>> {
            match field.arg(name) {
                None => Ok(None),
                Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
                    GatewayError::validation(format!("{name} must be a non-negative integer"))
                }),
                Some(_) => Err(GatewayError::validation(format!("{name} must be an integer"))),
            }
        };
        let mut distinct_on = Vec::new();
        match field.arg("distinct_on") {
            None => {}
            Some(Value::List(items)) => {
                for item in items {
                    distinct_on.push(enum_text(item)?);
                }
            }
            Some(item) => distinct_on.push(enum_text(item)?),
        }
        let table = self.table(t);
        for column in &distinct_on {
            if !table.can_see(self.access, column) {
                return Err(unknown_field(column));
            }
        }
        Ok(ListArgs {
            filter: field.arg("where"),
            order_by: field.arg("order_by"),
            limit: number("limit")?,
            offset: number("offset")?,
            distinct_on,
        })
    }

    /// The rows limit: the query's, capped by the role's and (`capped`) the gateway's.
    fn effective_limit(&self, t: usize, asked: Option<u64>, capped: bool) -> Option<u64> {
        let role = self.table(t).select(self.access).and_then(|p| p.limit);
        let cap = self.limits.filter(|_| capped).map(|l| l.max_rows);
        [asked, role, cap].into_iter().flatten().min()
    }

    /// The rows a list is costed at: its limit, or the role's, or a nominal count (not the
    /// gateway's row cap, which would make every nested list look enormous).
    fn cost_rows(&self, t: usize, asked: Option<u64>) -> u64 {
        let role = self.table(t).select(self.access).and_then(|p| p.limit);
        [asked, role].into_iter().flatten().min().unwrap_or(UNBOUNDED_LIST_COST)
    }

    /// FROM, WHERE, ORDER BY and LIMIT of a list of `t` as alias `a`: returns (distinct, from
    /// with joins, where, order expressions).
    #[allow(clippy::type_complexity)]
    fn list_core(
        &mut self,
        t: usize,
        a: &str,
        args: &ListArgs<'_>,
        parent: Option<(&[(String, String)], &str)>,
        capped: bool,
    ) -> GResult<(String, Vec<String>, Vec<(String, String)>, String)> {
        let mut conds = Vec::new();
        if let Some((mapping, parent_alias)) = parent {
            conds.push(join_condition(mapping, parent_alias, a));
        }
        conds.push(self.select_filter(t, a)?);
        if let Some(filter) = args.filter {
            conds.push(self.bool_exp(t, a, filter, false)?);
        }
        let mut order = Vec::new();
        let mut distinct = String::new();
        if !args.distinct_on.is_empty() {
            let columns: Vec<String> =
                args.distinct_on.iter().map(|c| format!("{a}.{}", quote(c))).collect();
            distinct = format!("DISTINCT ON ({}) ", columns.join(", "));
            order.extend(columns.into_iter().map(|c| (c, "ASC".to_owned())));
        }
        if let Some(spec) = args.order_by {
            order.extend(self.order_by(t, a, spec)?);
        }
        let mut tail = String::new();
        if !order.is_empty() {
            let list: Vec<String> = order.iter().map(|(e, d)| format!("{e} {d}")).collect();
            tail.push_str(&format!(" ORDER BY {}", list.join(", ")));
        }
        if let Some(limit) = self.effective_limit(t, args.limit, capped) {
            let p = self.bind(Some(limit.to_string()), "bigint");
            tail.push_str(&format!(" LIMIT {p}"));
        }
        if let Some(offset) = args.offset {
            let p = self.bind(Some(offset.to_string()), "bigint");
            tail.push_str(&format!(" OFFSET {p}"));
        }
        Ok((distinct, conds, order, tail))
    }

    /// A statement yielding one row with `j`: the JSON array of the list `field` of `t`.
    fn rows(
        &mut self,
        t: usize,
        field: &Sel,
        parent: Option<(&[(String, String)], &str)>,
    ) -> GResult<String> {
        let args = self.list_args(t, field)?;
        let a = self.alias();
        let (distinct, conds, order, tail) = self.list_core(t, &a, &args, parent, true)?;
        let saved = self.multiplier;
        let rows = self.cost_rows(t, args.limit);
        self.multiplier = self.multiplier.saturating_mul(rows.max(1));
        let (json, joins) = self.row_json(t, &a, &field.children)?;
        self.multiplier = saved;
        let mut select = vec![format!("{json} AS j")];
        let mut agg_order = Vec::new();
        for (i, (expr, dir)) in order.iter().enumerate() {
            select.push(format!("{expr} AS __o{i}"));
            agg_order.push(format!("_s.__o{i} {dir}"));
        }
        let agg_order = if agg_order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", agg_order.join(", "))
        };
        Ok(format!(
            "SELECT coalesce(json_agg(_s.j{agg_order}), '[]') AS j FROM (SELECT {distinct}{} FROM {} AS {a}{joins} WHERE {}{tail}) AS _s",
            select.join(", "),
            self.table(t).sql_name(),
            conds.join(" AND ")
        ))
    }

    /// A statement yielding one row with `j`: `{aggregate {...}, nodes [...]}` of `t`.
    fn aggregate(
        &mut self,
        t: usize,
        field: &Sel,
        parent: Option<(&[(String, String)], &str)>,
    ) -> GResult<String> {
        let table = self.table(t);
        if !table.select(self.access).is_some_and(|p| p.allow_aggregations) {
            return Err(GatewayError::permission(format!(
                "aggregations on {} are not allowed",
                table.gql
            )));
        }
        // The gateway's row cap bounds the rows sent (nodes), not what aggregates count.
        let returns_rows = field.children.iter().any(|c| c.name == "nodes");
        let args = self.list_args(t, field)?;
        let a = self.alias();
        let (distinct, conds, order, tail) = self.list_core(t, &a, &args, parent, returns_rows)?;
        let mut inner_select = vec![format!("{a}.*")];
        let mut joins = String::new();
        let mut pairs = Vec::new();
        for part in &field.children {
            self.add_cost(1);
            match part.name.as_str() {
                "nodes" => {
                    let saved = self.multiplier;
                    let rows = self.cost_rows(t, args.limit);
                    self.multiplier = self.multiplier.saturating_mul(rows.max(1));
                    let (json, node_joins) = self.row_json(t, &a, &part.children)?;
                    self.multiplier = saved;
                    joins.push_str(&node_joins);
                    let column = format!("__j{}", pairs.len());
                    inner_select.push(format!("{json} AS {column}"));
                    let mut agg_order = Vec::new();
                    for (i, (_, dir)) in order.iter().enumerate() {
                        agg_order.push(format!("_s.__o{i} {dir}"));
                    }
                    let agg_order = if agg_order.is_empty() {
                        String::new()
                    } else {
                        format!(" ORDER BY {}", agg_order.join(", "))
                    };
                    pairs.push((
                        part.key.clone(),
                        format!("coalesce(json_agg(_s.{column}{agg_order}), '[]')"),
                    ));
                }
                "aggregate" => {
                    let mut agg_pairs = Vec::new();
                    for agg in &part.children {
                        self.add_cost(1);
                        let value = match agg.name.as_str() {
                            "count" => {
                                let mut columns = Vec::new();
                                match agg.arg("columns") {
                                    None => {}
                                    Some(Value::List(items)) => {
                                        for item in items {
                                            columns.push(enum_text(item)?);
                                        }
                                    }
                                    Some(item) => columns.push(enum_text(item)?),
                                }
                                for c in &columns {
                                    if !table.can_see(self.access, c) {
                                        return Err(unknown_field(c));
                                    }
                                }
                                let distinct =
                                    matches!(agg.arg("distinct"), Some(Value::Boolean(true)));
                                match (columns.as_slice(), distinct) {
                                    ([], _) => "count(*)".to_owned(),
                                    (cols, d) => {
                                        let list: Vec<String> = cols
                                            .iter()
                                            .map(|c| format!("_s.{}", quote(c)))
                                            .collect();
                                        let d = if d { "DISTINCT " } else { "" };
                                        if list.len() == 1 {
                                            format!("count({d}{})", list[0])
                                        } else {
                                            format!("count({d}({}))", list.join(", "))
                                        }
                                    }
                                }
                            }
                            f @ ("sum" | "avg" | "max" | "min") => {
                                let mut column_pairs = Vec::new();
                                for c in &agg.children {
                                    let Some(column) = table.column(&c.name) else {
                                        return Err(unknown_field(&c.name));
                                    };
                                    if !table.can_see(self.access, &c.name)
                                        || (matches!(f, "sum" | "avg")
                                            && !is_numeric(&column.scalar))
                                    {
                                        return Err(unknown_field(&c.name));
                                    }
                                    column_pairs.push((
                                        c.key.clone(),
                                        format!("{f}(_s.{})", quote(&c.name)),
                                    ));
                                }
                                build_object(&column_pairs)
                            }
                            other => return Err(unknown_field(other)),
                        };
                        agg_pairs.push((agg.key.clone(), value));
                    }
                    pairs.push((part.key.clone(), build_object(&agg_pairs)));
                }
                other => return Err(unknown_field(other)),
            }
        }
        for (i, (expr, _)) in order.iter().enumerate() {
            inner_select.push(format!("{expr} AS __o{i}"));
        }
        Ok(format!(
            "SELECT {} AS j FROM (SELECT {distinct}{} FROM {} AS {a}{joins} WHERE {}{tail}) AS _s",
            build_object(&pairs),
            inner_select.join(", "),
            table.sql_name(),
            conds.join(" AND ")
        ))
    }

    // ---- root fields ---------------------------------------------------------------------

    pub fn select_list(mut self, t: usize, field: &Sel) -> GResult<Compiled> {
        let sql = self.rows(t, field, None)?;
        self.finish(sql)
    }

    pub fn select_aggregate(mut self, t: usize, field: &Sel) -> GResult<Compiled> {
        let sql = self.aggregate(t, field, None)?;
        self.finish(sql)
    }

    pub fn select_by_pk(mut self, t: usize, field: &Sel) -> GResult<Compiled> {
        let table = self.table(t);
        let a = self.alias();
        let mut conds = self.pk_conditions(t, &a, &field.args)?;
        conds.push(self.select_filter(t, &a)?);
        let (json, joins) = self.row_json(t, &a, &field.children)?;
        let sql = format!(
            "SELECT {json} AS j FROM {} AS {a}{joins} WHERE {} LIMIT 1",
            table.sql_name(),
            conds.join(" AND ")
        );
        self.finish(sql)
    }

    fn pk_conditions(
        &mut self,
        t: usize,
        a: &str,
        args: &async_graphql::indexmap::IndexMap<async_graphql::Name, Value>,
    ) -> GResult<Vec<String>> {
        let table = self.table(t);
        let mut conds = Vec::new();
        for key in &table.primary_key {
            let column = table.column(key).ok_or_else(|| unknown_field(key))?;
            let value = args.get(key.as_str()).ok_or_else(|| {
                GatewayError::validation(format!("missing primary key column {key}"))
            })?;
            let text = self.text_of(value, false)?;
            let p = self.bind(text, &column.sql_type);
            conds.push(format!("{a}.{} = {p}", quote(key)));
        }
        Ok(conds)
    }

    // ---- mutations -----------------------------------------------------------------------

    /// The answer of a mutation over the CTE `_mut`: a `mutation_response` (or, `one`, the row),
    /// and whether every row passes `check` (in column `ok`).
    fn mutation_answer(
        &mut self,
        t: usize,
        field: &Sel,
        one: bool,
        check: Option<&Value>,
    ) -> GResult<String> {
        self.mutation_answer_counting(t, field, one, check, None)
    }

    /// `mutation_answer` with `affected_rows` given (nested inserts count every row they made).
    fn mutation_answer_counting(
        &mut self,
        t: usize,
        field: &Sel,
        one: bool,
        check: Option<&Value>,
        affected: Option<u64>,
    ) -> GResult<String> {
        let check_sql = match check.filter(|c| !is_empty(c)) {
            Some(check) => {
                let c = self.alias();
                let exp = self.bool_exp(t, &c, check, true)?;
                format!("(SELECT coalesce(bool_and({exp}), true) FROM _mut AS {c})")
            }
            None => "true".to_owned(),
        };
        let returning = |this: &mut Self, fields: &[Sel]| -> GResult<(String, String, String)> {
            let a = this.alias();
            let filter = this.select_filter(t, &a)?;
            let (json, joins) = this.row_json(t, &a, fields)?;
            Ok((a, json, format!("{joins} WHERE {filter}")))
        };
        let answer = if one {
            let (a, json, tail) = returning(self, &field.children)?;
            format!("(SELECT {json} FROM _mut AS {a}{tail} LIMIT 1)")
        } else {
            let mut pairs = Vec::new();
            for part in &field.children {
                let value = match part.name.as_str() {
                    "affected_rows" => match affected {
                        Some(n) => self.bind(Some(n.to_string()), "bigint"),
                        None => "(SELECT count(*) FROM _mut)".to_owned(),
                    },
                    "returning" => {
                        let (a, json, tail) = returning(self, &part.children)?;
                        format!("(SELECT coalesce(json_agg({json}), '[]') FROM _mut AS {a}{tail})")
                    }
                    other => return Err(unknown_field(other)),
                };
                pairs.push((part.key.clone(), value));
            }
            build_object(&pairs)
        };
        Ok(format!("SELECT {answer} AS j, {check_sql} AS ok"))
    }

    /// `insert_t(objects, on_conflict)` or (`one`) `insert_t_one(object, on_conflict)`.
    pub fn insert(mut self, t: usize, field: &Sel, one: bool) -> GResult<Compiled> {
        let table = self.table(t);
        let perm = table.insert(self.access).ok_or_else(|| {
            GatewayError::permission(format!("no insert permission on {}", table.gql))
        })?;
        let objects: Vec<&async_graphql::indexmap::IndexMap<async_graphql::Name, Value>> =
            match field.arg(if one { "object" } else { "objects" }) {
                Some(Value::List(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::Object(o) => Ok(o),
                        _ => Err(GatewayError::validation("each object must be an object")),
                    })
                    .collect::<GResult<_>>()?,
                Some(Value::Object(o)) => vec![o],
                _ => return Err(GatewayError::validation("objects are required")),
            };
        if objects.is_empty() {
            return Err(GatewayError::validation("objects must not be empty"));
        }
        // The columns: any object's, and the role's presets (which win).
        let mut columns: Vec<String> = Vec::new();
        for object in &objects {
            for key in object.keys() {
                if !perm.columns.iter().any(|c| c == key.as_str()) {
                    return Err(unknown_field(key));
                }
                if !columns.iter().any(|c| c == key.as_str())
                    && !perm.set.contains_key(key.as_str())
                {
                    columns.push(key.to_string());
                }
            }
        }
        columns.extend(perm.set.keys().cloned());
        let mut rows = Vec::new();
        for object in &objects {
            let mut values = Vec::new();
            for name in &columns {
                let column = table.column(name).ok_or_else(|| unknown_field(name))?;
                let value = if let Some(preset) = perm.set.get(name) {
                    let text = self.text_of(preset, true)?;
                    self.bind(text, &column.sql_type)
                } else if let Some(value) = object.get(name.as_str()) {
                    let text = self.text_of(value, false)?;
                    self.bind(text, &column.sql_type)
                } else {
                    "DEFAULT".to_owned()
                };
                values.push(value);
            }
            rows.push(format!("({})", values.join(", ")));
        }
        let column_list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let target = "_ins";
        let mut conflict = String::new();
        if let Some(Value::Object(on_conflict)) = field.arg("on_conflict") {
            let constraint = on_conflict
                .get("constraint")
                .map(enum_text)
                .transpose()?
                .ok_or_else(|| GatewayError::validation("on_conflict needs a constraint"))?;
            if !table.unique_constraints.contains(&constraint) {
                return Err(GatewayError::validation(format!("no constraint {constraint}")));
            }
            let update = table.update(self.access).ok_or_else(|| {
                GatewayError::permission(format!("upserting {} needs update permission", table.gql))
            })?;
            let mut update_columns = Vec::new();
            if let Some(Value::List(items)) = on_conflict.get("update_columns") {
                for item in items {
                    let c = enum_text(item)?;
                    if !update.columns.contains(&c) {
                        return Err(unknown_field(&c));
                    }
                    update_columns.push(c);
                }
            }
            if update_columns.is_empty() {
                conflict = format!(" ON CONFLICT ON CONSTRAINT {} DO NOTHING", quote(&constraint));
            } else {
                let sets: Vec<String> = update_columns
                    .iter()
                    .map(|c| format!("{} = EXCLUDED.{}", quote(c), quote(c)))
                    .collect();
                let mut conds = vec![if is_empty(&update.filter) {
                    "true".to_owned()
                } else {
                    self.bool_exp(t, target, &update.filter, true)?
                }];
                if let Some(exp) = on_conflict.get("where").filter(|v| !matches!(v, Value::Null)) {
                    conds.push(self.bool_exp(t, target, exp, false)?);
                }
                conflict = format!(
                    " ON CONFLICT ON CONSTRAINT {} DO UPDATE SET {} WHERE {}",
                    quote(&constraint),
                    sets.join(", "),
                    conds.join(" AND ")
                );
            }
        }
        let answer = self.mutation_answer(t, field, one, Some(&perm.check))?;
        let sql = format!(
            "WITH _mut AS (INSERT INTO {} AS {target} ({}) VALUES {}{conflict} RETURNING {target}.*) {answer}",
            table.sql_name(),
            column_list.join(", "),
            rows.join(", ")
        );
        self.finish(sql)
    }

    /// One row of a nested insert: `object`'s columns (the role's insert columns) plus `implicit`
    /// ones (foreign keys taken from the rows inserted before it) and the role's presets.
    /// Yields the whole new row as `j` (for the keys that follow) and its insert check as `ok`.
    pub fn insert_row(
        mut self,
        t: usize,
        object: &IndexMap<Name, Value>,
        implicit: &IndexMap<Name, Value>,
    ) -> GResult<Compiled> {
        let table = self.table(t);
        let perm = table.insert(self.access).ok_or_else(|| {
            GatewayError::permission(format!("no insert permission on {}", table.gql))
        })?;
        let mut columns = Vec::new();
        let mut values = Vec::new();
        let mut add =
            |this: &mut Self, name: &str, value: &Value, permission: bool| -> GResult<()> {
                let column = table.column(name).ok_or_else(|| unknown_field(name))?;
                let text = this.text_of(value, permission)?;
                columns.push(quote(name));
                values.push(this.bind(text, &column.sql_type));
                Ok(())
            };
        for (name, value) in object {
            if table.relationship(name).is_some() {
                continue;
            }
            if !perm.columns.iter().any(|c| c == name.as_str())
                || perm.set.contains_key(name.as_str())
                || implicit.contains_key(name)
            {
                return Err(unknown_field(name));
            }
            add(&mut self, name, value, false)?;
        }
        for (name, value) in implicit {
            if !perm.set.contains_key(name.as_str()) {
                add(&mut self, name, value, false)?;
            }
        }
        for (name, value) in &perm.set {
            add(&mut self, name, value, true)?;
        }
        let check = if is_empty(&perm.check) {
            "true".to_owned()
        } else {
            let c = self.alias();
            let exp = self.bool_exp(t, &c, &perm.check, true)?;
            format!("(SELECT coalesce(bool_and({exp}), true) FROM _mut AS {c})")
        };
        let body = if columns.is_empty() {
            "DEFAULT VALUES".to_owned()
        } else {
            format!("({}) VALUES ({})", columns.join(", "), values.join(", "))
        };
        let sql = format!(
            "WITH _mut AS (INSERT INTO {} AS _ins {body} RETURNING _ins.*) \
             SELECT (SELECT row_to_json(_mut) FROM _mut) AS j, {check} AS ok",
            table.sql_name()
        );
        self.finish(sql)
    }

    /// The answer of a nested insert: the root rows found again by primary key (so their
    /// relationships see the rows inserted with them), `affected` counting every row made.
    pub fn inserted_answer(
        mut self,
        t: usize,
        field: &Sel,
        one: bool,
        rows: &[serde_json::Value],
        affected: u64,
    ) -> GResult<Compiled> {
        let table = self.table(t);
        if table.primary_key.is_empty() {
            return Err(GatewayError::validation(format!(
                "nested inserts into {} need a primary key",
                table.gql
            )));
        }
        let keys: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                let key: serde_json::Map<String, serde_json::Value> = table
                    .primary_key
                    .iter()
                    .map(|k| (k.clone(), row.get(k).cloned().unwrap_or_default()))
                    .collect();
                serde_json::Value::Object(key)
            })
            .collect();
        let param = self.bind(Some(serde_json::Value::Array(keys).to_string()), "json");
        let mut matches = Vec::new();
        for k in &table.primary_key {
            let column = table.column(k).ok_or_else(|| unknown_field(k))?;
            matches.push(format!(
                "_r.{} = (_k->>'{}')::{}",
                quote(k),
                k.replace('\'', "''"),
                column.sql_type
            ));
        }
        let answer = self.mutation_answer_counting(t, field, one, None, Some(affected))?;
        let sql = format!(
            "WITH _mut AS (SELECT _r.* FROM {} AS _r WHERE EXISTS \
             (SELECT 1 FROM json_array_elements({param}) AS _k WHERE {})) {answer}",
            table.sql_name(),
            matches.join(" AND ")
        );
        self.finish(sql)
    }

    /// `update_t(where, _set, _inc)` or (`by_pk`) `update_t_by_pk(pk_columns, _set, _inc)`.
    pub fn update(mut self, t: usize, field: &Sel, by_pk: bool) -> GResult<Compiled> {
        let table = self.table(t);
        let perm = table.update(self.access).ok_or_else(|| {
            GatewayError::permission(format!("no update permission on {}", table.gql))
        })?;
        let a = "_upd";
        let mut sets: BTreeMap<String, String> = BTreeMap::new();
        for (arg, inc) in [("_set", false), ("_inc", true)] {
            let Some(Value::Object(values)) = field.arg(arg) else { continue };
            for (name, value) in values {
                if !perm.columns.iter().any(|c| c == name.as_str())
                    || perm.set.contains_key(name.as_str())
                {
                    return Err(unknown_field(name));
                }
                let column = table.column(name).ok_or_else(|| unknown_field(name))?;
                let text = self.text_of(value, false)?;
                let p = self.bind(text, &column.sql_type);
                let expr = if inc { format!("{a}.{} + {p}", quote(name)) } else { p };
                sets.insert(name.to_string(), expr);
            }
        }
        if sets.is_empty() {
            return Err(GatewayError::validation("nothing to update: give _set or _inc"));
        }
        for (name, preset) in &perm.set {
            let column = table.column(name).ok_or_else(|| unknown_field(name))?;
            let text = self.text_of(preset, true)?;
            let p = self.bind(text, &column.sql_type);
            sets.insert(name.clone(), p);
        }
        let mut conds = Vec::new();
        if by_pk {
            let Some(Value::Object(pk)) = field.arg("pk_columns") else {
                return Err(GatewayError::validation("pk_columns is required"));
            };
            conds.extend(self.pk_conditions(t, a, pk)?);
        } else {
            let filter =
                field.arg("where").ok_or_else(|| GatewayError::validation("where is required"))?;
            conds.push(self.bool_exp(t, a, filter, false)?);
        }
        if !is_empty(&perm.filter) {
            conds.push(self.bool_exp(t, a, &perm.filter, true)?);
        }
        let assignments: Vec<String> =
            sets.iter().map(|(c, e)| format!("{} = {e}", quote(c))).collect();
        let check = perm.check.clone();
        let answer = self.mutation_answer(t, field, by_pk, check.as_ref())?;
        let sql = format!(
            "WITH _mut AS (UPDATE {} AS {a} SET {} WHERE {} RETURNING {a}.*) {answer}",
            table.sql_name(),
            assignments.join(", "),
            conds.join(" AND ")
        );
        self.finish(sql)
    }

    /// `delete_t(where)` or (`by_pk`) `delete_t_by_pk(pk...)`.
    pub fn delete(mut self, t: usize, field: &Sel, by_pk: bool) -> GResult<Compiled> {
        let table = self.table(t);
        let perm = table.delete(self.access).ok_or_else(|| {
            GatewayError::permission(format!("no delete permission on {}", table.gql))
        })?;
        let a = "_del";
        let mut conds = Vec::new();
        if by_pk {
            conds.extend(self.pk_conditions(t, a, &field.args)?);
        } else {
            let filter =
                field.arg("where").ok_or_else(|| GatewayError::validation("where is required"))?;
            conds.push(self.bool_exp(t, a, filter, false)?);
        }
        if !is_empty(&perm.filter) {
            conds.push(self.bool_exp(t, a, &perm.filter, true)?);
        }
        let answer = self.mutation_answer(t, field, by_pk, None)?;
        let sql = format!(
            "WITH _mut AS (DELETE FROM {} AS {a} WHERE {} RETURNING {a}.*) {answer}",
            table.sql_name(),
            conds.join(" AND ")
        );
        self.finish(sql)
    }
}

fn nul_error() -> GatewayError {
    GatewayError::new(
        "data-exception",
        "a string value contains the NUL character (U+0000), which the database cannot store",
    )
}

/// A NUL character in any string or object key of `value` (walked without recursion).
fn find_nul(value: &Value) -> Option<GatewayError> {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) if s.contains('\0') => return Some(nul_error()),
            Value::List(items) => stack.extend(items),
            Value::Object(map) => {
                if map.keys().any(|k| k.contains('\0')) {
                    return Some(nul_error());
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    None
}

fn unknown_field(name: &str) -> GatewayError {
    GatewayError::validation(format!("field {name:?} not found"))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

fn enum_text(value: &Value) -> GResult<String> {
    match value {
        Value::Enum(name) => Ok(name.to_string()),
        Value::String(s) => Ok(s.clone()),
        _ => Err(GatewayError::validation("expected a column name")),
    }
}

fn direction(value: &Value) -> GResult<String> {
    let name = enum_text(value)?;
    Ok(match name.as_str() {
        "asc" | "asc_nulls_last" => "ASC NULLS LAST",
        "asc_nulls_first" => "ASC NULLS FIRST",
        "desc" | "desc_nulls_first" => "DESC NULLS FIRST",
        "desc_nulls_last" => "DESC NULLS LAST",
        other => return Err(GatewayError::validation(format!("unknown order {other}"))),
    }
    .to_owned())
}

fn join_condition(mapping: &[(String, String)], outer: &str, inner: &str) -> String {
    let parts: Vec<String> = mapping
        .iter()
        .map(|(local, remote)| format!("{inner}.{} = {outer}.{}", quote(remote), quote(local)))
        .collect();
    parts.join(" AND ")
}

/// `json_build_object` of (key, expression) pairs; keys are GraphQL names, so they need no
/// escaping. Postgres takes at most 100 arguments, so wide objects are merged from pieces.
fn build_object(pairs: &[(String, String)]) -> String {
    let piece = |chunk: &[(String, String)]| {
        let args: Vec<String> = chunk.iter().map(|(k, v)| format!("'{k}', {v}")).collect();
        format!("json_build_object({})", args.join(", "))
    };
    if pairs.len() <= 50 {
        return piece(pairs);
    }
    let pieces: Vec<String> = pairs.chunks(50).map(|c| format!("{}::jsonb", piece(c))).collect();
    format!("({})::json", pieces.join(" || "))
}
