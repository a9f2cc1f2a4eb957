//! Checking a tool call's arguments against the tool's JSON schema before the tool runs, so a
//! model that sent bad arguments hears exactly what was wrong and can try again. Covers the
//! keywords tool schemas use: `type` (and type lists), `properties`, `required`,
//! `additionalProperties`, `items`, `enum`, `const`, string lengths, numeric bounds, array
//! lengths, `anyOf`/`oneOf`/`allOf` and local `$ref`s.

use serde_json::Value;

/// Every problem with `value`, each naming the path (`$.name`); empty: valid.
pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    // Whatever the schema says, no string or key may hold U+0000: no tool could store it
    // (PostgreSQL's `text` and `jsonb` refuse it), so the model hears so instead.
    if let Some(path) = posey_http::json::nul_path(value, String::new()) {
        let separator = if path.is_empty() || path.starts_with('[') { "" } else { "." };
        problems.push(format!("${separator}{path}: {}", posey_http::json::NUL_MESSAGE));
    }
    Checker { root: schema, depth: 0 }.check(schema, value, "$", &mut problems);
    problems
}

struct Checker<'a> {
    root: &'a Value,
    depth: usize,
}

impl Checker<'_> {
    fn check(&mut self, schema: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
        let Some(schema) = schema.as_object() else {
            if schema == &Value::Bool(false) {
                problems.push(format!("{path}: no value is allowed here"));
            }
            return;
        };
        if self.depth > 32 {
            return;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str)
            && let Some(target) = resolve(self.root, reference)
        {
            self.depth += 1;
            self.check(target, value, path, problems);
            self.depth -= 1;
        }
        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !allowed.is_empty() && !allowed.iter().any(|t| has_type(value, t)) {
                problems.push(format!(
                    "{path}: expected {}, got {}",
                    allowed.join(" or "),
                    type_of(value)
                ));
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            let list: Vec<String> = options.iter().map(Value::to_string).collect();
            problems.push(format!("{path}: must be one of {}", list.join(", ")));
        }
        if let Some(constant) = schema.get("const")
            && constant != value
        {
            problems.push(format!("{path}: must be {constant}"));
        }
        match value {
            Value::Object(object) => self.check_object(schema, object, path, problems),
            Value::Array(items) => {
                bound(schema, "minItems", items.len(), path, "items", problems);
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{path}[{index}]"), problems);
                    }
                }
            }
            Value::String(text) => {
                let length = text.chars().count();
                bound(schema, "minLength", length, path, "characters", problems);
            }
            Value::Number(number) => {
                if let Some(n) = number.as_f64() {
                    numeric_bounds(schema, n, path, problems);
                }
            }
            _ => {}
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.check(part, value, path, problems);
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(options) = schema.get(keyword).and_then(Value::as_array) {
                let matching = options
                    .iter()
                    .filter(|option| {
                        let mut inner = Vec::new();
                        self.check(option, value, path, &mut inner);
                        inner.is_empty()
                    })
                    .count();
                let ok = if keyword == "oneOf" { matching == 1 } else { matching >= 1 };
                if !ok {
                    problems.push(format!("{path}: matches none of the allowed forms"));
                }
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        object: &serde_json::Map<String, Value>,
        path: &str,
        problems: &mut Vec<String>,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = required.as_str()
                && !object.contains_key(name)
            {
                problems.push(format!("{path}.{name}: is required"));
            }
        }
        for (name, value) in object {
            let child = format!("{path}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.check(property, value, &child, problems),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        problems.push(format!("{child}: is not an accepted argument"));
                    }
                    Some(extra @ Value::Object(_)) => self.check(extra, value, &child, problems),
                    _ => {}
                },
            }
        }
    }
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.as_i64().is_some()
                || value.as_u64().is_some()
                || value.as_f64().is_some_and(|n| n.fract() == 0.0)
        }
        _ => true,
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `minX`/`maxX` on a length.
fn bound(
    schema: &serde_json::Map<String, Value>,
    min_key: &str,
    length: usize,
    path: &str,
    unit: &str,
    problems: &mut Vec<String>,
) {
    let max_key = min_key.replacen("min", "max", 1);
    if let Some(min) = schema.get(min_key).and_then(Value::as_u64)
        && (length as u64) < min
    {
        problems.push(format!("{path}: must have at least {min} {unit}"));
    }
    if let Some(max) = schema.get(&max_key).and_then(Value::as_u64)
        && (length as u64) > max
    {
        problems.push(format!("{path}: must have at most {max} {unit}"));
    }
}

fn numeric_bounds(
    schema: &serde_json::Map<String, Value>,
    n: f64,
    path: &str,
    problems: &mut Vec<String>,
) {
    let get = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(min) = get("minimum")
        && n < min
    {
        problems.push(format!("{path}: must be at least {min}"));
    }
    if let Some(max) = get("maximum")
        && n > max
    {
        problems.push(format!("{path}: must be at most {max}"));
    }
    if let Some(min) = get("exclusiveMinimum")
        && n <= min
    {
        problems.push(format!("{path}: must be more than {min}"));
    }
    if let Some(max) = get("exclusiveMaximum")
        && n >= max
    {
        problems.push(format!("{path}: must be less than {max}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_each_problem_with_its_path() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 3},
                "count": {"type": "integer", "minimum": 1},
                "unit": {"enum": ["c", "f"]},
                "tags": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["name"],
            "additionalProperties": false
        });
        assert!(validate(&schema, &json!({"name": "ab", "count": 2, "unit": "c"})).is_empty());
        let problems = validate(&schema, &json!({"count": 0, "unit": "k", "tags": [1], "x": 1}));
        assert_eq!(
            problems,
            [
                "$.name: is required",
                "$.count: must be at least 1",
                "$.unit: must be one of \"c\", \"f\"",
                "$.tags[0]: expected string, got number",
                "$.x: is not an accepted argument",
            ]
        );
        assert_eq!(
            validate(&schema, &json!({"name": "abcd"})),
            ["$.name: must have at most 3 characters"]
        );
        assert_eq!(validate(&schema, &json!([])), ["$: expected object, got array"]);
        assert_eq!(
            validate(&schema, &json!({"name": "a\0b"})),
            ["$.name: must not contain the NUL character (U+0000)"]
        );
    }

    #[test]
    fn follows_refs_and_alternatives() {
        let schema = json!({
            "$defs": {"zone": {"type": "string"}},
            "type": "object",
            "properties": {"zone": {"$ref": "#/$defs/zone"}, "n": {"anyOf": [{"type": "null"}, {"type": "integer"}]}}
        });
        assert!(validate(&schema, &json!({"zone": "UTC", "n": null})).is_empty());
        assert_eq!(validate(&schema, &json!({"zone": 1})), ["$.zone: expected string, got number"]);
        assert_eq!(
            validate(&schema, &json!({"n": "x"})),
            ["$.n: matches none of the allowed forms"]
        );
    }
}
