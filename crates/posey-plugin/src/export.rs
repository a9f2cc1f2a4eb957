//! A person's export (`GET /v1/me/export`): every plugin writes what it keeps of the person as
//! files in open formats into one zip, which is streamed to them as it is written.

use anyhow::Context as _;
use serde::Serialize;
use tokio::sync::mpsc;

/// One file of the export: its path in the zip and its content.
#[derive(Debug)]
pub struct ExportFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Where a plugin writes its part: paths are under a folder of the plugin's name. Each file is
/// handed on as it is given (a person's documents are never all in memory at once); a file
/// waits while the person's download is behind.
#[derive(Debug, Clone)]
pub struct Export {
    folder: String,
    files: mpsc::Sender<ExportFile>,
}

impl Export {
    /// Files of `folder` (a plugin's name; empty: the zip's top) into `files`.
    pub fn new(folder: &str, files: mpsc::Sender<ExportFile>) -> Self {
        Self { folder: folder.to_owned(), files }
    }

    /// Adds `name` (a path under the folder; `/` makes subfolders) with `bytes`.
    pub async fn file(&self, name: &str, bytes: impl Into<Vec<u8>>) -> anyhow::Result<()> {
        let name = safe_path(name);
        let path = if self.folder.is_empty() { name } else { format!("{}/{name}", self.folder) };
        self.files
            .send(ExportFile { path, bytes: bytes.into() })
            .await
            .ok()
            .context("the export was abandoned (the download ended)")
    }

    /// Adds `name` as indented JSON.
    pub async fn json(&self, name: &str, value: &impl Serialize) -> anyhow::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(value).context("writing JSON for the export")?;
        bytes.push(b'\n');
        self.file(name, bytes).await
    }
}

/// `name` as a relative path a zip tool extracts where it should: no empty, `.` or `..`
/// segments, no backslashes or control characters (a document's own filename is the person's).
pub fn safe_path(name: &str) -> String {
    let segments: Vec<String> = name
        .split('/')
        .map(|segment| {
            segment
                .chars()
                .map(|c| if c.is_control() || c == '\\' { '_' } else { c })
                .collect::<String>()
        })
        .filter(|segment| !segment.trim().is_empty() && segment != "." && segment != "..")
        .collect();
    if segments.is_empty() { "_".to_owned() } else { segments.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_never_leaves_its_folder() {
        assert_eq!(safe_path("../../etc/passwd"), "etc/passwd");
        assert_eq!(safe_path("/abs/./x.txt"), "abs/x.txt");
        assert_eq!(safe_path("a\\..\\b\u{0}.pdf"), "a_.._b_.pdf");
        assert_eq!(safe_path(".."), "_");
        assert_eq!(safe_path("Taxes 2026/Übersicht.pdf"), "Taxes 2026/Übersicht.pdf");
    }

    #[tokio::test]
    async fn files_go_under_the_folder_in_order() {
        let (tx, mut rx) = mpsc::channel(4);
        let export = Export::new("calendar", tx);
        export.file("Home.ics", "BEGIN:VCALENDAR").await.unwrap();
        export.json("calendars.json", &serde_json::json!({"n": 1})).await.unwrap();
        let first = rx.recv().await.unwrap();
        assert_eq!(
            (first.path.as_str(), first.bytes.as_slice()),
            ("calendar/Home.ics", &b"BEGIN:VCALENDAR"[..])
        );
        let second = rx.recv().await.unwrap();
        assert_eq!(second.path, "calendar/calendars.json");
        assert_eq!(second.bytes, b"{\n  \"n\": 1\n}\n");
        drop(rx);
        assert!(
            export.file("late.txt", "x").await.is_err(),
            "a closed download must stop the export"
        );
    }
}
