//! Parsers that live in crates too large to build for fuzzing (the agents service pulls in
//! llama.cpp, candle and Qdrant; auth its whole service) or in private modules (the calendar
//! plugin's WebDAV XML), read here from their own source files, unchanged: the fuzz targets run
//! the code the services run.

pub mod auth;
pub mod caldav;
pub mod documents;

/// The calendar's expansion caps with a tenth of the steps: a walk the caps allow costs well
/// under a second in the product's build, but several seconds instrumented, and libFuzzer's
/// timeout would take the caps' own bound for a hang. What is checked is that every walk stops
/// at its caps.
pub const CALENDAR_CAPS: posey_calendar::recurrence::Caps = posey_calendar::recurrence::Caps {
    max_steps: posey_calendar::recurrence::Caps::DEFAULT.max_steps / 10,
    ..posey_calendar::recurrence::Caps::DEFAULT
};

/// Splits a fuzz input at the first `\n`: a small header the target reads (a mode, a content
/// type, a key set) and the bytes under test.
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// For code that catches a dependency's panic on purpose (document extraction turns a PDF or
/// ZIP parser's panic into "the file could not be read"): such a panic is let through to that
/// `catch_unwind`, any other still aborts as libFuzzer's hook makes it (a crash). A panic is a
/// dependency's when its location is in a crate from a registry.
pub fn panics_outside_dependencies_abort() {
    let crash = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_dependency = info.location().is_some_and(|at| {
            let file = at.file();
            file.contains("/registry/src/") || file.contains("/git/checkouts/")
        });
        if !in_dependency {
            crash(info);
        }
    }));
}
