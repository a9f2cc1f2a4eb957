//! Documents: real PDF and DOCX files written here (plus HTML, Markdown, a corrupt and an
//! encrypted PDF) go through upload, background ingestion and search with citations; delete,
//! re-index, limits and isolation between people; what a lookup gives a weak model.

// The lookup test prints the similarity it measured (with --nocapture).
#![allow(clippy::print_stdout)]

use std::io::Write;

use lopdf::{Document, Object, Stream, dictionary};
use posey_models::testing::{FunctionModel, Reply};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, spawn};

/// A PDF with one page per text (Helvetica, one line each).
pub(crate) fn pdf(pages: &[&str]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    // Encryption needs the trailer's /ID.
    doc.trailer.set(
        "ID",
        Object::Array(vec![
            Object::string_literal(b"0123456789abcdef".to_vec()),
            Object::string_literal(b"fedcba9876543210".to_vec()),
        ]),
    );
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let kids: Vec<Object> = pages
        .iter()
        .map(|text| {
            let content = format!("BT\n/F1 12 Tf\n72 720 Td\n({text}) Tj\nET\n");
            let contents = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
            Object::Reference(doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
                "Contents" => contents,
            }))
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => pages.len() as i64,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    save(&mut doc)
}

fn save(doc: &mut Document) -> Vec<u8> {
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

pub(crate) const MANUAL: &[&str] = &[
    "Welcome to the Acme toaster. Plug it in and press the lever to toast bread.",
    "Warranty terms: the warranty lasts 36 months from the date of purchase.",
    "Cleaning: empty the crumb tray every week and wipe the outside with a dry cloth.",
];

/// The manual, encrypted with a user password.
fn encrypted_pdf() -> Vec<u8> {
    let mut doc = Document::load_mem(&pdf(&["A secret page about the vault code."])).unwrap();
    let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "secret",
        key_length: 128,
        permissions: lopdf::Permissions::all(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    save(&mut doc)
}

/// A Word document: a Heading1, a paragraph, a Heading2 and a paragraph in two runs.
fn docx() -> Vec<u8> {
    let body = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Garden plan</w:t></w:r></w:p>
<w:p><w:r><w:t>Plant the tomatoes in May &amp; water them daily.</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Roses</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Prune the roses </w:t></w:r><w:r><w:t>in early spring.</w:t></w:r></w:p>
</w:body></w:document>"#;
    let types = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"#;
    let mut bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(types.as_bytes()).unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    bytes
}

impl AgentsApp {
    pub(crate) async fn upload(
        &self,
        token: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.request(reqwest::Method::POST, "/v1/documents", token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads a new document (202) and returns its id.
    pub(crate) async fn upload_new(&self, token: &str, filename: &str, bytes: Vec<u8>) -> String {
        let response = self.upload(token, filename, bytes).await;
        assert_eq!(response.status(), 202, "{:?}", response.text().await);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "queued");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Polls the document until ingestion ends (ready or failed); bounded.
    pub(crate) async fn settled(&self, token: &str, id: &str) -> Value {
        for _ in 0..1200 {
            let response = self.get_as(&format!("/v1/documents/{id}"), token).await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            if body["status"] == "ready" || body["status"] == "failed" {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("document {id} never finished ingesting");
    }

    pub(crate) async fn chunks(&self, token: &str, id: &str) -> Vec<Value> {
        let response = self.get_as(&format!("/v1/documents/{id}/chunks"), token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["chunks"].as_array().unwrap().clone()
    }

    /// A turn whose model calls `search_documents` with the message; the tool's result.
    async fn search(&self, token: &str, query: &str) -> Value {
        let conversation = self.conversation(token, None).await;
        let stream = self.chat(token, &conversation, query).await;
        let results = events(&stream, "tool_result");
        assert_eq!(results.len(), 1, "{stream:?}");
        assert_eq!(results[0]["is_error"], false, "{:?}", results[0]);
        serde_json::from_str(results[0]["content"].as_str().unwrap()).unwrap()
    }
}

const READER: &str = r#"
router: reader
agents:
  - name: reader
    prompt: You answer from the person's documents and cite them.
    plugins: [documents]
"#;

/// A model that searches the documents for the person's message, then answers with the result.
fn searching_model() -> FunctionModel {
    FunctionModel::new(|input| match input.tool_results().last() {
        None => {
            assert!(input.tool_names().contains(&"search_documents".to_owned()));
            let query = input.last_user_text().unwrap_or_default();
            Reply::tool_call("search_documents", json!({"query": query, "limit": 3}))
        }
        Some(result) => Reply::text(format!("Found: {}", result.content)),
    })
}

/// The service with the reader agent; files are read by the posey-agents binary's extractor
/// child (the test binary cannot be one).
pub(crate) async fn reader_app(vars: &[(&str, String)]) -> AgentsApp {
    let mut all =
        vec![("AGENTS_DOCUMENT_EXTRACTOR", env!("CARGO_BIN_EXE_posey-agents").to_owned())];
    all.extend(vars.iter().cloned());
    spawn(Models::default().with("test", searching_model()), Some(READER), &all).await
}

#[tokio::test]
async fn a_pdf_is_ingested_searched_with_page_citations_reindexed_and_deleted() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();

    // The name says text; the content says PDF.
    let manual = pdf(MANUAL);
    let id = app.upload_new(&token, "manual.txt", manual.clone()).await;
    let document = app.settled(&token, &id).await;
    assert_eq!(document["status"], "ready", "{document}");
    assert_eq!(document["media_type"], "application/pdf");
    assert_eq!(document["filename"], "manual.txt");
    assert_eq!(document["pages"], 3);
    assert_eq!(document["chunks_total"], 3);
    assert_eq!(document["chunks_done"], 3);
    assert_eq!(document["vectors"], 3);
    assert_eq!(document["error"], Value::Null);
    let chunks = app.chunks(&token, &id).await;
    let pages: Vec<i64> = chunks.iter().map(|c| c["page"].as_i64().unwrap()).collect();
    assert_eq!(pages, [1, 2, 3]);
    assert!(chunks[1]["text"].as_str().unwrap().contains("36 months"), "{:?}", chunks[1]);

    // The same bytes again, under another name: the same document.
    let again = app.upload(&token, "copy.pdf", manual).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], id.as_str());
    let list: Value = app.get_as("/v1/documents", &token).await.json().await.unwrap();
    assert_eq!(list["documents"].as_array().unwrap().len(), 1);

    // The agent's search cites page 2 for the warranty.
    let found = app.search(&token, "How long does the warranty last?").await;
    let best = &found["passages"][0];
    assert_eq!(best["page"], 2, "{found}");
    assert_eq!(best["document_id"], id.as_str());
    assert_eq!(best["filename"], "manual.txt");
    assert_eq!(best["chunk"], 1);
    assert_eq!(best["cite"], "[manual.txt p. 2]");
    assert!(best["text"].as_str().unwrap().contains("36 months"));

    // Re-indexing rebuilds it, without leaving the old vectors behind.
    let response = app.post_as(&format!("/v1/documents/{id}/reindex"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let document = app.settled(&token, &id).await;
    assert_eq!(document["status"], "ready");
    assert_eq!(document["chunks_total"], 3);
    assert_eq!(document["vectors"], 3);
    let found = app.search(&token, "crumb tray cleaning").await;
    assert_eq!(found["passages"][0]["page"], 3, "{found}");

    // Delete removes the document, its chunks and its vectors.
    let response = app.delete_as(&format!("/v1/documents/{id}"), &token).await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.get_as(&format!("/v1/documents/{id}"), &token).await.status(), 404);
    let list: Value = app.get_as("/v1/documents", &token).await.json().await.unwrap();
    assert_eq!(list["documents"], json!([]));
    assert_eq!(list["vectors"], 0);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM agents.document_chunks")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let found = app.search(&token, "How long does the warranty last?").await;
    assert_eq!(found["passages"], json!([]));
}

#[tokio::test]
async fn word_html_and_markdown_keep_their_headings() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();

    let word = app.upload_new(&token, "garden.docx", docx()).await;
    let html = "<!DOCTYPE html><html><head><title>Bikes</title><script>var secret = 1;</script>\
                </head><body><h1>Bike care</h1><p>Oil the <b>chain</b> monthly.</p>\
                <h2>Tyres</h2><p>Keep the tyres at 4 bar.</p></body></html>";
    // A misleading name: sniffed as HTML anyway.
    let page = app.upload_new(&token, "bikes.pdf", html.as_bytes().to_vec()).await;
    let markdown = "# Recipes\n\nNotes from the kitchen.\n\n## Bread\n\nKnead the dough for \
                    ten minutes.\n\n```\nnot a # heading\n```\n";
    let notes = app.upload_new(&token, "recipes.md", markdown.as_bytes().to_vec()).await;

    let word_doc = app.settled(&token, &word).await;
    assert_eq!(word_doc["status"], "ready", "{word_doc}");
    assert_eq!(
        word_doc["media_type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(word_doc["pages"], Value::Null);
    let chunks = app.chunks(&token, &word).await;
    let headings: Vec<&str> = chunks.iter().map(|c| c["heading"].as_str().unwrap()).collect();
    assert_eq!(headings, ["Garden plan", "Garden plan > Roses"]);
    assert!(chunks[0]["text"].as_str().unwrap().contains("tomatoes in May & water"));
    assert!(chunks[1]["text"].as_str().unwrap().contains("Prune the roses in early spring."));

    let page_doc = app.settled(&token, &page).await;
    assert_eq!(page_doc["status"], "ready", "{page_doc}");
    assert_eq!(page_doc["media_type"], "text/html");
    let chunks = app.chunks(&token, &page).await;
    let headings: Vec<&str> = chunks.iter().map(|c| c["heading"].as_str().unwrap()).collect();
    assert_eq!(headings, ["Bike care", "Bike care > Tyres"]);
    assert!(chunks.iter().all(|c| !c["text"].as_str().unwrap().contains("secret")));

    let notes_doc = app.settled(&token, &notes).await;
    assert_eq!(notes_doc["status"], "ready", "{notes_doc}");
    assert_eq!(notes_doc["media_type"], "text/markdown");
    let chunks = app.chunks(&token, &notes).await;
    let headings: Vec<&str> = chunks.iter().map(|c| c["heading"].as_str().unwrap()).collect();
    assert_eq!(headings, ["Recipes", "Recipes > Bread"]);

    let found = app.search(&token, "how often should I oil the bike chain").await;
    let best = &found["passages"][0];
    assert_eq!(best["heading"], "Bike care", "{found}");
    assert_eq!(best["cite"], "[bikes.pdf § Bike care]");
}

#[tokio::test]
async fn corrupt_and_encrypted_pdfs_fail_cleanly_with_their_reason() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();

    let whole = pdf(MANUAL);
    let corrupt = whole[..whole.len() * 2 / 3].to_vec();
    let broken = app.upload_new(&token, "broken.pdf", corrupt).await;
    let locked = app.upload_new(&token, "locked.pdf", encrypted_pdf()).await;

    let document = app.settled(&token, &broken).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(document["error"].as_str().unwrap().contains("damaged"), "{document}");
    assert_eq!(document["chunks_total"], 0);
    assert_eq!(document["vectors"], 0);
    assert_eq!(app.chunks(&token, &broken).await, Vec::<Value>::new());

    let document = app.settled(&token, &locked).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert!(document["error"].as_str().unwrap().contains("encrypted"), "{document}");
    assert_eq!(document["vectors"], 0);
    assert_eq!(app.chunks(&token, &locked).await, Vec::<Value>::new());

    // Nothing of them is searchable, and a good document next to them is.
    let good = app.upload_new(&token, "manual.pdf", pdf(MANUAL)).await;
    assert_eq!(app.settled(&token, &good).await["status"], "ready");
    let list: Value = app.get_as("/v1/documents", &token).await.json().await.unwrap();
    assert_eq!(list["vectors"], 3);
    let found = app.search(&token, "vault code").await;
    assert!(
        found["passages"].as_array().unwrap().iter().all(|p| p["document_id"] == good.as_str())
    );

    // A failed document can be re-indexed (and fails again, the same way).
    let response =
        app.post_as(&format!("/v1/documents/{broken}/reindex"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let document = app.settled(&token, &broken).await;
    assert_eq!(document["status"], "failed");
    assert!(document["error"].as_str().unwrap().contains("damaged"));
}

#[tokio::test]
async fn uploads_over_the_limit_or_of_other_types_are_refused() {
    let app = reader_app(&[("AGENTS_MAX_UPLOAD_BYTES", "2000".into())]).await;
    let (_, token) = app.person();

    let response = app.upload(&token, "big.txt", vec![b'a'; 2001]).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("2000 bytes"), "{body}");
    // Far over the limit, too (the body limit stops it before it is read).
    let response = app.upload(&token, "huge.txt", vec![b'a'; 300_000]).await;
    assert_eq!(response.status(), 413);

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let response = app.upload(&token, "photo.pdf", png).await;
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("image/png"), "{body}");
    let zip = {
        let mut bytes = Vec::new();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
        zip.start_file("notes.txt", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"hello").unwrap();
        zip.finish().unwrap();
        bytes
    };
    let response = app.upload(&token, "report.docx", zip).await;
    assert_eq!(response.status(), 415);

    let response = app.upload(&token, "empty.txt", Vec::new()).await;
    assert_eq!(response.status(), 400);
    let list: Value = app.get_as("/v1/documents", &token).await.json().await.unwrap();
    assert_eq!(list["documents"], json!([]));
}

#[tokio::test]
async fn one_persons_documents_are_invisible_to_another() {
    let app = reader_app(&[]).await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();

    let id = app.upload_new(&alice, "manual.pdf", pdf(MANUAL)).await;
    assert_eq!(app.settled(&alice, &id).await["status"], "ready");

    let list: Value = app.get_as("/v1/documents", &bob).await.json().await.unwrap();
    assert_eq!(list["documents"], json!([]));
    assert_eq!(list["vectors"], 0);
    for path in [format!("/v1/documents/{id}"), format!("/v1/documents/{id}/chunks")] {
        assert_eq!(app.get_as(&path, &bob).await.status(), 404, "{path}");
    }
    let reindex = app.post_as(&format!("/v1/documents/{id}/reindex"), &bob, &json!({})).await;
    assert_eq!(reindex.status(), 404);
    assert_eq!(app.delete_as(&format!("/v1/documents/{id}"), &bob).await.status(), 404);
    let found = app.search(&bob, "How long does the warranty last?").await;
    assert_eq!(found["passages"], json!([]));

    // Bob uploading the same bytes gets his own document, not Alice's.
    let his = app.upload_new(&bob, "manual.pdf", pdf(MANUAL)).await;
    assert_ne!(his, id);
    assert_eq!(app.settled(&bob, &his).await["status"], "ready");

    // Alice's is untouched.
    let document: Value =
        app.get_as(&format!("/v1/documents/{id}"), &alice).await.json().await.unwrap();
    assert_eq!(document["status"], "ready");
    assert_eq!(document["vectors"], 3);
}

#[tokio::test]
async fn a_document_left_by_a_worker_that_died_is_taken_over() {
    let app = reader_app(&[]).await;
    let (_, token) = app.person();
    let id = app.upload_new(&token, "manual.pdf", pdf(MANUAL)).await;
    assert_eq!(app.settled(&token, &id).await["status"], "ready");

    // As if a replica died while embedding it: its lease ran out.
    sqlx::query(
        "UPDATE agents.documents SET status = 'embedding', chunks_done = 1, \
         leased_until = now() - interval '1 second' WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let document = app.settled(&token, &id).await;
    assert_eq!(document["status"], "ready", "{document}");
    assert_eq!(document["chunks_done"], 3);
    assert_eq!(document["vectors"], 3);
    let attempts: i32 =
        sqlx::query_scalar("SELECT attempts FROM agents.documents WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn a_weak_model_gets_passages_with_the_question_they_are_for_alone() {
    // The model only says whether it was given passages: the lookup is the runtime's.
    let model = FunctionModel::new(|input| {
        let asked = format!("{:?}", input.request.chat_history);
        assert!(
            input.tool_names().is_empty()
                || !input.tool_names().contains(&"search_documents".to_owned())
        );
        Reply::text(if asked.contains("search_documents found") {
            // Each passage as its citation and text, without the result's ids and scores.
            let compact = asked.contains("[lease.md § Lease > Rent] Rent")
                && asked.contains("The rent of 1,200 euros")
                && !asked.contains("document_id");
            if compact { "with passages" } else { "as JSON" }
        } else if asked.contains("ToolCall") || asked.contains("ToolResult") {
            "with an earlier message's passages"
        } else {
            "without"
        })
    });
    let mut vars =
        vec![("AGENTS_DOCUMENT_EXTRACTOR", env!("CARGO_BIN_EXE_posey-agents").to_owned())];
    vars.push(("POSEY_MODEL_TOOLS", "weak".to_owned()));
    let app = spawn(Models::default().with("test", model.clone()), Some(READER), &vars).await;
    let (_, token) = app.person();
    let lease = "# Lease\n\n## Rent\n\nThe rent of 1,200 euros is due on the first day of each month, \
                 paid by bank transfer to the landlord, Maria Silva.\n\n## Pets\n\nNo pets are \
                 allowed in the flat without the landlord's written consent.\n";
    let id = app.upload_new(&token, "lease.md", lease.as_bytes().to_vec()).await;
    assert_eq!(app.settled(&token, &id).await["status"], "ready");
    let conversation = app.conversation(&token, None).await;

    let stream = app.chat(&token, &conversation, "When is my rent due?").await;
    let calls = events(&stream, "tool_call");
    assert_eq!(calls.len(), 1, "{stream:?}");
    assert_eq!(calls[0]["name"], "search_documents");
    assert_eq!(calls[0]["arguments"], json!({"query": "When is my rent due?", "limit": 3}));
    let found: Value =
        serde_json::from_str(events(&stream, "tool_result")[0]["content"].as_str().unwrap())
            .unwrap();
    let passages = found["passages"].as_array().unwrap();
    println!("similarity of the rent passage to the question: {}", passages[0]["score"]);
    assert_eq!(passages[0]["cite"], "[lease.md § Lease > Rent]", "{found}");
    let said: String =
        events(&stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect();
    assert_eq!(said, "with passages");
    let history = app.history(&token, &conversation).await;
    let roles: Vec<&str> = history.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"], "{history:?}");

    // Small talk finds nothing close enough: no call, nothing next to the message; and what
    // was found for the question before was for that question, not sent again.
    let stream = app.chat(&token, &conversation, "Hello, how are you today?").await;
    assert!(events(&stream, "tool_call").is_empty(), "{stream:?}");
    let said: String =
        events(&stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect();
    assert_eq!(said, "without");
}
