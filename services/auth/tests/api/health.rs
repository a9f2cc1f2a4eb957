//! Health, readiness and the shared edge behaviour of the auth service; an unknown route answers
//! in GoTrue's error shape, as every other auth error does.

posey_testkit::service_health_tests!(
    crate::helpers::spawn_app_with,
    not_found: serde_json::json!({"code": 404, "error_code": "not_found", "msg": "no such route"})
);
