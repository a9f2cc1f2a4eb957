//! Bounds on a GraphQL request, checked before anything recurses over it. Parsing, validation,
//! fragment expansion and the compiler all recurse on the request's shape, so a hostile query
//! (a filter nested thousands of levels deep, fragments that spread each other exponentially)
//! could overflow the stack or explode in memory. Here the query text is scanned without
//! recursion first (size and bracket nesting), and only then parsed; the parsed document and the
//! variables are then measured with fragments and variables expanded (memoised, so the measure
//! itself stays linear in the text).

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value, Variables};

use crate::config::Limits;
use crate::errors::{GResult, GatewayError};

/// Checks `query` and `variables` against `limits` and parses the query. `Ok(None)`: within the
/// limits but not parseable (the executor words that error; re-parsing it is safe now that the
/// text's nesting is bounded).
pub fn parse_bounded(
    query: &str,
    variables: &Variables,
    limits: &Limits,
) -> GResult<Option<ExecutableDocument>> {
    check_text(query, limits)?;
    let Ok(document) = async_graphql::parser::parse_query(query) else { return Ok(None) };
    check_document(&document, variables, limits)?;
    Ok(Some(document))
}

/// The text's size, and the nesting of `{`, `[` and `(` outside strings and comments: one pass
/// over the bytes, no recursion, before the parser sees it.
pub fn check_text(query: &str, limits: &Limits) -> GResult<()> {
    if query.len() > limits.max_query_bytes {
        return Err(GatewayError::validation(format!(
            "the query is {} bytes long, more than the limit of {}",
            query.len(),
            limits.max_query_bytes
        )));
    }
    let deepest = text_nesting(query.as_bytes(), limits.max_nesting);
    if deepest > limits.max_nesting {
        return Err(too_deep(limits.max_nesting));
    }
    Ok(())
}

fn too_deep(limit: usize) -> GatewayError {
    GatewayError::validation(format!(
        "the query is nested more than {limit} levels deep (selections, arguments and values)"
    ))
}

