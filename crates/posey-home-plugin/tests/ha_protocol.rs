//! The Home Assistant link against a scripted stand-in (`ha/fake.rs`) for what a real instance
//! does not do on demand: coalesced frames, a socket that goes quiet, an answer lost mid-call,
//! a token refused on reconnecting.

mod ha;

use std::sync::atomic::Ordering;
use std::time::Duration;

use posey_home::{Command, EntityId, Secret};
use posey_home_plugin::ha::{Backoff, Delivery, Link, LinkConfig, LinkError, LinkStatus};
use tokio_util::sync::CancellationToken;

use ha::fake::FakeHa;

fn id(text: &str) -> EntityId {
    EntityId::parse(text).expect("an entity id")
}

fn config(base: &str) -> LinkConfig {
    let mut config = LinkConfig::new(base, Secret::new("a-token")).expect("a config");
    config.backoff =
        Backoff { initial: Duration::from_millis(50), max: Duration::from_millis(500) };
    config.ping_interval = Duration::from_millis(300);
    config.request_timeout = Duration::from_secs(5);
    config
}

fn on() -> Command {
    Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None }
}

async fn status_where(link: &Link, test: impl Fn(&LinkStatus) -> bool) -> LinkStatus {
    let mut status = link.watch_status();
    tokio::time::timeout(Duration::from_secs(10), status.wait_for(|s| test(s)))
        .await
        .unwrap_or_else(|_| panic!("the status stayed {:?}", link.status()))
        .expect("a status")
        .clone()
}

#[tokio::test]
async fn coalesced_frames_are_read_message_by_message() {
    let fake = FakeHa::start(&[("light.desk", "off")]).await;
    let cancel = CancellationToken::new();
    let (link, mut changes) = Link::connect(config(&fake.base()), &cancel).await.expect("linked");
    assert_eq!(link.state(&id("light.desk")).expect("the desk light").state, "off");
    // An event that came in the snapshot's frame is applied after the snapshot.
    assert_eq!(link.state(&id("switch.early")).expect("the early switch").state, "on");
    // A result and its event in one frame.
    assert_eq!(
        link.call_service(&id("light.desk"), &on()).await.expect("called"),
        Delivery::WebSocket
    );
    let change = tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("a change in time")
        .expect("a change");
    assert_eq!(change.entity_id, id("light.desk"));
    assert_eq!(change.new.map(|s| s.state).as_deref(), Some("on"));
}

#[tokio::test]
async fn a_quiet_socket_is_noticed_by_its_pings_and_the_gap_resynchronised() {
    let fake = FakeHa::start(&[("light.desk", "off")]).await;
    let cancel = CancellationToken::new();
    let (link, mut changes) = Link::connect(config(&fake.base()), &cancel).await.expect("linked");
    fake.script.silent.store(true, Ordering::SeqCst);
    *fake.script.states.lock().expect("states") =
        vec![("light.desk".into(), "on".into()), ("switch.new".into(), "off".into())];
    status_where(&link, |s| matches!(s, LinkStatus::Reconnecting { .. })).await;
    fake.script.silent.store(false, Ordering::SeqCst);
    status_where(&link, |s| matches!(s, LinkStatus::Connected { sessions: 2, .. })).await;
    let mut seen = Vec::new();
    while let Ok(Some(change)) =
        tokio::time::timeout(Duration::from_millis(500), changes.recv()).await
    {
        seen.push((change.entity_id.to_string(), change.new.map(|s| s.state)));
    }
    assert!(seen.contains(&("light.desk".into(), Some("on".into()))), "{seen:?}");
    assert!(seen.contains(&("switch.new".into(), Some("off".into()))), "{seen:?}");
    assert!(seen.contains(&("switch.early".into(), None)), "gone in the new snapshot: {seen:?}");
    link.stop().await;
}

#[tokio::test]
async fn a_call_whose_answer_is_lost_is_not_sent_again() {
    let fake = FakeHa::start(&[("light.desk", "off")]).await;
    let cancel = CancellationToken::new();
    let (link, _changes) = Link::connect(config(&fake.base()), &cancel).await.expect("linked");
    fake.script.drop_calls.store(true, Ordering::SeqCst);
    let error = link.call_service(&id("light.desk"), &on()).await.expect_err("no answer");
    assert!(matches!(error, LinkError::LostBeforeAnswer), "{error}");
    status_where(&link, |s| matches!(s, LinkStatus::Connected { sessions: 2, .. })).await;
    assert_eq!(fake.script.calls.load(Ordering::SeqCst), 1, "sent once, not again");
    // Nor can a service call go around call_service's check.
    let unchecked = posey_home::ha::HaCommand::call_service(
        &Command::Unlock.to_service_call(&id("lock.front_door")).expect("a call"),
    );
    let error = link.request(unchecked).await.expect_err("unchecked");
    assert!(matches!(error, LinkError::UncheckedServiceCall), "{error}");
    assert_eq!(fake.script.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_token_refused_on_reconnecting_stops_the_link_without_a_retry_storm() {
    let fake = FakeHa::start(&[("light.desk", "off")]).await;
    let cancel = CancellationToken::new();
    let (link, _changes) = Link::connect(config(&fake.base()), &cancel).await.expect("linked");
    fake.script.refuse.store(true, Ordering::SeqCst);
    fake.script.silent.store(true, Ordering::SeqCst);
    let status = status_where(&link, |s| matches!(s, LinkStatus::Stopped { .. })).await;
    assert!(
        matches!(&status, LinkStatus::Stopped { reason } if reason.contains("refused the access token")),
        "{status:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.script.connections.load(Ordering::SeqCst), 2, "one try with the refused token");
    let error = link.call_service(&id("light.desk"), &on()).await.expect_err("stopped");
    assert!(
        matches!(&error, LinkError::Stopped { reason } if reason.contains("refused the access token")),
        "{error}"
    );
    // Cancelling the token it was given ends the link's task.
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), link.stop()).await.expect("stopped promptly");
}

#[tokio::test]
async fn wss_to_a_server_without_tls_is_an_error_not_a_panic() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let cancel = CancellationToken::new();
    let error = Link::connect(config(&format!("https://localhost:{port}")), &cancel)
        .await
        .expect_err("no TLS there");
    assert!(matches!(error, LinkError::Unreachable { .. }), "{error}");
    assert!(
        error.to_string().contains(&format!("wss://localhost:{port}/api/websocket")),
        "{error}"
    );
}
