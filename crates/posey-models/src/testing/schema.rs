//! Example values generated from a JSON schema: what [`TestModel`](super::TestModel) passes as a
//! tool's arguments, so every tool is called with arguments its own schema accepts. Handles the
//! schemas tools declare in practice (schemars output included): objects, arrays, scalars with
//! their bounds and formats, `enum`/`const`, `anyOf`/`oneOf`/`allOf`, nullable type lists and
//! `$ref` into `$defs`/`definitions`.

use serde_json::{Map, Value, json};

/// A value valid against `schema`. `seed` varies the strings and numbers produced, so two
/// calls of different tools do not look identical.
pub fn example_value(schema: &Value, seed: u64) -> Value {
    Generator { root: schema, seed, depth: 0 }.value(schema)
}

struct Generator<'a> {
    root: &'a Value,
    seed: u64,
    depth: usize,
}

// Past this depth a recursive schema gets its smallest value (an empty object or array).
const MAX_DEPTH: usize = 8;

impl<'a> Generator<'a> {
    fn value(&mut self, schema: &Value) -> Value {
        let Some(schema) = schema.as_object() else {
            // `true` or an empty schema accepts anything.
            return Value::String(self.string_value());
        };
        if self.depth > MAX_DEPTH {
            return Value::Null;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str)
            && let Some(target) = self.resolve(reference)
        {
            self.depth += 1;
            let value = self.value(target);
            self.depth -= 1;
            return value;
        }
        if let Some(value) = schema.get("const") {
            return value.clone();
        }
        if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|v| v.first()) {
            return first.clone();
        }
        if let Some(default) = schema.get("default") {
            return default.clone();
        }
        if let Some(first) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
            .and_then(|alternatives| pick_alternative(alternatives))
        {
            return self.value(first);
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let merged = merge_all_of(schema, parts);
            return self.value(&merged);
        }
        match schema_type(schema).as_deref() {
            Some("object") => self.object(schema),
            Some("array") => self.array(schema),
            Some("string") => self.string(schema),
            Some("integer") => self.integer(schema),
            Some("number") => self.number(schema),
            Some("boolean") => Value::Bool(self.seed.is_multiple_of(2)),
            Some("null") => Value::Null,
            _ if schema.contains_key("properties") => self.object(schema),
            _ if schema.contains_key("items") => self.array(schema),
            _ => Value::String(self.string_value()),
        }
    }

    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        if reference == "#" {
            return Some(self.root);
        }
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    fn object(&mut self, schema: &Map<String, Value>) -> Value {
        let mut object = Map::new();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Value::Object(object);
        };
        // Every declared property, required or not, as pydantic-ai's TestModel does: the tool
        // then sees its optional arguments exercised too.
        self.depth += 1;
        for (name, property) in properties {
            let value = self.value(property);
            object.insert(name.clone(), value);
            self.seed += 1;
        }
        self.depth -= 1;
        Value::Object(object)
    }

    fn array(&mut self, schema: &Map<String, Value>) -> Value {
        let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = schema.get("maxItems").and_then(Value::as_u64).unwrap_or(u64::MAX);
        // One item shows the tool a real element; deep inside a recursive schema, the fewest
        // allowed, so the recursion ends.
        let count = if self.depth >= MAX_DEPTH / 2 { min } else { min.max(1).min(max) };
        if let Some(prefix) = schema.get("prefixItems").and_then(Value::as_array) {
            self.depth += 1;
            let items = prefix.iter().map(|item| self.value(item)).collect();
            self.depth -= 1;
            return Value::Array(items);
        }
        let item_schema = schema.get("items").cloned().unwrap_or(Value::Bool(true));
        let unique = schema.get("uniqueItems").and_then(Value::as_bool).unwrap_or(false);
        self.depth += 1;
        let mut items = Vec::new();
        for _ in 0..count {
            let item = self.value(&item_schema);
            if unique && items.contains(&item) {
                break;
            }
            items.push(item);
            self.seed += 1;
        }
        self.depth -= 1;
        Value::Array(items)
    }

    fn string(&mut self, schema: &Map<String, Value>) -> Value {
        let text = match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => "2024-01-01T00:00:00Z".to_owned(),
            Some("date") => "2024-01-01".to_owned(),
            Some("time") => "00:00:00Z".to_owned(),
            Some("email") => "person@example.com".to_owned(),
            Some("uuid") => "00000000-0000-4000-8000-000000000000".to_owned(),
            Some("uri") | Some("url") => "https://example.com/".to_owned(),
            Some("ipv4") => "127.0.0.1".to_owned(),
            Some("ipv6") => "::1".to_owned(),
            Some("hostname") => "example.com".to_owned(),
            _ => self.string_value(),
        };
        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = schema.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
        let mut text = text;
        while text.chars().count() < min {
            text.push('a');
        }
        if let Some(max) = max {
            text = text.chars().take(max).collect();
        }
        Value::String(text)
    }

    /// "a", "b", ... "z", "ba", ...: short, distinct per seed.
    fn string_value(&self) -> String {
        let mut n = self.seed;
        let mut text = String::new();
        loop {
            text.insert(0, char::from(b'a' + (n % 26) as u8));
            n /= 26;
            if n == 0 {
                break;
            }
        }
        text
    }

    fn integer(&mut self, schema: &Map<String, Value>) -> Value {
        let mut low = number_bound(schema, "minimum")
            .map(|m| m.ceil())
            .or_else(|| number_bound(schema, "exclusiveMinimum").map(|m| m.floor() + 1.0));
        let high = number_bound(schema, "maximum")
            .map(|m| m.floor())
            .or_else(|| number_bound(schema, "exclusiveMaximum").map(|m| m.ceil() - 1.0));
        if low.is_none() && high.is_none() {
            low = Some(0.0);
        }
        let mut value = low.unwrap_or(0.0) + (self.seed % 10) as f64;
        if let Some(high) = high {
            value = value.min(high);
        }
        if let Some(low) = low {
            value = value.max(low);
        }
        if let Some(step) = number_bound(schema, "multipleOf").filter(|s| *s > 0.0) {
            value = (value / step).ceil() * step;
            if high.is_some_and(|high| value > high) {
                value -= step;
            }
        }
        json!(value as i64)
    }

    fn number(&mut self, schema: &Map<String, Value>) -> Value {
        let low = number_bound(schema, "minimum")
            .or_else(|| number_bound(schema, "exclusiveMinimum").map(|m| m + 0.5));
        let high = number_bound(schema, "maximum")
            .or_else(|| number_bound(schema, "exclusiveMaximum").map(|m| m - 0.5));
        let mut value = low.unwrap_or(0.0) + (self.seed % 10) as f64;
        if let Some(high) = high {
            value = value.min(high);
        }
        if let Some(low) = low {
            value = value.max(low);
        }
        // A whole number serialises as an integer, which every number schema accepts too.
        if value.fract() == 0.0 && value.abs() < 1e15 { json!(value as i64) } else { json!(value) }
    }
}

