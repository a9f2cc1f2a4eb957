//! A person's data out and gone (issue 21), end to end at one `posey up`: a person with data in
//! every service (their profile, a conversation, a memory, a document and its file, a calendar
//! event, money, a home connection, a reminder) downloads it all as one zip, then is deleted by
//! the owner. Soon after, no row of any table in any
//! schema holds their id or their address (each row is read whole, as text), no vector
//! collection has a point of theirs, and the person beside them keeps every row and point.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use posey_agents::knowledge::{self, Knowledge, KnowledgeConfig, StoreConfig};
use posey_domain::UserId;
use posey_models::embeddings::{EmbeddingConfig, LocalEmbeddingConfig};
use posey_vector::{PointScope, UserFilter};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{Person, Posey, json_of, ports, tables, temp_parent, wait_until_ready};

/// Something of `person` in every service, named after them, and in auth an app password and
/// a verified TOTP factor: the access token of the session that used the factor (`aal2`).
async fn fill(person: &Person, name: &str) -> String {
    let (agents, cron) = (person.agents, person.cron);
    let profile = json!({"name": name, "time_zone": "Europe/Berlin"});
    json_of(
        person.request(Method::PATCH, agents, "/v1/profile").json(&profile).send().await.unwrap(),
        200,
    )
    .await;
    let title = json!({"title": format!("{name}'s plans")});
    json_of(person.post(agents, "/v1/conversations").json(&title).send().await.unwrap(), 201).await;
    let memory = json!({"text": format!("{name} rows on the lake on Sundays")});
    json_of(person.post(agents, "/v1/memories").json(&memory).send().await.unwrap(), 201).await;
    let text = format!("# {name}'s notes\n\nThe boiler is serviced in May.\n");
    let document = person.upload("notes.md", text.into_bytes()).await;
    assert_eq!(person.settled(&document).await["status"], "ready");

    let calendar = json!({"name": "Home", "time_zone": "Europe/Berlin"});
    let calendar =
        json_of(person.post(agents, "/v1/calendars").json(&calendar).send().await.unwrap(), 201)
            .await;
    let event = json!({"calendar_id": calendar["id"], "summary": format!("{name} at the dentist"),
                       "start": {"date_time": "2027-03-04T10:00"}, "duration": "PT1H"});
    json_of(person.post(agents, "/v1/events").json(&event).send().await.unwrap(), 201).await;

    let account = json!({"name": "Checking", "kind": "asset", "currency": "EUR", "opening_balance": "100.00"});
    let account = json_of(
        person.post(agents, "/v1/finance/accounts").json(&account).send().await.unwrap(),
        201,
    )
    .await;
    let spent = json!({"account_id": account["id"], "amount": "-12.50", "date": "2026-12-01",
                       "payee": format!("{name}'s bakery")});
    json_of(
        person.post(agents, "/v1/finance/transactions").json(&spent).send().await.unwrap(),
        201,
    )
    .await;

    // The instance's own broker (posey up's): no address given.
    let home = json!({"kind": "mqtt", "name": format!("{name}'s flat"), "discovery_prefix": format!("erasure-{}", &person.id[..8])});
    json_of(person.post(agents, "/v1/home/connections").json(&home).send().await.unwrap(), 201)
        .await;

    let reminder = json!({"name": "stretch", "kind": "reminder", "payload": {"title": format!("{name}, stretch")},
                          "schedule": {"kind": "interval", "spec": 3600}});
    json_of(person.post(cron, "/v1/tasks").json(&reminder).send().await.unwrap(), 201).await;

    let app = json!({"name": format!("{name}'s calendar app")});
    json_of(person.post(person.auth, "/app-passwords").json(&app).send().await.unwrap(), 201).await;
    let enrol = json!({"factor_type": "totp", "friendly_name": format!("{name}'s phone")});
    let factor =
        json_of(person.post(person.auth, "/factors").json(&enrol).send().await.unwrap(), 200).await;
    let id = factor["id"].as_str().unwrap();
    let challenge = person.post(person.auth, &format!("/factors/{id}/challenge"));
    let challenge = json_of(challenge.json(&json!({})).send().await.unwrap(), 200).await;
    let code = posey_testkit::otp::totp_now(factor["totp"]["secret"].as_str().unwrap());
    let verify = json!({"challenge_id": challenge["id"], "code": code});
    let verify = person.post(person.auth, &format!("/factors/{id}/verify")).json(&verify);
    let session = json_of(verify.send().await.unwrap(), 200).await;
    session["access_token"].as_str().unwrap().to_owned()
}

