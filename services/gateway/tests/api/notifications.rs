//! The built-in metadata: a person reads, marks read and deletes only their own cron
//! notifications through `cron_notifications`, and can subscribe to them.

use serde_json::json;

use crate::helpers::spawn_gateway;

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";

#[tokio::test]
async fn a_person_sees_and_marks_only_their_own_notifications() {
    let app = spawn_gateway(None, &[]).await;
    app.sql(&format!(
        "INSERT INTO cron.notifications (id, user_id, title) VALUES
           (gen_random_uuid(), '{A}', 'for a'), (gen_random_uuid(), '{B}', 'for b')"
    ))
    .await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(&a, "{ cron_notifications { title user_id read_at } cron_notifications_aggregate { aggregate { count } } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["cron_notifications"],
        json!([{"title": "for a", "user_id": A, "read_at": null}]),
        "{body}"
    );
    assert_eq!(body["data"]["cron_notifications_aggregate"]["aggregate"]["count"], 1);
    let body = app
        .as_user(&a, r#"mutation { update_cron_notifications(where: {}, _set: {read_at: "2026-01-01T00:00:00Z"}) { affected_rows } }"#, json!({}))
        .await;
    assert_eq!(body["data"]["update_cron_notifications"]["affected_rows"], 1, "{body}");
    let unread_b: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cron.notifications WHERE read_at IS NULL")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(unread_b, 1);
    // Other cron tables are not exposed to people.
    let body = app.as_user(&a, "{ cron_tasks { id } }", json!({})).await;
    assert_eq!(crate::helpers::error_code(&body), "validation-failed");
}
