//! The GraphQL schema of one role, built at run time (async-graphql's `dynamic` module) from the
//! catalog: only the tables, columns, relationships and root fields the role may use exist in
//! it, so a hidden column fails validation like a misspelt one. Root fields hand their whole
//! selection to the compiler; nested fields only pick their value out of the JSON Postgres built.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{
    Enum, Field, FieldFuture, FieldValue, InputObject, InputValue, Object, ResolverContext, Scalar,
    Schema, SchemaBuilder, Subscription, SubscriptionField, SubscriptionFieldFuture, TypeRef,
};
use futures::StreamExt;

use crate::catalog::{Access, Catalog, Column, RelKind, Table, is_numeric};
use crate::compile::{Compiled, Compiler};
use crate::config::Limits;
use crate::errors::{GResult, GatewayError};
use crate::execute::{Engine, TxSlot};
use crate::sel::Sel;
use crate::session::Session;

const BUILTIN_SCALARS: [&str; 4] = ["Int", "Float", "String", "Boolean"];

/// What a root field does.
#[derive(Debug, Clone, Copy)]
enum RootKind {
    List,
    ByPk,
    Aggregate,
    Insert,
    InsertOne,
    Update,
    UpdateByPk,
    Delete,
    DeleteByPk,
}

impl RootKind {
    fn returns_list(self) -> bool {
        matches!(self, RootKind::List)
    }

    fn compile(self, compiler: Compiler<'_>, t: usize, sel: &Sel) -> GResult<Compiled> {
        match self {
            RootKind::List => compiler.select_list(t, sel),
            RootKind::ByPk => compiler.select_by_pk(t, sel),
            RootKind::Aggregate => compiler.select_aggregate(t, sel),
            RootKind::Insert => compiler.insert(t, sel, false),
            RootKind::InsertOne => compiler.insert(t, sel, true),
            RootKind::Update => compiler.update(t, sel, false),
            RootKind::UpdateByPk => compiler.update(t, sel, true),
            RootKind::Delete => compiler.delete(t, sel, false),
            RootKind::DeleteByPk => compiler.delete(t, sel, true),
        }
    }

    fn is_mutation(self) -> bool {
        !matches!(self, RootKind::List | RootKind::ByPk | RootKind::Aggregate)
    }
}

/// Builds the schema `access` sees.
pub fn build(
    catalog: &Arc<Catalog>,
    access: &Access,
    engine: Arc<Engine>,
    limits: &Limits,
    introspection: bool,
) -> anyhow::Result<Schema> {
    let mut b = Builder { catalog, access, types: Vec::new(), seen: HashSet::new() };
    let mut query = Object::new("query_root");
    let mut mutation = Object::new("mutation_root");
    let mut subscription = Subscription::new("subscription_root");
    let mut has_query = false;
    let mut has_mutation = false;
    b.add_enum(Enum::new("order_by").items([
        "asc",
        "asc_nulls_first",
        "asc_nulls_last",
        "desc",
        "desc_nulls_first",
        "desc_nulls_last",
    ]));
    for (t, table) in catalog.tables.iter().enumerate() {
        let g = &table.gql;
        if let Some(select) = table.select(access) {
            if select.columns.is_empty() {
                continue;
            }
            b.table_types(t);
            let root_fields: Vec<(String, TypeRef, RootKind)> = {
                let mut fields =
                    vec![(g.clone(), TypeRef::named_nn_list_nn(g.clone()), RootKind::List)];
                if !table.primary_key.is_empty()
                    && table.primary_key.iter().all(|c| select.columns.contains(c))
                {
                    fields.push((format!("{g}_by_pk"), TypeRef::named(g.clone()), RootKind::ByPk));
                }
                if select.allow_aggregations {
                    b.aggregate_types(t);
                    fields.push((
                        format!("{g}_aggregate"),
                        TypeRef::named_nn(format!("{g}_aggregate")),
                        RootKind::Aggregate,
                    ));
                }
                fields
            };
            for (name, ty, kind) in root_fields {
                let mut field = root_field(&name, ty.clone(), t, kind);
                let mut sub = subscription_field(&name, ty, t, kind);
                let mut args =
                    || if matches!(kind, RootKind::ByPk) { b.pk_args(t) } else { b.list_args(t) };
                for arg in args() {
                    field = field.argument(arg);
                }
                for arg in args() {
                    sub = sub.argument(arg);
                }
                query = query.field(field);
                subscription = subscription.field(sub);
                has_query = true;
            }
        }
        for (name, ty, kind, args) in b.mutation_fields(t) {
            let mut field = root_field(&name, ty, t, kind);
            for arg in args {
                field = field.argument(arg);
            }
            mutation = mutation.field(field);
            has_mutation = true;
        }
    }
    if !has_query {
        query =
            query.field(Field::new("no_queries_available", TypeRef::named_nn("String"), |_| {
                FieldFuture::from_value(Some(Value::from(
                    "There are no queries available to the current role",
                )))
            }));
    }
    let mut schema: SchemaBuilder = Schema::build(
        "query_root",
        has_mutation.then_some("mutation_root"),
        has_query.then_some("subscription_root"),
    )
    .register(query)
    .data(engine)
    .extension(crate::fast::FastPathExtension)
    .limit_depth(if matches!(access, Access::Admin) { 64 } else { limits.max_depth });
    if has_mutation {
        schema = schema.register(mutation);
    }
    if has_query {
        schema = schema.register(subscription);
    }
    if !matches!(access, Access::Admin) {
        schema = schema.disable_suggestions();
        if !introspection {
            schema = schema.disable_introspection();
        }
    }
    for ty in b.types {
        schema = schema.register(ty);
    }
    Ok(schema.finish()?)
}

