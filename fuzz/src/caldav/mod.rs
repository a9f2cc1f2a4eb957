//! The calendar plugin's WebDAV request bodies (`crates/posey-calendar-plugin/src/caldav`).

#[path = "../../../crates/posey-calendar-plugin/src/caldav/xml.rs"]
pub mod xml;
