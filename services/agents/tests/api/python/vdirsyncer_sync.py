"""Two-way sync between Posey's CalDAV server and a real Radicale (PyPI), both on loopback, by
the real vdirsyncer (PyPI): calendars and items seeded on each side (a recurring series with an
override, EXDATE and RDATE, all-day events, to-dos, alarms, unicode, America/New_York) end up
on both with the same content as the `icalendar` package reads it (ics_compare.py's fields, not
the text: the servers serialise differently), and with the same names and colours (metasync);
changes, deletions and a conflict ("a wins": Posey's version) travel too; a sync with nothing
changed does nothing; and vdirsyncer's calendar-queries (only to-dos, only events in a window)
find what they should. Run by caldav_vdirsyncer.rs with POSEY_DAV_URL (/dav/), POSEY_USERNAME
and POSEY_PASSWORD (an email and an app password), POSEY_API_URL and POSEY_TOKEN (REST, for
what the web app would make); exits non-zero on the first surprise. Radicale runs here, on a
free port with a temporary store, any user signing in as themselves."""

import base64
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ beside the tests
import icalendar  # noqa: E402
from ics_compare import instant, summary  # noqa: E402

RADICALE_USER = "alice"
D = "{DAV:}"
C = "{urn:ietf:params:xml:ns:caldav}"
APPLE = "{http://apple.com/ns/ical/}"
# What vdirsyncer logs for each thing it does (sync and metasync); nothing else is an action.
ACTION = re.compile(r"Copying \(|Deleting item|Doing conflict resolution|Copying \w+ to ")


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)


class Dav:
    """A few WebDAV requests with HTTP Basic, by the standard library."""

    def __init__(self, base, username, password):
        self.base = base
        pair = f"{username}:{password}".encode()
        self.auth = "Basic " + base64.b64encode(pair).decode()

    def url(self, path):
        return urllib.parse.urljoin(self.base, path)

    def request(self, method, path, body=None, headers=None):
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.url(path), data=data, method=method)
        request.add_header("Authorization", self.auth)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def propfind(self, path, depth, props):
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" '
            f'xmlns:a="http://apple.com/ns/ical/"><d:prop>{props}</d:prop></d:propfind>'
        )
        status, _, content = self.request(
            "PROPFIND", path, body, {"Depth": str(depth), "Content-Type": "application/xml"}
        )
        check(status == 207, f"PROPFIND {path}: {status} {content[:300]!r}")
        return ET.fromstring(content)

    def home(self):
        """The calendar home, found as a client finds it: principal, then home set."""
        root = self.propfind("", 0, "<d:current-user-principal/>")
        principal = root.find(f".//{D}current-user-principal/{D}href").text
        root = self.propfind(principal, 0, "<c:calendar-home-set/>")
        return self.url(root.find(f".//{C}calendar-home-set/{D}href").text)

    def calendars(self, home):
        """{segment: {"url", "displayname", "color"}} of the calendars in `home`."""
        root = self.propfind(home, 1, "<d:resourcetype/><d:displayname/><a:calendar-color/>")
        found = {}
        for response in root.findall(f"{D}response"):
            if response.find(f".//{D}resourcetype/{C}calendar") is None:
                continue
            url = self.url(response.find(f"{D}href").text)
            segment = urllib.parse.unquote(url.rstrip("/").rsplit("/", 1)[1])
            props = {}
            for propstat in response.findall(f"{D}propstat"):
                if " 200 " not in (propstat.findtext(f"{D}status") or ""):
                    continue
                for name, tag in (("displayname", f"{D}displayname"), ("color", f"{APPLE}calendar-color")):
                    text = propstat.findtext(f"{D}prop/{tag}")
                    if text and text.strip():
                        props[name] = text.strip()
            found[segment] = {"url": url, **props}
        return found

    def objects(self, calendar_url):
        """{href: (etag, text)} of a calendar's resources, each fetched with GET."""
        root = self.propfind(calendar_url, 1, "<d:resourcetype/><d:getetag/>")
        found = {}
        for response in root.findall(f"{D}response"):
            if response.find(f".//{D}resourcetype/{D}collection") is not None:
                continue
            href = response.find(f"{D}href").text
            status, headers, content = self.request("GET", href)
            check(status == 200, f"GET {href}: {status}")
            found[href] = (headers.get("ETag"), content.decode())
        return found

    def mkcalendar(self, url, name=None, color=None):
        """Makes a calendar, with no name or colour unless given."""
        body = ""
        if name:
            body = (
                '<?xml version="1.0" encoding="utf-8"?>'
                '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" '
                'xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop>'
                f"<d:displayname>{escape(name)}</d:displayname><a:calendar-color>{color}</a:calendar-color>"
                "</d:prop></d:set></c:mkcalendar>"
            )
        status, _, content = self.request("MKCALENDAR", url, body, {"Content-Type": "application/xml"})
        check(status == 201, f"MKCALENDAR {url}: {status} {content[:300]!r}")

    def put(self, url, text, etag=None):
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        headers["If-Match" if etag else "If-None-Match"] = etag or "*"
        status, _, content = self.request("PUT", url, text, headers)
        check(status in (201, 204), f"PUT {url}: {status} {content[:500]!r}")

    def delete(self, url, etag):
        status, _, content = self.request("DELETE", url, None, {"If-Match": etag})
        check(status in (200, 204), f"DELETE {url}: {status} {content[:300]!r}")

    def find(self, calendar_url, uid):
        """(href, etag, text) of the resource holding `uid`."""
        for href, (etag, text) in self.objects(calendar_url).items():
            if re.search(rf"^UID:{re.escape(uid)}\r?$", text, re.M):
                return href, etag, text
        check(False, f"no resource holds {uid} in {calendar_url}")

    def edit(self, calendar_url, uid, change):
        """Changes the resource holding `uid` with `change(text)`, guarded by its ETag."""
        href, etag, text = self.find(calendar_url, uid)
        changed = change(text)
        check(changed != text, f"the edit of {uid} changed nothing")
        self.put(href, changed, etag)

    def remove(self, calendar_url, uid):
        href, etag, _ = self.find(calendar_url, uid)
        self.delete(href, etag)