struct Builder<'c> {
    catalog: &'c Catalog,
    access: &'c Access,
    types: Vec<async_graphql::dynamic::Type>,
    seen: HashSet<String>,
}

impl Builder<'_> {
    fn first(&mut self, name: &str) -> bool {
        self.seen.insert(name.to_owned())
    }

    fn add_enum(&mut self, e: Enum) {
        if self.first(e.type_name()) {
            self.types.push(e.into());
        }
    }

    fn scalar(&mut self, name: &str) {
        if !BUILTIN_SCALARS.contains(&name) && self.first(name) {
            self.types.push(Scalar::new(name).into());
        }
    }

    fn visible_columns<'t>(&self, table: &'t Table) -> Vec<&'t Column> {
        let Some(perm) = table.select(self.access) else { return Vec::new() };
        table.columns.iter().filter(|c| perm.columns.contains(&c.name)).collect()
    }

    fn visible(&self, t: usize) -> bool {
        self.catalog.table(t).select(self.access).is_some_and(|p| !p.columns.is_empty())
    }

    fn comparison(&mut self, scalar: &str) -> String {
        let name = format!("{scalar}_comparison_exp");
        if !self.first(&name) {
            return name;
        }
        self.scalar(scalar);
        let mut input = InputObject::new(&name);
        for op in ["_eq", "_neq", "_gt", "_gte", "_lt", "_lte"] {
            input = input.field(InputValue::new(op, TypeRef::named(scalar)));
        }
        input = input
            .field(InputValue::new("_in", TypeRef::named_nn_list(scalar)))
            .field(InputValue::new("_nin", TypeRef::named_nn_list(scalar)))
            .field(InputValue::new("_is_null", TypeRef::named("Boolean")));
        if scalar == "String" {
            for op in ["_like", "_nlike", "_ilike", "_nilike"] {
                input = input.field(InputValue::new(op, TypeRef::named("String")));
            }
        }
        if scalar == "jsonb" {
            input = input
                .field(InputValue::new("_contains", TypeRef::named("jsonb")))
                .field(InputValue::new("_contained_in", TypeRef::named("jsonb")))
                .field(InputValue::new("_has_key", TypeRef::named("String")));
        }
        self.types.push(input.into());
        name
    }

    /// The object type, `_bool_exp`, `_order_by` and `_select_column` of a visible table (and
    /// of the tables its relationships reach).
    fn table_types(&mut self, t: usize) {
        let table = self.catalog.table(t);
        let g = table.gql.clone();
        if !self.first(&g) {
            return;
        }
        let columns = self.visible_columns(table);
        let mut object = Object::new(&g);
        let mut bool_exp = InputObject::new(format!("{g}_bool_exp"))
            .field(InputValue::new("_and", TypeRef::named_nn_list(format!("{g}_bool_exp"))))
            .field(InputValue::new("_or", TypeRef::named_nn_list(format!("{g}_bool_exp"))))
            .field(InputValue::new("_not", TypeRef::named(format!("{g}_bool_exp"))));
        let mut order_by = InputObject::new(format!("{g}_order_by"));
        let mut select_column = Enum::new(format!("{g}_select_column"));
        for column in &columns {
            self.scalar(&column.scalar);
            let ty = if column.nullable {
                TypeRef::named(&column.scalar)
            } else {
                TypeRef::named_nn(&column.scalar)
            };
            object = object.field(Field::new(&column.name, ty, pick_scalar));
            let cmp = self.comparison(&column.scalar);
            bool_exp = bool_exp.field(InputValue::new(&column.name, TypeRef::named(cmp)));
            order_by = order_by.field(InputValue::new(&column.name, TypeRef::named("order_by")));
            select_column = select_column.item(column.name.as_str());
        }
        for rel in &table.relationships {
            if !self.visible(rel.target) {
                continue;
            }
            self.table_types(rel.target);
            let target = &self.catalog.table(rel.target).gql;
            bool_exp = bool_exp
                .field(InputValue::new(&rel.name, TypeRef::named(format!("{target}_bool_exp"))));
            match rel.kind {
                RelKind::Object => {
                    object =
                        object.field(Field::new(&rel.name, TypeRef::named(target), pick_object));
                    order_by = order_by.field(InputValue::new(
                        &rel.name,
                        TypeRef::named(format!("{target}_order_by")),
                    ));
                }
                RelKind::Array => {
                    let mut field =
                        Field::new(&rel.name, TypeRef::named_nn_list_nn(target), pick_list);
                    for arg in self.list_args(rel.target) {
                        field = field.argument(arg);
                    }
                    object = object.field(field);
                    let target_table = self.catalog.table(rel.target);
                    if target_table.select(self.access).is_some_and(|p| p.allow_aggregations) {
                        self.aggregate_types(rel.target);
                        order_by = order_by.field(InputValue::new(
                            format!("{}_aggregate", rel.name),
                            TypeRef::named(format!("{target}_aggregate_order_by")),
                        ));
                        let mut field = Field::new(
                            format!("{}_aggregate", rel.name),
                            TypeRef::named_nn(format!("{target}_aggregate")),
                            pick_object,
                        );
                        for arg in self.list_args(rel.target) {
                            field = field.argument(arg);
                        }
                        object = object.field(field);
                    }
                }
            }
        }
        self.types.push(object.into());
        self.types.push(bool_exp.into());
        self.types.push(order_by.into());
        self.types.push(select_column.into());
    }

    fn list_args(&self, t: usize) -> Vec<InputValue> {
        let g = &self.catalog.table(t).gql;
        vec![
            InputValue::new("where", TypeRef::named(format!("{g}_bool_exp"))),
            InputValue::new("order_by", TypeRef::named_nn_list(format!("{g}_order_by"))),
            InputValue::new("limit", TypeRef::named("Int")),
            InputValue::new("offset", TypeRef::named("Int")),
            InputValue::new("distinct_on", TypeRef::named_nn_list(format!("{g}_select_column"))),
        ]
    }

    fn pk_args(&mut self, t: usize) -> Vec<InputValue> {
        let table = self.catalog.table(t);
        table
            .primary_key
            .iter()
            .filter_map(|k| table.column(k))
            .map(|c| {
                self.scalar(&c.scalar);
                InputValue::new(&c.name, TypeRef::named_nn(&c.scalar))
            })
            .collect()
    }

    fn aggregate_types(&mut self, t: usize) {
        let table = self.catalog.table(t);
        let g = table.gql.clone();
        if !self.first(&format!("{g}_aggregate")) {
            return;
        }
        let columns = self.visible_columns(table);
        let mut fields = Object::new(format!("{g}_aggregate_fields")).field(
            Field::new("count", TypeRef::named_nn("Int"), pick_scalar)
                .argument(InputValue::new(
                    "columns",
                    TypeRef::named_nn_list(format!("{g}_select_column")),
                ))
                .argument(InputValue::new("distinct", TypeRef::named("Boolean"))),
        );
        let numeric: Vec<&Column> =
            columns.iter().copied().filter(|c| is_numeric(&c.scalar)).collect();
        let comparable: Vec<&Column> = columns
            .iter()
            .copied()
            .filter(|c| !matches!(c.scalar.as_str(), "json" | "jsonb" | "Boolean"))
            .collect();
        // Ordering a parent by these aggregates: `{g}_aggregate_order_by`.
        let mut order_by = InputObject::new(format!("{g}_aggregate_order_by"))
            .field(InputValue::new("count", TypeRef::named("order_by")));
        for (f, cols) in
            [("sum", &numeric), ("avg", &numeric), ("max", &comparable), ("min", &comparable)]
        {
            if cols.is_empty() {
                continue;
            }
            let name = format!("{g}_{f}_fields");
            let mut object = Object::new(&name);
            let order_name = format!("{g}_{f}_order_by");
            let mut order = InputObject::new(&order_name);
            for c in cols {
                let scalar = if f == "avg" { "Float" } else { c.scalar.as_str() };
                object = object.field(Field::new(&c.name, TypeRef::named(scalar), pick_scalar));
                order = order.field(InputValue::new(&c.name, TypeRef::named("order_by")));
            }
            self.types.push(object.into());
            self.types.push(order.into());
            fields = fields.field(Field::new(f, TypeRef::named(&name), pick_object));
            order_by = order_by.field(InputValue::new(f, TypeRef::named(order_name)));
        }
        self.types.push(order_by.into());
        self.types.push(fields.into());
        self.types.push(
            Object::new(format!("{g}_aggregate"))
                .field(Field::new(
                    "aggregate",
                    TypeRef::named(format!("{g}_aggregate_fields")),
                    pick_object,
                ))
                .field(Field::new("nodes", TypeRef::named_nn_list_nn(&g), pick_list))
                .into(),
        );
    }

    /// `{t}_insert_input` (the role's insert columns, and relationships into tables it may
    /// insert into, for nested inserts); false when the role can set nothing there.
    fn insert_input(&mut self, t: usize) -> bool {
        let table = self.catalog.table(t);
        let g = table.gql.clone();
        let name = format!("{g}_insert_input");
        let Some(insert) = table.insert(self.access) else { return false };
        let columns: Vec<&Column> = table
            .columns
            .iter()
            .filter(|c| insert.columns.contains(&c.name) && !insert.set.contains_key(&c.name))
            .collect();
        if columns.is_empty() {
            return false;
        }
        if !self.first(&name) {
            return true;
        }
        let mut input = InputObject::new(&name);
        for c in &columns {
            self.scalar(&c.scalar);
            input = input.field(InputValue::new(&c.name, TypeRef::named(&c.scalar)));
        }
        for rel in &table.relationships {
            let target = self.catalog.table(rel.target);
            if target.insert(self.access).is_none() || !self.insert_input(rel.target) {
                continue;
            }
            let tg = &target.gql;
            let (wrapper, data) = match rel.kind {
                RelKind::Object => (
                    format!("{tg}_obj_rel_insert_input"),
                    TypeRef::named_nn(format!("{tg}_insert_input")),
                ),
                RelKind::Array => (
                    format!("{tg}_arr_rel_insert_input"),
                    TypeRef::named_nn_list_nn(format!("{tg}_insert_input")),
                ),
            };
            if self.first(&wrapper) {
                self.types
                    .push(InputObject::new(&wrapper).field(InputValue::new("data", data)).into());
            }
            input = input.field(InputValue::new(&rel.name, TypeRef::named(wrapper)));
        }
        self.types.push(input.into());
        true
    }

    /// The mutation root fields the role has on table `t`, registering their types.
    fn mutation_fields(&mut self, t: usize) -> Vec<(String, TypeRef, RootKind, Vec<InputValue>)> {
        let table = self.catalog.table(t);
        let g = table.gql.clone();
        let selectable = self.visible(t);
        let mut out = Vec::new();
        let insert = table.insert(self.access);
        let update = table.update(self.access);
        let delete = table.delete(self.access);
        if insert.is_none()
            && (update.is_none() || !selectable)
            && (delete.is_none() || !selectable)
        {
            return out;
        }
        // The mutation response: affected rows, and the rows when the role may read them.
        let mut response = Object::new(format!("{g}_mutation_response")).field(Field::new(
            "affected_rows",
            TypeRef::named_nn("Int"),
            pick_scalar,
        ));
        if selectable {
            response =
                response.field(Field::new("returning", TypeRef::named_nn_list_nn(&g), pick_list));
        }
        self.types.push(response.into());
        let update_columns: Vec<String> = update
            .as_ref()
            .map(|u| u.columns.iter().filter(|c| !u.set.contains_key(*c)).cloned().collect())
            .unwrap_or_default();
        if insert.is_some() && self.insert_input(t) {
            let mut args = vec![InputValue::new(
                "objects",
                TypeRef::named_nn_list_nn(format!("{g}_insert_input")),
            )];
            let mut one_args =
                vec![InputValue::new("object", TypeRef::named_nn(format!("{g}_insert_input")))];
            let constraints: Vec<&String> = table
                .unique_constraints
                .iter()
                .filter(|c| crate::config::is_identifier(c))
                .collect();
            if selectable && !update_columns.is_empty() && !constraints.is_empty() {
                self.add_enum(
                    Enum::new(format!("{g}_constraint"))
                        .items(constraints.iter().map(|c| c.as_str())),
                );
                self.add_enum(
                    Enum::new(format!("{g}_update_column"))
                        .items(update_columns.iter().map(String::as_str)),
                );
                self.types.push(
                    InputObject::new(format!("{g}_on_conflict"))
                        .field(InputValue::new(
                            "constraint",
                            TypeRef::named_nn(format!("{g}_constraint")),
                        ))
                        .field(InputValue::new(
                            "update_columns",
                            TypeRef::named_nn_list_nn(format!("{g}_update_column")),
                        ))
                        .field(InputValue::new("where", TypeRef::named(format!("{g}_bool_exp"))))
                        .into(),
                );
                args.push(InputValue::new(
                    "on_conflict",
                    TypeRef::named(format!("{g}_on_conflict")),
                ));
                one_args.push(InputValue::new(
                    "on_conflict",
                    TypeRef::named(format!("{g}_on_conflict")),
                ));
            }
            out.push((
                format!("insert_{g}"),
                TypeRef::named(format!("{g}_mutation_response")),
                RootKind::Insert,
                args,
            ));
            if selectable {
                out.push((
                    format!("insert_{g}_one"),
                    TypeRef::named(&g),
                    RootKind::InsertOne,
                    one_args,
                ));
            }
        }
        let pk_visible = !table.primary_key.is_empty()
            && table.primary_key.iter().all(|k| table.can_see(self.access, k));
        if selectable && !update_columns.is_empty() {
            let mut set = InputObject::new(format!("{g}_set_input"));
            let mut inc = InputObject::new(format!("{g}_inc_input"));
            let mut any_inc = false;
            for c in table.columns.iter().filter(|c| update_columns.contains(&c.name)) {
                self.scalar(&c.scalar);
                set = set.field(InputValue::new(&c.name, TypeRef::named(&c.scalar)));
                if is_numeric(&c.scalar) {
                    inc = inc.field(InputValue::new(&c.name, TypeRef::named(&c.scalar)));
                    any_inc = true;
                }
            }
            self.types.push(set.into());
            let mut args = vec![
                InputValue::new("where", TypeRef::named_nn(format!("{g}_bool_exp"))),
                InputValue::new("_set", TypeRef::named(format!("{g}_set_input"))),
            ];
            let mut pk_args = vec![
                InputValue::new("pk_columns", TypeRef::named_nn(format!("{g}_pk_columns_input"))),
                InputValue::new("_set", TypeRef::named(format!("{g}_set_input"))),
            ];
            if any_inc {
                self.types.push(inc.into());
                args.push(InputValue::new("_inc", TypeRef::named(format!("{g}_inc_input"))));
                pk_args.push(InputValue::new("_inc", TypeRef::named(format!("{g}_inc_input"))));
            }
            out.push((
                format!("update_{g}"),
                TypeRef::named(format!("{g}_mutation_response")),
                RootKind::Update,
                args,
            ));
            if pk_visible {
                let mut input = InputObject::new(format!("{g}_pk_columns_input"));
                for arg in self.pk_args(t) {
                    input = input.field(arg);
                }
                self.types.push(input.into());
                out.push((
                    format!("update_{g}_by_pk"),
                    TypeRef::named(&g),
                    RootKind::UpdateByPk,
                    pk_args,
                ));
            }
        }
        if selectable && delete.is_some() {
            out.push((
                format!("delete_{g}"),
                TypeRef::named(format!("{g}_mutation_response")),
                RootKind::Delete,
                vec![InputValue::new("where", TypeRef::named_nn(format!("{g}_bool_exp")))],
            ));
            if pk_visible {
                let args = self.pk_args(t);
                out.push((
                    format!("delete_{g}_by_pk"),
                    TypeRef::named(&g),
                    RootKind::DeleteByPk,
                    args,
                ));
            }
        }
        out
    }
}

