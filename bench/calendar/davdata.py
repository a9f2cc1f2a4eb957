"""The CalDAV half of bench/calendar/run, before the timing: signs a person up at Posey's auth
service and makes an app password, makes a calendar `bench` on Posey and on Radicale, PUTs the
same 1,000 events into each (deterministic: 750 single events over 2025, 63 of them all-day; 250
recurring, daily/weekly/monthly timed and yearly all-day, a fifth with an EXDATE and a seventh
with a moved occurrence; in Europe/Berlin with its VTIMEZONE), takes each calendar's sync token,
changes six events (three edited, two added, one deleted), and checks that both servers answer
the two timed REPORTs with the same resources. Then writes, into the directory given, what wrk
sends:
query.xml (the month's calendar-query), sync-posey.xml and sync-radicale.xml (each server's own
token), and env (the URLs and Authorization headers, for the shell). Stdlib only; exits
non-zero, saying why, on the first surprise.

Usage: davdata.py OUT_DIR   with BENCH_AUTH_URL, BENCH_AGENTS_URL, BENCH_RADICALE_URL set."""

import base64
import datetime as dt
import json
import os
import random
import shlex
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

D = "{DAV:}"
MONTH = ("20250601T000000Z", "20250701T000000Z")
ZONE = "Europe/Berlin"
VTIMEZONE = "\r\n".join([
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
])
QUERY = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT">
        <C:time-range start="{MONTH[0]}" end="{MONTH[1]}"/>
      </C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>
"""


def sync_body(token):
    return f"""<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:">
  <D:sync-token>{token}</D:sync-token>
  <D:sync-level>1</D:sync-level>
  <D:prop><D:getetag/></D:prop>
</D:sync-collection>
"""


def die(message):
    print(f"davdata: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def request(method, url, body=None, headers=None):
    """(status, text) of one request; a connection failure stops the run."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as error:
        die(f"{method} {url}: {getattr(error, 'reason', error)}")


def expect(what, status, text, *wanted):
    if status not in wanted:
        die(f"{what}: HTTP {status} (wanted {wanted}): {text[:400]}")


# --- The events --------------------------------------------------------------------------------

def stamp(at):
    return at.strftime("%Y%m%dT%H%M%S")


def wall(name, at, all_day):
    """A DATE-TIME in Berlin, or a DATE."""
    if all_day:
        return f"{name};VALUE=DATE:{at.strftime('%Y%m%d')}"
    return f"{name};TZID={ZONE}:{stamp(at)}"


def add_months(day, n):
    month = day.month - 1 + n
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def calendar(*components):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Posey//bench//EN", VTIMEZONE]
    for component in components:
        lines += ["BEGIN:VEVENT", *component, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def event(uid, start, minutes, all_day, summary, *extra):
    end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(minutes=minutes))
    return [f"UID:{uid}", "DTSTAMP:20250101T000000Z", wall("DTSTART", start, all_day),
            wall("DTEND", end, all_day), f"SUMMARY:{summary}", *extra]


def safe_day(rng):
    """A day of 2025 that is neither the first nor one of the last four of its month: an
    all-day event is a floating date, which Radicale places in UTC and Posey in the calendar's
    zone; away from a month's edges both put it in the same month."""
    while True:
        day = dt.datetime(2025, 1, 1) + dt.timedelta(days=rng.randrange(365))
        if 2 <= day.day <= 27:
            return day


