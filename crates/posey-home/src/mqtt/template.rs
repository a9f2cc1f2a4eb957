//! The few Jinja templates MQTT devices' configurations use that Posey reads without a Jinja
//! engine: `{{ value }}`, `{{ value_json.key }}`, `{{ value_json['key'] }}` (and paths of
//! them, with an optional `| float` or `| int`) for values; `{{ value }}`, `{{ action }}` and
//! `{{ code }}` put into command payloads. Anything else is a clear `UnsupportedTemplate` error.

use serde_json::Value;

use super::message::MqttError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    Float,
    Int,
}

/// A value template Posey can render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueTemplate {
    /// `None` is `value` (the raw payload); `Some(path)` is `value_json` then the path.
    path: Option<Vec<Step>>,
    filter: Option<Filter>,
}

fn unsupported(text: &str) -> MqttError {
    MqttError::UnsupportedTemplate(text.to_owned())
}

impl ValueTemplate {
    pub fn parse(text: &str) -> Result<Self, MqttError> {
        let inner = text
            .trim()
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
            .ok_or_else(|| unsupported(text))?;
        let (expression, filter) = match inner.split_once('|') {
            Some((expression, filter)) => {
                let filter = match filter.trim() {
                    "float" => Filter::Float,
                    "int" => Filter::Int,
                    _ => return Err(unsupported(text)),
                };
                (expression.trim(), Some(filter))
            }
            None => (inner.trim(), None),
        };
        if expression == "value" {
            return Ok(Self { path: None, filter });
        }
        let mut rest = expression.strip_prefix("value_json").ok_or_else(|| unsupported(text))?;
        let mut path = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                if end == 0 {
                    return Err(unsupported(text));
                }
                path.push(Step::Key(after[..end].to_owned()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']').ok_or_else(|| unsupported(text))?;
                let inside = after[..end].trim();
                let quoted = ['\'', '"']
                    .iter()
                    .find_map(|q| inside.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)));
                match quoted {
                    Some(key) if !key.contains(['\'', '"']) => path.push(Step::Key(key.to_owned())),
                    Some(_) => return Err(unsupported(text)),
                    None => path.push(Step::Index(inside.parse().map_err(|_| unsupported(text))?)),
                }
                rest = &after[end + 1..];
            } else {
                return Err(unsupported(text));
            }
        }
        Ok(Self { path: Some(path), filter })
    }

    /// The template's value for this payload; `None` when the payload's JSON has no such key
    /// (a shared topic whose message is about something else). A payload that is not JSON,
    /// for a `value_json` template, is an error.
    pub fn render(&self, payload: &str) -> Result<Option<String>, MqttError> {
        let Some(path) = &self.path else {
            return self.filtered(Value::String(payload.to_owned())).map(Some);
        };
        let json: Value =
            serde_json::from_str(payload).map_err(|_| MqttError::NotJson(truncate(payload)))?;
        let mut at = &json;
        for step in path {
            let next = match step {
                Step::Key(key) => at.get(key.as_str()),
                Step::Index(index) => at.get(*index),
            };
            match next {
                Some(next) => at = next,
                None => return Ok(None),
            }
        }
        self.filtered(at.clone()).map(Some)
    }

    fn filtered(&self, value: Value) -> Result<String, MqttError> {
        let number = |value: &Value| match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        };
        Ok(match self.filter {
            // Jinja's float and int give 0 for what is not a number.
            Some(Filter::Float) => python_float(number(&value).unwrap_or(0.0)),
            Some(Filter::Int) => format!("{}", number(&value).unwrap_or(0.0).trunc() as i64),
            None => python_str(&value),
        })
    }
}

/// How Jinja prints a value: strings as they are, `True`/`False`, `None`, numbers as JSON
/// writes them; lists and objects as JSON.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// A float as Python prints one: `21.0`, `21.5`.
pub(crate) fn python_float(value: f64) -> String {
    format!("{value:?}")
}

fn truncate(text: &str) -> String {
    text.chars().take(80).collect()
}

/// A command template: its text with `{{ value }}`, `{{ action }}` and `{{ code }}` filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value,
    Action,
    Code,
}

