//! A scripted stand-in for Home Assistant's WebSocket API, for what a real instance will not do
//! on demand: coalesce messages into arrays, stop answering pings, drop a socket mid-call, or
//! refuse a token it took before. It counts the connections made to it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[derive(Default)]
pub struct Script {
    /// Answers neither pings nor anything else after the snapshot.
    pub silent: AtomicBool,
    /// Refuses the token from the next connection on.
    pub refuse: AtomicBool,
    /// Closes the socket instead of answering a call_service.
    pub drop_calls: AtomicBool,
    pub connections: AtomicUsize,
    pub calls: AtomicUsize,
    /// `(entity_id, state)` pairs get_states answers with.
    pub states: Mutex<Vec<(String, String)>>,
}

pub struct FakeHa {
    pub port: u16,
    pub script: Arc<Script>,
    task: tokio::task::JoinHandle<()>,
}

pub fn state(entity_id: &str, value: &str) -> Value {
    json!({
        "entity_id": entity_id,
        "state": value,
        "attributes": {"friendly_name": entity_id},
        "last_changed": "2026-01-01T00:00:00+00:00",
        "last_updated": "2026-01-01T00:00:00+00:00",
    })
}

impl FakeHa {
    pub async fn start(states: &[(&str, &str)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let script = Arc::new(Script::default());
        *script.states.lock().expect("states") =
            states.iter().map(|(e, s)| ((*e).to_owned(), (*s).to_owned())).collect();
        let task = {
            let script = Arc::clone(&script);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    script.connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(stream, Arc::clone(&script)));
                }
            })
        };
        Self { port, script, task }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FakeHa {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: tokio::net::TcpStream, script: Arc<Script>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
    let send = |v: Value| Message::text(v.to_string());
    if ws.send(send(json!({"type": "auth_required", "ha_version": "fake"}))).await.is_err() {
        return;
    }
    let _auth = ws.next().await;
    if script.refuse.load(Ordering::SeqCst) {
        let _ = ws
            .send(send(
                json!({"type": "auth_invalid", "message": "Invalid access token or password"}),
            ))
            .await;
        let _ = ws.close(None).await;
        return;
    }
    let _ = ws.send(send(json!({"type": "auth_ok", "ha_version": "fake"}))).await;
    // The snapshot's six answers go out together in one coalesced frame, with an event.
    let mut batch = Vec::new();
    let mut subscription = 0;
    let mut synced = false;
    while let Some(Ok(frame)) = ws.next().await {
        let Message::Text(text) = frame else { continue };
        let request: Value = serde_json::from_str(text.as_str()).expect("JSON");
        let id = request["id"].as_u64().expect("an id");
        let ok =
            |result: Value| json!({"id": id, "type": "result", "success": true, "result": result});
        let answer = match request["type"].as_str().expect("a type") {
            "subscribe_events" => {
                subscription = id;
                ok(Value::Null)
            }
            "get_config" => ok(
                json!({"version": "fake", "time_zone": "UTC", "unit_system": {"temperature": "°C"}}),
            ),
            "get_states" => {
                let states = script.states.lock().expect("states").clone();
                ok(states.iter().map(|(e, s)| state(e, s)).collect())
            }
            "config/area_registry/list"
            | "config/device_registry/list"
            | "config/entity_registry/list" => ok(json!([])),
            "ping" if script.silent.load(Ordering::SeqCst) => continue,
            "ping" => json!({"id": id, "type": "pong"}),
            "call_service" => {
                script.calls.fetch_add(1, Ordering::SeqCst);
                if script.drop_calls.load(Ordering::SeqCst) {
                    return;
                }
                let entity =
                    request["target"]["entity_id"][0].as_str().expect("a target").to_owned();
                let mut new = state(&entity, "on");
                new["last_updated"] = json!("2026-01-01T00:01:00+00:00");
                let event = json!({"id": subscription, "type": "event", "event": {
                    "event_type": "state_changed",
                    "data": {"entity_id": entity, "old_state": null, "new_state": new},
                    "origin": "LOCAL",
                    "time_fired": "2026-01-01T00:01:00+00:00",
                }});
                // The result and the event coalesced into one frame.
                json!([ok(json!({"context": {"id": "c"}})), event])
            }
            other => {
                json!({"id": id, "type": "result", "success": false, "error": {"code": "unknown_command", "message": other}})
            }
        };
        let frame = if synced {
            answer
        } else {
            batch.push(answer);
            if batch.len() < 6 {
                continue;
            }
            synced = true;
            // An event that came in before the snapshot was sent, in the same frame.
            let mut early = state("switch.early", "on");
            early["last_updated"] = json!("2026-01-01T00:00:30+00:00");
            batch.push(json!({"id": subscription, "type": "event", "event": {
                "event_type": "state_changed",
                "data": {"entity_id": "switch.early", "old_state": null, "new_state": early},
            }}));
            Value::Array(std::mem::take(&mut batch))
        };
        if ws.send(send(frame)).await.is_err() {
            return;
        }
    }
}
