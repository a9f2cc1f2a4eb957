//! Checking a service's generated OpenAPI document: the paths its router serves against the
//! document's, every operation named and summarised, and real answers collected by a test
//! checked against the document with the Node validator in `openapi/` beside this crate
//! (the official OpenAPI 3.1 schema, and each answer against its operation's schema).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// The paths axum's router serves, read from its `Debug` form: axum has no API that lists
/// them, and this way the list comes from the code rather than from a copy kept by hand.
pub fn served_paths<S>(router: &axum::Router<S>) -> BTreeSet<String> {
    let text = format!("{router:?}");
    // The fallback router (a catch-all axum adds) is not a route.
    let routes = text.split("fallback_router").next().unwrap_or_default();
    let mut paths = BTreeSet::new();
    for part in routes.split("RouteId(").skip(1) {
        if let Some((_, rest)) = part.split_once("): \"")
            && let Some((path, _)) = rest.split_once('"')
        {
            paths.insert(path.to_owned());
        }
    }
    paths
}

/// The document's operations: (lower-case method, templated path, operation).
pub fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    let paths = document["paths"].as_object().expect("the document has paths");
    for (path, item) in paths {
        for method in ["get", "put", "post", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                found.push((method.to_owned(), path.clone(), operation));
            }
        }
    }
    found
}

/// Every operation has a unique `operationId`, a summary, and documents a 500.
pub fn assert_operations_are_complete(document: &Value) {
    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(document) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty() && ids.insert(id), "{method} {path}: operationId {id:?}");
        assert!(operation["summary"].is_string(), "{method} {path} ({id}): no summary");
        assert!(operation["responses"].get("500").is_some(), "{method} {path} ({id}): no 500");
    }
}

/// Real answers, each with the operation (method and templated path) it came from.
#[derive(Default)]
pub struct Samples(pub Vec<Value>);

impl Samples {
    /// Sends `method path` to `app` (as `token`, with `body` as JSON) and records its answer
    /// under `template`.
    pub async fn call(
        &mut self,
        app: &crate::TestApp,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = app.client.request(method, format!("{}{path}", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(template, request).await
    }

    /// Sends `request` and records its answer as one of the operation at `template`.
    pub async fn send(&mut self, template: &str, request: RequestBuilder) -> (StatusCode, Value) {
        let (client, request) = request.build_split();
        let request = request.expect("a valid request");
        let method = request.method().clone();
        let response = client.execute(request).await.expect("sending the request");
        self.record(&method, template, response).await
    }

    /// Records `response`'s status and body (`null` when empty, or not JSON: an event stream,
    /// which is read to its end).
    pub async fn record(
        &mut self,
        method: &Method,
        template: &str,
        response: reqwest::Response,
    ) -> (StatusCode, Value) {
        let status = response.status();
        let json = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
        let text = response.text().await.expect("reading the body");
        let body = if text.is_empty() || !json {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        };
        self.0.push(json!({
            "method": method.as_str().to_lowercase(),
            "path": template,
            "status": status.as_u16(),
            "body": body,
        }));
        (status, body)
    }

    /// Every operation of the document was seen answering at least once, but those in `unseen`
    /// (as `"get /path"`).
    pub fn assert_every_operation_seen(&self, document: &Value, unseen: &[&str]) {
        let seen: BTreeSet<(&str, &str)> = self
            .0
            .iter()
            .filter_map(|s| Some((s["method"].as_str()?, s["path"].as_str()?)))
            .collect();
        for (method, path, _) in operations(document) {
            if !unseen.contains(&format!("{method} {path}").as_str()) {
                assert!(
                    seen.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} never called"
                );
            }
        }
    }
}

/// Runs the Node validator (`crates/posey-testkit/openapi/check.mjs`) on the document and the
/// samples; returns its report, or fails with it.
pub fn check_with_node(document: &Value, samples: &Samples) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    assert!(
        dir.join("node_modules/@seriousme/openapi-schema-validator").is_dir(),
        "{}/node_modules is missing: ./scripts/test installs it (npm ci)",
        dir.display()
    );
    let input = std::env::temp_dir().join(format!("posey-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&input, json!({ "document": document, "samples": samples.0 }).to_string())
        .expect("writing the validator's input");
    let output = Command::new("node")
        .arg("check.mjs")
        .arg(&input)
        .current_dir(&dir)
        .output()
        .expect("running node (./scripts/test installs Node.js)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_file(&input);
    assert!(output.status.success(), "the OpenAPI check failed:\n{report}");
    report
}