impl CommandTemplate {
    pub fn parse(text: &str) -> Result<Self, MqttError> {
        if text.contains("{%") || text.contains("{#") {
            return Err(unsupported(text));
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| unsupported(text))?;
            parts.push(match after[..end].trim() {
                "value" => Part::Value,
                "action" => Part::Action,
                "code" => Part::Code,
                _ => return Err(unsupported(text)),
            });
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// Whether the rendered payload carries the code (and so is secret).
    pub fn uses_code(&self) -> bool {
        self.parts.contains(&Part::Code)
    }

    pub fn render(&self, value: &str, action: &str, code: &str) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.as_str(),
                Part::Value => value,
                Part::Action => action,
                Part::Code => code,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn render(template: &str, payload: &str) -> Option<String> {
        ValueTemplate::parse(template).expect("supported").render(payload).expect("renders")
    }

    #[test]
    fn renders_the_simple_forms() {
        let payload = r#"{"temperature": 21.5, "POWER1": "ON", "nested": {"a": [10, 20]}, "ok": true, "none": null}"#;
        assert_eq!(render("{{ value_json.temperature }}", payload).as_deref(), Some("21.5"));
        assert_eq!(render("{{value_json.POWER1}}", payload).as_deref(), Some("ON"));
        assert_eq!(render("{{ value_json['POWER1'] }}", payload).as_deref(), Some("ON"));
        assert_eq!(render(r#"{{ value_json["temperature"] }}"#, payload).as_deref(), Some("21.5"));
        assert_eq!(render("{{ value_json.nested.a[1] }}", payload).as_deref(), Some("20"));
        assert_eq!(render("{{ value_json.ok }}", payload).as_deref(), Some("True"));
        assert_eq!(render("{{ value_json.none }}", payload).as_deref(), Some("None"));
        assert_eq!(render("{{ value_json.missing }}", payload), None);
        assert_eq!(render("{{ value }}", "anything at all").as_deref(), Some("anything at all"));
        assert_eq!(render("{{ value_json.temperature | int }}", payload).as_deref(), Some("21"));
        assert_eq!(render("{{ value | float }}", "7").as_deref(), Some("7.0"));
    }

    #[test]
    fn other_templates_are_clearly_unsupported() {
        for text in [
            "{{ value_json.temperature | round(1) }}",
            "{% if value == 'ON' %}on{% endif %}",
            "{{ value_json.a + 1 }}",
            "{{ states('sensor.x') }}",
            "value_json.temperature",
            "{{ value_json. }}",
            "{{ value_json['a }}",
        ] {
            let error = ValueTemplate::parse(text).expect_err(text);
            assert_eq!(error, MqttError::UnsupportedTemplate(text.to_owned()));
            assert!(error.to_string().contains("not supported"), "{error}");
        }
    }

    #[test]
    fn a_json_template_on_a_non_json_payload_is_an_error() {
        let template = ValueTemplate::parse("{{ value_json.x }}").expect("supported");
        assert!(matches!(template.render("ON"), Err(MqttError::NotJson(_))));
    }

    #[test]
    fn command_templates_fill_in_action_code_and_value() {
        let template = CommandTemplate::parse(r#"{"action": "{{ action }}", "code": "{{code}}"}"#)
            .expect("supported");
        assert!(template.uses_code());
        assert_eq!(
            template.render("", "ARM_AWAY", "1234"),
            r#"{"action": "ARM_AWAY", "code": "1234"}"#
        );
        let plain = CommandTemplate::parse("{{action}}").expect("supported");
        assert!(!plain.uses_code());
        assert_eq!(plain.render("", "DISARM", "1234"), "DISARM");
        assert!(CommandTemplate::parse("{{ value | int }}").is_err());
        assert!(CommandTemplate::parse("{% raw %}").is_err());
    }

    proptest! {
        #[test]
        fn any_key_reads_back_its_string(key in "[a-zA-Z_][a-zA-Z0-9_]{0,12}", value in "[ -~]{0,20}") {
            let payload = serde_json::json!({ key.clone(): value.clone() }).to_string();
            prop_assert_eq!(render(&format!("{{{{ value_json.{key} }}}}"), &payload), Some(value.clone()));
            prop_assert_eq!(render(&format!("{{{{ value_json['{key}'] }}}}"), &payload), Some(value));
        }
    }
}
