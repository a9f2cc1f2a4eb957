//! `GET /v1/me/export`: one zip, read back with the `zip` crate as any unzip would, holding the
//! person's conversations (Markdown and JSON), memories, documents with their files as
//! uploaded, profile and confirmations, a README saying what is there and what is not (this
//! service alone has no auth or cron to ask), and nothing of anyone else. The calendar, finance
//! and home parts have tests of their own beside their plugins' (`*_export.rs`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, spawn};

/// The person's export: file name → content.
pub(crate) async fn export_of(app: &AgentsApp, token: &str) -> BTreeMap<String, Vec<u8>> {
    let response = app.get_as("/v1/me/export", token).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"posey-export-"), "{disposition}");
    posey_testkit::unzip::entries(response.bytes().await.unwrap().to_vec())
}

pub(crate) fn json_in(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    let bytes = files.get(name).unwrap_or_else(|| panic!("no {name} in {:?}", files.keys()));
    serde_json::from_slice(bytes).unwrap()
}

fn text_in(files: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(
        files.get(name).unwrap_or_else(|| panic!("no {name} in {:?}", files.keys())).clone(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_person_gets_everything_of_theirs_in_one_zip_and_nothing_of_anyone_else() {
    let vars = [("AGENTS_DOCUMENT_EXTRACTOR", env!("CARGO_BIN_EXE_posey-agents").to_owned())];
    let app = spawn(Models::test(), None, &vars).await;
    let (_, ada) = app.person();
    let (_, bob) = app.person();

    let profile = json!({"name": "Ada", "time_zone": "Europe/London"});
    assert_eq!(app.patch_as("/v1/profile", &ada, &profile).await.status(), 200);
    let conversation = app.conversation(&ada, None).await;
    app.chat(&ada, &conversation, "Plan a walk along the Thames").await;
    let remember = json!({"text": "Ada prefers trains to planes", "kind": "preference"});
    assert_eq!(app.post_as("/v1/memories", &ada, &remember).await.status(), 201);
    let notes = b"# Boiler\n\nServiced every May by Mr Price.\n".to_vec();
    let document = app.upload_new(&ada, "boiler/notes.md", notes.clone()).await;
    assert_eq!(app.settled(&ada, &document).await["status"], "ready");
    // Bob's things, which must not be in Ada's export.
    let his = app.conversation(&bob, None).await;
    app.chat(&bob, &his, "Bob's secret plan").await;
    let remember = json!({"text": "Bob hides the key under the mat"});
    assert_eq!(app.post_as("/v1/memories", &bob, &remember).await.status(), 201);

    let progress = |token: String| {
        let app = &app;
        async move {
            let response = app.get_as("/v1/me/export/progress", &token).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(progress(ada.clone()).await["state"], "none");
    let response = app.get_as("/v1/me/export", &ada).await;
    assert_eq!(response.status(), 200);
    let zip = response.bytes().await.unwrap().to_vec();
    let files = posey_testkit::unzip::entries(zip.clone());
    // Once the download has ended, the progress view has its whole summary.
    let done = progress(ada.clone()).await;
    assert_eq!(done["state"], "finished", "{done}");
    assert_eq!(done["files"], files.len(), "{done}");
    assert_eq!(done["bytes"], zip.len(), "{done}");
    assert_eq!(done["parts_done"], done["parts_total"], "{done}");
    assert!(done["parts_total"].as_u64().unwrap() >= 4, "{done}");
    assert!(done["finished_at"].is_string() && done["part"].is_null(), "{done}");
    assert_eq!(progress(bob.clone()).await["state"], "none", "each person's own");
    let readme = text_in(&files, "README.md");
    assert!(readme.contains("`memory/memories.json`"), "{readme}");
    assert!(
        readme.contains(
            "reminders and notifications (this install's agents service has no CRON_URL)"
        ),
        "{readme}"
    );
    assert!(!files.contains_key("account.json"), "no auth to ask here");

    // The conversation, to read and as stored: the person's message and the answer.
    let stems: Vec<&String> =
        files.keys().filter(|k| k.starts_with("conversations/") && k.ends_with(".md")).collect();
    assert_eq!(stems.len(), 1, "{:?}", files.keys());
    let markdown = text_in(&files, stems[0]);
    assert!(markdown.contains("## You, "), "{markdown}");
    assert!(markdown.contains("Plan a walk along the Thames"), "{markdown}");
    let stored = json_in(&files, &stems[0].replace(".md", ".json"));
    assert_eq!(stored["conversation"]["id"], conversation.as_str());
    let roles: Vec<&str> = stored["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.first(), Some(&"user"));
    assert!(roles.contains(&"assistant"), "{roles:?}");

    let memories = json_in(&files, "memory/memories.json");
    let texts: Vec<&str> = memories["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"Ada prefers trains to planes"), "{texts:?}");
    assert_eq!(json_in(&files, "profile/profile.json")["name"], "Ada");
    let short = document.replace('-', "");
    // The file as uploaded, under the name it was stored with.
    let stored: Vec<&String> = files.keys().filter(|k| k.starts_with("documents/files/")).collect();
    assert_eq!(stored, [&format!("documents/files/{short} notes.md")]);
    assert_eq!(files[stored[0]], notes);
    assert_eq!(json_in(&files, "documents/documents.json")["documents"][0]["status"], "ready");
    assert_eq!(json_in(&files, "actions.json"), json!({"actions": []}));
    assert_eq!(json_in(&files, "settings.json"), json!({"model": null}));
    // The turn's model call, in the conversation it was made for.
    let usage = text_in(&files, "usage.csv");
    let lines: Vec<&str> = usage.lines().collect();
    assert_eq!(lines[0], "created_at,conversation_id,agent,model,input_tokens,output_tokens");
    assert!(lines[1..].iter().any(|l| l.contains(&conversation)), "{usage}");

    for (name, content) in &files {
        let text = String::from_utf8_lossy(content);
        assert!(!text.contains("Bob"), "{name} holds Bob's data: {text}");
    }

    // Without a token there is nothing.
    assert_eq!(app.get("/v1/me/export").await.status(), 401);
}