fn number_bound(schema: &Map<String, Value>, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

/// The schema's type; of a type list (`["string", "null"]`) the first that is not null.
fn schema_type(schema: &Map<String, Value>) -> Option<String> {
    match schema.get("type")? {
        Value::String(kind) => Some(kind.clone()),
        Value::Array(kinds) => {
            let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
            kinds.iter().find(|k| **k != "null").or(kinds.first()).map(|k| (*k).to_owned())
        }
        _ => None,
    }
}

/// Of `anyOf` alternatives, the first that is not just `null`: a nullable argument gets a real
/// value, which is the more useful test.
fn pick_alternative(alternatives: &[Value]) -> Option<&Value> {
    alternatives
        .iter()
        .find(|alternative| alternative.get("type").and_then(Value::as_str) != Some("null"))
        .or(alternatives.first())
}

/// `allOf` parts merged into one schema (properties and required lists joined, other keys from
/// the first part that has them), plus the keys beside `allOf`.
fn merge_all_of(schema: &Map<String, Value>, parts: &[Value]) -> Value {
    let mut merged = schema.clone();
    merged.remove("allOf");
    for part in parts.iter().filter_map(Value::as_object) {
        for (key, value) in part {
            match (key.as_str(), merged.get_mut(key)) {
                ("properties", Some(Value::Object(existing))) => {
                    if let Value::Object(more) = value {
                        existing.extend(more.clone());
                    }
                }
                ("required", Some(Value::Array(existing))) => {
                    if let Value::Array(more) = value {
                        existing.extend(more.iter().cloned());
                    }
                }
                (_, None) => {
                    merged.insert(key.clone(), value.clone());
                }
                _ => {}
            }
        }
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_get_every_property_with_a_value_of_its_type() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "metric": {"type": "boolean"},
                "scale": {"type": "number", "exclusiveMinimum": 0},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "unit": {"enum": ["c", "f"]},
                "note": {"type": ["string", "null"]}
            },
            "required": ["city"]
        });
        let value = example_value(&schema, 0);
        assert!(value["city"].is_string());
        let days = value["days"].as_i64().unwrap();
        assert!((1..=7).contains(&days), "{days}");
        assert!(value["metric"].is_boolean());
        assert!(value["scale"].as_f64().unwrap() > 0.0);
        assert_eq!(value["tags"].as_array().unwrap().len(), 2);
        assert_eq!(value["unit"], "c");
        assert!(value["note"].is_string());
    }

    #[test]
    fn refs_formats_and_combinators_resolve() {
        let schema = json!({
            "type": "object",
            "properties": {
                "when": {"type": "string", "format": "date-time"},
                "who": {"$ref": "#/$defs/Person"},
                "either": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 5}]},
                "both": {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}},
                                   {"properties": {"b": {"const": 3}}}]},
                "short": {"type": "string", "minLength": 4, "maxLength": 4}
            },
            "$defs": {"Person": {"type": "object", "properties": {"name": {"type": "string"}}}}
        });
        let value = example_value(&schema, 3);
        assert_eq!(value["when"], "2024-01-01T00:00:00Z");
        assert!(value["who"]["name"].is_string());
        assert!(value["either"].as_i64().unwrap() >= 5);
        assert!(value["both"]["a"].is_string());
        assert_eq!(value["both"]["b"], 3);
        assert_eq!(value["short"].as_str().unwrap().chars().count(), 4);
    }

    #[test]
    fn recursive_schemas_stop() {
        let schema = json!({
            "$ref": "#/$defs/Node",
            "$defs": {"Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
            }}}
        });
        let value = example_value(&schema, 0);
        assert!(value["children"].is_array());
    }
}
