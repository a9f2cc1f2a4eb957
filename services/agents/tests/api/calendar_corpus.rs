//! Real-world iCalendar files no one here wrote: the test calendars the `icalendar` package
//! (PyPI, BSD licence, Plone Foundation) ships, read from the test venv where scripts/test
//! installs it (nothing copied into this repository). A file whose structure is broken is
//! refused whole with a message naming the problem (the files and why are listed below); from
//! every other one each event or to-do that is wrong on its own is skipped with its UID and
//! the reason (listed below too), and the rest is imported. `icalendar` then reads every
//! export with the imported events and to-dos of the original field for field (equal as RFC
//! 5545 has it; see `python/ics_compare.py`), and a custom VTIMEZONE's times are in the IANA
//! zone that agrees with it. The lists are exact, measured with icalendar 7.3.2, so any file
//! that imports differently fails the test.

// What each file did is printed, to read with --nocapture when the lists need measuring again.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::{Models, spawn};
use crate::openai::python;

/// The `icalendar` package's directory of test calendars.
async fn corpus() -> std::path::PathBuf {
    let output = tokio::process::Command::new(python())
        .args([
            "-c",
            "import icalendar, os; print(os.path.join(os.path.dirname(icalendar.__file__), 'tests', 'calendars'))",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "the test venv has no icalendar package (scripts/test installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::path::PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

#[tokio::test]
async fn real_world_ics_files_import_what_is_valid_and_icalendar_reads_every_export() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let dir = corpus().await;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "ics"))
        .collect();
    files.sort();
    assert!(files.len() >= 100, "{} files in {}", files.len(), dir.display());

    let mut pairs = Vec::new();
    let mut refused = Vec::new();
    let mut skipped = Vec::new();
    let mut exports = BTreeMap::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(file).unwrap();
        let body = json!({"name": name, "time_zone": "Europe/Berlin"});
        let calendar: Value =
            app.post_as("/v1/calendars", &token, &body).await.json().await.unwrap();
        let id = calendar["id"].as_str().unwrap();
        let response = app
            .request(reqwest::Method::POST, &format!("/v1/calendars/{id}/import"), &token)
            .header("content-type", "text/calendar")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        let export = app.get_as(&format!("/v1/calendars/{id}/export"), &token).await;
        assert_eq!(export.status(), 200, "{name}");
        let exported = export.text().await.unwrap();
        match status {
            200 => {
                let mut uids = Vec::new();
                for entry in answer["skipped"].as_array().unwrap() {
                    let uid = entry["uid"].as_str().unwrap().to_owned();
                    let reason = entry["reason"].as_str().unwrap().to_owned();
                    println!("{name}: skipped {uid}: {reason}");
                    skipped.push((name.clone(), uid.clone(), reason));
                    uids.push(uid);
                }
                pairs.push(json!({
                    "name": name,
                    "original": String::from_utf8_lossy(&bytes),
                    "exported": exported,
                    "skipped": uids,
                }));
                exports.insert(name, exported);
            }
            422 => {
                // Refused whole, saying why; nothing of it is kept.
                let why = answer["error"]["fields"]["file"][0].as_str().unwrap_or_default();
                assert!(!why.is_empty(), "{name}: {answer}");
                assert!(
                    !exported.contains("BEGIN:VEVENT") && !exported.contains("BEGIN:VTODO"),
                    "{name}"
                );
                println!("{name}: refused: {why}");
                refused.push((name, why.to_owned()));
            }
            other => panic!("{name}: {other} {answer}"),
        }
    }
    println!(
        "imported {} of {} files ({} events or to-dos skipped), refused {}",
        pairs.len(),
        files.len(),
        skipped.len(),
        refused.len()
    );

    // Refused: exactly the files whose structure is broken, each for what breaks it.
    let names: Vec<&str> = refused.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, REFUSED.iter().map(|(name, _)| *name).collect::<Vec<_>>());
    for ((name, why), (_, broken)) in refused.iter().zip(REFUSED) {
        assert!(
            broken.words().iter().any(|word| why.contains(word)),
            "{name}: {why} is not {broken:?}"
        );
    }
    // Skipped: exactly the events and to-dos wrong on their own, each for what is wrong.
    let found: Vec<(&str, &str)> = skipped
        .iter()
        .map(|(name, uid, _)| {
            (name.as_str(), if uid.starts_with("posey-") { "" } else { uid.as_str() })
        })
        .collect();
    assert_eq!(found, SKIPPED.iter().map(|(name, uid, _)| (*name, *uid)).collect::<Vec<_>>());
    for ((name, uid, why), (_, _, invalid)) in skipped.iter().zip(SKIPPED) {
        assert!(
            invalid.words().iter().any(|word| why.contains(word)),
            "{name} {uid}: {why} is not {invalid:?}"
        );
    }
    assert_eq!(pairs.len(), IMPORTED, "files imported");

    // A custom VTIMEZONE is the IANA zone that agrees with it, or, when none does, its times
    // are exported as instants.
    for (name, zone) in ZONES {
        let text = &exports[*name];
        match zone {
            Some(zone) => assert!(text.contains(&format!("TZID:{zone}\r\n")), "{name}: {text}"),
            None => assert!(!text.contains("TZID"), "{name}: {text}"),
        }
    }

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/python/ics_compare.py");
    let mut child = tokio::process::Command::new(python())
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(&pairs).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, &input).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.iter().map(|p| p.as_str().unwrap_or_default()).collect::<Vec<_>>().join("\n")
    );
    // Every original is compared but those icalendar itself cannot read.
    assert_eq!(report["unreadable"], json!(UNREADABLE));
    assert_eq!(report["compared"].as_u64().unwrap() as usize, pairs.len() - UNREADABLE.len());
}

