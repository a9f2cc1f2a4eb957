//! Smart-home devices no one here wrote: a light, a switch, a lock and a temperature sensor
//! made with the PyPI library ha-mqtt-discoverable (`python/mqtt_devices.py`), announced by
//! Home Assistant's MQTT discovery on a real broker, carrying out the commands they get and
//! publishing their states as real devices do.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// How long the devices have to say something.
const WAIT: Duration = Duration::from_secs(15);

/// The Python interpreter with ha-mqtt-discoverable: `TEST_AGENTS_PYTHON` (scripts/test sets
/// it), else the venv scripts/test makes.
pub fn python() -> PathBuf {
    if let Ok(python) = std::env::var("TEST_AGENTS_PYTHON")
        && !python.trim().is_empty()
    {
        return python.into();
    }
    let cache = std::env::var("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache")
    });
    let venv = cache.join("posey/venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with ha-mqtt-discoverable: run ./scripts/test (which installs it into {}), \
         or set TEST_AGENTS_PYTHON",
        venv.display()
    );
    venv
}

/// The running devices. Their entity ids are `light.posey_test_rig_desk_lamp`,
/// `switch.posey_test_rig_coffee_maker`, `lock.posey_test_rig_front_door` and
/// `sensor.posey_test_rig_living_room_temperature`.
pub struct Devices {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Where the devices publish their states.
    pub state_prefix: String,
}

impl Devices {
    /// Announces the devices under `discovery_prefix` on the broker at `host:port`.
    pub async fn start(host: &str, port: u16, discovery_prefix: &str) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/mqtt_devices.py");
        let state_prefix = format!("hmd-{:08x}", rand::random::<u32>());
        let mut child = tokio::process::Command::new(python())
            .arg(script)
            .args([host, &port.to_string(), discovery_prefix, &state_prefix])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("starting python/mqtt_devices.py");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut devices = Self { child, stdin, lines, state_prefix };
        devices.expect("ready").await;
        devices
    }

    /// The next line the devices print; it must start with `prefix`.
    pub async fn expect(&mut self, prefix: &str) -> String {
        let line = tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for the devices to say {prefix:?}"))
            .expect("reading the devices' output")
            .unwrap_or_else(|| panic!("the devices exited before saying {prefix:?}"));
        assert!(line.starts_with(prefix), "the devices said {line:?}, not {prefix:?}...");
        line
    }

    /// The next line the devices print within `wait`, if any (to see that nothing came).
    pub async fn said_within(&mut self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, self.lines.next_line()).await.ok()?.ok()?
    }

    /// Tells the devices `line` (`sensor 30`, `offline`, `delete light`...) and waits until
    /// they did it.
    pub async fn tell(&mut self, line: &str) {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await.expect("writing to the devices");
        self.stdin.flush().await.expect("writing to the devices");
        if !matches!(line, "quit" | "crash") {
            self.expect(&format!("done {line}")).await;
        }
    }

    /// Clears what the devices retained on the broker and waits for them to leave.
    pub async fn quit(mut self) {
        self.tell("quit").await;
        self.expect("bye").await;
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the devices to exit")
            .expect("the devices' exit");
    }

    /// Leaves without disconnecting: the broker publishes the light's last will.
    pub async fn crash(mut self) {
        self.tell("crash").await;
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the devices to exit")
            .expect("the devices' exit");
    }
}
