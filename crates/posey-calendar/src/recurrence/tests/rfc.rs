//! RFC 5545 section 3.8.5.3's examples, with DTSTART;TZID=America/New_York as the RFC has it.
//! Times stay 09:00 New York across the DST change of 1997-10-26, so their UTC moves an hour.

use super::*;

/// "199709:2,4-6 199710:1" is 1997-09-02, 1997-09-04..06 and 1997-10-01, as YYYYMMDD.
fn days(spec: &str) -> Vec<String> {
    let mut out = Vec::new();
    for group in spec.split_whitespace() {
        let (month, list) = group.split_once(':').expect("YYYYMM:days");
        for part in list.split(',') {
            let (first, last) = part.split_once('-').unwrap_or((part, part));
            let first: u32 = first.parse().expect("a day");
            let last: u32 = last.parse().expect("a day");
            out.extend((first..=last).map(|day| format!("{month}{day:02}")));
        }
    }
    out
}

/// The occurrences over ten years from DTSTART (New York), each checked to start at its
/// wall-clock time in New York.
fn expand(start: NaiveDateTime, rules: &[&str], exdates: &[NaiveDateTime]) -> Vec<Occurrence> {
    let mut series = series(zoned(NEW_YORK, start), rules);
    series.exdates = exdates.iter().map(|local| zoned(NEW_YORK, *local)).collect();
    let from = series.start.instant(Tz::UTC);
    let found = within(&series, from, from + Duration::days(3650));
    for occurrence in &found {
        let local = occurrence.id.local();
        let expected =
            NEW_YORK.from_local_datetime(&local).single().expect("no DST gap at these times");
        assert_eq!(occurrence.start, expected.with_timezone(&Utc), "{rules:?} at {local}");
    }
    found
}

/// The days of occurrences that are all at 09:00.
fn nine_am_days(found: &[Occurrence]) -> Vec<String> {
    for occurrence in found {
        assert_eq!(occurrence.id.local().time(), at(2000, 1, 1, 9, 0).time());
    }
    found.iter().map(|o| o.id.local().format("%Y%m%d").to_string()).collect()
}

/// The whole series is exactly `spec`.
fn exact(start: NaiveDateTime, rules: &[&str], spec: &str) {
    assert_eq!(nine_am_days(&expand(start, rules, &[])), days(spec), "{rules:?}");
}

/// The series begins with `spec`.
fn begins(start: NaiveDateTime, rules: &[&str], spec: &str) {
    let want = days(spec);
    let got = nine_am_days(&expand(start, rules, &[]));
    assert!(got.len() >= want.len(), "{rules:?}: only {got:?}");
    assert_eq!(got[..want.len()], want, "{rules:?}");
}

fn sep(day: u32) -> NaiveDateTime {
    at(1997, 9, day, 9, 0)
}

#[test]
fn daily() {
    exact(sep(2), &["FREQ=DAILY;COUNT=10"], "199709:2-11");
    let until = expand(sep(2), &["FREQ=DAILY;UNTIL=19971224T000000Z"], &[]);
    assert_eq!(nine_am_days(&until), days("199709:2-30 199710:1-31 199711:1-30 199712:1-23"));
    // 09:00 EDT is 13:00 UTC, 09:00 EST 14:00 UTC.
    let on = |day: &str| until.iter().find(|o| o.id.local().format("%m%d").to_string() == day);
    assert_eq!(on("1025").map(|o| o.start), Some(utc(1997, 10, 25, 13, 0)));
    assert_eq!(on("1026").map(|o| o.start), Some(utc(1997, 10, 26, 14, 0)));
    begins(
        sep(2),
        &["FREQ=DAILY;INTERVAL=2"],
        "199709:2,4,6,8,10,12,14,16,18,20,22,24,26,28,30 199710:2",
    );
    exact(sep(2), &["FREQ=DAILY;INTERVAL=10;COUNT=5"], "199709:2,12,22 199710:2,12");
}

#[test]
fn every_day_in_january_for_three_years() {
    let january = "199801:1-31 199901:1-31 200001:1-31";
    let start = at(1998, 1, 1, 9, 0);
    // UNTIL is exactly the last occurrence (09:00 EST), which is included.
    exact(
        start,
        &["FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA"],
        january,
    );
    exact(start, &["FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1"], january);
}