# RFC 5545's America/New_York (the US rules since 2007), as clients send it.
NEW_YORK = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE"""


def fold(line):
    """RFC 5545 3.1: lines of at most 75 octets, not splitting a character."""
    parts, part = [], ""
    for char in line:
        if len((part + char).encode()) > (75 if not parts else 74):
            parts.append(part)
            part = ""
        part += char
    return "\r\n ".join([*parts, part])


def ics(*components, zone=False):
    body = "\n".join(([NEW_YORK] if zone else []) + [c.strip() for c in components])
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//posey vdirsyncer test//EN\n{body}\nEND:VCALENDAR"
    return "".join(fold(line) + "\r\n" for line in text.split("\n"))


def component(kind, uid, *lines):
    return "\n".join([f"BEGIN:{kind}", f"UID:{uid}", "DTSTAMP:20250101T000000Z", *lines, f"END:{kind}"])


# Seeded in Posey's calendar "work" (CalDAV PUT).
STANDUP = ics(
    component(
        "VEVENT",
        "standup@posey.test",
        "DTSTART;TZID=America/New_York:20250106T093000",
        "DTEND;TZID=America/New_York:20250106T094500",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=30",
        "EXDATE;TZID=America/New_York:20250113T093000",
        "SUMMARY:Stand-up — équipe ☕",
        "LOCATION:Salle Łódź",
        # Longer than a line: folded, and each server may fold it elsewhere (inside a character).
        "DESCRIPTION:Ordre du jour : ce que chacun a fait hier\\, ce qu'il fera aujourd'hui\\, "
        "ce qui le bloque — en moins de quinze minutes\\, debout. Zażółć gęślą jaźń. 日本語も。",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:Stand-up",
        "TRIGGER:-PT10M",
        "END:VALARM",
    ),
    component(
        "VEVENT",
        "standup@posey.test",
        "RECURRENCE-ID;TZID=America/New_York:20250115T093000",
        "DTSTART;TZID=America/New_York:20250115T110000",
        "DTEND;TZID=America/New_York:20250115T113000",
        "SUMMARY:Stand-up (moved) 🚀",
    ),
    zone=True,
)
HOLIDAY = ics(
    component(
        "VEVENT",
        "holiday-2025-07-04",
        "DTSTART;VALUE=DATE:20250704",
        "DTEND;VALUE=DATE:20250705",
        "SUMMARY:Independence Day 🎆",
        "TRANSP:TRANSPARENT",
        "CATEGORIES:Holiday,USA",
    )
)
TAXES = ics(
    component(
        "VTODO",
        "taxes@posey.test",
        "DUE:20250415T170000Z",
        "PRIORITY:1",
        "STATUS:NEEDS-ACTION",
        "SUMMARY:Déclaration d'impôts 🧾",
    )
)
LUNCH = ics(
    component(
        "VEVENT",
        "lunch-with-ana",
        "DTSTART:20250520T120000Z",
        "DTEND:20250520T130000Z",
        "SUMMARY:Lunch with Ana",
    )
)
# On both sides before the first sync (say, both imported the same file).
SHARED = ics(
    component(
        "VEVENT",
        "shared-anniversary",
        "DTSTART;VALUE=DATE:20250909",
        "RRULE:FREQ=YEARLY",
        "SUMMARY:Anniversary 💍",
    )
)

# Seeded in Radicale's calendar "home".
YOGA = ics(
    component(
        "VEVENT",
        "yoga@radicale.test",
        "DTSTART:20250210T070000Z",
        "DURATION:PT45M",
        "RRULE:FREQ=DAILY;UNTIL=20250220T070000Z",
        "EXDATE:20250212T070000Z",
        "RDATE:20250222T070000Z",
        "SUMMARY:Yoga 🧘",
    ),
    component(
        "VEVENT",
        "yoga@radicale.test",
        "RECURRENCE-ID:20250214T070000Z",
        "DTSTART:20250214T080000Z",
        "DURATION:PT1H",
        "SUMMARY:Yoga 🧘 (Valentine's edition)",
    ),
)
TRIP = ics(
    component(
        "VEVENT",
        "trip-munich",
        "DTSTART;VALUE=DATE:20250301",
        "DTEND;VALUE=DATE:20250305",
        "SUMMARY:Reise nach München 🏔",
        "LOCATION:München",
    )
)
DENTIST = ics(
    component(
        "VEVENT",
        "dentist@radicale.test",
        # The Monday after the clocks changed (9 March 2025): EDT, -04:00.
        "DTSTART;TZID=America/New_York:20250310T143000",
        "DTEND;TZID=America/New_York:20250310T153000",
        "SUMMARY:Dentist — Dr. Müller 🦷",
        "DESCRIPTION:Bring the card\\; floss\\, first\\nSecond line",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:Reminder",
        "TRIGGER:-PT30M",
        "END:VALARM",
    ),
    zone=True,
)
PLANTS = ics(
    component(
        "VTODO",
        "plants@radicale.test",
        "DUE;VALUE=DATE:20250302",
        "PRIORITY:5",
        "STATUS:NEEDS-ACTION",
        "SUMMARY:Water the plants 🌱",
    )
)
SOIL = ics(
    component(
        "VTODO",
        "soil@radicale.test",
        "RELATED-TO:plants@radicale.test",
        "STATUS:NEEDS-ACTION",
        "SUMMARY:Buy soil",
    )
)

# Seeded in Radicale's calendar "Privat Café" (a segment with a space and an accent).
CONCERT = ics(
    component(
        "VEVENT",
        "concert@radicale.test",
        "DTSTART;TZID=America/New_York:20251031T200000",
        "DTEND;TZID=America/New_York:20251031T223000",
        "SUMMARY:Konzert: Bach — Goldberg-Variationen 🎹",
        "CATEGORIES:Musik,Freizeit",
        "URL:https://example.test/konzert?id=1&lang=de",
        "CLASS:PRIVATE",
    ),
    zone=True,
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_radicale(workdir):
    port = free_port()
    config = os.path.join(workdir, "radicale.conf")
    with open(config, "w") as f:
        f.write(
            f"[server]\nhosts = 127.0.0.1:{port}\n"
            "[auth]\ntype = none\n"
            "[rights]\ntype = owner_only\n"
            f"[storage]\nfilesystem_folder = {os.path.join(workdir, 'radicale')}\n"
            "[logging]\nlevel = warning\n"
        )
    log = open(os.path.join(workdir, "radicale.log"), "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", config], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        check(process.poll() is None, f"radicale exited: {open(log.name).read()}")
        try:
            with urllib.request.urlopen(url + ".web/", timeout=2):
                return process, url
        except (urllib.error.URLError, ConnectionError):
            check(time.monotonic() < deadline, "radicale did not answer in 30 s")
            time.sleep(0.1)


def rest(method, path, body=None):
    request = urllib.request.Request(
        os.environ["POSEY_API_URL"].rstrip("/") + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
    )
    request.add_header("Authorization", f"Bearer {os.environ['POSEY_TOKEN']}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        check(False, f"{method} {path}: {error.code} {error.read()[:500]!r}")


def vdirsyncer(config, *args):
    """Runs vdirsyncer; returns the actions it logged."""
    result = subprocess.run(
        [sys.executable, "-m", "vdirsyncer", "-c", config, *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    print(f"$ vdirsyncer {' '.join(args)}\n{output}", flush=True)
    check(result.returncode == 0, f"vdirsyncer {' '.join(args)} exited {result.returncode}")
    # (vdirsyncer 0.21 warns "Deleting an item with no etag" on every delete with one.)
    check(not re.search(r"^(error|critical):", output, re.M), f"vdirsyncer {' '.join(args)} failed")
    return [line for line in output.splitlines() if ACTION.search(line)]


def content(dav, calendar_url):
    """{(UID, RECURRENCE-ID): what icalendar reads} of a calendar, with DTSTART's zone and,
    for to-dos, the completion."""
    found = {}
    for href, (_, text) in dav.objects(calendar_url).items():
        uids = set()
        for calendar in icalendar.Calendar.from_ical(text, multiple=True):
            for part in calendar.walk():
                if part.name not in ("VEVENT", "VTODO"):
                    continue
                uid = str(part.get("UID"))
                uids.add(uid)
                key = (uid, str(instant(part.get("RECURRENCE-ID"))))
                check(key not in found, f"{key} is in two resources ({href})")
                start = part.get("DTSTART")
                found[key] = {
                    **summary(part),
                    "zone": start.params.get("TZID") if start is not None else None,
                    "completed": instant(part.get("COMPLETED")),
                    "percent": str(part.get("PERCENT-COMPLETE")),
                    "related_to": str(part.get("RELATED-TO")),
                    "url": str(part.get("URL")),
                    "class": str(part.get("CLASS")),
                }
        check(len(uids) == 1, f"{href} holds {sorted(uids)}: one UID a resource")
    return found


def colour(value):
    """A colour as Posey keeps it: #rrggbbaa with alpha ff is #rrggbb."""
    if value and len(value) == 9 and value.lower().endswith("ff"):
        return value[:7].lower()
    return value.lower() if value else value


