//! What cron delivers in-app (reminders falling due, among others) as native notifications:
//! the bridge follows cron's notification stream while someone is signed in, resuming from the
//! last id after a drop; each notification is shown by the desktop, told to the webview
//! (`notification`), and, when `POSEY_DESKTOP_NOTIFICATION_LOG` names a file, appended there as
//! a JSON line (what the end-to-end test reads: Xvfb has no notification daemon to ask).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use posey_desktop_bridge::{Bridge, BridgeError, Service};
use serde_json::Value;
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;

/// How long to wait before looking again when nobody is signed in or the stream dropped.
const RETRY: Duration = Duration::from_secs(3);

pub fn watch(app: AppHandle, bridge: Arc<Bridge>) {
    tauri::async_runtime::spawn(async move {
        let mut last_id: Option<String> = None;
        loop {
            let resume = last_id.clone();
            let outcome = bridge
                .stream(
                    Service::Cron,
                    "GET",
                    "/v1/notifications/stream",
                    None,
                    resume.as_deref(),
                    |e| {
                        if e.event == "notification" {
                            if e.id.is_some() {
                                last_id.clone_from(&e.id);
                            }
                            match serde_json::from_str::<Value>(&e.data) {
                                Ok(notification) => deliver(&app, &notification),
                                Err(error) => {
                                    tracing::warn!(%error, "a notification that is not JSON")
                                }
                            }
                        }
                        true
                    },
                )
                .await;
            match outcome {
                Ok(()) | Err(BridgeError::NotSignedIn) => {}
                Err(error) => tracing::debug!(%error, "the notification stream"),
            }
            tokio::time::sleep(RETRY).await;
        }
    });
}

fn deliver(app: &AppHandle, notification: &Value) {
    let text = |k: &str| notification.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (title, body) = (text("title"), text("body"));
    let shown = app.notification().builder().title(&title).body(&body).show();
    if let Err(error) = &shown {
        tracing::warn!(%error, "showing a notification");
    }
    if let Ok(path) = std::env::var("POSEY_DESKTOP_NOTIFICATION_LOG") {
        let line = serde_json::json!({
            "id": notification.get("id"),
            "title": title,
            "body": body,
            "shown": shown.is_ok(),
        });
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(error) = written {
            tracing::warn!(%error, path, "writing the notification log");
        }
    }
    if let Err(error) = app.emit("notification", notification) {
        tracing::warn!(%error, "telling the webview of a notification");
    }
}