// ---- resolvers -------------------------------------------------------------------------------

/// This field's value in its parent's JSON (keyed by the response key, so aliases work).
fn pick<'a>(ctx: &ResolverContext<'a>) -> Option<&'a serde_json::Value> {
    let parent = ctx.parent_value.downcast_ref::<serde_json::Value>()?;
    let field = ctx.ctx.field();
    parent.get(field.alias().unwrap_or(field.name())).filter(|v| !v.is_null())
}

fn pick_scalar(ctx: ResolverContext<'_>) -> FieldFuture<'_> {
    FieldFuture::Value(
        pick(&ctx).map(|v| FieldValue::value(Value::from_json(v.clone()).unwrap_or(Value::Null))),
    )
}

fn pick_object(ctx: ResolverContext<'_>) -> FieldFuture<'_> {
    FieldFuture::Value(pick(&ctx).map(|v| FieldValue::borrowed_any(v)))
}

fn pick_list(ctx: ResolverContext<'_>) -> FieldFuture<'_> {
    let items = pick(&ctx).and_then(|v| v.as_array());
    FieldFuture::Value(Some(FieldValue::list(
        items.into_iter().flatten().map(|v| FieldValue::borrowed_any(v)),
    )))
}

/// The root value of a compiled field's JSON.
fn root_value(json: Option<serde_json::Value>, list: bool) -> Option<FieldValue<'static>> {
    match (json, list) {
        (Some(serde_json::Value::Array(items)), true) => {
            Some(FieldValue::list(items.into_iter().map(FieldValue::owned_any)))
        }
        (None | Some(serde_json::Value::Null), true) => {
            Some(FieldValue::list(Vec::<FieldValue>::new()))
        }
        (None | Some(serde_json::Value::Null), false) => None,
        (Some(json), _) => Some(FieldValue::owned_any(json)),
    }
}

fn compile(
    ctx: &ResolverContext<'_>,
    t: usize,
    kind: RootKind,
) -> async_graphql::Result<(Arc<Engine>, Compiled)> {
    let engine = ctx.data::<Arc<Engine>>()?.clone();
    let session = ctx.data::<Session>()?;
    let sel = Sel::from_field(ctx.ctx.field())?;
    let compiled =
        kind.compile(Compiler::new(&engine.catalog, session, &engine.limits), t, &sel)?;
    Ok((engine, compiled))
}

fn root_field(name: &str, ty: TypeRef, t: usize, kind: RootKind) -> Field {
    Field::new(name, ty, move |ctx| {
        FieldFuture::new(async move {
            if let RootKind::Insert | RootKind::InsertOne = kind {
                let engine = ctx.data::<Arc<Engine>>()?.clone();
                let sel = Sel::from_field(ctx.ctx.field())?;
                let one = matches!(kind, RootKind::InsertOne);
                if crate::nested::is_nested(&engine.catalog, t, &sel, one) {
                    let session = ctx.data::<Session>()?;
                    let json = engine
                        .insert_nested(ctx.data_opt::<TxSlot>(), session, t, &sel, one)
                        .await?;
                    return Ok(root_value(json, false));
                }
            }
            let (engine, compiled) = compile(&ctx, t, kind)?;
            let json = if kind.is_mutation() {
                engine.mutate(ctx.data_opt::<TxSlot>(), &compiled).await?
            } else {
                engine.query(&compiled).await?
            };
            Ok(root_value(json, kind.returns_list()))
        })
    })
}

fn subscription_field(name: &str, ty: TypeRef, t: usize, kind: RootKind) -> SubscriptionField {
    SubscriptionField::new(name, ty, move |ctx| {
        SubscriptionFieldFuture::new(async move {
            let (engine, compiled) = compile(&ctx, t, kind)?;
            let stream = engine.live.subscribe(engine.pool.clone(), compiled);
            Ok(stream.map(move |result| match &*result {
                Ok(json) => {
                    Ok(root_value(json.clone(), kind.returns_list()).unwrap_or(FieldValue::NULL))
                }
                Err(error) => Err(GatewayError::into_graphql(error.clone())),
            }))
        })
    })
}