def events():
    """{resource name: iCalendar text}, the same on every run. Timed events lie between 07:00
    and 23:00 in Berlin, so none touches a month's edge at midnight UTC."""
    rng = random.Random(20250601)
    out = {}
    for i in range(750):
        uid = f"single-{i:04d}@bench.posey"
        if i % 12 == 5:
            text = calendar(event(uid, safe_day(rng), 0, True, f"Day off {i}"))
        else:
            day = dt.datetime(2025, 1, 1) + dt.timedelta(days=i * 365 // 750)
            start = day.replace(hour=rng.randrange(7, 20), minute=rng.choice((0, 15, 30, 45)))
            text = calendar(event(uid, start, rng.choice((30, 45, 60, 90, 120, 180)), False,
                                  f"Meeting {i}", f"LOCATION:Room {rng.randrange(1, 40)}"))
        out[f"{uid}.ics"] = text
    for j in range(250):
        uid = f"series-{j:04d}@bench.posey"
        kind = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")[j % 4]
        all_day = kind == "YEARLY"
        first = safe_day(rng)
        if not all_day:
            first = first.replace(hour=rng.randrange(7, 20), minute=rng.choice((0, 30)))
        interval = 2 if j % 9 == 0 else 1
        if kind == "DAILY":
            rule, step = f"FREQ=DAILY;INTERVAL={interval};COUNT={rng.randrange(5, 40)}", \
                lambda at, n: at + dt.timedelta(days=interval * n)
        elif kind == "WEEKLY":
            day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[first.weekday()]
            end = "" if j % 3 == 0 else f";COUNT={rng.randrange(8, 40)}"
            rule, step = f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={day}{end}", \
                lambda at, n: at + dt.timedelta(weeks=interval * n)
        elif kind == "MONTHLY":
            end = "" if j % 2 == 0 else ";COUNT=12"
            rule, step = f"FREQ=MONTHLY;BYMONTHDAY={first.day}{end}", \
                lambda at, n: add_months(at, n)
        else:
            rule, step = "FREQ=YEARLY", lambda at, n: at.replace(year=at.year + n)
        master = event(uid, first, rng.choice((30, 60, 90)), all_day, f"{kind.title()} {j}",
                       f"RRULE:{rule}")
        if j % 5 == 0:
            master.append(wall("EXDATE", step(first, 1), all_day))
        components = [master]
        if j % 7 == 0:
            moved = step(first, 2)
            later = moved if all_day else moved + dt.timedelta(hours=1)
            components.append(event(uid, later, 60, all_day, f"{kind.title()} {j} (moved)",
                                    wall("RECURRENCE-ID", moved, all_day)))
        out[f"{uid}.ics"] = calendar(*components)
    return out


# --- The servers -------------------------------------------------------------------------------

class Server:
    def __init__(self, name, calendar_url, authorization):
        self.name = name
        self.url = calendar_url
        self.authorization = authorization

    def send(self, method, url, body=None, **headers):
        headers = {"Authorization": self.authorization, **headers}
        return request(method, url, body, headers)

    def put(self, href, text):
        status, answer = self.send("PUT", self.url + href, text,
                                   **{"Content-Type": "text/calendar; charset=utf-8"})
        expect(f"{self.name}: PUT {href}", status, answer, 201, 204)

    def report(self, body, depth):
        status, answer = self.send("REPORT", self.url, body, Depth=depth,
                                   **{"Content-Type": "application/xml; charset=utf-8"})
        expect(f"{self.name}: REPORT", status, answer, 207)
        return ET.fromstring(answer)


def names(multistatus):
    """{resource name: status} of a multistatus's responses on resources (not the collection)."""
    out = {}
    for response in multistatus.iter(f"{D}response"):
        href = response.findtext(f"{D}href", "").strip()
        name = urllib.parse.unquote(href.rsplit("/", 1)[-1])
        if href.endswith("/"):
            continue
        status = response.findtext(f"{D}status") or response.findtext(f"{D}propstat/{D}status")
        out[name] = (status or "").split(" ")[1] if status else "?"
    return out


def posey_server(auth, agents):
    email = f"calendar-bench-{uuid.uuid4().hex[:10]}@example.com"
    status, text = request("POST", f"{auth}/signup",
                           json.dumps({"email": email, "password": "correct horse battery staple"}),
                           {"Content-Type": "application/json"})
    expect("signing up at auth", status, text, 200, 201)
    session = json.loads(text)
    if "access_token" not in session:
        die("the sign-up gave no session: auth needs AUTH_MAILER_AUTOCONFIRM=true")
    status, text = request("POST", f"{auth}/app-passwords", json.dumps({"name": "bench"}),
                           {"Content-Type": "application/json",
                            "Authorization": f"Bearer {session['access_token']}"})
    expect("making an app password", status, text, 201)
    secret = json.loads(text)["password"]
    basic = base64.b64encode(f"{email}:{secret}".encode()).decode()
    return Server("Posey", f"{agents}/dav/calendars/{session['user']['id']}/bench/",
                  f"Basic {basic}")


def make_calendar(server):
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>Bench</D:displayname>
    <C:calendar-timezone-id>{ZONE}</C:calendar-timezone-id>
  </D:prop></D:set>
</C:mkcalendar>
"""
    status, text = server.send("MKCALENDAR", server.url, body,
                               **{"Content-Type": "application/xml; charset=utf-8"})
    expect(f"{server.name}: MKCALENDAR", status, text, 201)


def main():
    if len(sys.argv) != 2:
        die(__doc__)
    out_dir = sys.argv[1]
    auth = os.environ["BENCH_AUTH_URL"].rstrip("/")
    agents = os.environ["BENCH_AGENTS_URL"].rstrip("/")
    radicale_url = os.environ["BENCH_RADICALE_URL"].rstrip("/")
    posey = posey_server(auth, agents)
    # Radicale with auth "none" takes any password; owner_only keeps alice to /alice/.
    radicale = Server("Radicale", f"{radicale_url}/alice/bench/",
                      "Basic " + base64.b64encode(b"alice:bench").decode())
    data = events()
    for server in (posey, radicale):
        make_calendar(server)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda item, s=server: s.put(*item), data.items()))
        print(f"{server.name}: {len(data)} events in {server.url}", flush=True)

    tokens = {}
    for server in (posey, radicale):
        answer = server.report(sync_body(""), "0")
        found = names(answer)
        if len(found) != len(data):
            die(f"{server.name}: the first sync lists {len(found)} resources, not {len(data)}")
        tokens[server.name] = answer.findtext(f"{D}sync-token", "").strip()
        if not tokens[server.name]:
            die(f"{server.name}: the first sync gave no token")

    # Changes after the token: three edited, two added, one deleted.
    changed = {}
    for i in (10, 20, 30):
        href = f"single-{i:04d}@bench.posey.ics"
        changed[href] = data[href].replace(f"SUMMARY:Meeting {i}", f"SUMMARY:Meeting {i} (moved)")
    extra = dt.datetime(2025, 6, 16, 10, 0)
    for k in (1, 2):
        uid = f"added-{k}@bench.posey"
        changed[f"{uid}.ics"] = calendar(event(uid, extra, 60, False, f"Added {k}"))
    for server in (posey, radicale):
        for href, text in changed.items():
            server.put(href, text)
        status, text = server.send("DELETE", server.url + "single-0040@bench.posey.ics")
        expect(f"{server.name}: DELETE", status, text, 200, 204)

    # Both must answer the timed requests with the same resources (and statuses for the sync).
    month, sync = {}, {}
    for server in (posey, radicale):
        month[server.name] = names(server.report(QUERY, "1"))
        sync[server.name] = names(server.report(sync_body(tokens[server.name]), "0"))
    if set(month["Posey"]) != set(month["Radicale"]):
        only_p = sorted(set(month["Posey"]) - set(month["Radicale"]))
        only_r = sorted(set(month["Radicale"]) - set(month["Posey"]))
        die(f"the month's calendar-query differs: only Posey {only_p[:10]} ({len(only_p)}), "
            f"only Radicale {only_r[:10]} ({len(only_r)})")
    if sync["Posey"] != sync["Radicale"] or len(sync["Posey"]) != 6:
        die(f"the sync-collections differ: Posey {sync['Posey']}, Radicale {sync['Radicale']}")
    print(f"both answer the June calendar-query with the same {len(month['Posey'])} resources, "
          f"and the sync-collection with the same {len(sync['Posey'])} changes", flush=True)

    with open(os.path.join(out_dir, "query.xml"), "w") as f:
        f.write(QUERY)
    for server in (posey, radicale):
        with open(os.path.join(out_dir, f"sync-{server.name.lower()}.xml"), "w") as f:
            f.write(sync_body(tokens[server.name]))
    with open(os.path.join(out_dir, "env"), "w") as f:
        f.write(f"posey_calendar={shlex.quote(posey.url)}\n"
                f"posey_authorization={shlex.quote(posey.authorization)}\n"
                f"radicale_calendar={shlex.quote(radicale.url)}\n"
                f"radicale_authorization={shlex.quote(radicale.authorization)}\n"
                f"month_resources={len(month['Posey'])}\n")


if __name__ == "__main__":
    main()
