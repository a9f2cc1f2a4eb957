//! What a GGUF file says about its model without loading it: the architecture, the context it
//! was trained for and its parameter count (summed from the tensor shapes). Only the header is
//! read (metadata and tensor descriptions, a few MB at most), never the weights, so listing the
//! models in `<data dir>/models` stays cheap however large they are. Also finds those files.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

/// What the header of a GGUF file tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufInfo {
    /// `general.architecture` (`llama`, `qwen2`, ...).
    pub architecture: String,
    /// `general.name`, when the file has one.
    pub name: Option<String>,
    /// `<architecture>.context_length`: the context the model was trained for.
    pub context_length: Option<u64>,
    /// Parameters: the elements of every tensor.
    pub parameters: u64,
}

/// Why a file's header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a GGUF file: {reason}")]
    Format { path: PathBuf, reason: String },
}

/// Bounds that keep a damaged or hostile header from making the reader allocate or loop without
/// end: no real model comes near them.
const MAX_STRING: u64 = 16 * 1024 * 1024;
const MAX_ITEMS: u64 = 100_000_000;
const MAX_DIMS: u32 = 8;

/// Reads the header of the GGUF file at `path`.
pub fn read_info(path: &Path) -> Result<GgufInfo, GgufError> {
    let io = |source| GgufError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io)?;
    let mut reader = Header { input: BufReader::with_capacity(1 << 16, file) };
    reader.info().map_err(|error| match error {
        HeaderError::Io(source) => io(source),
        HeaderError::Format(reason) => GgufError::Format { path: path.to_owned(), reason },
    })
}

/// The `.gguf` files directly in `dir` (symlinks followed), sorted by name; none when `dir`
/// does not exist.
pub fn gguf_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let is_gguf =
            path.extension().is_some_and(|ext| ext.to_string_lossy().eq_ignore_ascii_case("gguf"));
        if is_gguf && std::fs::metadata(&path).is_ok_and(|meta| meta.is_file()) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

enum HeaderError {
    Io(std::io::Error),
    Format(String),
}

impl From<std::io::Error> for HeaderError {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            Self::Format("the header ends early".into())
        } else {
            Self::Io(error)
        }
    }
}

fn bad<T>(reason: impl Into<String>) -> Result<T, HeaderError> {
    Err(HeaderError::Format(reason.into()))
}

/// A metadata value, as far as the reader keeps it.
enum Value {
    Text(String),
    Number(u64),
    Other,
}

struct Header<R> {
    input: BufReader<R>,
}

impl<R: Read + Seek> Header<R> {
    fn info(&mut self) -> Result<GgufInfo, HeaderError> {
        let mut magic = [0; 4];
        self.input.read_exact(&mut magic)?;
        if &magic != b"GGUF" {
            return bad("it does not start with GGUF");
        }
        let version = self.u32()?;
        if !(2..=3).contains(&version) {
            return bad(format!("version {version} is not supported (2 and 3 are)"));
        }
        let tensors = self.count()?;
        let entries = self.count()?;
        let mut architecture = None;
        let mut name = None;
        let mut lengths: Vec<(String, u64)> = Vec::new();
        for _ in 0..entries {
            let key = self.string()?;
            let kind = self.u32()?;
            let keep = key == "general.architecture"
                || key == "general.name"
                || key.ends_with(".context_length");
            match (self.value(kind, keep)?, key.as_str()) {
                (Value::Text(text), "general.architecture") => architecture = Some(text),
                (Value::Text(text), "general.name") => name = Some(text),
                (Value::Number(n), _) if key.ends_with(".context_length") => lengths.push((key, n)),
                _ => {}
            }
        }
        let Some(architecture) = architecture else {
            return bad("it names no general.architecture");
        };
        let context_length = lengths
            .iter()
            .find(|(key, _)| *key == format!("{architecture}.context_length"))
            .map(|(_, n)| *n);
        let mut parameters: u64 = 0;
        for _ in 0..tensors {
            self.skip_string()?;
            let dims = self.u32()?;
            if dims > MAX_DIMS {
                return bad(format!("a tensor has {dims} dimensions"));
            }
            let mut elements: u64 = 1;
            for _ in 0..dims {
                elements = elements.saturating_mul(self.u64()?);
            }
            self.skip(4 + 8)?; // element type, offset
            parameters = parameters.saturating_add(elements);
        }
        Ok(GgufInfo { architecture, name, context_length, parameters })
    }

    fn value(&mut self, kind: u32, keep: bool) -> Result<Value, HeaderError> {
        Ok(match kind {
            0 | 1 | 7 => {
                self.skip(1)?;
                Value::Other
            }
            2 | 3 => {
                self.skip(2)?;
                Value::Other
            }
            4 => Value::Number(u64::from(self.u32()?)),
            5 => Value::Number(u64::try_from(self.u32()? as i32).unwrap_or(0)),
            6 => {
                self.skip(4)?;
                Value::Other
            }
            8 if keep => Value::Text(self.string()?),
            8 => {
                self.skip_string()?;
                Value::Other
            }
            9 => {
                let item = self.u32()?;
                let count = self.count()?;
                match item {
                    8 => (0..count).try_for_each(|_| self.skip_string())?,
                    9 => return bad("an array of arrays"),
                    _ => self.skip(count.saturating_mul(fixed_size(item)?))?,
                }
                Value::Other
            }
            10 => Value::Number(self.u64()?),
            11 => Value::Number(u64::try_from(self.u64()? as i64).unwrap_or(0)),
            12 => {
                self.skip(8)?;
                Value::Other
            }
            other => return bad(format!("unknown value type {other}")),
        })
    }