/// Of icalendar 7.3.2's 116 `.ics` test calendars, how many import (the others are refused).
const IMPORTED: usize = 99;

/// What breaks a refused file's structure.
#[derive(Debug, Clone, Copy)]
enum Broken {
    /// A content line that is not `NAME;PARAM=VALUE:VALUE`, or one outside any component.
    Line,
    /// BEGIN and END that do not pair up.
    Nesting,
    /// No VCALENDAR around the components.
    NoCalendar,
}

impl Broken {
    /// Words of which the refusal names one.
    fn words(self) -> &'static [&'static str] {
        match self {
            Self::Line => &[
                "needs a ':'",
                "has no name",
                "property name",
                "component name",
                "outside any component",
            ],
            Self::Nesting => &["never closed", "does not match"],
            Self::NoCalendar => &["no VCALENDAR"],
        }
    }
}

/// The files refused whole, in name order.
const REFUSED: &[(&str, Broken)] = &[
    ("big_bad_calendar.ics", Broken::Nesting),
    ("broken_ical.ics", Broken::Line),
    ("fuzz_testcase_0_char_in_component_name.ics", Broken::Line),
    ("fuzz_testcase_invalid_month.ics", Broken::Nesting),
    ("fuzz_testcase_vtimezone_lone_cr.ics", Broken::NoCalendar),
    ("issue_104_broken_calendar.ics", Broken::Line),
    ("issue_168_input.ics", Broken::Line),
    ("issue_178_component_with_invalid_name_represented.ics", Broken::NoCalendar),
    ("issue_178_custom_component_contains_other.ics", Broken::NoCalendar),
    ("issue_348_exception_parsing_value.ics", Broken::Line),
    // X-COMMENT after END:VCALENDAR.
    ("issue_350.ics", Broken::Line),
    // `REFRESH ` with a blank in the property name, which RFC 5545 does not allow.
    ("issue_351_whitespace_in_property_and_params.ics", Broken::Line),
    ("issue_82_expected_output.ics", Broken::NoCalendar),
    ("pr_480_summary_with_colon.ics", Broken::Nesting),
    ("small_bad_calendar.ics", Broken::Nesting),
    ("timezone_rdate.ics", Broken::Line),
    ("timezone_same_start_and_offset.ics", Broken::Nesting),
];

/// What is wrong with a skipped event or to-do.
#[derive(Debug, Clone, Copy)]
enum Invalid {
    /// A VEVENT without DTSTART.
    NoStart,
    /// A date, date-time or duration that is none.
    BadValue,
    /// An RRULE that is none, or one of an extension (RFC 7529's RSCALE).
    BadRule,
    /// A TZID neither IANA nor defined by a VTIMEZONE.
    UnknownZone,
    /// A value type the property does not take (`RDATE;VALUE=TIME`).
    Unsupported,
    /// DTSTART given twice.
    Twice,
}

impl Invalid {
    fn words(self) -> &'static [&'static str] {
        match self {
            Self::NoStart => &["an event needs a start"],
            Self::BadValue => &["is not a date-time", "is not a duration"],
            Self::BadRule => &["invalid RRULE"],
            Self::UnknownZone => &["unknown time zone"],
            Self::Unsupported => &["VALUE=TIME"],
            Self::Twice => &["more than once"],
        }
    }
}