def assert_same(posey, radicale, posey_home, radicale_home):
    """Both sides have the same calendars (names and colours too) with the same items;
    returns {segment: {key: item}}."""
    ours = posey.calendars(posey_home)
    theirs = radicale.calendars(radicale_home)
    check(sorted(ours) == sorted(theirs), f"calendars: Posey {sorted(ours)}, Radicale {sorted(theirs)}")
    everything = {}
    for segment in ours:
        for prop in ("displayname", "color"):
            a, b = ours[segment].get(prop), theirs[segment].get(prop)
            if prop == "color":
                a, b = colour(a), colour(b)
            check(a == b, f"{segment}: {prop} is {a!r} at Posey, {b!r} at Radicale")
        a = content(posey, ours[segment]["url"])
        b = content(radicale, theirs[segment]["url"])
        check(sorted(a) == sorted(b), f"{segment}: Posey has {sorted(a)}, Radicale {sorted(b)}")
        for key in a:
            if a[key] != b[key]:
                diff = {k: (a[key][k], b[key][k]) for k in a[key] if a[key][k] != b[key][k]}
                check(False, f"{segment} {key}: differs (Posey, Radicale): {diff}")
        everything[segment] = a
    return everything


def sync_everything(config):
    return vdirsyncer(config, "sync") + vdirsyncer(config, "metasync")


