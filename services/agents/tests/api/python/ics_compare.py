"""Compares iCalendar files as the `icalendar` package (PyPI) reads them: for each pair
(original, exported, skipped) given as JSON on stdin, every event and to-do of the original
whose UID is not in `skipped` (the import left it out, with a reason) must be in the export
with the same fields. Only what RFC 5545 says is equivalent is taken as equal: a missing
TRANSP is OPAQUE (3.8.2.7), STATUS values are case-insensitive (3.2), an RRULE's INTERVAL=1,
WKST=MO and a BYDAY ordinal's '+' are its defaults (3.3.10); and an RDATE period is compared by
its start, the occurrence Posey keeps. Prints one JSON object:
{"compared": N, "unreadable": [names of originals icalendar cannot read], "problems": [...]}.

Also used alone on exports: a pair whose original is null only checks the export parses."""

import datetime
import json
import sys

import icalendar

FIELDS = ("SUMMARY", "DESCRIPTION", "LOCATION", "STATUS", "PRIORITY", "TRANSP")


def instant(value):
    """A DTSTART-like value as something comparable across zones and forms (a period by its
    start)."""
    if value is None:
        return None
    dt = value.dt
    if isinstance(dt, tuple):
        dt = dt[0]
    if isinstance(dt, datetime.datetime):
        if dt.tzinfo is None:
            return ("floating", dt.isoformat())
        return ("instant", dt.astimezone(datetime.timezone.utc).isoformat())
    return ("date", dt.isoformat())


def end_of(component):
    for name in ("DTEND", "DUE"):
        if component.get(name) is not None:
            return instant(component.get(name))
    duration = component.get("DURATION")
    start = component.get("DTSTART")
    if duration is not None and start is not None:
        return instant(icalendar.vDDDTypes(start.dt + duration.dt))
    return None


def categories(component):
    found = []
    value = component.get("CATEGORIES")
    for entry in value if isinstance(value, list) else ([value] if value is not None else []):
        found.extend(str(c) for c in entry.cats)
    return sorted(found)


def times(component, name):
    found = []
    value = component.get(name)
    for entry in value if isinstance(value, list) else ([value] if value is not None else []):
        found.extend(instant(d) for d in entry.dts)
    return sorted(found, key=str)


def rules(component):
    value = component.get("RRULE")
    values = value if isinstance(value, list) else ([value] if value is not None else [])
    out = []
    for rule in values:
        rule = dict(rule)
        # UNTIL may be written in another (equivalent) form: compare the instant.
        if "UNTIL" in rule:
            rule["UNTIL"] = [instant(icalendar.vDDDTypes(u)) for u in rule["UNTIL"]]
        parts = {k: [str(v) for v in vs] for k, vs in sorted(rule.items())}
        # RFC 5545 3.3.10: INTERVAL defaults to 1 and WKST to MO; a BYDAY ordinal's '+' is
        # optional.
        if parts.get("INTERVAL") == ["1"]:
            del parts["INTERVAL"]
        if parts.get("WKST") == ["MO"]:
            del parts["WKST"]
        if "BYDAY" in parts:
            parts["BYDAY"] = [day.removeprefix("+") for day in parts["BYDAY"]]
        out.append(json.dumps(parts))
    return sorted(out)


def fields(component):
    found = {f: str(component.get(f)) for f in FIELDS if component.get(f) is not None}
    # RFC 5545: TRANSP defaults to OPAQUE (3.8.2.7); property values are case-insensitive
    # unless said otherwise (3.2), and STATUS's are keywords.
    found.setdefault("TRANSP", "OPAQUE")
    found["TRANSP"] = found["TRANSP"].upper()
    if "STATUS" in found:
        found["STATUS"] = found["STATUS"].upper()
    return found


def summary(component):
    return {
        "kind": component.name,
        "start": instant(component.get("DTSTART")),
        "end": end_of(component),
        "recurrence_id": instant(component.get("RECURRENCE-ID")),
        "fields": fields(component),
        "categories": categories(component),
        "rdate": times(component, "RDATE"),
        "exdate": times(component, "EXDATE"),
        "rrule": rules(component),
        "alarms": len([c for c in component.subcomponents if c.name == "VALARM"]),
    }


def items(text, skipped=frozenset()):
    """The events and to-dos with a UID, by (UID, RECURRENCE-ID), those of `skipped` UIDs left
    out unread (icalendar may not read them either)."""
    # A byte order mark is the file's encoding, not iCalendar; icalendar does not skip it.
    calendars = icalendar.Calendar.from_ical(text.removeprefix("\ufeff"), multiple=True)
    found = {}
    for calendar in calendars:
        for component in calendar.walk():
            if component.name in ("VEVENT", "VTODO") and component.get("UID") is not None:
                if str(component.get("UID")) in skipped:
                    continue
                key = (str(component.get("UID")), str(instant(component.get("RECURRENCE-ID"))))
                found[key] = summary(component)
    return found


def main():
    pairs = json.load(sys.stdin)
    problems = []
    unreadable = []
    compared = 0
    for pair in pairs:
        name = pair["name"]
        skipped = set(pair.get("skipped") or [])
        try:
            exported = items(pair["exported"])
        except Exception as error:  # noqa: BLE001 - any failure to read the export is the finding
            problems.append(f"{name}: icalendar cannot read the export: {error!r}")
            continue
        if pair.get("original") is None:
            compared += 1
            continue
        try:
            original = items(pair["original"], skipped)
        except Exception:  # noqa: BLE001 - icalendar itself refuses the original: nothing to compare
            unreadable.append(name)
            continue
        compared += 1
        for key in exported:
            if key[0] in skipped:
                problems.append(f"{name}: {key} was skipped but is in the export")
        for key, before in original.items():
            after = exported.get(key)
            if after is None:
                problems.append(f"{name}: {key} is missing from the export")
            elif after != before:
                diff = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                problems.append(f"{name}: {key} differs: {diff}")
    print(json.dumps({"compared": compared, "unreadable": unreadable, "problems": problems}))


if __name__ == "__main__":
    main()