/// The deepest bracket nesting of GraphQL text, stopping as soon as it passes `stop`.
/// Brackets inside strings (`"..."`, `"""..."""`) and comments (`# ...`) do not count; every
/// delimiter is ASCII, so scanning bytes is exact in UTF-8.
fn text_nesting(text: &[u8], stop: usize) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < text.len() {
        match text[i] {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > deepest {
                    deepest = depth;
                    if deepest > stop {
                        return deepest;
                    }
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                while i < text.len() && text[i] != b'\n' && text[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if text[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the next `"""` not escaped as `\"""`.
                i += 3;
                while i < text.len() && !text[i..].starts_with(b"\"\"\"") {
                    i += if text[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < text.len() && text[i] != b'"' && text[i] != b'\n' {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// The variables' nesting and size, then the document's with fragments and variables expanded:
/// how deep it nests and how many fields and argument values the executor would see.
pub fn check_document(
    document: &ExecutableDocument,
    variables: &Variables,
    limits: &Limits,
) -> GResult<()> {
    let mut sizes = HashMap::with_capacity(variables.len());
    for (name, value) in variables.iter() {
        let size =
            measure_value(value, limits.max_nesting).ok_or_else(|| too_deep(limits.max_nesting))?;
        sizes.insert(name.clone(), size);
    }
    let mut measure = Measure { document, variables: &sizes, limits, fragments: HashMap::new() };
    let mut nodes = 0u64;
    for (_, operation) in document.operations.iter() {
        let (n, _) = measure.selection_set(&operation.node.selection_set.node, 1)?;
        nodes = nodes.saturating_add(n);
    }
    measure.check_nodes(nodes)
}

/// The number of values in a constant value, walked with an explicit stack; `None` when it
/// nests deeper than `max_depth`.
fn measure_value(value: &Value, max_depth: usize) -> Option<u64> {
    let mut nodes = 0u64;
    let mut stack = vec![(value, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        if depth > max_depth {
            return None;
        }
        nodes += 1;
        match value {
            Value::List(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Some(nodes)
}

/// A fragment's measure: its expanded nodes and how many levels it adds.
#[derive(Clone, Copy)]
enum Fragment {
    InProgress,
    Done { nodes: u64, height: usize },
}

struct Measure<'d> {
    document: &'d ExecutableDocument,
    variables: &'d HashMap<Name, u64>,
    limits: &'d Limits,
    fragments: HashMap<&'d Name, Fragment>,
}

impl<'d> Measure<'d> {
    fn check_nodes(&self, nodes: u64) -> GResult<()> {
        if nodes > self.limits.max_nodes {
            return Err(GatewayError::validation(format!(
                "the query has more than {} fields and argument values once fragments and \
                 variables are expanded",
                self.limits.max_nodes
            )));
        }
        Ok(())
    }

    /// (nodes, height) of a selection set at `level`: its deepest set is at `level + height`.
    /// A field's selection, an inline fragment and a fragment spread each go one level down, so
    /// this recursion never goes deeper than the nesting limit.
    fn selection_set(&mut self, set: &'d SelectionSet, level: usize) -> GResult<(u64, usize)> {
        if level > self.limits.max_nesting {
            return Err(too_deep(self.limits.max_nesting));
        }
        let (mut nodes, mut height) = (0u64, 0usize);
        for item in &set.items {
            let (n, h) = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let mut n = 1u64;
                    for (_, value) in &field.arguments {
                        n = n.saturating_add(self.argument(&value.node));
                    }
                    let children = &field.selection_set.node;
                    if children.items.is_empty() {
                        (n, 0)
                    } else {
                        let (child, h) = self.selection_set(children, level + 1)?;
                        (n.saturating_add(child), h + 1)
                    }
                }
                Selection::InlineFragment(inline) => {
                    let (n, h) = self.selection_set(&inline.node.selection_set.node, level + 1)?;
                    (n, h + 1)
                }
                Selection::FragmentSpread(spread) => {
                    let (n, h) = self.fragment(&spread.node.fragment_name.node, level + 1)?;
                    (n, h + 1)
                }
            };
            nodes = nodes.saturating_add(n);
            height = height.max(h);
            // Checked as we go, so a fan-out is refused before it is added up in full.
            self.check_nodes(nodes)?;
        }
        Ok((nodes, height))
    }

    /// A spread of fragment `name` at `level`: measured once, then looked up.
    fn fragment(&mut self, name: &'d Name, level: usize) -> GResult<(u64, usize)> {
        match self.fragments.get(name) {
            Some(Fragment::Done { nodes, height }) => {
                if level + height > self.limits.max_nesting {
                    return Err(too_deep(self.limits.max_nesting));
                }
                Ok((*nodes, *height))
            }
            Some(Fragment::InProgress) => Err(GatewayError::validation(format!(
                "the fragment {name} spreads itself (a cycle)"
            ))),
            // An unknown fragment is the validator's to report.
            None => match self.document.fragments.get(name) {
                None => Ok((0, 0)),
                Some(fragment) => {
                    self.fragments.insert(name, Fragment::InProgress);
                    let (nodes, height) =
                        self.selection_set(&fragment.node.selection_set.node, level)?;
                    self.fragments.insert(name, Fragment::Done { nodes, height });
                    Ok((nodes, height))
                }
            },
        }
    }

    /// The values in an argument, a variable counting as the values it holds. Literal values
    /// nest no deeper than the text, which `check_text` bounded.
    fn argument(&self, value: &async_graphql_value::Value) -> u64 {
        use async_graphql_value::Value as V;
        let mut nodes = 0u64;
        let mut stack = vec![value];
        while let Some(value) = stack.pop() {
            nodes = nodes.saturating_add(match value {
                V::Variable(name) => self.variables.get(name).copied().unwrap_or(1),
                V::List(items) => {
                    stack.extend(items.iter());
                    1
                }
                V::Object(map) => {
                    stack.extend(map.values());
                    1
                }
                _ => 1,
            });
        }
        nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { max_nesting: 32, max_query_bytes: 1 << 20, max_nodes: 10_000, ..Limits::default() }
    }

    fn check(query: &str) -> GResult<Option<ExecutableDocument>> {
        parse_bounded(query, &Variables::default(), &limits())
    }

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert_eq!(text_nesting(b"{ a(where: {b: {_in: [1]}}) { c } }", 99), 5);
        assert_eq!(text_nesting(b"{ a(s: \"{{{[[[\\\"(((\") }", 99), 2);
        assert_eq!(text_nesting(b"{ a(s: \"\"\"{{{ \\\"\"\" {{\"\"\") }", 99), 2);
        assert_eq!(text_nesting(b"# {{{{\n{ a }", 99), 1);
        // Unbalanced closers do not go below zero; the scan stops once past the limit.
        assert_eq!(text_nesting(b"}}}{", 99), 1);
        assert_eq!(text_nesting("{".repeat(100_000).as_bytes(), 10), 11);
    }

    #[test]
    fn a_deep_filter_is_refused_before_parsing() {
        let deep = format!(
            "{{ a(where: {}{}) {{ id }} }}",
            "{_not: ".repeat(100_000),
            "}".repeat(100_000)
        );
        let error = check(&deep).unwrap_err();
        assert!(error.message.contains("nested more than 32"), "{}", error.message);
        assert!(check("{ a(where: {_not: {_not: {id: {_eq: 1}}}}) { id } }").unwrap().is_some());
    }

    #[test]
    fn deep_variables_are_refused() {
        let mut value = Value::Null;
        for _ in 0..100 {
            value = Value::List(vec![value]);
        }
        let variables =
            Variables::from_value(Value::Object([(Name::new("w"), value)].into_iter().collect()));
        let error =
            parse_bounded("query($w: Int) { a(x: $w) { id } }", &variables, &limits()).unwrap_err();
        assert!(error.message.contains("nested more than"), "{}", error.message);
    }

    #[test]
    fn fragment_fan_out_is_measured_without_expanding_it() {
        // 60 fragments, each spreading the next twice: 2^60 fields once expanded.
        let mut query = String::from("{ ...F0 }\n");
        for i in 0..60 {
            query.push_str(&format!(
                "fragment F{i} on T {{ a: x {{ ...F{} }} b: x {{ ...F{} }} }}\n",
                i + 1,
                i + 1
            ));
        }
        query.push_str("fragment F60 on T { id }\n");
        let mut wide = limits();
        wide.max_nesting = 1000;
        let error = parse_bounded(&query, &Variables::default(), &wide).unwrap_err();
        assert!(error.message.contains("more than 10000 fields"), "{}", error.message);
        // The same chain without fan-out fits the node limit but not the nesting.
        let error = check(&query.replace(" b: x { ...F", " b: x { id } c: x { ...G")).unwrap_err();
        assert!(error.message.contains("nested more than"), "{}", error.message);
    }

    #[test]
    fn fragment_cycles_are_refused() {
        let error =
            check("{ ...A } fragment A on T { ...B } fragment B on T { x { ...A } }").unwrap_err();
        assert!(error.message.contains("cycle"), "{}", error.message);
    }

    #[test]
    fn variables_count_once_per_use() {
        let list = Value::List((0..4000).map(Value::from).collect());
        let variables =
            Variables::from_value(Value::Object([(Name::new("ids"), list)].into_iter().collect()));
        let one = "query($ids: [Int!]) { a(where: {id: {_in: $ids}}) { id } }";
        assert!(parse_bounded(one, &variables, &limits()).is_ok());
        let three = "query($ids: [Int!]) { a: x(w: $ids) { id } b: x(w: $ids) { id } c: x(w: $ids) { id } }";
        let error = parse_bounded(three, &variables, &limits()).unwrap_err();
        assert!(error.message.contains("fields and argument values"), "{}", error.message);
    }
}
