//! The zip of an export, written on a blocking thread as files arrive and handed on in chunks:
//! a zip's entries are written one after another (sizes in data descriptors, as any unzip
//! reads them), so nothing needs the whole archive in memory or on disk.

use std::io::{self, Write};

use axum::body::Bytes;
use posey_plugin::ExportFile;
use tokio::sync::mpsc;

use super::progress::Progress;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Bytes handed on at a time.
const CHUNK: usize = 64 * 1024;

/// What the download reads: chunks of the zip, or the error that ends it unfinished.
pub type Chunk = Result<Bytes, io::Error>;

/// Writes every file from `files` into one zip sent to `out`, and finishes it once `files`
/// closes. Stops without finishing when the download is gone (the sender of `files` then fails).
/// `progress` counts the files written and the bytes handed on.
pub fn write(mut files: mpsc::Receiver<ExportFile>, out: mpsc::Sender<Chunk>, progress: &Progress) {
    let chunks = Chunks { out: out.clone(), buffer: Vec::new(), progress };
    let mut zip = ZipWriter::new_stream(chunks);
    let result = (|| -> zip::result::ZipResult<()> {
        while let Some(file) = files.blocking_recv() {
            zip.start_file(file.path.as_str(), options(&file.path, file.bytes.len()))?;
            zip.write_all(&file.bytes)?;
            progress.file_written();
        }
        zip.finish()?.into_inner().flush()?;
        progress.finished();
        Ok(())
    })();
    if let Err(error) = result {
        progress.failed();
        let gone =
            matches!(&error, zip::result::ZipError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe);
        if gone {
            tracing::info!("an export's download ended before its zip was finished");
        } else {
            tracing::warn!(error = %error, "an export's zip could not be written");
        }
        // The download is gone, or the archive could not be written: either way it must not
        // end looking complete.
        let _ = out.blocking_send(Err(io::Error::other(format!("writing the export: {error}"))));
    }
}

/// Text compresses well; a person's files (PDFs, images, Office documents) mostly are
/// compressed already and are stored as they are.
fn options(path: &str, size: usize) -> SimpleFileOptions {
    let text =
        [".json", ".md", ".csv", ".ics", ".ledger", ".txt"].iter().any(|ext| path.ends_with(ext));
    let method = if text { CompressionMethod::Deflated } else { CompressionMethod::Stored };
    SimpleFileOptions::default()
        .compression_method(method)
        .large_file(size as u64 >= u64::from(u32::MAX))
        .unix_permissions(0o644)
}

/// A `Write` that sends full chunks to the download, waiting while it is behind.
struct Chunks<'a> {
    out: mpsc::Sender<Chunk>,
    buffer: Vec<u8>,
    progress: &'a Progress,
}

impl Chunks<'_> {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        let len = chunk.len();
        self.out
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the download ended"))?;
        self.progress.sent(len);
        Ok(())
    }
}

impl Write for Chunks<'_> {
    /// Cuts what it is given into chunks of [`CHUNK`] bytes: a document of many megabytes is
    /// handed on a chunk at a time like everything else.
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let take = (CHUNK - self.buffer.len()).min(rest.len());
            self.buffer.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.buffer.len() == CHUNK {
                self.send()?;
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn file(path: &str, bytes: &[u8]) -> ExportFile {
        ExportFile { path: path.to_owned(), bytes: bytes.to_vec() }
    }

    /// Runs `write` over `given` and collects what the download gets.
    fn zip_of(given: Vec<ExportFile>) -> Vec<Chunk> {
        let (files, rx) = mpsc::channel(1);
        let (out, mut chunks) = mpsc::channel(4);
        let writer = std::thread::spawn(move || write(rx, out, &Progress::for_test()));
        let feeder = std::thread::spawn(move || {
            for f in given {
                files.blocking_send(f).unwrap();
            }
        });
        let mut all = Vec::new();
        while let Some(chunk) = chunks.blocking_recv() {
            all.push(chunk);
        }
        feeder.join().unwrap();
        writer.join().unwrap();
        all
    }

    #[test]
    fn the_files_come_out_as_a_zip_any_unzip_reads() {
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let chunks =
            zip_of(vec![file("README.md", b"# Yours"), file("documents/files/scan.pdf", &big)]);
        assert!(chunks.len() > 10, "streamed in chunks, not at once");
        let sizes: Vec<usize> = chunks.iter().map(|c| c.as_ref().unwrap().len()).collect();
        assert!(sizes.iter().all(|n| *n <= CHUNK), "{sizes:?}");
        let bytes: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
        let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            archive.file_names().collect::<std::collections::BTreeSet<_>>(),
            ["README.md", "documents/files/scan.pdf"].into()
        );
        let mut text = String::new();
        archive.by_name("README.md").unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "# Yours");
        let mut scan = archive.by_name("documents/files/scan.pdf").unwrap();
        assert_eq!(scan.compression(), CompressionMethod::Stored);
        let mut read = Vec::new();
        scan.read_to_end(&mut read).unwrap();
        assert_eq!(read, big);
    }

    #[test]
    fn a_download_gone_stops_the_writer() {
        let (files, rx) = mpsc::channel(1);
        let (out, chunks) = mpsc::channel(1);
        drop(chunks);
        let writer = std::thread::spawn(move || write(rx, out, &Progress::for_test()));
        let big = vec![7u8; 3 * CHUNK];
        // The writer fails on its first full chunk and drops its receiver: sending fails soon.
        let mut sent = 0;
        while files.blocking_send(file(&format!("f{sent}.bin"), &big)).is_ok() {
            sent += 1;
            assert!(sent < 10, "the writer kept taking files for no one");
        }
        writer.join().unwrap();
    }
}