def main():
    for package in ("vdirsyncer", "radicale"):
        check(
            importlib.util.find_spec(package) is not None,
            f"{package} is not installed: scripts/test installs it (vdirsyncer==0.21.0, radicale==3.9.0)",
        )
    workdir = tempfile.mkdtemp(prefix="posey-vdirsyncer-")
    radicale_process, radicale_url = start_radicale(workdir)
    try:
        run(workdir, radicale_url)
    finally:
        radicale_process.terminate()
        radicale_process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print("vdirsyncer sync ok", flush=True)


def posey_storage():
    return (
        'type = "caldav"\n'
        f"url = {json.dumps(os.environ['POSEY_DAV_URL'])}\n"
        f"username = {json.dumps(os.environ['POSEY_USERNAME'])}\n"
        f"password = {json.dumps(os.environ['POSEY_PASSWORD'])}\n"
    )


def write_config(workdir, radicale_url):
    config = os.path.join(workdir, "config")
    with open(config, "w") as f:
        f.write(
            f"""[general]
status_path = {json.dumps(os.path.join(workdir, "status") + "/")}

[pair posey_radicale]
a = "posey"
b = "radicale"
collections = ["from a", "from b"]
conflict_resolution = "a wins"
metadata = ["displayname", "color"]
implicit = "create"

[storage posey]
{posey_storage()}
[storage radicale]
type = "caldav"
url = {json.dumps(radicale_url)}
username = "{RADICALE_USER}"
password = "any password"
"""
        )
    return config


