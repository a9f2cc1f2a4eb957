//! A person's export, `GET /v1/me/export`: one zip of everything Posey keeps of them, in open
//! formats, streamed as it is written. The service writes its own part (`own`: a README, the
//! account auth keeps, conversations, confirmations, and the reminders and notifications cron
//! keeps, asked of cron with the person's token), then every plugin its own (`Plugin::export`:
//! profile, memories, documents and their files, calendars, money, home). A failure part-way
//! ends the download with an error rather than with a zip that looks complete. While it is
//! written, `GET /v1/me/export/progress` says how far it has got (`progress`).

mod archive;
mod own;
mod progress;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use posey_http::ApiError;
use posey_http::openapi::Error;
use posey_plugin::responses::NeedsPerson;
use posey_plugin::{Credential, Export, ExportFile};
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use progress::{ExportProgress, Progress, Running};

use crate::routes::PersonWithToken;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export)).routes(routes!(export_progress))
}

/// Everything Posey keeps of the person, as one zip
///
/// Profile, conversations (Markdown and JSON), memories with their history, documents with
/// the files as uploaded, calendars (iCalendar), money (CSV and an hledger journal, with the
/// accounts, budgets and rules as JSON), the home's connections, entities, audit and history,
/// reminders and notifications, and the account itself. `README.md` in the zip says what each
/// file is. Streamed as it is written; a download that fails part-way is cut off, never
/// finished, so a complete zip is the whole export.
#[utoipa::path(get, path = "/v1/me/export", tag = "export", operation_id = "exportEverything",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The zip (Content-Disposition: attachment)", content_type = "application/zip", body = Vec<u8>),
        (status = 409, description = "An export of theirs is still being written (`conflict`)", body = Error),
        NeedsPerson,
    ))]
async fn export(
    State(state): State<AppState>,
    PersonWithToken(person, credential): PersonWithToken,
) -> Result<Response, ApiError> {
    // One at a time per person: an export reads all they have.
    let parts = 1 + state.runtime.plugins.all().count();
    let running = Running::start(person, parts).ok_or_else(|| {
        ApiError::Conflict(
            "an export of yours is already being written; try again when it has finished".into(),
        )
    })?;
    // Small queues: the export runs as fast as the person downloads it.
    let (files, to_zip) = mpsc::channel::<ExportFile>(2);
    let (chunks, mut download) = mpsc::channel::<archive::Chunk>(8);
    let writer = tokio::task::spawn_blocking({
        let (chunks, progress) = (chunks.clone(), running.progress.clone());
        move || archive::write(to_zip, chunks, &progress)
    });
    tokio::spawn(async move {
        let progress = running.progress.clone();
        if let Err(error) = produce(&state, person, credential, &files, &progress).await {
            tracing::warn!(user_id = %person, error = format!("{error:#}"), "a person's export failed part-way");
            progress.failed();
            // Before `files` closes (which finishes the zip), so the download ends broken.
            let _ = chunks.send(Err(std::io::Error::other("the export failed part-way"))).await;
        }
        drop(files);
        // Ended when the zip is finished (or could not be): then the next may start.
        let _ = writer.await;
        drop(running);
    });
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| download.poll_recv(cx)));
    let name = format!(
        "attachment; filename=\"posey-export-{}.zip\"",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    Ok((
        [(header::CONTENT_TYPE, "application/zip".to_owned()), (header::CONTENT_DISPOSITION, name)],
        body,
    )
        .into_response())
}

/// How far the person's export has got (the one being written, else the last one)
///
/// For a progress view while a large account downloads: the part being written, parts done of
/// all, and the files and bytes handed to the download so far; after the end, whether the zip
/// was finished or the export failed part-way. `state` is `none` when they have not exported
/// since the service started.
#[utoipa::path(get, path = "/v1/me/export/progress", tag = "export",
    operation_id = "exportProgress", security(("bearer" = [])),
    responses(
        (status = 200, description = "Where the export stands", body = ExportProgress),
        NeedsPerson,
    ))]
async fn export_progress(
    PersonWithToken(person, _): PersonWithToken,
) -> Result<Json<ExportProgress>, ApiError> {
    Ok(Json(progress::of(person)))
}

/// Every part, in order: the service's own, then each plugin's under its name.
async fn produce(
    state: &AppState,
    person: Uuid,
    credential: Credential,
    files: &mpsc::Sender<ExportFile>,
    progress: &Progress,
) -> anyhow::Result<()> {
    let plugins: Vec<_> = state.runtime.plugins.all().cloned().collect();
    let names: Vec<&str> = plugins.iter().map(|p| p.name()).collect();
    progress.part("posey");
    own::write(state, person, &credential, &names, files).await?;
    progress.part_done();
    for plugin in &plugins {
        progress.part(plugin.name());
        let out = Export::new(plugin.name(), files.clone());
        if let Some(part) = plugin.export(&state.host, person, out) {
            part.await.map_err(|e| e.context(format!("the {} plugin's part", plugin.name())))?;
        }
        progress.part_done();
    }
    Ok(())
}
