//! Every service's OpenAPI document against the service itself (issue 21), end to end at one
//! `posey up`: schemathesis (PyPI) generates requests for the operations of auth's, agents' and
//! cron's `GET /openapi.json`, sent with a signed-in person's access token, and checks that no
//! answer is a server error and that each answer's status, content type and body are ones the
//! document describes. (The gateway serves GraphQL and publishes no OpenAPI document.)

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Person, Posey, ports, temp_parent, wait_until_ready};

/// Test cases per operation in the fuzzing phase (the coverage phase adds its own, one per
/// boundary and missing or wrong-typed field): enough to reach each operation's error paths,
/// few enough that the three documents take minutes on two cores. The seed makes a failure
/// repeatable.
const MAX_EXAMPLES: &str = "8";
const SEED: &str = "21";

/// The python with schemathesis: `TEST_SCHEMATHESIS_PYTHON`, else the venv scripts/test makes
/// for it. A venv of its own: caldav's niquests (in the agents tests' venv) brings
/// urllib3-future, which takes over the `urllib3` module that schemathesis's requests needs.
fn python_with_schemathesis() -> PathBuf {
    let python =
        std::env::var_os("TEST_SCHEMATHESIS_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
            let cache =
                std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
                });
            cache.join("posey/schemathesis-venv/bin/python")
        });
    let found = Command::new(&python).args(["-c", "import schemathesis"]).output();
    assert!(
        found.as_ref().is_ok_and(|out| out.status.success()),
        "{} cannot import schemathesis: run ./scripts/test (which installs it), or set \
         TEST_SCHEMATHESIS_PYTHON to a python with `pip install schemathesis==4.32.5`; {found:?}",
        python.display()
    );
    python
}

/// Runs schemathesis in `dir` (where it keeps its cache) against the document at `port` with
/// `token`, `filters` choosing the operations (each with its reason at the call); its success
/// and its report.
fn schemathesis(
    python: &Path,
    dir: &Path,
    token: &str,
    port: u16,
    filters: &[&str],
) -> (bool, String) {
    let out = Command::new(python)
        .current_dir(dir)
        .args(["-m", "schemathesis.cli", "run", "--no-color"])
        .arg(format!("http://127.0.0.1:{port}/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        // One worker: Python 3.11's `ast.parse`, which hypothesis calls to describe a filter,
        // fails now and then when two threads run it at once (a runtime error, not a finding).
        .args(["--generation-database", "none", "--workers", "1"])
        .args(["--request-timeout", "60", "--continue-on-failure"])
        .args(filters)
        .output()
        .expect("running schemathesis");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_answers_as_its_document_says() {
    let python = python_with_schemathesis();
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let vars = [("AUTH_MAILER_AUTOCONFIRM", "true"), ("AUTH_OPEN_SIGNUP", "true")];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "schemathesis.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    // The first to sign up owns the install and is its admin; the second is an ordinary person.
    let owner = Person::sign_up(&ports, "owner@example.com").await;
    let person = Person::sign_up(&ports, "person@example.com").await;

    let runs: [(&str, &Person, u16, &[&str]); 4] = [
        // A turn (`sendMessage`, and `createChatCompletion` when it names a conversation's
        // agent) runs the local model, up to a minute a case on two cores; the agents' own
        // tests drive both, and check each streamed event against the document.
        (
            "agents",
            &owner,
            owner.agents,
            &[
                "--exclude-operation-id",
                "sendMessage",
                "--exclude-operation-id",
                "createChatCompletion",
            ],
        ),
        // The notification stream stays open until the client leaves: each case would wait
        // for the request timeout.
        ("cron", &owner, owner.cron, &["--exclude-operation-id", "stream_notifications"]),
        // The person's own account (signing out would end the session whose token the run
        // sends)...
        ("auth", &person, person.auth, &["--exclude-tag", "admin", "--exclude-path", "/logout"]),
        // ... and the admin's operations as the owner, last: they may take the owner's own
        // admin role or account (nothing stops an admin doing that to themselves).
        ("auth admin", &owner, owner.auth, &["--include-tag", "admin"]),
    ];
    let mut failed = Vec::new();
    for (name, who, port, filters) in runs {
        let (passed, report) = tokio::task::block_in_place(|| {
            schemathesis(&python, parent.path(), &who.token, port, filters)
        });
        // Each run reached its operations: none was left untested (by an error of the tool).
        assert!(report.contains("Tested:"), "{name}: no summary\n{report}");
        if !passed {
            failed.push(format!("--- {name} ---\n{report}"));
        }
    }
    assert!(failed.is_empty(), "{}\nposey log:\n{}", failed.join("\n"), posey.log());
}