#[test]
fn weekly() {
    exact(sep(2), &["FREQ=WEEKLY;COUNT=10"], "199709:2,9,16,23,30 199710:7,14,21,28 199711:4");
    let found = expand(sep(2), &["FREQ=WEEKLY;COUNT=10"], &[]);
    assert_eq!(found[7].start, utc(1997, 10, 21, 13, 0));
    assert_eq!(found[8].start, utc(1997, 10, 28, 14, 0));
    exact(
        sep(2),
        &["FREQ=WEEKLY;UNTIL=19971224T000000Z"],
        "199709:2,9,16,23,30 199710:7,14,21,28 199711:4,11,18,25 199712:2,9,16,23",
    );
    begins(
        sep(2),
        &["FREQ=WEEKLY;INTERVAL=2;WKST=SU"],
        "199709:2,16,30 199710:14,28 199711:11,25 199712:9,23 199801:6,20 199802:3,17",
    );
    let tue_thu = "199709:2,4,9,11,16,18,23,25,30 199710:2";
    exact(sep(2), &["FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH"], tue_thu);
    exact(sep(2), &["FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH"], tue_thu);
}

#[test]
fn every_other_week() {
    exact(
        sep(1),
        &["FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR"],
        "199709:1,3,5,15,17,19,29 199710:1,3,13,15,17,27,29,31 199711:10,12,14,24,26,28 199712:8,10,12,22",
    );
    exact(
        sep(2),
        &["FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH"],
        "199709:2,4,16,18,30 199710:2,14,16",
    );
}

#[test]
fn week_start_changes_an_every_other_week_rule() {
    let start = at(1997, 8, 5, 9, 0);
    exact(start, &["FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO"], "199708:5,10,19,24");
    exact(start, &["FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"], "199708:5,17,19,31");
}

#[test]
fn monthly_by_weekday() {
    let first_friday =
        "199709:5 199710:3 199711:7 199712:5 199801:2 199802:6 199803:6 199804:3 199805:1 199806:5";
    exact(sep(5), &["FREQ=MONTHLY;COUNT=10;BYDAY=1FR"], first_friday);
    exact(
        sep(5),
        &["FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR"],
        "199709:5 199710:3 199711:7 199712:5",
    );
    exact(
        sep(7),
        &["FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU"],
        "199709:7,28 199711:2,30 199801:4,25 199803:1,29 199805:3,31",
    );
    exact(
        sep(22),
        &["FREQ=MONTHLY;COUNT=6;BYDAY=-2MO"],
        "199709:22 199710:20 199711:17 199712:22 199801:19 199802:16",
    );
    begins(
        sep(2),
        &["FREQ=MONTHLY;INTERVAL=2;BYDAY=TU"],
        "199709:2,9,16,23,30 199711:4,11,18,25 199801:6,13,20,27 199803:3,10,17,24,31",
    );
}

#[test]
fn monthly_by_month_day() {
    begins(
        sep(28),
        &["FREQ=MONTHLY;BYMONTHDAY=-3"],
        "199709:28 199710:29 199711:28 199712:29 199801:29 199802:26",
    );
    exact(
        sep(2),
        &["FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15"],
        "199709:2,15 199710:2,15 199711:2,15 199712:2,15 199801:2,15",
    );
    exact(
        sep(30),
        &["FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1"],
        "199709:30 199710:1,31 199711:1,30 199712:1,31 199801:1,31 199802:1",
    );
    exact(
        sep(10),
        &["FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15"],
        "199709:10-15 199903:10-13",
    );
    // An invalid date (February 30th) is skipped, not moved.
    exact(
        at(2007, 1, 15, 9, 0),
        &["FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5"],
        "200701:15,30 200702:15 200703:15,30",
    );
}

