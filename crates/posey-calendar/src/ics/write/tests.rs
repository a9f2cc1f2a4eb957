use proptest::prelude::*;

use super::*;
use crate::ics::{Limits, parse};

fn round_trip(component: &Component) -> Component {
    let text = write(component);
    let mut all = parse(&text, &Limits::FILE).unwrap_or_else(|e| panic!("{e} in {text:?}"));
    assert_eq!(all.len(), 1);
    all.remove(0)
}

/// Every physical line of `text` ends in CRLF and is at most 75 octets before it.
fn assert_folded(text: &str) {
    assert!(text.ends_with("\r\n"));
    for line in text.split_terminator("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.contains(['\r', '\n']), "a bare line break in {line:?}");
    }
}

#[test]
fn a_tree_is_written_begin_properties_children_end_with_crlf() {
    let mut calendar = Component::new("vcalendar");
    calendar.push("VERSION", "2.0");
    let mut event = Component::new("VEVENT");
    event.push("UID", "1");
    calendar.components.push(event);
    assert_eq!(
        write(&calendar),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
}

#[test]
fn a_line_of_exactly_75_octets_is_not_folded_and_76_is() {
    let mut event = Component::new("VEVENT");
    event.push("X", "a".repeat(73));
    event.push("Y", "b".repeat(74));
    let text = write(&event);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines[1].len(), 75);
    assert_eq!(lines[2], format!("Y:{}", "b".repeat(73)));
    assert_eq!(lines[3], " b");
    assert_eq!(round_trip(&event), event);
}

#[test]
fn folding_never_splits_a_multi_byte_character() {
    // "X:" then 3-byte characters: 75 is not a boundary (2 + 3 * 24 = 74 is), and the
    // continuation lines hold 74 octets after their space, again not a multiple of 3.
    let mut event = Component::new("VEVENT");
    event.push("X", "€".repeat(100));
    // 4-byte characters too, with an ASCII one to shift where the boundaries fall.
    event.push("Y", format!("a{}", "😀".repeat(60)));
    let text = write(&event);
    assert_folded(&text);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines[1].len(), 74);
    assert_eq!(lines[2].len(), 1 + 72);
    assert_eq!(round_trip(&event), event);
}

#[test]
fn param_values_are_quoted_or_caret_escaped_as_they_need() {
    let attendee = Property::new("ATTENDEE", "mailto:jane@x.org")
        .with_param("CN", "Doe, Jane")
        .with_param("X-NOTE", "a \"b\" ^c\nd")
        .with_param("X-URL", "https://x.org:443/a;b")
        .with_param("ROLE", "CHAIR");
    let mut event = Component::new("VEVENT");
    event.properties.push(attendee);
    let unfolded = write(&event).replace("\r\n ", "");
    assert!(unfolded.contains(
        "ATTENDEE;CN=\"Doe, Jane\";X-NOTE=a ^'b^' ^^c^nd;X-URL=\"https://x.org:443/a;b\";ROLE=CHAIR:mailto:jane@x.org\r\n"
    ));
    assert_eq!(round_trip(&event), event);
}

#[test]
fn several_param_values_are_comma_separated() {
    let mut property = Property::new("ATTENDEE", "mailto:a@x.org");
    property.params.push(Param {
        name: "DELEGATED-TO".into(),
        values: vec!["mailto:b@x.org".into(), "mailto:c@x.org".into()],
    });
    let mut event = Component::new("VEVENT");
    event.properties.push(property);
    assert!(write(&event).contains("DELEGATED-TO=\"mailto:b@x.org\",\"mailto:c@x.org\":mailto"));
    assert_eq!(round_trip(&event), event);
}

#[test]
fn a_raw_line_break_in_a_value_cannot_inject_lines() {
    let mut event = Component::new("VEVENT");
    event.push("SUMMARY", "hi\r\nEND:VEVENT\nBEGIN:VTODO\rX:y");
    let text = write(&event);
    assert_folded(&text);
    let back = round_trip(&event);
    assert!(back.components.is_empty());
    assert_eq!(back.properties[0].value, "hi\\nEND:VEVENT\\nBEGIN:VTODO\\nX:y");
}

#[test]
fn real_world_exports_survive_a_round_trip() {
    for text in [
        include_str!("../../../tests/data/google.ics"),
        include_str!("../../../tests/data/thunderbird.ics"),
        include_str!("../../../tests/data/outlook.ics"),
    ] {
        let calendar = parse(text, &Limits::OBJECT).expect("parses").remove(0);
        assert_folded(&write(&calendar));
        assert_eq!(round_trip(&calendar), calendar);
    }
}

fn name() -> impl Strategy<Value = String> {
    // Never BEGIN or END, which would be structure rather than a property.
    "(X-)?[A-Z][A-Z0-9-]{0,20}".prop_filter("not BEGIN/END", |n| n != "BEGIN" && n != "END")
}

/// Any text but CR, and LF only where it can be escaped (parameters, RFC 6868).
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| s.replace('\r', "")),
        "[a-z:;,\"^\n ]{0,12}",
        "[a-z]{0,200}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| s.replace(['\r', '\n'], "")),
        "[ -~]{0,400}",
        "[é€😀a]{0,300}",
    ]
}

fn property() -> impl Strategy<Value = Property> {
    let param = (name(), prop::collection::vec(param_value(), 1..4))
        .prop_map(|(name, values)| Param { name, values });
    (name(), prop::collection::vec(param, 0..3), value())
        .prop_map(|(name, params, value)| Property { name, params, value })
}

fn component() -> impl Strategy<Value = Component> {
    let leaf = (name(), prop::collection::vec(property(), 0..4))
        .prop_map(|(name, properties)| Component { name, properties, components: Vec::new() });
    leaf.prop_recursive(3, 12, 4, |inner| {
        (name(), prop::collection::vec(property(), 0..4), prop::collection::vec(inner, 0..4))
            .prop_map(|(name, properties, components)| Component { name, properties, components })
    })
}

proptest! {
    #[test]
    fn any_well_formed_tree_reads_back_as_written(tree in component()) {
        let text = write(&tree);
        assert_folded(&text);
        let back = parse(&text, &Limits::FILE).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, vec![tree]);
    }
}
