//! vdirsyncer (PyPI), the command-line sync tool, keeps Posey and a real Radicale (PyPI) the
//! same both ways, signed in to Posey with an email and an app password: the agents and auth
//! services run in process as in caldav_basic.rs; `python/vdirsyncer_sync.py` starts Radicale,
//! seeds both sides, syncs, changes both sides and compares them item by item.

use crate::caldav_basic::{app_password, spawn_agents, spawn_auth};
use crate::openai::python;

#[tokio::test(flavor = "multi_thread")]
async fn vdirsyncer_keeps_posey_and_radicale_the_same_both_ways() {
    let auth = spawn_auth().await;
    let agents = spawn_agents(&auth).await;
    let (email, token, made) = app_password(&auth, "vdirsyncer").await;
    let secret = made["password"].as_str().unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/python/vdirsyncer_sync.py");
    let output = tokio::process::Command::new(python())
        .arg(script)
        .env("POSEY_DAV_URL", format!("{}/dav/", agents.address))
        .env("POSEY_USERNAME", &email)
        .env("POSEY_PASSWORD", secret)
        .env("POSEY_API_URL", &agents.address)
        .env("POSEY_TOKEN", &token)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("vdirsyncer sync ok"), "{stdout}");
}