def seed(posey, radicale, posey_home, radicale_home):
    """Posey: a calendar made over CalDAV, and one made in the web app (REST) with a recurring
    event; Radicale: two calendars, and an empty "work" with an event Posey's "work" has too
    (both imported the same file, say). Returns the REST calendar's id."""
    work = posey_home + "work/"
    posey.mkcalendar(work, "Work ✓", "#ff2968")
    for name, text in (
        ("standup.ics", STANDUP),
        ("holiday.ics", HOLIDAY),
        ("taxes.ics", TAXES),
        ("lunch.ics", LUNCH),
        ("shared.ics", SHARED),
    ):
        posey.put(work + name, text)
    family = rest("POST", "/v1/calendars", {"name": "Family 👪", "colour": "#3366cc", "time_zone": "Europe/Berlin"})
    picnic = {
        "calendar_id": family["id"],
        "summary": "Picnic in the park 🧺",
        "start": {"date_time": "2025-06-14T12:00:00"},
        "end": {"date_time": "2025-06-14T15:00:00"},
        "recurrence": {"rules": ["FREQ=MONTHLY;COUNT=4"], "excluded": [{"date_time": "2025-07-14T12:00:00"}]},
    }
    rest("POST", "/v1/events", picnic)

    home = radicale_home + "home/"
    radicale.mkcalendar(home, "Radicale Home 🏠", "#2ca02cff")
    for name, text in (
        ("yoga.ics", YOGA),
        ("trip.ics", TRIP),
        ("dentist.ics", DENTIST),
        ("plants.ics", PLANTS),
        ("soil.ics", SOIL),
    ):
        radicale.put(home + name, text)
    private = radicale_home + urllib.parse.quote("Privat Café") + "/"
    radicale.mkcalendar(private, "Privat", "#9467bd")
    radicale.put(private + "concert.ics", CONCERT)
    radicale.mkcalendar(radicale_home + "work/")
    radicale.put(radicale_home + "work/shared.ics", SHARED)
    return family["id"]


