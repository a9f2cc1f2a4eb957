//! The calendar domain, free of I/O: iCalendar (RFC 5545) text and the objects in it (events,
//! to-dos, alarms), recurrence expanded DST-correctly with caps, the three edit scopes ("this
//! one", "this and following", "all") and free time. The agents service's `calendar` plugin
//! stores what this crate parses and serves it over REST, CalDAV and ICS.

pub mod alarms;
pub mod edit;
mod emit;
pub mod free;
pub mod ics;
pub mod object;
mod read;
pub mod recurrence;
pub mod when;
mod zone;

pub use object::{Alarm, End, Instance, Item, Kind, Object, ObjectError, Status, Trigger};
pub use when::When;
