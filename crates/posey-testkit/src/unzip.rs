//! A zip read back whole, as any unzip tool would: what a person's export holds.

use std::collections::BTreeMap;
use std::io::Read as _;

/// Every entry of the zip in `bytes`: name → content. Panics (failing the test) on a zip that is
/// not whole.
pub fn entries(bytes: Vec<u8>) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a whole zip");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("a zip entry");
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("reading a zip entry");
        files.insert(file.name().to_owned(), content);
    }
    files
}