def change_both_sides(posey, radicale, posey_home, radicale_home):
    """Changes on each side (to a series, its override, a to-do's completion), a deletion and a
    new item on each side, and one item changed on both: a conflict, which Posey (a) wins."""
    work = posey.calendars(posey_home)["work"]["url"]
    posey_home_calendar = posey.calendars(posey_home)["home"]["url"]
    radicale_work = radicale.calendars(radicale_home)["work"]["url"]
    home = radicale.calendars(radicale_home)["home"]["url"]

    exdate = "EXDATE;TZID=America/New_York:20250113T093000"
    posey.edit(
        work,
        "standup@posey.test",
        lambda t: t.replace(exdate, exdate + ",20250120T093000").replace("(moved)", "(moved again)"),
    )
    posey.edit(posey_home_calendar, "trip-munich", lambda t: t.replace("LOCATION:München", "LOCATION:München Hbf"))
    posey.remove(work, "holiday-2025-07-04")
    christmas = component("VEVENT", "new-posey", "DTSTART;VALUE=DATE:20251224", "SUMMARY:Heiligabend 🎄")
    posey.put(work + "new-posey.ics", ics(christmas))

    done = "STATUS:COMPLETED\r\nCOMPLETED:20250410T100000Z\r\nPERCENT-COMPLETE:100"
    radicale.edit(radicale_work, "taxes@posey.test", lambda t: t.replace("STATUS:NEEDS-ACTION", done))
    exdate = "EXDATE:20250212T070000Z"
    radicale.edit(home, "yoga@radicale.test", lambda t: t.replace(exdate, exdate + ",20250218T070000Z"))
    radicale.remove(home, "dentist@radicale.test")
    call = component("VTODO", "new-radicale", "SUMMARY:Ring Oma ☎", "STATUS:NEEDS-ACTION")
    radicale.put(home + "new-radicale.ics", ics(call))

    lunch = "SUMMARY:Lunch with Ana"
    posey.edit(work, "lunch-with-ana", lambda t: t.replace(lunch, lunch + " (Posey)"))
    radicale.edit(radicale_work, "lunch-with-ana", lambda t: t.replace(lunch, lunch + " (Radicale)"))


def check_changes(calendars):
    work, home = calendars["work"], calendars["home"]

    def uids(items):
        return sorted({uid for uid, _ in items})

    expected = ["lunch-with-ana", "new-posey", "shared-anniversary", "standup@posey.test", "taxes@posey.test"]
    check(uids(work) == expected, f"work: {uids(work)}")
    expected = ["new-radicale", "plants@radicale.test", "soil@radicale.test", "trip-munich", "yoga@radicale.test"]
    check(uids(home) == expected, f"home: {uids(home)}")
    lunch = work[("lunch-with-ana", "None")]["fields"]["SUMMARY"]
    check(lunch == "Lunch with Ana (Posey)", f"the conflict went to {lunch!r}")
    taxes = work[("taxes@posey.test", "None")]
    check(taxes["fields"]["STATUS"] == "COMPLETED" and taxes["percent"] == "100", f"taxes: {taxes}")
    check(home[("trip-munich", "None")]["fields"]["LOCATION"] == "München Hbf", "the trip's new place")
    check(len(home[("yoga@radicale.test", "None")]["exdate"]) == 2, "yoga's second EXDATE")
    standup = work[("standup@posey.test", "None")]
    check(len(standup["exdate"]) == 2, f"standup's EXDATEs: {standup['exdate']}")
    overrides = [(uid, rid) for uid, rid in work if uid == "standup@posey.test" and rid != "None"]
    moved = [work[key]["fields"]["SUMMARY"] for key in overrides]
    check(moved == ["Stand-up (moved again) 🚀"], f"the override: {moved}")


