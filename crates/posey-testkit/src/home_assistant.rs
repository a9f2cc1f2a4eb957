//! A real Home Assistant (PyPI `homeassistant==2024.3.3`, which scripts/test installs into a
//! venv of its own and names in `TEST_HA_HASS`) in a temp config dir: started as a child
//! process on a free port, onboarded through its REST onboarding API, and given a long-lived
//! access token over its WebSocket API, as a person would make one. Its home: template lights
//! and a lock driven by input booleans, a manual alarm panel with a code, a thermostat
//! (generic_thermostat), blinds (a template cover) and a TV (a universal media player) driven
//! by input helpers, a scene and a script.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

/// The `hass` of the test venv, or a failure that says how to get it.
pub fn hass_bin() -> String {
    match std::env::var("TEST_HA_HASS") {
        Ok(hass) if !hass.trim().is_empty() => hass,
        _ => panic!(
            "TEST_HA_HASS is not set: run the tests with ./scripts/test, which installs \
             homeassistant==2024.3.3 (PyPI) into its own venv, or point it at that venv's bin/hass"
        ),
    }
}

/// The alarm panel's code. Not digits alone: a check that it never reaches a log cannot be
/// fooled by a UUID or a hex dump that happens to hold the same digits.
pub const ALARM_CODE: &str = "quince-2468";

/// The home the tests run against: template lights and a lock driven by input booleans, a
/// manual alarm panel with a code; a thermostat, blinds and a TV whose states are input
/// helpers; a scene and a script. Only core integrations without requirements (`demo` would
/// pull in `conversation`'s packages, which `--skip-pip` does not install); nothing that
/// reaches the network.
fn configuration(port: u16, extra: &str) -> String {
    format!(
        r#"homeassistant:
  name: Posey Test Home
  unit_system: metric
  time_zone: UTC
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  currency: EUR
  country: NL
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
input_boolean:
  guest_mode:
    name: Guest mode
  kitchen_power:
    name: Kitchen power
  front_door_locked:
    name: Front door locked
    initial: true
  study_heater:
    name: Study heater
{extra}
input_number:
  study_temperature:
    name: Study temperature
    min: 0
    max: 40
    step: 0.5
    initial: 19
  blinds_position:
    name: Blinds position
    min: 0
    max: 100
    step: 1
    initial: 0
  tv_volume:
    name: TV volume
    min: 0
    max: 1
    step: 0.01
    initial: 0.2
input_select:
  tv_state:
    name: TV state
    options: ["playing", "paused"]
    initial: paused
climate:
  - platform: generic_thermostat
    name: Study
    unique_id: posey_study_thermostat
    heater: input_boolean.study_heater
    target_sensor: input_number.study_temperature
    min_temp: 5
    max_temp: 30
    target_temp: 19
    initial_hvac_mode: "off"
cover:
  - platform: template
    covers:
      living_room_blinds:
        friendly_name: Living room blinds
        unique_id: posey_living_room_blinds
        position_template: "{{{{ states('input_number.blinds_position') | int }}}}"
        open_cover:
          service: input_number.set_value
          target:
            entity_id: input_number.blinds_position
          data:
            value: 100
        close_cover:
          service: input_number.set_value
          target:
            entity_id: input_number.blinds_position
          data:
            value: 0
        set_cover_position:
          service: input_number.set_value
          target:
            entity_id: input_number.blinds_position
          data:
            value: "{{{{ position }}}}"
media_player:
  - platform: universal
    name: Living room TV
    unique_id: posey_living_room_tv
    state_template: "{{{{ states('input_select.tv_state') }}}}"
    attributes:
      volume_level: input_number.tv_volume
    commands:
      media_play:
        service: input_select.select_option
        target:
          entity_id: input_select.tv_state
        data:
          option: playing
      media_pause:
        service: input_select.select_option
        target:
          entity_id: input_select.tv_state
        data:
          option: paused
      volume_set:
        service: input_number.set_value
        target:
          entity_id: input_number.tv_volume
        data:
          value: "{{{{ volume_level }}}}"
scene:
  - name: Evening
    id: posey_evening
    entities:
      light.kitchen_ceiling: "on"
script:
  guest_arrival:
    alias: Guest arrival
    sequence:
      - service: input_boolean.turn_on
        target:
          entity_id: input_boolean.guest_mode
light:
  - platform: template
    lights:
      kitchen_ceiling:
        friendly_name: Kitchen ceiling
        unique_id: posey_kitchen_ceiling
        value_template: "{{{{ is_state('input_boolean.kitchen_power', 'on') }}}}"
        turn_on:
          service: input_boolean.turn_on
          target:
            entity_id: input_boolean.kitchen_power
        turn_off:
          service: input_boolean.turn_off
          target:
            entity_id: input_boolean.kitchen_power
lock:
  - platform: template
    name: Front door
    unique_id: posey_front_door
    value_template: "{{{{ is_state('input_boolean.front_door_locked', 'on') }}}}"
    lock:
      service: input_boolean.turn_on
      target:
        entity_id: input_boolean.front_door_locked
    unlock:
      service: input_boolean.turn_off
      target:
        entity_id: input_boolean.front_door_locked
alarm_control_panel:
  - platform: manual
    name: Home alarm
    code: "{ALARM_CODE}"
    arming_time: 0
    delay_time: 0
    trigger_time: 10
"#
    )
}

