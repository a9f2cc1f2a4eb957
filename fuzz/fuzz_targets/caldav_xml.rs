//! A WebDAV / CalDAV request body (PROPFIND, REPORT, MKCALENDAR, PROPPATCH) as the calendar
//! plugin reads it: bounded XML into a tree of namespaced elements, no DOCTYPE, no entities.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posey_fuzz::caldav::xml;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    if body.len() > xml::MAX_BODY {
        return;
    }
    if let Ok(root) = xml::parse(body) {
        let _ = root.trimmed_text();
        let _ = root.child(xml::DAV, "prop");
    }
});