/// Rows per table (`schema.table`) whose text holds `id` or `email` (any case), over every
/// table of every schema but the system's.
async fn holdings(db: &PgPool, id: &str, email: &str) -> BTreeMap<String, i64> {
    let tables = tables(db).await;
    assert!(tables.len() > 50, "{tables:?}");
    let mut found = BTreeMap::new();
    for (schema, table) in tables {
        let sql = format!(
            "SELECT count(*) FROM \"{schema}\".\"{table}\" AS r \
             WHERE strpos(r::text, $1) > 0 OR strpos(lower(r::text), lower($2)) > 0"
        );
        let n: i64 = sqlx::query_scalar(&sql).bind(id).bind(email).fetch_one(db).await.unwrap();
        if n > 0 {
            found.insert(format!("{schema}.{table}"), n);
        }
    }
    found
}

/// `person`'s export as the session of `token`: file name → content.
async fn export_of(person: &Person, token: &str) -> BTreeMap<String, Vec<u8>> {
    let url = format!("http://127.0.0.1:{}/v1/me/export", person.agents);
    let response = person.client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    posey_testkit::unzip::entries(response.bytes().await.unwrap().to_vec())
}

/// Points of `person` per vector collection, read from the stopped install's embedded store.
async fn points(knowledge: &Knowledge, person: &str) -> BTreeMap<String, u64> {
    let filter = UserFilter::for_user(UserId::from_uuid(person.parse::<Uuid>().unwrap()));
    let mut found = BTreeMap::new();
    for source in knowledge::sources(knowledge).unwrap() {
        knowledge.store.ensure_collection(&source.spec).await.unwrap();
        let scope = PointScope::Filter(filter.clone());
        found.insert(
            source.spec.name().to_owned(),
            knowledge.store.count(source.spec.name(), &scope).await.unwrap(),
        );
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_exports_everything_then_is_erased_from_every_table_and_collection_alone() {
    let db = posey_testkit::TestDatabase::empty().await;
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let listen = format!("127.0.0.1:{}", posey_testkit::free_port());
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        // Everyone signs up themselves (rather than by the owner's invite).
        ("AUTH_OPEN_SIGNUP", "true"),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
    ];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "erasure.log", &vars);
    wait_until_ready(&mut posey, &ports).await;

    // The first to sign up owns the install (and is its admin).
    let owner = Person::sign_up(&ports, "owner@example.com").await;
    let ann = Person::sign_up(&ports, "Ann.Erased@example.com").await;
    let bob = Person::sign_up(&ports, "bob@example.com").await;
    let elevated = fill(&ann, "Ann").await;
    fill(&bob, "Bob").await;
    let anns = holdings(&db.pool, &ann.id, &ann.email).await;
    for table in [
        "agents.conversations",
        "agents.memories",
        "agents.documents",
        "agents.document_chunks",
        "calendar.objects",
        "finance.transactions",
        "home.connections",
        "cron.tasks",
        "auth.users",
        "auth.sessions",
        "auth.audit_log",
        "auth.app_passwords",
        "auth.mfa_factors",
    ] {
        assert!(anns.contains_key(table), "nothing of Ann's in {table} to erase: {anns:?}");
    }
    let bobs = holdings(&db.pool, &bob.id, &bob.email).await;

    // Her first session never used her second factor: its export has her account but not what
    // auth shows only to a session that did, and its README says so.
    let partial = export_of(&ann, &ann.token).await;
    assert!(partial.contains_key("account.json"), "{:?}", partial.keys());
    assert!(!partial.keys().any(|k| k.starts_with("account/")), "{:?}", partial.keys());
    let readme = String::from_utf8_lossy(&partial["README.md"]);
    assert!(readme.contains("signed in with your second factor"), "{readme}");

    // Her export holds every service's part, and nothing of Bob's.
    let export = export_of(&ann, &elevated).await;
    for part in [
        "README.md",
        "account.json",
        "account/identities.json",
        "account/passkeys.json",
        "account/app_passwords.json",
        "account/oauth_consents.json",
        "account/oauth_grants.json",
        "account/sessions.json",
        "account/audit_log.json",
        "actions.json",
        "profile/profile.json",
        "memory/memories.json",
        "documents/documents.json",
        "calendar/calendars.json",
        "finance/transactions.csv",
        "finance/journal.ledger",
        "home/connections.json",
        "reminders/tasks.json",
    ] {
        assert!(export.contains_key(part), "no {part} in {:?}", export.keys());
    }
    let account = String::from_utf8_lossy(&export["account.json"]).to_lowercase();
    assert!(account.contains(&ann.email.to_lowercase()), "{account}");
    assert!(account.contains("ann's phone"), "her factor: {account}");
    let part = |name: &str| -> Value { serde_json::from_slice(&export[name]).unwrap() };
    let passwords = part("account/app_passwords.json");
    assert_eq!(passwords["app_passwords"][0]["name"], "Ann's calendar app", "{passwords}");
    let sessions = part("account/sessions.json")["sessions"].clone();
    assert!(sessions.as_array().unwrap().iter().any(|s| s["aal"] == "aal2"), "{sessions}");
    let audit = part("account/audit_log.json")["audit_log"].clone();
    assert!(audit.as_array().unwrap().len() >= 2, "her sign-up and sign-ins: {audit}");
    let readme = String::from_utf8_lossy(&export["README.md"]);
    assert!(!readme.contains("Not in this export"), "{readme}");
    let files = export.keys().filter(|k| k.starts_with("documents/files/")).count();
    assert_eq!(files, 1, "{:?}", export.keys());
    for (name, content) in &export {
        assert!(!String::from_utf8_lossy(content).contains("Bob"), "{name} holds Bob's data");
    }

    let deleted = owner
        .request(Method::DELETE, owner.auth, &format!("/admin/users/{}", ann.id))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(deleted, 200).await, json!({}));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM auth.erasures WHERE user_id = $1::uuid AND erased_at IS NOT NULL",
        )
        .bind(&ann.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if done == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the erasure did not finish; log:\n{}", posey.log());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Left: the erasure's own record (agents' part and cron's) and the audit entry that the owner
    // deleted that id, which names nothing else of her.
    let left = holdings(&db.pool, &ann.id, &ann.email).await;
    assert_eq!(
        left,
        BTreeMap::from([("auth.audit_log".to_owned(), 1), ("auth.erasures".to_owned(), 2)])
    );
    let (action, payload): (String, Value) =
        sqlx::query_as("SELECT action, payload FROM auth.audit_log WHERE target_id = $1")
            .bind(&ann.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(action, "user_deleted");
    assert_eq!(
        payload,
        json!({"user_id": ann.id, "soft": false, "sessions_revoked": payload["sessions_revoked"]})
    );
    assert!(
        holdings(&db.pool, "no id of hers", &ann.email).await.is_empty(),
        "her address is still kept"
    );
    // Bob lost nothing.
    assert_eq!(holdings(&db.pool, &bob.id, &bob.email).await, bobs);
    let response = ann.get(ann.agents, "/v1/conversations").send().await.unwrap();
    assert_eq!(response.status(), 401, "her token still opens her conversations");
    let response = bob.get(bob.agents, "/v1/conversations").send().await.unwrap();
    assert_eq!(json_of(response, 200).await["conversations"].as_array().unwrap().len(), 1);

    // The vector store is the embedded one in the data dir: readable once posey has stopped.
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
    let model = std::env::var_os("POSEY_LOCAL_EMBEDDING_MODEL")
        .expect("POSEY_LOCAL_EMBEDDING_MODEL (scripts/test sets it)");
    let config = KnowledgeConfig {
        embedding: EmbeddingConfig::Local(LocalEmbeddingConfig::new(model)),
        store: StoreConfig::Embedded(data_dir.join("vectors")),
    };
    let knowledge = Knowledge::open(&config, None).await.unwrap();
    let empty = BTreeMap::from([("documents".to_owned(), 0), ("memories".to_owned(), 0)]);
    assert_eq!(points(&knowledge, &ann.id).await, empty, "points of hers are left");
    let his = points(&knowledge, &bob.id).await;
    assert!(his.values().all(|n| *n > 0), "{his:?}");
}