pub struct Hass {
    dir: tempfile::TempDir,
    child: Option<Child>,
    pub port: u16,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    /// A long-lived access token.
    pub token: String,
    http: reqwest::Client,
}

impl Hass {
    /// Starts, onboards and makes a long-lived token.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let port = crate::free_port();
        let mut hass = Self {
            dir,
            child: None,
            port,
            base: format!("http://127.0.0.1:{port}"),
            token: String::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
        };
        hass.write_configuration("");
        hass.spawn().await;
        hass.token = hass.onboard().await;
        hass
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// Rewrites configuration.yaml with `extra` YAML (top-level keys) added; read at the next start.
    pub fn write_configuration(&self, extra: &str) {
        std::fs::write(self.dir.path().join("configuration.yaml"), configuration(self.port, extra))
            .expect("writing configuration.yaml");
    }

    async fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("hass.out")).expect("a log file");
        let child = Command::new(hass_bin())
            .arg("--config")
            .arg(self.dir.path())
            // Everything it needs is in the venv; a missing package should fail, not download.
            .arg("--skip-pip")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("starting hass");
        self.child = Some(child);
        let started = Instant::now();
        loop {
            // Onboarding's status answers without a token, once the HTTP server is up.
            let up = self.http.get(self.url("/api/onboarding")).send().await;
            if up.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("hass exited with {status} while starting:\n{}", self.log_tail());
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "hass did not answer within 120 s:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops it the way a person's instance stops (SIGTERM, storage written), waits for it to end.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Some(pid) = child.id() {
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        }
        match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill().await;
            }
        }
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.spawn().await;
        // Up means its HTTP server answers; wait until the API does with the token too.
        self.wait_for_api().await;
    }

    pub async fn wait_for_api(&self) {
        let started = Instant::now();
        loop {
            let api = self.http.get(self.url("/api/")).bearer_auth(&self.token).send().await;
            if api.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "the API did not come up");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        for name in ["hass.out", "home-assistant.log"] {
            let log = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            text.push_str(&format!("--- {name}\n"));
            text.push_str(&lines[lines.len().saturating_sub(40)..].join("\n"));
            text.push('\n');
        }
        text
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The onboarding's first step (the owner), the code it gives exchanged for an access
    /// token, and that token used to make a long-lived one, as HA's profile page does.
    async fn onboard(&self) -> String {
        let client_id = format!("{}/", self.base);
        let user: Value = self
            .http
            .post(self.url("/api/onboarding/users"))
            .json(&json!({
                "client_id": client_id,
                "name": "Posey Test",
                "username": "posey",
                "password": "posey-test-password",
                "language": "en",
            }))
            .send()
            .await
            .expect("onboarding")
            .error_for_status()
            .expect("onboarding the owner")
            .json()
            .await
            .expect("an auth code");
        let code = user["auth_code"].as_str().expect("auth_code");
        let form = format!(
            "grant_type=authorization_code&code={code}&client_id={}",
            client_id.replace(':', "%3A").replace('/', "%2F")
        );
        let tokens: Value = self
            .http
            .post(self.url("/auth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("/auth/token")
            .error_for_status()
            .expect("tokens for the code")
            .json()
            .await
            .expect("tokens");
        let access = tokens["access_token"].as_str().expect("access_token").to_owned();
        let long_lived = ws_commands(
            &self.base,
            &access,
            vec![json!({"type": "auth/long_lived_access_token", "client_name": "posey-tests", "lifespan": 30})],
        )
        .await;
        long_lived[0].as_str().expect("a long-lived token").to_owned()
    }

    /// A second long-lived token and the id of its refresh token (to revoke it).
    pub async fn another_token(&self, name: &str) -> (String, String) {
        let token = ws_commands(
            &self.base,
            &self.token,
            vec![json!({"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 30})],
        )
        .await[0]
            .as_str()
            .expect("a token")
            .to_owned();
        let tokens = self.ws(vec![json!({"type": "auth/refresh_tokens"})]).await;
        let id = tokens[0]
            .as_array()
            .expect("refresh tokens")
            .iter()
            .find(|t| t["client_name"] == name)
            .and_then(|t| t["id"].as_str())
            .expect("the new token's id")
            .to_owned();
        (token, id)
    }

    /// Commands over a WebSocket of its own, with the long-lived token; their results.
    pub async fn ws(&self, commands: Vec<Value>) -> Vec<Value> {
        ws_commands(&self.base, &self.token, commands).await
    }

    /// `GET /api/states/<entity_id>`: what HA itself says.
    pub async fn state(&self, entity_id: &str) -> Value {
        self.http
            .get(self.url(&format!("/api/states/{entity_id}")))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("reading a state")
            .error_for_status()
            .expect("a state")
            .json()
            .await
            .expect("a state's JSON")
    }

    /// `POST /api/services/<domain>/<service>`, as an automation or a wall switch would.
    pub async fn call(&self, domain: &str, service: &str, data: Value) {
        self.http
            .post(self.url(&format!("/api/services/{domain}/{service}")))
            .bearer_auth(&self.token)
            .json(&data)
            .send()
            .await
            .expect("calling a service")
            .error_for_status()
            .expect("the service ran");
    }
}

impl Drop for Hass {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn read_json(ws: &mut Ws) -> Value {
    loop {
        if let Message::Text(text) = ws.next().await.expect("a frame").expect("a frame") {
            return serde_json::from_str(text.as_str()).expect("JSON");
        }
    }
}

/// Opens a socket, authenticates with `token`, runs `commands` one after another (ids from 1)
/// and returns each result; a failed one panics with HA's error.
pub async fn ws_commands(base: &str, token: &str, commands: Vec<Value>) -> Vec<Value> {
    let url = format!("{}/api/websocket", base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("a socket");
    assert_eq!(read_json(&mut ws).await["type"], "auth_required");
    ws.send(Message::text(json!({"type": "auth", "access_token": token}).to_string()))
        .await
        .expect("auth");
    let ok = read_json(&mut ws).await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    let mut results = Vec::new();
    for (id, mut command) in (1u64..).zip(commands) {
        command["id"] = json!(id);
        ws.send(Message::text(command.to_string())).await.expect("a command");
        let result = loop {
            let message = read_json(&mut ws).await;
            if message["type"] == "result" && message["id"] == id {
                break message;
            }
        };
        assert_eq!(result["success"], true, "{command} failed: {result}");
        results.push(result["result"].clone());
    }
    let _ = ws.close(None).await;
    results
}

/// What the code under test logs while it is held, at debug level and above: for checks that
/// a secret (an alarm code) never reaches a log. It listens on the current thread, where a
/// `#[tokio::test]`'s (current-thread) runtime runs the service's tasks.
pub struct Logs {
    written: Arc<Mutex<Vec<u8>>>,
    _listening: Box<dyn std::any::Any>,
}

/// Starts listening; see [`Logs`].
pub fn capture_logs() -> Logs {
    use tracing_subscriber::util::SubscriberInitExt as _;
    let written = Arc::new(Mutex::new(Vec::new()));
    let into = written.clone();
    let listening = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with_ansi(false)
        .with_writer(move || LogWriter(into.clone()))
        .finish()
        .set_default();
    Logs { written, _listening: Box::new(listening) }
}

impl Logs {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.written.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