def check_queries(config, workdir, segments):
    """What vdirsyncer asks Posey with a calendar-query: only to-dos; only events with an
    occurrence from 15 February to 6 March 2025 (a series counts by its occurrences). Synced
    one way, into folders."""
    folders = os.path.join(workdir, "queries")
    window = 'item_types = ["VEVENT"]\nstart_date = "datetime(2025, 2, 15)"\nend_date = "datetime(2025, 3, 6)"'
    with open(config, "a") as f:
        for name, options in (("todos", 'item_types = ["VTODO"]'), ("window", window)):
            f.write(
                f"""
[pair only_{name}]
a = "posey_{name}"
b = "local_{name}"
collections = ["from a"]
implicit = "create"

[storage posey_{name}]
read_only = true
{options}
{posey_storage()}
[storage local_{name}]
type = "filesystem"
path = {json.dumps(os.path.join(folders, name))}
fileext = ".ics"
"""
            )
    vdirsyncer(config, "discover", "only_todos", "only_window")
    vdirsyncer(config, "sync", "only_todos", "only_window")
    todos = {"work": ["taxes@posey.test"], "home": ["new-radicale", "plants@radicale.test", "soil@radicale.test"]}
    events = {"work": ["standup@posey.test"], "home": ["trip-munich", "yoga@radicale.test"]}
    for name, expected in (("todos", todos), ("window", events)):
        for segment in segments:
            folder = os.path.join(folders, name, segment)
            found = []
            for file in os.listdir(folder):
                with open(os.path.join(folder, file)) as f:
                    parts = icalendar.Calendar.from_ical(f.read()).walk()
                items = [p for p in parts if p.name in ("VEVENT", "VTODO") and not p.get("RECURRENCE-ID")]
                found += [str(p.get("UID")) for p in items]
            check(sorted(found) == expected.get(segment, []), f"{name} of {segment}: {sorted(found)}")


def run(workdir, radicale_url):
    posey = Dav(os.environ["POSEY_DAV_URL"], os.environ["POSEY_USERNAME"], os.environ["POSEY_PASSWORD"])
    radicale = Dav(radicale_url, RADICALE_USER, "any password")
    posey_home = posey.home()
    radicale_home = radicale.home()
    family = seed(posey, radicale, posey_home, radicale_home)
    config = write_config(workdir, radicale_url)

    vdirsyncer(config, "discover")
    # (vdirsyncer compares items by their text, leaving out only PRODID, DTSTAMP, VTIMEZONEs
    # and a few others: what Posey writes of an event it was given must not add lines.)
    check(sync_everything(config), "the first sync did something")
    calendars = assert_same(posey, radicale, posey_home, radicale_home)
    segments = ["work", family, "home", "Privat Café"]
    check(sorted(calendars) == sorted(segments), f"calendars: {sorted(calendars)}")
    check(len(calendars["work"]) == 6 and len(calendars["home"]) == 6, f"items: {calendars}")
    # Names travel both ways: Posey's calendar "home", made by vdirsyncer without a name, has
    # none of its own to send over Radicale's.
    names = {segment: c.get("displayname") for segment, c in posey.calendars(posey_home).items()}
    expected = {"work": "Work ✓", family: "Family 👪", "home": "Radicale Home 🏠", "Privat Café": "Privat"}
    check(names == expected, f"displaynames: {names}, not {expected}")
    # Posey keeps a colour as #rrggbb, so Radicale's #2ca02cff comes back from Posey as #2ca02c,
    # which the next metasync takes for a change at Posey and copies to Radicale, once.
    settle = vdirsyncer(config, "metasync")
    check(settle == ["Copying color to radicale/home"], f"settling the colour: {settle}")
    again = sync_everything(config)
    check(again == [], f"a sync with nothing changed: {again}")

    change_both_sides(posey, radicale, posey_home, radicale_home)
    check(sync_everything(config), "the second sync did something")
    check_changes(assert_same(posey, radicale, posey_home, radicale_home))
    again = sync_everything(config)
    check(again == [], f"a sync with nothing changed: {again}")

    check_queries(config, workdir, segments)


if __name__ == "__main__":
    main()