/// The events and to-dos skipped, in file order then in the order of the file ("" for one
/// without UID, reported by the UID made from its content).
const SKIPPED: &[(&str, &str, Invalid)] = &[
    ("america_new_york_forward_reference.ics", "noend123", Invalid::Twice),
    ("broken_dtstart.ics", "test-123", Invalid::BadValue),
    ("created_calendar_with_unicode_fields.ics", "", Invalid::NoStart),
    ("invalid_duration.ics", "invalid-duration@example.com", Invalid::BadValue),
    ("issue_1050_multiple_calendars.ics", "event1@example.com", Invalid::NoStart),
    ("issue_1050_multiple_calendars.ics", "event2@example.com", Invalid::NoStart),
    ("issue_1050_uid_in_description.ics", "abc", Invalid::NoStart),
    ("issue_1050_uid_in_description.ics", "xyz", Invalid::NoStart),
    ("issue_1081_invalid_rrule_freq.ics", "test-123", Invalid::BadRule),
    ("issue_1081_invalid_start_and_end.ics", "test-123", Invalid::BadValue),
    ("issue_1081_invalid_start_valid_end.ics", "test-123", Invalid::BadValue),
    ("issue_1081_with_summary.ics", "test-123", Invalid::NoStart),
    ("issue_1549_binary_attachment.ics", "binary-attachment-event", Invalid::NoStart),
    ("issue_1561_image_value.ics", "uri", Invalid::NoStart),
    ("issue_1561_image_value.ics", "binary", Invalid::NoStart),
    ("issue_1561_image_value.ics", "text", Invalid::NoStart),
    ("issue_1561_image_value.ics", "unknown", Invalid::NoStart),
    ("issue_322_expected_calendar.ics", "", Invalid::NoStart),
    ("issue_526_calendar_with_different_events.ics", "ical-jacadzaca-3", Invalid::UnknownZone),
    ("issue_526_calendar_with_different_events.ics", "ical-jacadzaca-4", Invalid::UnknownZone),
    ("issue_526_calendar_with_event_subset.ics", "1", Invalid::UnknownZone),
    ("issue_526_calendar_with_events.ics", "1", Invalid::UnknownZone),
    ("issue_526_calendar_with_events.ics", "2", Invalid::UnknownZone),
    ("issue_526_calendar_with_shuffeled_events.ics", "2", Invalid::UnknownZone),
    ("issue_526_calendar_with_shuffeled_events.ics", "1", Invalid::UnknownZone),
    ("issue_722_missing_VTIMEZONE_custom.ics", "", Invalid::UnknownZone),
    ("issue_722_missing_timezones.ics", "", Invalid::NoStart),
    ("issue_798_related_to.ics", "", Invalid::NoStart),
    ("issue_798_related_to.ics", "", Invalid::NoStart),
    ("multiple_timezones.ics", "test-vtime-named-timezone", Invalid::Unsupported),
    ("multiple_timezones.ics", "test-vtime-utc", Invalid::Unsupported),
    ("multiple_timezones.ics", "test-vtime-floating", Invalid::Unsupported),
    ("pacific_fiji.ics", "noend123", Invalid::Twice),
    ("rfc_5545_RDATE_example.ics", "0", Invalid::NoStart),
    ("rfc_5545_RDATE_example.ics", "1", Invalid::NoStart),
    ("rfc_5545_RDATE_example.ics", "2", Invalid::NoStart),
    ("rfc_5545_RDATE_example.ics", "3", Invalid::NoStart),
    ("rfc_5545_RDATE_example.ics", "4", Invalid::NoStart),
    ("rfc_5545_RDATE_example.ics", "5", Invalid::NoStart),
    ("rfc_6868.ics", "", Invalid::NoStart),
    ("rfc_7256_multi_value_parameters.ics", "list", Invalid::NoStart),
    ("rfc_7256_multi_value_parameters.ics", "single", Invalid::NoStart),
    ("rfc_7529.ics", "4.3.1", Invalid::BadRule),
    ("rfc_7529.ics", "4.3.2", Invalid::BadRule),
    ("rfc_7529.ics", "4.3.3", Invalid::BadRule),
    ("rfc_7529.ics", "4.3.4", Invalid::BadRule),
    ("rfc_7986_conferences.ics", "", Invalid::NoStart),
    ("rfc_7986_image.ics", "uri-event", Invalid::NoStart),
    ("rfc_7986_image.ics", "data-event", Invalid::NoStart),
    ("rfc_9253_gap.ics", "1", Invalid::NoStart),
    ("rfc_9253_gap.ics", "2", Invalid::NoStart),
    ("rfc_9253_related_to.ics", "19960401-080045-4000F192713.ics", Invalid::NoStart),
];

/// Files with a VTIMEZONE of a name no database knows, and the zone their export is in (None:
/// no IANA zone agrees, the times are UTC).
const ZONES: &[(&str, Option<&str>)] = &[
    ("america_new_york.ics", Some("America/New_York")),
    ("issue_165_missing_event.ics", Some("Europe/Berlin")),
    ("issue_218_bad_tzid.ics", Some("Etc/GMT-11")),
    ("issue_466_respect_unique_timezone.ics", Some("Europe/Berlin")),
    ("issue_722_timezone_transition_ambiguity.ics", None),
];

/// Originals icalendar itself cannot read (a UTC offset of +5744 in a file of only a
/// VTIMEZONE), so nothing is compared.
const UNREADABLE: &[&str] = &["parsing_error_in_UTC_offset.ics"];
