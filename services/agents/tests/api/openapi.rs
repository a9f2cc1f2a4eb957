//! The OpenAPI description matches the routes: every operation it names is served, every other
//! method on its paths is a 405, and it names every route the service has.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{Models, spawn};

/// Every route of the service (path, method): a new route must be added here and documented.
const ROUTES: &[(&str, &str)] = &[
    ("/healthz", "get"),
    ("/mcp", "post"),
    ("/openapi.json", "get"),
    ("/readyz", "get"),
    ("/v1/agents", "get"),
    ("/v1/chat/completions", "post"),
    ("/v1/conversations", "get"),
    ("/v1/conversations", "post"),
    ("/v1/conversations/{id}", "delete"),
    ("/v1/conversations/{id}", "get"),
    ("/v1/conversations/{id}", "patch"),
    ("/v1/conversations/{id}/messages", "get"),
    ("/v1/conversations/{id}/messages", "post"),
    ("/v1/documents", "get"),
    ("/v1/documents", "post"),
    ("/v1/documents/{id}", "delete"),
    ("/v1/documents/{id}", "get"),
    ("/v1/documents/{id}/chunks", "get"),
    ("/v1/documents/{id}/reindex", "post"),
    ("/v1/me/model", "get"),
    ("/v1/me/model", "put"),
    ("/v1/memories", "get"),
    ("/v1/memories", "post"),
    ("/v1/memories/export", "get"),
    ("/v1/memories/search", "get"),
    ("/v1/memories/{id}", "delete"),
    ("/v1/memories/{id}", "get"),
    ("/v1/memories/{id}", "patch"),
    ("/v1/models", "get"),
    ("/v1/plugins", "get"),
    ("/v1/profile", "get"),
    ("/v1/profile", "patch"),
];

#[tokio::test]
async fn the_openapi_description_matches_the_routes() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let spec: Value = response.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");

    let methods = ["get", "post", "patch", "delete", "put"];
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        for method in methods {
            let request = app
                .request(method.to_uppercase().parse().unwrap(), &concrete, &token)
                .json(&json!({}));
            let response = request.send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            if item.get(method).is_some() {
                documented.insert((path.clone(), method.to_owned()));
                assert_ne!(status, 405, "{method} {path} is documented but not served");
                assert!(
                    !body.contains("no such route"),
                    "{method} {path} is documented but not served"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
    let expected: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(path, method)| ((*path).to_owned(), (*method).to_owned())).collect();
    assert_eq!(documented, expected);

    // Every schema a path points at exists.
    let text = spec.to_string();
    for name in
        text.split("#/components/schemas/").skip(1).map(|rest| rest.split('"').next().unwrap())
    {
        assert!(spec["components"]["schemas"].get(name).is_some(), "missing schema {name}");
    }
}
