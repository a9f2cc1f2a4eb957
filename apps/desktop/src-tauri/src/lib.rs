//! Posey's desktop app: the webview UI, a tray icon, a global shortcut for quick chat, native
//! notifications for what cron delivers, autostart and `posey://` links, over the bridge
//! (posey-desktop-bridge), which alone holds the tokens.

mod commands;
mod notifications;
mod settings;

use std::sync::Arc;

use posey_desktop_bridge::{Bridge, KeyringStore, MemoryStore, SecretStore};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

/// The shortcut that opens the quick-chat window.
pub const QUICK_CHAT_SHORTCUT: &str = "CommandOrControl+Shift+Space";

/// What the commands share.
pub struct AppState {
    pub bridge: Arc<Bridge>,
    pub settings: settings::SettingsFile,
}

/// The refresh token's store: the OS keyring, unless `POSEY_DESKTOP_KEYRING=memory` (a
/// machine without one; the session then lasts while the app runs).
fn secret_store() -> Arc<dyn SecretStore> {
    if std::env::var("POSEY_DESKTOP_KEYRING").as_deref() == Ok("memory") {
        tracing::warn!("POSEY_DESKTOP_KEYRING=memory: the session is not kept between runs");
        Arc::new(MemoryStore::default())
    } else {
        Arc::new(KeyringStore::default())
    }
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let result = tauri::Builder::default()
        // First: a second launch (a `posey://` link opened from a mail client) hands its
        // arguments to this process and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| show_main(app)))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::Builder::new().arg("--minimized").build())
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, _shortcut, event| {
                    if event.state() == ShortcutState::Pressed {
                        open_quick_chat(app);
                    }
                })
                .build(),
        )
        .setup(|app| {
            let handle = app.handle().clone();
            let file = settings::SettingsFile::new(&handle)?;
            let endpoints = file.endpoints()?;
            tracing::info!(auth = %endpoints.auth, agents = %endpoints.agents, cron = %endpoints.cron, "server");
            let bridge = Arc::new(Bridge::new(endpoints, secret_store()));
            app.manage(AppState { bridge: bridge.clone(), settings: file });

            build_tray(&handle)?;
            match QUICK_CHAT_SHORTCUT.parse::<Shortcut>() {
                Ok(shortcut) => {
                    if let Err(e) = app.global_shortcut().register(shortcut) {
                        // Another app holds it, or the display has no global keys (Wayland).
                        tracing::warn!(error = %e, "the quick-chat shortcut could not be registered");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "the quick-chat shortcut does not parse"),
            }

            // `posey://auth-callback` links: signed in here, in Rust; the webview only hears
            // that the session changed.
            let links = handle.clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    open_link(&links, url.to_string());
                }
            });
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    open_link(&handle, url.to_string());
                }
            }

            if std::env::args().any(|a| a == "--minimized")
                && let Some(main) = app.get_webview_window("main")
            {
                let _ = main.hide();
            }

            notifications::watch(handle.clone(), bridge);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::sign_in,
            commands::send_code,
            commands::verify_code,
            commands::current_user,
            commands::sign_out,
            commands::api,
            commands::upload_document,
            commands::chat_send,
            commands::get_settings,
            commands::set_settings,
            commands::set_autostart,
            commands::open_main,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the app stopped");
        std::process::exit(1);
    }
}

fn open_link(app: &AppHandle, link: String) {
    if !link.starts_with("posey://") {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let outcome = state.bridge.sign_in_from_link(&link).await;
        let payload = match outcome {
            Ok(user) => serde_json::json!({ "user": user }),
            Err(e) => serde_json::json!({ "error": e }),
        };
        let _ = app.emit("session-changed", payload);
        show_main(&app);
    });
}

pub(crate) fn show_main(app: &AppHandle) {
    if let Some(main) = app.get_webview_window("main") {
        let _ = main.unminimize();
        let _ = main.show();
        let _ = main.set_focus();
    }
}

/// The small always-on-top window for one quick question (the same UI at `#/quick`).
pub(crate) fn open_quick_chat(app: &AppHandle) {
    if let Some(quick) = app.get_webview_window("quick") {
        if quick.is_visible().unwrap_or(false) {
            let _ = quick.hide();
        } else {
            let _ = quick.show();
            let _ = quick.set_focus();
        }
        return;
    }
    let built =
        WebviewWindowBuilder::new(app, "quick", WebviewUrl::App("index.html#/quick".into()))
            .title("Ask Posey")
            .inner_size(520.0, 380.0)
            .always_on_top(true)
            .center()
            .build();
    if let Err(e) = built {
        tracing::warn!(error = %e, "the quick-chat window could not open");
    }
}

fn build_tray(app: &AppHandle) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Posey", true, None::<&str>)?;
    let quick = MenuItem::with_id(app, "quick", "Quick chat", true, Some(QUICK_CHAT_SHORTCUT))?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quick, &quit])?;
    let mut tray = TrayIconBuilder::with_id("posey").tooltip("Posey").menu(&menu).on_menu_event(
        |app, event| match event.id.as_ref() {
            "open" => show_main(app),
            "quick" => open_quick_chat(app),
            "quit" => app.exit(0),
            _ => {}
        },
    );
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    if let Err(e) = tray.build(app) {
        // A desktop without a status area: the app works without its tray icon.
        tracing::warn!(error = %e, "no tray icon");
    }
    Ok(())
}
