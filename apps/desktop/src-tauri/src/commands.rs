//! The Tauri commands the webview calls. Each answers what the bridge answers: accounts, API
//! replies with credentials removed, and errors as `{status, code, message}`; never a token.

use posey_desktop_bridge::{ApiReply, BridgeError, Service};
use serde::Serialize;
use serde_json::{Value, json};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_autostart::ManagerExt;

use crate::AppState;
use crate::settings::Settings;

#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    email: String,
    password: String,
) -> Result<Value, BridgeError> {
    state.bridge.sign_in_with_password(&email, &password).await
}

#[tauri::command]
pub async fn send_code(state: State<'_, AppState>, email: String) -> Result<(), BridgeError> {
    state.bridge.send_code(&email).await
}

#[tauri::command]
pub async fn verify_code(
    state: State<'_, AppState>,
    email: String,
    code: String,
) -> Result<Value, BridgeError> {
    state.bridge.verify_code(&email, &code).await
}

#[tauri::command]
pub async fn current_user(state: State<'_, AppState>) -> Result<Option<Value>, BridgeError> {
    state.bridge.current_user().await
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<(), BridgeError> {
    state.bridge.sign_out().await
}

/// One API call: `service` is `auth`, `agents` or `cron`; `path` includes its query.
#[tauri::command]
pub async fn api(
    state: State<'_, AppState>,
    service: Service,
    method: String,
    path: String,
    body: Option<Value>,
) -> Result<ApiReply, BridgeError> {
    state.bridge.call(service, &method, &path, body.as_ref()).await
}

/// Uploads a document the person picked (its name and bytes) to the agents' `/v1/documents`.
#[tauri::command]
pub async fn upload_document(
    state: State<'_, AppState>,
    filename: String,
    bytes: Vec<u8>,
) -> Result<ApiReply, BridgeError> {
    state.bridge.upload(Service::Agents, "/v1/documents", &filename, bytes).await
}

/// One event of a chat turn, as the webview hears it (`chat-event`).
#[derive(Clone, Serialize)]
struct ChatEvent {
    stream_id: String,
    event: String,
    data: String,
}

/// Sends a message and forwards the turn's server-sent events as `chat-event`s tagged with
/// `stream_id` (the caller listens before it invokes). Answers when the turn's stream ends.
#[tauri::command]
pub async fn chat_send(
    app: AppHandle,
    state: State<'_, AppState>,
    conversation_id: String,
    content: String,
    stream_id: String,
) -> Result<(), BridgeError> {
    if conversation_id.is_empty()
        || !conversation_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(BridgeError::Invalid("not a conversation id".into()));
    }
    let path = format!("/v1/conversations/{conversation_id}/messages");
    let body = json!({ "content": content });
    state
        .bridge
        .stream(Service::Agents, "POST", &path, Some(&body), None, |e| {
            let event = ChatEvent { stream_id: stream_id.clone(), event: e.event, data: e.data };
            if let Err(e) = app.emit("chat-event", event) {
                tracing::warn!(error = %e, "forwarding a chat event");
            }
            true
        })
        .await
}

#[derive(Serialize)]
pub struct SettingsView {
    #[serde(flatten)]
    settings: Settings,
    autostart: bool,
    shortcut: &'static str,
}

#[tauri::command]
pub fn get_settings(app: AppHandle, state: State<'_, AppState>) -> SettingsView {
    let autostart = app.autolaunch().is_enabled().unwrap_or(false);
    SettingsView { settings: state.settings.get(), autostart, shortcut: crate::QUICK_CHAT_SHORTCUT }
}

/// Points the app at another server (the session there, if any, comes from the keyring).
#[tauri::command]
pub async fn set_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<(), BridgeError> {
    let endpoints = state.settings.set(settings).map_err(BridgeError::Invalid)?;
    state.bridge.set_endpoints(endpoints).await;
    Ok(())
}

#[tauri::command]
pub fn set_autostart(app: AppHandle, enabled: bool) -> Result<bool, BridgeError> {
    let manager = app.autolaunch();
    let done = if enabled { manager.enable() } else { manager.disable() };
    done.map_err(|e| BridgeError::Invalid(format!("autostart: {e}")))?;
    manager.is_enabled().map_err(|e| BridgeError::Invalid(format!("autostart: {e}")))
}

#[tauri::command]
pub fn open_main(app: AppHandle) {
    crate::show_main(&app);
}
