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

// Issue 21: a test per resource guard. Markup nested hundreds of thousands deep, PDF object
// streams that lie or inflate, and a person's storage quota.

/// Settles within `seconds`, however the document ends: a guard that is missing shows as a
/// reader running into its time limit (60 s) instead of a prompt reason.
async fn settled_within(app: &AgentsApp, token: &str, id: &str, seconds: u64) -> Value {
    let deadline = std::time::Duration::from_secs(seconds);
    tokio::time::timeout(deadline, app.settled(token, id))
        .await
        .unwrap_or_else(|_| panic!("document {id} still not settled after {seconds} s"))
}

#[tokio::test]
async fn html_and_markdown_nested_200_000_deep_end_promptly_and_others_are_read() {
    // 50 chunks at most, so that a long Markdown line is refused rather than embedded.
    let app = reader_app(&[("AGENTS_DOCUMENT_MAX_CHUNKS", "50".into())]).await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    let levels = 200_000;

    let page = |open: &str, close: &str| {
        format!(
            "<!DOCTYPE html><html><body>{}deep inside{}</body></html>",
            open.repeat(levels),
            close.repeat(levels)
        )
        .into_bytes()
    };
    let divs = app.upload_new(&alice, "divs.html", page("<div>", "</div>")).await;
    let bolds = app.upload_new(&alice, "bold.html", page("<b>", "</b>")).await;
    // Blockquotes and list items nested as deep (CommonMark reads `>>>` as three quotes).
    let quotes = format!("# Deep\n\n{} a quote\n", ">".repeat(levels));
    let quotes = app.upload_new(&alice, "quotes.md", quotes.into_bytes()).await;
    let items = format!("# Deep\n\n{}an item\n", "- ".repeat(levels));
    let items = app.upload_new(&alice, "items.md", items.into_bytes()).await;
    // Another person's ordinary documents, queued behind them.
    let notes = "# Notes\n\n> Keep the receipt.\n\n- milk\n  - oat\n";
    let notes = app.upload_new(&bob, "notes.md", notes.as_bytes().to_vec()).await;
    let page_of_his = "<!DOCTYPE html><html><body><h1>Plan</h1><div><p>Water the <b>ferns</b>.</p></div></body></html>";
    let page_of_his = app.upload_new(&bob, "plan.html", page_of_his.as_bytes().to_vec()).await;

    let started = std::time::Instant::now();
    for id in [&divs, &bolds] {
        let document = settled_within(&app, &alice, id, 30).await;
        assert_eq!(document["status"], "failed", "{document}");
        assert!(
            error_of(&document).contains("nests its elements more than the limit of 512 levels"),
            "{document}"
        );
        assert_eq!(document["chunks_total"], 0);
        assert_eq!(attempts(&app, id).await, 1);
    }
    // Markdown is read line by line, never recursively: the depth costs nothing, and what the
    // lines hold is bounded like any text.
    for id in [&quotes, &items] {
        let document = settled_within(&app, &alice, id, 30).await;
        assert_eq!(document["status"], "failed", "{document}");
        assert!(error_of(&document).contains("more than the limit of 50 chunks"), "{document}");
        assert!(error_of(&document).contains("AGENTS_DOCUMENT_MAX_CHUNKS"), "{document}");
    }
    for id in [&notes, &page_of_his] {
        let document = settled_within(&app, &bob, id, 30).await;
        assert_eq!(document["status"], "ready", "{document}");
    }
    let chunks = app.chunks(&bob, &page_of_his).await;
    assert!(chunks[0]["text"].as_str().unwrap().contains("Water the ferns."), "{chunks:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
    // The service is up.
    assert_eq!(app.get_as("/v1/documents", &alice).await.status(), 200);
}

/// A zlib stream that inflates to `bytes` zero bytes (rounded to a whole number of matches):
/// one fixed-Huffman block of a literal 0 and then copies of 258 bytes from one byte back,
/// 13 bits each (a ratio of about 160). Written bit by bit, so no compressor has to chew
/// through the zeros.
fn zlib_zeros(bytes: usize) -> (Vec<u8>, usize) {
    struct Bits {
        out: Vec<u8>,
        bit: u32,
    }
    impl Bits {
        /// `count` bits of `value`, least significant first (header fields).
        fn value(&mut self, value: u32, count: u32) {
            for i in 0..count {
                if self.bit == 0 {
                    self.out.push(0);
                }
                *self.out.last_mut().unwrap() |= (((value >> i) & 1) as u8) << self.bit;
                self.bit = (self.bit + 1) % 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            for i in (0..count).rev() {
                self.value((code >> i) & 1, 1);
            }
        }
    }
    let copies = bytes.saturating_sub(1) / 258;
    let total = 1 + copies * 258;
    let mut bits = Bits { out: vec![0x78, 0x01], bit: 0 };
    bits.value(1, 1); // the last block
    bits.value(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..copies {
        bits.code(0b1100_0101, 8); // length 258 (symbol 285)
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    let (a, b) = (1u32, (total % 65_521) as u32);
    bits.out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    (bits.out, total)
}

/// A one-page PDF ("Page text in plain sight.") with an object stream: `/N` and `/First` as
/// given, its content `content` (zlib-compressed when `deflated`).
fn pdf_with_object_stream(n: &str, first: &str, content: &[u8], deflated: bool) -> Vec<u8> {
    let text = "BT /F1 12 Tf 72 720 Td (Page text in plain sight.) Tj ET";
    let filter = if deflated { " /Filter /FlateDecode" } else { "" };
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    let mut stream = format!(
        "<< /Type /ObjStm /N {n} /First {first} /Length {}{filter} >>\nstream\n",
        content.len()
    )
    .into_bytes();
    stream.extend_from_slice(content);
    stream.extend_from_slice(b"\nendstream");
    objects.push(stream);
    let mut bytes = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(bytes.len());
        bytes.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        bytes.extend_from_slice(object);
        bytes.extend_from_slice(b"\nendobj\n");
    }
    let xref = bytes.len();
    bytes.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        bytes.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    bytes.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    bytes
}

#[tokio::test]
async fn pdf_object_streams_that_lie_or_inflate_are_bounded() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();

    // Object streams claiming a quadrillion objects, or their first object a petabyte in: the
    // claims size nothing, and the page is read.
    let members = b"7 0 8 21 << /Note (inside) >> << /Note (also inside) >>";
    let many = pdf_with_object_stream("1000000000000000", "9", members, false);
    let far = pdf_with_object_stream("2", "1000000000000000", members, false);
    let negative = pdf_with_object_stream("-1", "-9", members, false);
    let mut ids = Vec::new();
    for (name, bytes) in [("many.pdf", many), ("far.pdf", far), ("negative.pdf", negative)] {
        ids.push(app.upload_new(&token, name, bytes).await);
    }
    // A deflate bomb inside an object stream: 48 MiB of zeros in 300 KB, past the 32 MiB
    // that a PDF's streams may inflate to.
    let (zeros, inflated) = zlib_zeros(48 << 20);
    assert!(zeros.len() < 400 * 1024, "{} bytes", zeros.len());
    assert!(inflated > 32 << 20);
    let bomb =
        app.upload_new(&token, "bomb.pdf", pdf_with_object_stream("1", "10", &zeros, true)).await;

    for id in &ids {
        let document = settled_within(&app, &token, id, 30).await;
        assert_eq!(document["status"], "ready", "{document}");
        assert_eq!(document["pages"], 1);
        assert_eq!(document["chunks_total"], 1);
        let chunks = app.chunks(&token, id).await;
        assert!(chunks[0]["text"].as_str().unwrap().contains("Page text in plain sight."));
    }
    let document = settled_within(&app, &token, &bomb, 30).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(error_of(&document).contains("the PDF inflates to more than the limit of 32 MiB"));
    assert!(error_of(&document).contains("AGENTS_DOCUMENT_MAX_INFLATED_BYTES"), "{document}");
    assert_eq!(document["chunks_total"], 0);
    assert_eq!(attempts(&app, &bomb).await, 1);

    // With the inflation limit lifted far, the reader's memory is what stops the bomb, and
    // its death costs only that document.
    let app = reader_app(&[
        ("AGENTS_DOCUMENT_MAX_INFLATED_BYTES", (4u64 << 30).to_string()),
        ("AGENTS_DOCUMENT_MAX_MEMORY_MB", "64".into()),
    ])
    .await;
    let (_, token) = app.person();
    let (zeros, _) = zlib_zeros(160 << 20);
    let bomb =
        app.upload_new(&token, "bomb.pdf", pdf_with_object_stream("1", "10", &zeros, true)).await;
    let document = settled_within(&app, &token, &bomb, 30).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(
        error_of(&document).contains("needed more than the limit of 64 MiB of memory"),
        "{document}"
    );
    assert_eq!(attempts(&app, &bomb).await, 1);
    // (64 MiB of address space is too little for this debug build to read any PDF, so what
    // shows the service is whole here is that it answers.)
    let list: Value = app.get_as("/v1/documents", &token).await.json().await.unwrap();
    assert_eq!(list["documents"][0]["status"], "failed", "{list}");
}

/// The person's documents' bytes as stored.
async fn stored_bytes(app: &AgentsApp, person: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(size_bytes), 0)::bigint FROM agents.documents WHERE user_id = $1",
    )
    .bind(person)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// `size` bytes of text, different for each `tag`.
fn text_of_size(tag: &str, size: usize) -> Vec<u8> {
    let mut text = format!("{tag} ").repeat(size / (tag.len() + 1) + 1).into_bytes();
    text.truncate(size);
    text
}

#[tokio::test]
async fn a_persons_documents_are_held_to_their_storage_quota() {
    let app = reader_app(&[("AGENTS_DOCUMENTS_QUOTA_BYTES", "1000".into())]).await;
    let (alice, token) = app.person();
    let (bob, his_token) = app.person();

    let first = app.upload_new(&token, "first.txt", text_of_size("first", 600)).await;
    // 600 + 500 is over 1,000: refused, naming the quota, what is used and the file's size.
    let response = app.upload(&token, "second.txt", text_of_size("second", 500)).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    for part in
        ["(500 bytes)", "quota of 1000 bytes", "AGENTS_DOCUMENTS_QUOTA_BYTES", "600 bytes are used"]
    {
        assert!(message.contains(part), "{part}: {message}");
    }
    // Nothing of it was stored.
    assert_eq!(stored_bytes(&app, alice).await, 600);
    let list: Value = app.get_as("/v1/documents", &token).await.json().await.unwrap();
    assert_eq!(list["documents"].as_array().unwrap().len(), 1, "{list}");
    // Up to the quota exactly is fine.
    app.upload_new(&token, "third.txt", text_of_size("third", 400)).await;
    assert_eq!(app.upload(&token, "one.txt", b"x".to_vec()).await.status(), 413);

    // Deleting a document frees its share; then uploads at once take no more than is free
    // (400 used: two of five 300-byte files fit), however they interleave.
    let deleted = app.delete_as(&format!("/v1/documents/{first}"), &token).await;
    assert_eq!(deleted.status(), 204);
    let uploads = (0..5).map(|n| {
        let token = token.clone();
        let app = &app;
        async move {
            app.upload(&token, &format!("{n}.txt"), text_of_size(&format!("at-once-{n}"), 300))
                .await
        }
    });
    let statuses: Vec<u16> = futures::future::join_all(uploads)
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 2, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 413).count(), 3, "{statuses:?}");
    assert_eq!(stored_bytes(&app, alice).await, 1000);

    // Bob's quota is his own.
    let his = app.upload_new(&his_token, "his.txt", text_of_size("his", 1000)).await;
    assert_eq!(app.settled(&his_token, &his).await["status"], "ready");
    assert_eq!(stored_bytes(&app, bob).await, 1000);
}
