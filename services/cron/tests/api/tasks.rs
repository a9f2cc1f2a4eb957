//! `/v1/tasks`: a person's tasks through the REST API.

use serde_json::{Value, json};

use crate::helpers::spawn_authed_app;

fn reminder() -> Value {
    json!({
        "name": "stretch",
        "kind": "reminder",
        "payload": {"title": "Stretch", "body": "stand up"},
        "schedule": {"kind": "cron", "spec": "0 30 7 * * Mon-Fri"},
        "time_zone": "Europe/Berlin",
    })
}

/// The fields of a 422 body.
async fn invalid_fields(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    body["error"]["fields"].clone()
}

#[tokio::test]
async fn create_list_get_update_pause_resume_run_delete() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();

    let task = app.create_task(&token, &reminder()).await;
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["kind"], "reminder");
    assert_eq!(task["time_zone"], "Europe/Berlin");
    assert_eq!(task["misfire_policy"], "run_once");
    assert!(task["next_run_at"].is_string(), "{task}");
    assert!(task.get("secret").is_none());

    let list: Value = app.get_as("/v1/tasks", &token).await.json().await.unwrap();
    assert_eq!(list["tasks"].as_array().unwrap().len(), 1);
    let got: Value = app.get_as(&format!("/v1/tasks/{id}"), &token).await.json().await.unwrap();
    assert_eq!(got["name"], "stretch");

    // A schedule change recomputes the next run.
    let response = app
        .patch_as(
            &format!("/v1/tasks/{id}"),
            &token,
            &json!({"name": "move", "schedule": {"kind": "interval", "spec": 3600}, "max_attempts": 2}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["name"], "move");
    assert_eq!(updated["max_attempts"], 2);
    assert_eq!(updated["schedule"]["kind"], "interval");
    assert_ne!(updated["next_run_at"], task["next_run_at"]);
    assert_eq!(updated["payload"]["title"], "Stretch");

    let paused: Value = app
        .post_as(&format!("/v1/tasks/{id}/pause"), &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paused["paused"], true);
    let resumed: Value = app
        .post_as(&format!("/v1/tasks/{id}/resume"), &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["paused"], false);
    assert!(resumed["next_run_at"].is_string());

    let response = app.post_as(&format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let run: Value = response.json().await.unwrap();
    let runs: Value =
        app.get_as(&format!("/v1/tasks/{id}/runs"), &token).await.json().await.unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert!(runs.iter().any(|r| r["id"] == run["id"]), "{runs:?}");
    for field in
        ["status", "attempts", "error", "scheduled_for", "started_at", "finished_at", "duration_ms"]
    {
        assert!(runs[0].get(field).is_some(), "{field} missing in {}", runs[0]);
    }

    assert_eq!(app.delete_as(&format!("/v1/tasks/{id}"), &token).await.status(), 204);
    assert_eq!(app.get_as(&format!("/v1/tasks/{id}"), &token).await.status(), 404);
}

#[tokio::test]
async fn a_webhook_gets_a_secret_shown_once() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();
    let task = app
        .create_task(
            &token,
            &json!({
                "name": "ping",
                "kind": "webhook",
                "payload": {"url": "https://example.test/hook", "secret": "mine"},
                "schedule": {"kind": "interval", "spec": "60"},
            }),
        )
        .await;
    let secret = task["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert!(task["payload"].get("secret").is_none());
    let id = task["id"].as_str().unwrap();
    let got: Value = app.get_as(&format!("/v1/tasks/{id}"), &token).await.json().await.unwrap();
    assert!(got.get("secret").is_none() && got["payload"].get("secret").is_none(), "{got}");
    let stored: Value = sqlx::query_scalar("SELECT payload FROM cron.tasks WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored["secret"], secret);
}

#[tokio::test]
async fn someone_elses_task_is_not_found() {
    let app = spawn_authed_app().await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    let task = app.create_task(&alice, &reminder()).await;
    let id = task["id"].as_str().unwrap();

    assert_eq!(app.get_as(&format!("/v1/tasks/{id}"), &bob).await.status(), 404);
    assert_eq!(app.get_as(&format!("/v1/tasks/{id}/runs"), &bob).await.status(), 404);
    assert_eq!(
        app.patch_as(&format!("/v1/tasks/{id}"), &bob, &json!({"name": "x"})).await.status(),
        404
    );
    for action in ["pause", "resume", "run"] {
        let response = app.post_as(&format!("/v1/tasks/{id}/{action}"), &bob, &json!({})).await;
        assert_eq!(response.status(), 404, "{action}");
    }
    assert_eq!(app.delete_as(&format!("/v1/tasks/{id}"), &bob).await.status(), 404);
    let list: Value = app.get_as("/v1/tasks", &bob).await.json().await.unwrap();
    assert_eq!(list["tasks"], json!([]));
    // Still there for its owner.
    assert_eq!(app.get_as(&format!("/v1/tasks/{id}"), &alice).await.status(), 200);
}

#[tokio::test]
async fn an_id_in_the_path_that_is_not_one_is_not_found_like_a_missing_one() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();
    let missing = uuid::Uuid::new_v4().to_string();
    for id in ["not-a-uuid", "42", missing.as_str()] {
        let calls = [
            (reqwest::Method::GET, format!("/v1/tasks/{id}"), "no such task"),
            (reqwest::Method::PATCH, format!("/v1/tasks/{id}"), "no such task"),
            (reqwest::Method::DELETE, format!("/v1/tasks/{id}"), "no such task"),
            (reqwest::Method::GET, format!("/v1/tasks/{id}/runs"), "no such task"),
            (reqwest::Method::POST, format!("/v1/tasks/{id}/pause"), "no such task"),
            (reqwest::Method::POST, format!("/v1/tasks/{id}/resume"), "no such task"),
            (reqwest::Method::POST, format!("/v1/tasks/{id}/run"), "no such task"),
            (reqwest::Method::POST, format!("/v1/notifications/{id}/read"), "no such notification"),
            (
                reqwest::Method::DELETE,
                format!("/v1/push/subscriptions/{id}"),
                "no such push subscription",
            ),
        ];
        for (method, path, message) in calls {
            let response =
                app.request(method.clone(), &path, &token).json(&json!({"name": "x"})).send().await;
            let response = response.unwrap();
            assert_eq!(response.status(), 404, "{method} {path}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "not_found", "{method} {path}: {body}");
            assert_eq!(body["error"]["message"], message, "{method} {path}: {body}");
        }
    }
}

#[tokio::test]
async fn maintenance_tasks_are_not_visible() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();
    let list: Value = app.get_as("/v1/tasks", &token).await.json().await.unwrap();
    assert_eq!(list["tasks"], json!([]));
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM cron.tasks WHERE user_id IS NULL")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    for id in ids {
        assert_eq!(app.get_as(&format!("/v1/tasks/{id}"), &token).await.status(), 404);
    }
}