#[test]
fn yearly() {
    exact(
        at(1997, 6, 10, 9, 0),
        &["FREQ=YEARLY;COUNT=10;BYMONTH=6,7"],
        "199706:10 199707:10 199806:10 199807:10 199906:10 199907:10 200006:10 200007:10 200106:10 200107:10",
    );
    exact(
        at(1997, 3, 10, 9, 0),
        &["FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3"],
        "199703:10 199901:10 199902:10 199903:10 200101:10 200102:10 200103:10 200301:10 200302:10 200303:10",
    );
    exact(
        at(1997, 1, 1, 9, 0),
        &["FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200"],
        "199701:1 199704:10 199707:19 200001:1 200004:9 200007:18 200301:1 200304:10 200307:19 200601:1",
    );
    begins(at(1997, 5, 19, 9, 0), &["FREQ=YEARLY;BYDAY=20MO"], "199705:19 199805:18 199905:17");
    begins(
        at(1997, 5, 12, 9, 0),
        &["FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO"],
        "199705:12 199805:11 199905:17",
    );
    begins(
        at(1997, 3, 13, 9, 0),
        &["FREQ=YEARLY;BYMONTH=3;BYDAY=TH"],
        "199703:13,20,27 199803:5,12,19,26 199903:4,11,18,25",
    );
    begins(
        at(1997, 6, 5, 9, 0),
        &["FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8"],
        "199706:5,12,19,26 199707:3,10,17,24,31 199708:7,14,21,28 \
         199806:4,11,18,25 199807:2,9,16,23,30 199808:6,13,20,27 \
         199906:3,10,17,24 199907:1,8,15,22,29 199908:5,12,19,26",
    );
}

#[test]
fn friday_the_13th_without_dtstart() {
    // The RFC removes DTSTART (not a Friday the 13th) with an EXDATE.
    let found = expand(sep(2), &["FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13"], &[sep(2)]);
    assert_eq!(
        nine_am_days(&found[..5]),
        days("199802:13 199803:13 199811:13 199908:13 200010:13")
    );
}

#[test]
fn first_saturday_after_the_first_sunday() {
    begins(
        sep(13),
        &["FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13"],
        "199709:13 199710:11 199711:8 199712:13 199801:10 199802:7 199803:7 199804:11 199805:9 199806:13",
    );
}

#[test]
fn us_presidential_election_day() {
    begins(
        at(1996, 11, 5, 9, 0),
        &["FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8"],
        "199611:5 200011:7 200411:2",
    );
}

#[test]
fn by_set_pos() {
    // The RFC's DTSTART (September 2nd) is not one of these; see `dtstart_counts_as_the_first`.
    exact(
        sep(4),
        &["FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"],
        "199709:4 199710:7 199711:6",
    );
    begins(
        sep(29),
        &["FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2"],
        "199709:29 199710:30 199711:27 199712:30 199801:29 199802:26 199803:30",
    );
    // "The last work day of the month" (BYSETPOS's definition).
    begins(
        sep(30),
        &["FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"],
        "199709:30 199710:31 199711:28 199712:31 199801:30 199802:27 199803:31",
    );
}

fn times(found: &[Occurrence]) -> Vec<String> {
    found.iter().map(|o| o.id.local().format("%m%dT%H%M").to_string()).collect()
}

#[test]
fn hourly_and_minutely() {
    // The RFC writes UNTIL=19970902T170000Z for "to 5 PM", but that is 13:00 EDT (erratum);
    // 21:00Z is 5 PM.
    let found = expand(sep(2), &["FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z"], &[]);
    assert_eq!(times(&found), ["0902T0900", "0902T1200", "0902T1500"]);
    let found = expand(sep(2), &["FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z"], &[]);
    assert_eq!(times(&found), ["0902T0900", "0902T1200"]);
    let found = expand(sep(2), &["FREQ=MINUTELY;INTERVAL=15;COUNT=6"], &[]);
    assert_eq!(
        times(&found),
        ["0902T0900", "0902T0915", "0902T0930", "0902T0945", "0902T1000", "0902T1015"]
    );
    let found = expand(sep(2), &["FREQ=MINUTELY;INTERVAL=90;COUNT=4"], &[]);
    assert_eq!(times(&found), ["0902T0900", "0902T1030", "0902T1200", "0902T1330"]);
}

#[test]
fn every_twenty_minutes_from_nine_to_four_forty() {
    let mut day: Vec<String> =
        (9..=16).flat_map(|h| [0, 20, 40].map(|m| format!("0902T{h:02}{m:02}"))).collect();
    day.push("0903T0900".to_owned());
    for rule in [
        "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
        "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
    ] {
        let series = series(zoned(NEW_YORK, sep(2)), &[rule]);
        let from = series.start.instant(Tz::UTC);
        let found = within(&series, from, from + Duration::days(2));
        assert_eq!(times(&found[..day.len()]), day, "{rule}");
    }
}
