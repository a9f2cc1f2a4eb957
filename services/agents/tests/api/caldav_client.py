"""Posey's CalDAV server driven by a real client, the Python `caldav` library (PyPI): discovery
from the principal URL, a calendar made, events (one recurring) and a to-do saved, changed,
searched by date, synced by token and deleted. Run by caldav.rs with POSEY_DAV_URL (the
principal's URL, or /dav/ to discover it) and POSEY_TOKEN (an access token), or by
caldav_basic.rs with POSEY_USERNAME and POSEY_PASSWORD (an email and an app password, as phones
and Thunderbird sign in); exits non-zero on the first surprise."""

import os
import sys
from datetime import datetime, timezone

import caldav

UTC = timezone.utc


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)


def ics(component, uid, lines):
    body = "\r\n".join(lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//python caldav test//EN\r\n"
        f"BEGIN:{component}\r\nUID:{uid}\r\nDTSTAMP:20240401T000000Z\r\n{body}\r\n"
        f"END:{component}\r\nEND:VCALENDAR\r\n"
    )


def summaries(found):
    return sorted(str(item.icalendar_component.get("summary")) for item in found)


def main():
    if "POSEY_USERNAME" in os.environ:
        client = caldav.DAVClient(
            url=os.environ["POSEY_DAV_URL"],
            username=os.environ["POSEY_USERNAME"],
            password=os.environ["POSEY_PASSWORD"],
        )
    else:
        client = caldav.DAVClient(
            url=os.environ["POSEY_DAV_URL"],
            headers={"Authorization": f"Bearer {os.environ['POSEY_TOKEN']}"},
        )
    principal = client.principal()
    check(principal.calendars() == [], "a new person has no calendars")

    calendar = principal.make_calendar(name="Python", cal_id="python-cal")
    listed = principal.calendars()
    check([c.get_display_name() for c in listed] == ["Python"], f"listed {listed}")
    check(str(listed[0].url).endswith("/python-cal/"), f"the client's segment: {listed[0].url}")

    dentist = calendar.add_event(
        ics("VEVENT", "dentist@test", ["DTSTART:20240510T100000Z", "DTEND:20240510T110000Z", "SUMMARY:Dentist"])
    )
    yoga = calendar.add_event(
        ics(
            "VEVENT",
            "yoga@test",
            ["DTSTART:20240402T180000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Yoga"],
        )
    )
    todo = calendar.add_todo(ics("VTODO", "milk@test", ["DUE:20240512T170000Z", "SUMMARY:Buy milk"]))
    check(yoga is not None and todo is not None, "saved")

    # Tuesday 7 May: one of the yoga series' occurrences (the series began in April).
    found = calendar.search(
        start=datetime(2024, 5, 6, tzinfo=UTC), end=datetime(2024, 5, 9, tzinfo=UTC), event=True, expand=False
    )
    check(summaries(found) == ["Yoga"], f"6-9 May: {summaries(found)}")
    found = calendar.search(
        start=datetime(2024, 5, 10, tzinfo=UTC), end=datetime(2024, 5, 11, tzinfo=UTC), event=True, expand=False
    )
    check(summaries(found) == ["Dentist"], f"10 May: {summaries(found)}")
    found = calendar.search(
        start=datetime(2024, 7, 1, tzinfo=UTC), end=datetime(2024, 8, 1, tzinfo=UTC), event=True, expand=False
    )
    check(found == [], f"July (after the series' tenth): {summaries(found)}")
    check(summaries(calendar.todos()) == ["Buy milk"], "the to-do list")
    check(str(calendar.event_by_uid("dentist@test").icalendar_component["summary"]) == "Dentist", "by UID")

    synced = calendar.get_objects_by_sync_token(load_objects=True, disable_fallback=True)
    check(len(list(synced)) == 3, f"first sync: {list(synced)}")
    first_token = synced.sync_token
    check(first_token, "a sync token")

    dentist.load()
    dentist.data = dentist.data.replace("SUMMARY:Dentist", "SUMMARY:Dentist (moved)")
    dentist.save()
    todo.delete()

    updated, deleted = synced.sync()
    check([str(o.url) for o in updated] == [str(dentist.url)], f"updated: {updated}")
    check([str(o.url) for o in deleted] == [str(todo.url)], f"deleted: {deleted}")
    check(synced.sync_token != first_token, "a new token")
    again = calendar.get_objects_by_sync_token(sync_token=synced.sync_token, load_objects=False, disable_fallback=True)
    check(len(list(again)) == 0, f"nothing since the last sync: {list(again)}")

    fetched = calendar.event_by_url(dentist.url)
    fetched.load()
    check("SUMMARY:Dentist (moved)" in fetched.data, fetched.data)
    print("caldav client ok", flush=True)


if __name__ == "__main__":
    main()
