//! Calendar objects: what one CalDAV resource holds, all the components of one UID (a VEVENT
//! or VTODO series and its overrides), read from iCalendar text into typed items and written
//! back. What Posey does not model (attendees, URLs, X- properties, other sub-components) is
//! kept as it came, so a phone's event survives a round trip through Posey unchanged.

mod calendar;
mod model;

pub use calendar::{Skipped, calendar_of, component_of, parse_calendar, parse_calendar_lenient};
pub use model::{
    Alarm, End, Instance, Item, Kind, Object, ObjectError, Span, Status, Trigger, shift,
};