#[tokio::test]
async fn bad_fields_are_422s_naming_the_field() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();
    let with = |patch: Value| {
        let mut body = reminder();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (with(json!({"schedule": {"kind": "cron", "spec": "61 * * * * *"}})), "schedule"),
        (with(json!({"schedule": {"kind": "weekly", "spec": "x"}})), "schedule"),
        (with(json!({"time_zone": "Mars/Olympus"})), "time_zone"),
        (with(json!({"payload": {"body": "no title"}})), "payload.title"),
        (with(json!({"kind": "webhook", "payload": {}})), "payload.url"),
        (with(json!({"kind": "webhook", "payload": {"url": "ftp://x.test/"}})), "payload.url"),
        (with(json!({"kind": "agent_task", "payload": {"prompt": "hi"}})), "kind"),
        (with(json!({"kind": "maintenance"})), "kind"),
        (with(json!({"misfire_policy": "sometimes"})), "misfire_policy"),
        (with(json!({"overlap_policy": "never"})), "overlap_policy"),
        (with(json!({"timeout_seconds": 0})), "timeout_seconds"),
        (with(json!({"name": " "})), "name"),
    ];
    for (body, field) in cases {
        let fields = invalid_fields(app.post_as("/v1/tasks", &token, &body).await).await;
        let messages = fields[field].as_array().unwrap_or_else(|| panic!("{field}: {fields}"));
        assert!(!messages.is_empty() && messages[0].is_string(), "{field}: {fields}");
    }
    let fields = invalid_fields(
        app.post_as("/v1/tasks", &token, &with(json!({"kind": "agent_task"}))).await,
    )
    .await;
    assert!(fields["kind"][0].as_str().unwrap().contains("agents service"), "{fields}");

    // Every bad field at once; and on update too.
    let fields = invalid_fields(
        app.post_as(
            "/v1/tasks",
            &token,
            &with(json!({"time_zone": "Nowhere", "misfire_policy": "x"})),
        )
        .await,
    )
    .await;
    assert!(
        fields.get("time_zone").is_some() && fields.get("misfire_policy").is_some(),
        "{fields}"
    );
    let task = app.create_task(&token, &reminder()).await;
    let id = task["id"].as_str().unwrap();
    let fields = invalid_fields(
        app.patch_as(&format!("/v1/tasks/{id}"), &token, &json!({"time_zone": "Nowhere/Else"}))
            .await,
    )
    .await;
    assert!(fields.get("time_zone").is_some(), "{fields}");
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let app = spawn_authed_app().await;
    let response = app.client.get(format!("{}/v1/tasks", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let response =
        app.client.get(format!("{}/v1/notifications", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 401);

    // Signed by a key this service trusts, but issued by someone else.
    let mut claims = posey_testkit::TestKeys::claims_for(&uuid::Uuid::new_v4().to_string());
    claims["iss"] = json!("http://someone-else.test");
    let token = app.keys.signing_key().sign(&claims);
    assert_eq!(app.get_as("/v1/tasks", &token).await.status(), 401);

    // Signed by a key it does not know.
    let stranger = posey_testkit::TestKeys::new();
    let token = stranger.token_for(&uuid::Uuid::new_v4().to_string());
    assert_eq!(app.get_as("/v1/tasks", &token).await.status(), 401);
}

/// A token from auth's client-credentials grant, as auth mints it.
fn service_token(app: &crate::helpers::CronApp) -> String {
    let mut claims = posey_testkit::TestKeys::claims_for("service:agents");
    claims["role"] = json!("service_role");
    claims["client_id"] = json!("agents");
    claims["scope"] = json!("cron:act-for-person");
    app.keys.signing_key().sign(&claims)
}

#[tokio::test]
async fn a_service_token_without_cron_act_for_person_acts_for_nobody() {
    let app = spawn_authed_app().await;
    let (ada, _) = app.person();
    let token_with = |scope: Option<&str>| {
        let mut claims = posey_testkit::TestKeys::claims_for("service:agents");
        claims["role"] = json!("service_role");
        claims["client_id"] = json!("agents");
        if let Some(scope) = scope {
            claims["scope"] = json!(scope);
        }
        app.keys.signing_key().sign(&claims)
    };
    let calls = |token: String| {
        let app = &app;
        async move {
            let ada = ada.to_string();
            let tasks = app.request(reqwest::Method::GET, "/v1/tasks", &token);
            let create = app.request(reqwest::Method::POST, "/v1/tasks", &token).json(&reminder());
            let notice = json!({ "key": "calendar-alarm:x", "title": "Dentist" });
            let notify =
                app.request(reqwest::Method::POST, "/v1/notifications", &token).json(&notice);
            let mut answers = Vec::new();
            for request in [tasks, create, notify] {
                let response = request.header("X-Posey-Person", &ada).send().await.unwrap();
                let status = response.status().as_u16();
                answers.push((status, response.json::<Value>().await.unwrap()));
            }
            answers
        }
    };
    for scope in [None, Some(""), Some("agents:turns")] {
        for (status, body) in calls(token_with(scope)).await {
            assert_eq!(status, 403, "{scope:?}: {body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains("cron:act-for-person"), "{scope:?}: {body}");
        }
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cron.tasks WHERE user_id = $1")
        .bind(ada)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was made for Ada");
    let statuses: Vec<u16> = calls(token_with(Some("cron:act-for-person")))
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(statuses, [200, 201, 201]);
}

#[tokio::test]
async fn a_service_acts_for_the_person_it_names_and_a_person_only_for_themselves() {
    let app = spawn_authed_app().await;
    let (ada, ada_token) = app.person();
    let (bob, bob_token) = app.person();
    let service = service_token(&app);
    let as_person = |token: &str, person: uuid::Uuid, method: reqwest::Method, path: &str| {
        app.request(method, path, token).header("X-Posey-Person", person.to_string())
    };

    // Ada's token naming Bob: refused, and nothing is created for either.
    let response = as_person(&ada_token, bob, reqwest::Method::POST, "/v1/tasks")
        .json(&reminder())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response =
        as_person(&ada_token, bob, reqwest::Method::GET, "/v1/tasks").send().await.unwrap();
    assert_eq!(response.status(), 403);
    for token in [&ada_token, &bob_token] {
        let list: Value = app.get_as("/v1/tasks", token).await.json().await.unwrap();
        assert!(list["tasks"].as_array().unwrap().is_empty(), "{list}");
    }
    // Naming herself is fine.
    let response =
        as_person(&ada_token, ada, reqwest::Method::GET, "/v1/tasks").send().await.unwrap();
    assert_eq!(response.status(), 200);

    // A service token naming Bob creates Bob's task, which Bob sees and Ada does not.
    let response = as_person(&service, bob, reqwest::Method::POST, "/v1/tasks")
        .json(&reminder())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let bobs: Value = app.get_as("/v1/tasks", &bob_token).await.json().await.unwrap();
    assert_eq!(bobs["tasks"][0]["id"], created["id"]);
    let adas: Value = app.get_as("/v1/tasks", &ada_token).await.json().await.unwrap();
    assert!(adas["tasks"].as_array().unwrap().is_empty());
    let listed: Value = as_person(&service, bob, reqwest::Method::GET, "/v1/tasks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["tasks"].as_array().unwrap().len(), 1);

    // A service token acting for nobody, or for a malformed id, is refused.
    assert_eq!(app.get_as("/v1/tasks", &service).await.status(), 403);
    let response = app
        .request(reqwest::Method::GET, "/v1/tasks", &service)
        .header("X-Posey-Person", "someone")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    // The header does not open the person-only routes to services.
    let response =
        as_person(&service, bob, reqwest::Method::GET, "/v1/notifications").send().await.unwrap();
    assert_eq!(response.status(), 403);
}