    fn u32(&mut self) -> Result<u32, HeaderError> {
        let mut bytes = [0; 4];
        self.input.read_exact(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn u64(&mut self) -> Result<u64, HeaderError> {
        let mut bytes = [0; 8];
        self.input.read_exact(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn count(&mut self) -> Result<u64, HeaderError> {
        let n = self.u64()?;
        if n > MAX_ITEMS {
            return bad(format!("a count of {n}"));
        }
        Ok(n)
    }

    fn string_len(&mut self) -> Result<u64, HeaderError> {
        let len = self.u64()?;
        if len > MAX_STRING {
            return bad(format!("a string of {len} bytes"));
        }
        Ok(len)
    }

    fn string(&mut self) -> Result<String, HeaderError> {
        let len = self.string_len()?;
        let mut bytes = vec![0; usize::try_from(len).unwrap_or(0)];
        self.input.read_exact(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn skip_string(&mut self) -> Result<(), HeaderError> {
        let len = self.string_len()?;
        self.skip(len)
    }

    fn skip(&mut self, bytes: u64) -> Result<(), HeaderError> {
        let offset = i64::try_from(bytes).map_err(|_| HeaderError::Format("a huge skip".into()))?;
        // Within the buffer when it can: the tokenizer's arrays are many short skips.
        self.input.seek_relative(offset)?;
        Ok(())
    }
}

/// The size of one element of an array of fixed-size values.
fn fixed_size(kind: u32) -> Result<u64, HeaderError> {
    Ok(match kind {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        other => return bad(format!("an array of value type {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GGUF header in memory: `kv` entries, then tensors of the given shapes.
    fn header(kv: &[(&str, u32, Vec<u8>)], tensors: &[&[u64]]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3_u32.to_le_bytes());
        out.extend((tensors.len() as u64).to_le_bytes());
        out.extend((kv.len() as u64).to_le_bytes());
        for (key, kind, value) in kv {
            out.extend(string(key));
            out.extend(kind.to_le_bytes());
            out.extend(value);
        }
        for (i, dims) in tensors.iter().enumerate() {
            out.extend(string(&format!("t{i}")));
            out.extend((dims.len() as u32).to_le_bytes());
            for d in *dims {
                out.extend(d.to_le_bytes());
            }
            out.extend(0_u32.to_le_bytes());
            out.extend(0_u64.to_le_bytes());
        }
        out
    }

    fn string(text: &str) -> Vec<u8> {
        let mut out = (text.len() as u64).to_le_bytes().to_vec();
        out.extend(text.as_bytes());
        out
    }

    fn read(bytes: Vec<u8>) -> Result<GgufInfo, HeaderError> {
        Header { input: BufReader::new(std::io::Cursor::new(bytes)) }.info()
    }

    #[test]
    fn the_header_gives_architecture_context_and_parameters() {
        let mut tokens = 8_u32.to_le_bytes().to_vec(); // an array of two strings, skipped
        tokens.extend(2_u64.to_le_bytes());
        tokens.extend(string("a"));
        tokens.extend(string("bc"));
        let bytes = header(
            &[
                ("general.architecture", 8, string("llama")),
                ("general.name", 8, string("Tiny")),
                ("tokenizer.ggml.tokens", 9, tokens),
                ("qwen2.context_length", 4, 99_u32.to_le_bytes().to_vec()),
                ("llama.context_length", 4, 8192_u32.to_le_bytes().to_vec()),
                ("llama.rope.freq_base", 6, 1.0_f32.to_le_bytes().to_vec()),
            ],
            &[&[576, 49152], &[576]],
        );
        let Ok(info) = read(bytes) else { panic!("not read") };
        assert_eq!(info.architecture, "llama");
        assert_eq!(info.name.as_deref(), Some("Tiny"));
        assert_eq!(info.context_length, Some(8192));
        assert_eq!(info.parameters, 576 * 49152 + 576);
    }

    #[test]
    fn damaged_headers_are_refused_not_followed() {
        assert!(matches!(read(b"GGML....".to_vec()), Err(HeaderError::Format(_))));
        let cut = header(&[("general.architecture", 8, string("llama"))], &[&[4, 4]]);
        assert!(matches!(read(cut[..cut.len() - 16].to_vec()), Err(HeaderError::Format(_))));
        let huge = header(&[("general.architecture", 8, u64::MAX.to_le_bytes().to_vec())], &[]);
        assert!(matches!(read(huge), Err(HeaderError::Format(_))));
    }
}
