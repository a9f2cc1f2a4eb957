//! Documents against hostile input (issue 12): a PDF whose page tree claims 10^15 pages, a
//! zip-bomb DOCX, files over the text and chunk limits, a reader killed by its memory limit,
//! one person's share of the queue, fairness between people in the queue, and requests that are
//! refused in the one JSON error shape. Each bomb is built here, not committed.

use posey_agents::documents::db::{self, Inserted, NewDocument};
use posey_testkit::hostile::{docx_of, pdf_claiming};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{MANUAL, pdf, reader_app};
use crate::helpers::AgentsApp;

/// The zip bomb: about 48 MiB of XML (the default limit is 32 MiB) in well under 1 MB, built
/// once for the tests that use it.
fn bomb() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| docx_of(480_000)).clone()
}

async fn attempts(app: &AgentsApp, id: &str) -> i32 {
    sqlx::query_scalar("SELECT attempts FROM agents.documents WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

fn error_of(document: &Value) -> &str {
    document["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_pdf_claiming_a_quadrillion_pages_fails_and_the_service_stays_up() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();

    let bomb = pdf_claiming(1_000_000_000_000_000);
    assert!(bomb.len() < 1024, "{} bytes", bomb.len());
    let id = app.upload_new(&token, "many.pdf", bomb).await;
    let document = app.settled(&token, &id).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(error_of(&document).contains("claims 1000000000000000 pages"), "{document}");
    assert_eq!(document["chunks_total"], 0);
    assert_eq!(document["vectors"], 0);
    assert_eq!(attempts(&app, &id).await, 1);

    // The service is up, and the next document is read as usual.
    let good = app.upload_new(&token, "manual.pdf", pdf(MANUAL)).await;
    let document = app.settled(&token, &good).await;
    assert_eq!(document["status"], "ready", "{document}");
    assert_eq!(document["pages"], 3);
    // An honest page count of the same shape is read, too.
    let honest = app.upload_new(&token, "two.pdf", pdf_claiming(2)).await;
    let document = app.settled(&token, &honest).await;
    assert_eq!(document["status"], "ready", "{document}");
    assert_eq!(document["pages"], 2);
}

#[tokio::test]
async fn a_zip_bomb_docx_fails_at_the_inflation_limit_without_being_chunked() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();

    let bomb = bomb();
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let id = app.upload_new(&token, "bomb.docx", bomb).await;
    let document = app.settled(&token, &id).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(error_of(&document).contains("AGENTS_DOCUMENT_MAX_INFLATED_BYTES"), "{document}");
    assert!(error_of(&document).contains("32 MiB"), "{document}");
    assert_eq!(document["chunks_total"], 0);
    assert_eq!(document["chunks_done"], 0);
    assert_eq!(document["vectors"], 0);
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM agents.document_chunks")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(chunks, 0);
}

#[tokio::test]
async fn files_over_the_text_or_chunk_limit_fail_naming_the_limit() {
    let app = reader_app(&[
        ("AGENTS_DOCUMENT_MAX_TEXT_BYTES", "200000".into()),
        ("AGENTS_DOCUMENT_MAX_CHUNKS", "20".into()),
    ])
    .await;
    let (_, token) = app.person();

    // 4,000 paragraphs of 71 bytes: 284 KB of text, over the text limit.
    let wordy = app.upload_new(&token, "wordy.docx", docx_of(4_000)).await;
    // 40 sections of one short paragraph: little text, but 40 chunks.
    let sections: String =
        (0..40).map(|n| format!("# Part {n}\n\nThe text of part {n}.\n\n")).collect();
    let cut_up = app.upload_new(&token, "parts.md", sections.into_bytes()).await;
    // Under both: read as usual.
    let fine = app.upload_new(&token, "manual.pdf", pdf(MANUAL)).await;

    let document = app.settled(&token, &wordy).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(error_of(&document).contains("AGENTS_DOCUMENT_MAX_TEXT_BYTES"), "{document}");
    let document = app.settled(&token, &cut_up).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(error_of(&document).contains("more than the limit of 20 chunks"), "{document}");
    assert!(error_of(&document).contains("AGENTS_DOCUMENT_MAX_CHUNKS"), "{document}");
    assert_eq!(document["chunks_total"], 0);
    assert_eq!(app.settled(&token, &fine).await["status"], "ready");
}

#[tokio::test]
async fn a_reader_killed_by_its_memory_limit_fails_its_document_at_once() {
    // With the inflation limit raised far (as an operator might), the zip bomb gets past every
    // check in the parser; what stops it is the reading process's memory, and its death must
    // cost only that document.
    let app = reader_app(&[
        ("AGENTS_DOCUMENT_MAX_INFLATED_BYTES", (1u64 << 30).to_string()),
        ("AGENTS_DOCUMENT_MAX_MEMORY_MB", "64".into()),
    ])
    .await;
    let (_, token) = app.person();

    let id = app.upload_new(&token, "bomb.docx", bomb()).await;
    let document = app.settled(&token, &id).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(
        error_of(&document).contains("needed more than the limit of 64 MiB of memory"),
        "{document}"
    );
    assert!(error_of(&document).contains("AGENTS_DOCUMENT_MAX_MEMORY_MB"), "{document}");
    // Quarantined: failed on its first attempt, never claimed again.
    assert_eq!(attempts(&app, &id).await, 1);
    assert_eq!(document["vectors"], 0);

    // The service is up and answering.
    let list = app.get_as("/v1/documents", &token).await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    assert_eq!(list["documents"][0]["status"], "failed");
}

#[tokio::test]
async fn a_persons_share_of_the_queue_is_capped_with_a_429() {
    let app = reader_app(&[("AGENTS_DOCUMENT_MAX_QUEUED", "2".into())]).await;
    let (alice, token) = app.person();
    let (_, bob) = app.person();

    let ready = app.upload_new(&token, "manual.pdf", pdf(MANUAL)).await;
    assert_eq!(app.settled(&token, &ready).await["status"], "ready");

    // Two of Alice's documents being ingested elsewhere (another replica holds their leases).
    for n in 0..2u8 {
        sqlx::query(
            "INSERT INTO agents.documents (id, user_id, filename, media_type, size_bytes, \
                                           sha256, content, status, leased_until) \
             VALUES ($1, $2, 'busy.txt', 'text/plain', 1, $3, 'x', 'extracting', \
                     now() + interval '1 hour')",
        )
        .bind(Uuid::now_v7())
        .bind(alice)
        .bind(vec![n])
        .execute(&app.db.pool)
        .await
        .unwrap();
    }

    let response = app.upload(&token, "one-more.txt", b"one more thing".to_vec()).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    let response = app.post_as(&format!("/v1/documents/{ready}/reindex"), &token, &json!({})).await;
    assert_eq!(response.status(), 429);
    // The same bytes again is not a new document: it is answered as before.
    assert_eq!(app.upload(&token, "copy.pdf", pdf(MANUAL)).await.status(), 200);

    // Bob's share is his own.
    let his = app.upload_new(&bob, "notes.txt", b"Bob's notes".to_vec()).await;
    assert_eq!(app.settled(&bob, &his).await["status"], "ready");
}

#[tokio::test]
async fn refusals_on_the_documents_routes_are_json_errors() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();

    // Not multipart at all.
    let response = app
        .request(reqwest::Method::POST, "/v1/documents", &token)
        .header("content-type", "text/plain")
        .body("just some text")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("multipart/form-data"));
    // JSON is not a file either.
    let response = app.post_as("/v1/documents", &token, &json!({"file": "x"})).await;
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");

    // Query parameters that are not numbers.
    let id = app.upload_new(&token, "notes.txt", b"some notes".to_vec()).await;
    for path in
        ["/v1/documents?limit=abc".to_owned(), format!("/v1/documents/{id}/chunks?offset=x")]
    {
        let response = app.get_as(&path, &token).await;
        assert_eq!(response.status(), 422, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed", "{path}: {body}");
    }
}

/// Claims one document straight from the queue, as a worker does; its filename.
async fn claim(pool: &sqlx::PgPool) -> db::Claimed {
    db::claim(pool).await.unwrap().expect("a document to claim")
}

#[tokio::test]
async fn the_queue_takes_turns_between_people() {
    // The queue alone (no service, so no worker takes anything meanwhile).
    let database = posey_testkit::TestDatabase::new().await;
    let pool = &database.pool;
    let (alice, bob, carol, erin) =
        (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let queue = |person: Uuid, name: &'static str, age_seconds: i64| async move {
        let new = NewDocument {
            user_id: person,
            filename: name,
            media_type: "text/plain",
            sha256: name.as_bytes(),
            content: b"text",
        };
        let Inserted::Queued(document) = db::insert(pool, new, 100).await.unwrap() else {
            panic!("{name} was not queued");
        };
        sqlx::query(
            "UPDATE agents.documents SET updated_at = now() - make_interval(secs => $2) \
             WHERE id = $1",
        )
        .bind(document.id)
        .bind(age_seconds as f64)
        .execute(pool)
        .await
        .unwrap();
    };
    // Alice queued a pile first; Bob and Carol one each after her.
    queue(alice, "a1", 100).await;
    queue(alice, "a2", 99).await;
    queue(alice, "a3", 98).await;
    queue(bob, "b1", 90).await;
    queue(carol, "c1", 80).await;

    // The oldest first; then, while Alice's is being ingested, the others before her second.
    let a1 = claim(pool).await;
    assert_eq!(a1.filename, "a1");
    let b1 = claim(pool).await;
    assert_eq!(b1.filename, "b1");
    let c1 = claim(pool).await;
    assert_eq!(c1.filename, "c1");
    for done in [&a1, &b1, &c1] {
        assert!(db::finish(pool, done, None).await.unwrap());
    }
    let a2 = claim(pool).await;
    assert_eq!(a2.filename, "a2");
    assert!(db::finish(pool, &a2, None).await.unwrap());

    // One worker, nobody in progress: Erin, never served, goes before Alice's older third.
    queue(erin, "e1", 10).await;
    assert_eq!(claim(pool).await.filename, "e1");
    assert_eq!(claim(pool).await.filename, "a3");
    assert!(db::claim(pool).await.unwrap().is_none());
}
