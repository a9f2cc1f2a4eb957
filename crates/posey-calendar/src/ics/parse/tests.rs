use super::*;

fn small() -> Limits {
    Limits {
        max_bytes: 10_000,
        max_line: 200,
        max_components: 10,
        max_depth: 3,
        max_properties: 20,
    }
}

fn parse_one(text: &str) -> Component {
    let mut all = parse(text, &Limits::OBJECT).expect("parses");
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn error_of(text: &str, limits: &Limits) -> IcsError {
    parse(text, limits).expect_err("an error")
}

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n\
                     SUMMARY:Lunch\\, with Ann\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn a_calendar_parses_into_its_tree_with_values_as_written() {
    let calendar = parse_one(EVENT);
    assert_eq!(calendar.name, "VCALENDAR");
    assert_eq!(calendar.property("VERSION").map(|p| p.value.as_str()), Some("2.0"));
    let event = &calendar.components[0];
    assert_eq!(event.name, "VEVENT");
    assert_eq!(event.property("SUMMARY").map(|p| p.value.as_str()), Some("Lunch\\, with Ann"));
}

#[test]
fn bare_lf_a_bom_blank_lines_and_lower_case_names_are_read() {
    let text = "\u{feff}begin:vcalendar\n\nversion:2.0\n\r\nBEGIN:VEVENT\nuid:1\nsummary:Lunch\\, with Ann\nEND:vevent\nEnd:VCalendar\n\n";
    assert_eq!(parse_one(text), parse_one(EVENT));
}

#[test]
fn folded_lines_are_unfolded_removing_one_space_or_tab() {
    let text = "BEGIN:VCALENDAR\r\nDESCRIPTION:This is a lo\r\n ng description\r\n\t  that spans\r\n  lines\r\nEND:VCALENDAR\r\n";
    let calendar = parse_one(text);
    assert_eq!(calendar.properties[0].value, "This is a long description  that spans lines");
}

#[test]
fn a_fold_inside_a_parameter_or_name_is_unfolded_too() {
    let text = "BEGIN:VCALENDAR\r\nDTST\r\n ART;TZ\r\n ID=Europe/Ber\r\n lin:20240101T090000\r\nEND:VCALENDAR\r\n";
    let property = parse_one(text).properties.remove(0);
    assert_eq!(property.name, "DTSTART");
    assert_eq!(property.param("TZID"), Some("Europe/Berlin"));
    assert_eq!(property.value, "20240101T090000");
}

#[test]
fn params_are_split_quoted_and_upper_cased() {
    let text = "BEGIN:VEVENT\r\nATTENDEE;cn=\"Doe, Jane: PhD\";role=REQ-PARTICIPANT;\
                DELEGATED-FROM=\"mailto:a@x.org\",\"mailto:b@x.org\";X-EMPTY=:mailto:jane@x.org\r\n\
                END:VEVENT\r\n";
    let attendee = parse_one(text).properties.remove(0);
    assert_eq!(attendee.value, "mailto:jane@x.org");
    assert_eq!(attendee.param("CN"), Some("Doe, Jane: PhD"));
    assert_eq!(attendee.param("ROLE"), Some("REQ-PARTICIPANT"));
    assert_eq!(attendee.params[2].values, ["mailto:a@x.org", "mailto:b@x.org"]);
    assert_eq!(attendee.params[3].values, [""]);
}

#[test]
fn a_value_keeps_its_colons_and_semicolons() {
    let text = "BEGIN:VEVENT\r\nURL;VALUE=URI:https://x.org/a;b?c=d:e\r\nEND:VEVENT\r\n";
    assert_eq!(parse_one(text).properties[0].value, "https://x.org/a;b?c=d:e");
}

#[test]
fn rfc_6868_caret_escapes_are_decoded_in_param_values() {
    let text = "BEGIN:VEVENT\r\nLOCATION;X-ADDRESS=\"Main St. 1^nBerlin\";X-Q=^'quoted^' ^^ ^x:Office\r\nEND:VEVENT\r\n";
    let location = parse_one(text).properties.remove(0);
    assert_eq!(location.param("X-ADDRESS"), Some("Main St. 1\nBerlin"));
    assert_eq!(location.param("X-Q"), Some("\"quoted\" ^ ^x"));
}

#[test]
fn several_top_level_components_and_an_empty_text_are_read() {
    let twice = format!("{EVENT}{EVENT}");
    assert_eq!(parse(&twice, &Limits::OBJECT).map(|all| all.len()), Ok(2));
    assert_eq!(parse("", &Limits::OBJECT), Ok(Vec::new()));
    assert_eq!(parse("\r\n  \r\n", &Limits::OBJECT), Ok(Vec::new()));
}

/// Each malformed text with the line its error must name and a piece of its message.
#[test]
fn every_error_names_its_line() {
    let cases = [
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nSUMMARY\r\nEND:VCALENDAR", 3, "needs a ':'"),
        ("BEGIN:VCALENDAR\r\n:2.0\r\nEND:VCALENDAR", 2, "needs a name"),
        ("BEGIN:VCALENDAR\r\nSUM MARY:x\r\nEND:VCALENDAR", 2, "not ' '"),
        ("BEGIN:VCALENDAR\r\nX;=a:b\r\nEND:VCALENDAR", 2, "has no name"),
        ("BEGIN:VCALENDAR\r\nX;A:b\r\nEND:VCALENDAR", 2, "needs '='"),
        ("BEGIN:VCALENDAR\r\nX;A=\"b:c\r\nEND:VCALENDAR", 2, "no closing"),
        ("BEGIN:VCALENDAR\r\nX;A=\"b\"c:d\r\nEND:VCALENDAR", 2, "followed by text"),
        ("BEGIN:VCALENDAR\r\nX;A=b\"c\":d\r\nEND:VCALENDAR", 2, "unquoted"),
        ("BEGIN:VCALENDAR\r\nX;A=b\r\n\r\nEND:VCALENDAR", 2, "needs a ':'"),
        ("VERSION:2.0\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR", 1, "outside any component"),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nUID:1", 3, "outside any component"),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR",
            3,
            "BEGIN:VEVENT of line 2",
        ),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nEND:VCALENDAR", 3, "closes nothing"),
        ("BEGIN:VCALENDAR\r\nBEGIN:\r\nEND:VCALENDAR", 2, "needs a component name"),
        ("BEGIN:VCALENDAR\r\nBEGIN:V EVENT\r\nEND:VCALENDAR", 2, "needs a component name"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\n", 1, "BEGIN:VCALENDAR is never closed"),
        (" continued\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR", 1, "continues nothing"),
    ];
    for (text, line, message) in cases {
        let error = error_of(text, &Limits::OBJECT);
        assert_eq!(error.line, line, "{text:?}: {error}");
        assert!(error.message.contains(message), "{text:?}: {error}");
    }
}

#[test]
fn an_error_in_a_folded_line_names_the_line_it_starts_on() {
    let text = "BEGIN:VCALENDAR\r\nX-LONG;A=\"b\r\n ccc\r\n ddd\r\nEND:VCALENDAR\r\n";
    let error = error_of(text, &Limits::OBJECT);
    assert_eq!(error.line, 2);
    assert_eq!(error.to_string(), "line 2: a quoted value of parameter A has no closing '\"'");
}

#[test]
fn a_text_over_the_byte_limit_is_refused_before_any_work() {
    let limits = Limits { max_bytes: 10, ..small() };
    let error = error_of("this is not even iCalendar", &limits);
    assert_eq!(error.line, 0);
    assert_eq!(error.message, "the text is more than 10 bytes");
}

#[test]
fn a_content_line_over_the_limit_is_refused_folded_or_not() {
    let long = format!("BEGIN:VCALENDAR\r\nX:{}\r\nEND:VCALENDAR\r\n", "a".repeat(300));
    let error = error_of(&long, &small());
    assert_eq!(
        (error.line, error.message.as_str()),
        (2, "a content line is longer than 200 bytes")
    );
    let folded = format!(
        "BEGIN:VCALENDAR\r\nX:{}\r\nEND:VCALENDAR\r\n",
        vec!["a".repeat(60); 5].join("\r\n ")
    );
    assert_eq!(error_of(&folded, &small()).line, 2);
}

#[test]
fn too_many_components_or_properties_are_refused() {
    let events = "BEGIN:VEVENT\r\nEND:VEVENT\r\n".repeat(10);
    let text = format!("BEGIN:VCALENDAR\r\n{events}END:VCALENDAR\r\n");
    let error = error_of(&text, &small());
    assert_eq!((error.line, error.message.as_str()), (20, "the file has more than 10 components"));

    let properties = "X:1\r\n".repeat(21);
    let text = format!("BEGIN:VCALENDAR\r\n{properties}END:VCALENDAR\r\n");
    let error = error_of(&text, &small());
    assert_eq!((error.line, error.message.as_str()), (22, "the file has more than 20 properties"));
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let text = "BEGIN:A\r\nBEGIN:B\r\nBEGIN:C\r\nBEGIN:D\r\nEND:D\r\nEND:C\r\nEND:B\r\nEND:A\r\n";
    let error = error_of(text, &small());
    assert_eq!((error.line, error.message.as_str()), (4, "components nest deeper than 3"));
    // A hostile depth stops at the limit, without recursion or a growing stack.
    let deep = "BEGIN:X\r\n".repeat(200_000);
    let error = error_of(&deep, &Limits::FILE);
    assert_eq!((error.line, error.message.as_str()), (5, "components nest deeper than 4"));
}

#[test]
fn a_file_of_100k_components_is_refused_under_a_small_limit_and_read_under_file_s() {
    // With the VCALENDAR, exactly FILE's 100 000 components.
    let events = "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n".repeat(99_999);
    let text = format!("BEGIN:VCALENDAR\r\n{events}END:VCALENDAR\r\n");
    let error = error_of(&text, &Limits { max_bytes: 8 << 20, ..Limits::OBJECT });
    assert_eq!(error.message, "the file has more than 2000 components");
    // And the whole of it under FILE's limits (a quadratic reader would take minutes here).
    let calendar = parse(&text, &Limits::FILE).expect("parses");
    assert_eq!(calendar[0].components.len(), 99_999);
}

#[test]
fn a_line_of_endless_folds_costs_linear_time() {
    let text = format!("BEGIN:VCALENDAR\r\nX:a{}\r\nEND:VCALENDAR\r\n", "\r\n b".repeat(500_000));
    let limits = Limits { max_line: 1 << 20, ..Limits::FILE };
    let calendar = parse(&text, &limits).expect("parses");
    assert_eq!(calendar[0].properties[0].value.len(), 500_001);
}

#[test]
fn real_world_exports_parse() {
    for (name, text) in [
        ("google", include_str!("../../../tests/data/google.ics")),
        ("thunderbird", include_str!("../../../tests/data/thunderbird.ics")),
        ("outlook", include_str!("../../../tests/data/outlook.ics")),
    ] {
        let calendars = parse(text, &Limits::OBJECT).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(calendars.len(), 1, "{name}");
        assert_eq!(calendars[0].name, "VCALENDAR", "{name}");
        assert!(calendars[0].components_named("VEVENT").count() >= 1, "{name}");
    }
}
