//! Issue 12's hostile inputs, all sent by one ordinary person at one `posey up`, as the black-box
//! test that found them did: afterwards all four services still answer, none of them restarted,
//! and an honest document still becomes ready. Each service's own tests pin the details; this
//! one proves the whole system stays up through all of them together.

use posey_testkit::errors::{error_of, refused_for_nul};
use posey_testkit::hostile::{docx_of, nested, pdf_claiming};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Person, Posey, answers_healthz, ports, service_pid, status_when_all_up, temp_parent,
    wait_until_ready,
};

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_input_leaves_every_service_up() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let vars = [("AUTH_MAILER_AUTOCONFIRM", "true")];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "hostile.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let before = status_when_all_up(&mut posey, &data_dir);
    let mallory = Person::sign_up(&ports, "mallory@example.com").await;

    // 1. A PDF whose page tree claims 10^15 pages.
    let pdf = mallory.upload("many.pdf", pdf_claiming(1_000_000_000_000_000)).await;
    // 3. A zip-bomb Word document: ~48 MiB of XML in well under 1 MB.
    let bomb = mallory.upload("bomb.docx", docx_of(480_000)).await;

    // 2. A GraphQL filter nested 2,000 levels deep (16 KB: it aborted the process).
    let filter = nested("{_not: ", "{id: {_is_null: false}}", "}", 2_000);
    let query = format!("{{ cron_notifications(where: {filter}) {{ id }} }}");
    let response = mallory
        .post(mallory.gateway, "/v1/graphql")
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "validation-failed", "{body}");
    assert!(body.get("data").is_none(), "{body}");

    // 4. A NUL in a conversation's title.
    let response = mallory
        .post(mallory.agents, "/v1/conversations")
        .json(&json!({"title": "a\u{0}b"}))
        .send()
        .await
        .unwrap();
    refused_for_nul(response, "title").await;

    // 5. A webhook at the loopback address (which would map the machine's ports).
    let webhook = json!({
        "name": "probe",
        "kind": "webhook",
        "payload": {"url": format!("http://127.0.0.1:{}/", mallory.auth)},
        "schedule": {"kind": "cron", "spec": "0 0 9 * * *"},
    });
    let response = mallory.post(mallory.cron, "/v1/tasks").json(&webhook).send().await.unwrap();
    let (_, fields) = error_of(response, 422).await;
    assert!(fields["payload.url"][0].as_str().unwrap().contains("private address"), "{fields}");

    // 6. A reminder every second, then a burst of creations.
    let every_second = json!({
        "name": "nag",
        "kind": "reminder",
        "payload": {"title": "Nag"},
        "schedule": {"kind": "cron", "spec": "* * * * * *"},
    });
    let response =
        mallory.post(mallory.cron, "/v1/tasks").json(&every_second).send().await.unwrap();
    let (_, fields) = error_of(response, 422).await;
    assert!(fields["schedule"].is_array(), "{fields}");
    let daily = json!({
        "name": "daily",
        "kind": "reminder",
        "payload": {"title": "Daily"},
        "schedule": {"kind": "cron", "spec": "0 0 9 * * *"},
    });
    let mut limited = 0;
    for _ in 0..100 {
        let response = mallory.post(mallory.cron, "/v1/tasks").json(&daily).send().await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            limited += 1;
        }
    }
    assert!(limited > 0, "a burst of 100 creations met no 429");

    // 7. A bad query parameter.
    let response = mallory.get(mallory.agents, "/v1/conversations?limit=abc").send().await.unwrap();
    let (_, fields) = error_of(response, 422).await;
    assert!(fields["limit"].is_array(), "{fields}");

    // The bombs fail with their reasons; an honest document after them is read.
    let pdf = mallory.settled(&pdf).await;
    assert_eq!(pdf["status"], "failed", "{pdf}");
    let bomb = mallory.settled(&bomb).await;
    assert_eq!(bomb["status"], "failed", "{bomb}");
    let honest =
        mallory.upload("notes.md", b"# Notes\n\nThe boiler is serviced in May.\n".to_vec()).await;
    let honest = mallory.settled(&honest).await;
    assert_eq!(honest["status"], "ready", "{honest}");

    // Every service answers, in the process it started with: nothing crashed and restarted.
    for (var, port) in &ports {
        assert!(answers_healthz(&mallory.client, *port).await, "{var} stopped answering");
    }
    let after = status_when_all_up(&mut posey, &data_dir);
    for service in &after.services {
        assert_eq!(service.restarts, 0, "{} restarted: {:?}", service.name, service.last_exit);
        let pid = service_pid(&before, &service.name);
        assert_eq!(service.pid, Some(pid), "{} runs in another process", service.name);
    }
}
