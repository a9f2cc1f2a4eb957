//! Keys kept in files (the auth service's key encryption key, the home plugin's seal key):
//! one line of text, mode 0600, made once and never made anew while the file is there, since
//! what was sealed under a key cannot be opened without it.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// The file's text, trimmed; `None` when there is no such file. A file others can read is
/// logged as a warning with the fix.
pub fn read(path: &Path) -> std::io::Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "{} can be read by others; fix: chmod 600 {}",
            path.display(),
            path.display()
        );
    }
    Ok(Some(text.trim().to_owned()))
}

/// Writes `text` to `path` (mode 0600) unless a file is there: true when written, false when
/// one was there already (made by another process at the same moment, say). Written aside,
/// then linked into place, so a reader never sees half a key and of two makers the first to
/// link wins. Makes the parent directory.
pub fn create(path: &Path, text: &str) -> std::io::Result<bool> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let aside = dir.join(format!(".{name}.{}", std::process::id()));
    let written = (|| {
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&aside)?;
        file.write_all(format!("{text}\n").as_bytes())?;
        file.sync_all()?;
        std::fs::hard_link(&aside, path)
    })();
    let _ = std::fs::remove_file(&aside);
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_private_and_read_back_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("key");
        assert_eq!(read(&path).unwrap(), None);
        assert!(create(&path, "first").unwrap());
        assert!(!create(&path, "second").unwrap(), "never made anew while it is there");
        assert_eq!(read(&path).unwrap().as_deref(), Some("first"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "nothing left aside");
        std::fs::write(&path, "  spaced \n").unwrap();
        assert_eq!(read(&path).unwrap().as_deref(), Some("spaced"));
    }
}
