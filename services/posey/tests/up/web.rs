//! The web app as a child of `posey up`: a Node.js server (here a small stand-in `server.js`
//! that reports what it was given; apps/web's own tests run the real Next.js build) is started
//! with the services' URLs on WEB_PORT, its output logged as `web`, restarted when it dies,
//! stopped with `posey up`, and killed with it when `posey up` itself is killed.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use posey::status::{RunStatus, State};

use crate::support::{
    Posey, await_gone, children, ports, service_pid, status_when_all_up, temp_parent,
    wait_until_ready,
};

/// Answers every request with the environment the launcher gave it.
const SERVER_JS: &str = r#"
const http = require('node:http');
const vars = ['NODE_ENV', 'PORT', 'HOSTNAME', 'AUTH_URL', 'AGENTS_URL', 'CRON_URL', 'GATEWAY_URL'];
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(Object.fromEntries(vars.map((v) => [v, process.env[v]]))));
}).listen(Number(process.env.PORT), process.env.HOSTNAME, () => {
  console.log(`stand-in web app listening on ${process.env.PORT}`);
});
"#;

fn web_dir(parent: &Path) -> std::path::PathBuf {
    let dir = parent.join("web");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("server.js"), SERVER_JS).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn posey_up_serves_the_web_app_with_the_services_urls_restarts_and_stops_it() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let web = web_dir(parent.path());
    let ports = ports();
    let web_port = posey_testkit::free_port();
    let mut all_ports = ports.clone();
    all_ports.push(("WEB_PORT", web_port));
    let vars = [("POSEY_WEB_DIR", web.to_str().unwrap())];
    let mut posey = Posey::start_with(&data_dir, &all_ports, &["up"], "web.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let status = status_when_all_up(&mut posey, &data_dir);
    let node = service_pid(&status, "web");
    assert!(children(posey.child.id()).contains(&node), "node is not the supervisor's child");

    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let given: serde_json::Value = client
        .get(format!("http://127.0.0.1:{web_port}/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let port = |var: &str| ports.iter().find(|(v, _)| *v == var).unwrap().1;
    assert_eq!(
        given,
        serde_json::json!({
            "NODE_ENV": "production",
            "PORT": web_port.to_string(),
            "HOSTNAME": "127.0.0.1",
            "AUTH_URL": format!("http://127.0.0.1:{}", port("AUTH_PORT")),
            "AGENTS_URL": format!("http://127.0.0.1:{}", port("AGENTS_PORT")),
            "CRON_URL": format!("http://127.0.0.1:{}", port("CRON_PORT")),
            "GATEWAY_URL": format!("http://127.0.0.1:{}", port("GATEWAY_PORT")),
        })
    );
    let log = posey.log();
    assert!(log.contains(&format!("stand-in web app listening on {web_port}")), "{log}");
    assert!(log.contains(&format!("open http://localhost:{web_port}/ in a browser")), "{log}");

    // A crashed web app is started again, like a service.
    kill(Pid::from_raw(node as i32), Signal::SIGKILL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let node = loop {
        if let Some(status) = RunStatus::read_running(&posey::status::path(&data_dir)) {
            let web = status.services.iter().find(|s| s.name == "web").unwrap().clone();
            if web.state == State::Up && web.pid.is_some_and(|p| p != node) {
                assert_eq!(web.restarts, 1, "{web:?}");
                break web.pid.unwrap();
            }
        }
        assert!(Instant::now() < deadline, "the web app never came back; log:\n{}", posey.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(posey.log().contains("the web app exited unexpectedly"), "{}", posey.log());

    let mut doctor = Posey::start_with(&data_dir, &[], &["doctor"], "doctor-web.log", &vars);
    assert!(doctor.wait(Duration::from_secs(30)).success(), "{}", doctor.log());
    let report = doctor.log();
    let line = report.lines().find(|l| l.contains("web app")).unwrap_or_default();
    assert!(line.starts_with("ok") && line.contains(web.to_str().unwrap()), "{report}");
    let line = report.lines().find(|l| l.contains("service web")).unwrap_or_default();
    assert!(line.starts_with("warning") && line.contains("restarted once"), "{report}");

    // Ctrl-C stops it with the services.
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(40)).success(), "{}", posey.log());
    await_gone(&[node], "the web app", Duration::from_secs(1));

    // A killed `posey up` takes the web app with it (the parent-death signal `posey __child`
    // sets before it becomes node).
    let mut posey = Posey::start_with(&data_dir, &all_ports, &["up"], "web-killed.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let node = service_pid(&status_when_all_up(&mut posey, &data_dir), "web");
    posey.signal(Signal::SIGKILL);
    posey.child.wait().unwrap();
    await_gone(&[node], "the web app", Duration::from_secs(10));
}

#[test]
fn doctor_says_how_to_get_the_web_app_when_it_is_not_built() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let mut doctor = Posey::start(&data_dir, &[], &["doctor"], "doctor-no-web.log");
    doctor.wait(Duration::from_secs(30));
    let report = doctor.log();
    let line = report.lines().find(|l| l.contains("web app")).unwrap_or_default();
    assert!(line.starts_with("warning") && line.contains("scripts/up"), "{report}");
}
