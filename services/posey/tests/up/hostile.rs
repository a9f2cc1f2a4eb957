//! Issue 12's hostile inputs, all sent by one ordinary person at one `posey up`, as the black-box
//! test that found them did: afterwards all four services still answer, none of them restarted,
//! and an honest document still becomes ready. Each service's own tests pin the details; this
//! one proves the whole system stays up through all of them together.

use std::time::{Duration, Instant};

use posey_testkit::errors::{error_of, refused_for_nul};
use posey_testkit::hostile::{docx_of, nested, pdf_claiming};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Posey, answers_healthz, ports, service_pid, status_when_all_up, temp_parent, wait_until_ready,
};

/// A signed-in person and where each service listens.
struct Person {
    client: reqwest::Client,
    token: String,
    auth: u16,
    agents: u16,
    gateway: u16,
    cron: u16,
}

impl Person {
    async fn sign_up(ports: &[(&str, u16)]) -> Self {
        let port = |var: &str| ports.iter().find(|(name, _)| *name == var).unwrap().1;
        let client = reqwest::Client::new();
        let auth = port("AUTH_PORT");
        let session: Value = client
            .post(format!("http://127.0.0.1:{auth}/signup"))
            .json(&json!({"email": "mallory@example.com", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = session["access_token"].as_str().unwrap_or_else(|| panic!("{session}"));
        Self {
            client,
            token: token.to_owned(),
            auth,
            agents: port("AGENTS_PORT"),
            gateway: port("GATEWAY_PORT"),
            cron: port("CRON_PORT"),
        }
    }

    fn post(&self, port: u16, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("http://127.0.0.1:{port}{path}")).bearer_auth(&self.token)
    }

    fn get(&self, port: u16, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("http://127.0.0.1:{port}{path}")).bearer_auth(&self.token)
    }

    async fn upload(&self, filename: &str, bytes: Vec<u8>) -> String {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let response =
            self.post(self.agents, "/v1/documents").multipart(form).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "uploading {filename}: {status} {body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// The document once it is `ready` or `failed`.
    async fn settled(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let document: Value = self
                .get(self.agents, &format!("/v1/documents/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if matches!(document["status"].as_str(), Some("ready" | "failed")) {
                return document;
            }
            assert!(Instant::now() < deadline, "document never settled: {document}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_input_leaves_every_service_up() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let vars = [("AUTH_MAILER_AUTOCONFIRM", "true")];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "hostile.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let before = status_when_all_up(&mut posey, &data_dir);
    let mallory = Person::sign_up(&ports).await;

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
