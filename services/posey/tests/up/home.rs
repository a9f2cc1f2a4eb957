//! What `posey up` provides the home plugin when nothing is configured: an MQTT broker in its
//! own process that a client can connect to (or, with the address taken, a warning and no
//! broker), a seal key made once into the data dir and kept across runs, and `posey doctor`
//! saying which.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use crate::support::{Posey, ports, temp_parent, wait_until_ready};

/// An MQTT 3.1.1 CONNECT (clean session, client id `probe`) and the broker's CONNACK code.
fn mqtt_connect(port: u16) -> std::io::Result<[u8; 4]> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut packet = vec![0x10, 17, 0, 4];
    packet.extend_from_slice(b"MQTT");
    packet.extend_from_slice(&[4, 0x02, 0, 60, 0, 5]);
    packet.extend_from_slice(b"probe");
    stream.write_all(&packet)?;
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack)?;
    Ok(connack)
}

fn doctor(data_dir: &std::path::Path, vars: &[(&str, &str)], log: &str) -> String {
    let mut doctor = Posey::start_with(data_dir, &[], &["doctor"], log, vars);
    doctor.wait(Duration::from_secs(30));
    doctor.log()
}

#[tokio::test(flavor = "multi_thread")]
async fn posey_up_runs_an_mqtt_broker_and_keeps_a_seal_key() {
    let db = posey_testkit::TestDatabase::empty().await;
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let mqtt_port = posey_testkit::free_port();
    let listen = format!("127.0.0.1:{mqtt_port}");
    let vars = [("DATABASE_URL", db.url.as_str()), ("POSEY_MQTT_LISTEN", listen.as_str())];

    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "up-mqtt.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    // A real MQTT session: CONNACK, accepted.
    assert_eq!(mqtt_connect(mqtt_port).unwrap(), [0x20, 2, 0, 0], "{}", posey.log());
    let key_file = data_dir.join(posey::home::SEAL_KEY_FILE);
    let key = std::fs::read_to_string(&key_file).unwrap();
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert!(!posey.log().contains(key.trim()), "the key was logged");

    let report = doctor(&data_dir, &vars, "doctor-mqtt.log");
    let pid = posey.child.id();
    let embedded = format!("embedded, in `posey up` (pid {pid}), listening at mqtt://{listen}");
    assert!(report.contains(&embedded), "{report}");
    assert!(report.contains("generated, kept in"), "{report}");

    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
    assert!(TcpStream::connect(("127.0.0.1", mqtt_port)).is_err(), "the broker outlived posey up");

    // The address taken: a warning saying so, and everything else serves; the key is kept.
    let taken = std::net::TcpListener::bind(&listen).unwrap();
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "up-mqtt-taken.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let log = posey.log();
    assert!(log.contains(&format!("cannot listen on {listen}")), "{log}");
    assert!(log.contains("POSEY_MQTT_LISTEN"), "{log}");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key, "the seal key changed");
    let report = doctor(&data_dir, &vars, "doctor-mqtt-taken.log");
    assert!(report.contains("has no embedded broker"), "{report}");
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
    drop(taken);
}
