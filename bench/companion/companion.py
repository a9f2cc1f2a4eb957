"""The client of bench/companion/run (Python's standard library only): a new person signs up,
sets a time zone, uploads a lease, then has 30 short exchanges with the companion in one
conversation. Each turn is timed to its first `text` event and to its end; at the end the state
the turns should have left is scored from the APIs (cron's tasks, the agents' memories and the
stored messages) and, when a database is given, from the database too, never from the replies'
wording. Prints one table on stdout; progress and details on stderr.

Configured by the environment bench/companion/run sets: BENCH_AUTH_URL, BENCH_AGENTS_URL,
BENCH_CRON_URL, optionally BENCH_DB (a psql connection string), BENCH_EMAIL/BENCH_PASSWORD,
TURN_TIMEOUT, MEMORY_SETTLE, MEMORY_WAIT, RESULTS, and the labels BENCH_MODEL, BENCH_BUILD,
BENCH_COMMIT.
"""

import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zoneinfo

# The person's zone: half an hour off any whole-hour zone, so a reminder set in UTC or in the
# server's zone instead of the person's is never right by accident.
ZONE = "Asia/Kolkata"
DOCUMENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lease.md")


def reminder(what, pattern, hour, minute, days=1):
    """A reminder whose name or payload matches `pattern` (a regex, case-insensitive), `days`
    after today (in the person's zone) at hour:minute there."""
    return {"reminder": {"what": what, "pattern": pattern, "days": days, "hour": hour,
                         "minute": minute}}


def memory(pattern):
    """A current memory whose text matches `pattern` (a regex, case-insensitive)."""
    return {"memory": pattern}


DOC = {"document": True}

# (what kind of exchange, what the person says, what state it must leave)
SCRIPT = [
    ("greeting", "Hello!", {}),
    ("greeting", "Hi, I'm Dana. Nice to meet you.", {}),
    ("time", "What time is it?", {}),
    ("remember", "Remember that my sister's name is Ana.", memory(r"\bana\b")),
    ("greeting", "Good morning! How are you today?", {}),
    ("remind", "Remind me to call my mother tomorrow at 6 pm.",
     reminder("mother", r"\bmother|\bmom\b|\bmum\b", 18, 0)),
    ("time", "What day of the week is it today?", {}),
    ("remember", "Remember that I am allergic to peanuts.", memory(r"\bpeanut")),
    ("recall", "What did I tell you about my sister?", {}),
    ("chat", "Thanks, that's helpful.", {}),
    ("document", "According to my lease, when is the rent due?", DOC),
    ("remind", "Remind me to water the plants tomorrow at 7:30 am.",
     reminder("plants", r"\bplant", 7, 30)),
    ("time", "What's today's date?", {}),
    ("remember", "Remember that my favourite colour is green.", memory(r"\bgreen\b")),
    ("greeting", "Hey again!", {}),
    ("recall", "What did I tell you about food I can't eat?", {}),
    ("remind", "Remind me to take my medicine tomorrow at 9 pm.",
     reminder("medicine", r"\bmedic", 21, 0)),
    ("time", "What time is it now?", {}),
    ("remember", "Remember that I work as a nurse.", memory(r"\bnurse")),
    ("document", "What does my lease say about pets?", DOC),
    ("chat", "Good night!", {}),
    ("recall", "What do you know about my job?", {}),
    ("remember", "Remember that my dog is called Biscuit.", memory(r"\bbiscuit\b")),
    ("remind", "Remind me to buy bread tomorrow at 8:15 am.",
     reminder("bread", r"\bbread\b", 8, 15)),
    ("recall", "What's my favourite colour?", {}),
    ("chat", "Thank you!", {}),
    ("document", "Who is the landlord in my lease?", DOC),
    ("recall", "What is my dog's name?", {}),
    ("time", "Is it morning or evening for me right now?", {}),
    ("greeting", "Bye for now!", {}),
]

AIMS = {"ttft_p95": 2.0, "turn_p95": 10.0}


def log(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


def die(message):
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def env(name, default=None):
    value = os.environ.get(name, "")
    return value if value else default


class RequestFailed(Exception):
    """Posey could not be reached, or answered with an error."""


class HttpError(RequestFailed):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


def request(method, url, body=None, token=None, headers=None, timeout=60, raw=None):
    """One JSON request; returns the decoded answer, raises HttpError on a non-2xx status."""
    all_headers = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["content-type"] = "application/json"
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            text = answer.read().decode()
    except urllib.error.HTTPError as error:
        raise HttpError(error.code, error.read().decode(errors="replace")) from None
    except (urllib.error.URLError, OSError) as error:
        raise RequestFailed(f"{method} {url}: {getattr(error, 'reason', error)}") from None
    return json.loads(text) if text else None


class Session:
    """A person's GoTrue session, refreshed before its access token runs out (a run on a slow
    model outlasts one token)."""

    def __init__(self, auth):
        self.auth = auth.rstrip("/")
        email = env("BENCH_EMAIL")
        password = env("BENCH_PASSWORD", "correct horse battery staple")
        if email:
            answer = request("POST", f"{self.auth}/token?grant_type=password",
                             {"email": email, "password": password})
        else:
            email = f"companion-{uuid.uuid4().hex[:12]}@example.com"
            try:
                answer = request("POST", f"{self.auth}/signup",
                                 {"email": email, "password": password})
            except HttpError as error:
                die(f"signing up at {self.auth} failed ({error}): where sign-up is by invitation, "
                    "give BENCH_EMAIL and BENCH_PASSWORD of a confirmed account")
            if "access_token" not in answer:
                die(f"signing up at {self.auth} gave no session: sign-ups need a confirmation "
                    "there. Set AUTH_MAILER_AUTOCONFIRM=true on that auth service, or give "
                    "BENCH_EMAIL and BENCH_PASSWORD of a confirmed account")
        self.email = email
        self._take(answer)

    def _take(self, answer):
        self.access = answer["access_token"]
        self.refresh_token = answer["refresh_token"]
        self.expires_at = answer.get("expires_at") or time.time() + answer.get("expires_in", 3600)
        self.user_id = answer["user"]["id"]

    def token(self):
        if self.expires_at - time.time() < 300:
            self._take(request("POST", f"{self.auth}/token?grant_type=refresh_token",
                               {"refresh_token": self.refresh_token}))
        return self.access


def upload(agents, token, path):
    """Uploads a file as multipart/form-data; returns the document."""
    boundary = uuid.uuid4().hex
    with open(path, "rb") as file:
        content = file.read()
    name = os.path.basename(path)
    body = (f"--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\ncontent-type: text/markdown\r\n\r\n").encode() + content + \
        f"\r\n--{boundary}--\r\n".encode()
    return request("POST", f"{agents}/v1/documents", token=token, raw=body,
                   headers={"content-type": f"multipart/form-data; boundary={boundary}"})


def run_turn(agents, token, conversation, content, timeout):
    """Posts a message and reads the turn's events to its end. Times are from the request."""
    turn = {"ttft": None, "total": None, "end": None, "error": None, "turn_id": None,
            "tool_calls": [], "tool_results": [], "text": "", "events": 0}
    url = f"{agents}/v1/conversations/{conversation}/messages"
    req = urllib.request.Request(url, data=json.dumps({"content": content}).encode(), headers={
        "content-type": "application/json", "authorization": f"Bearer {token}",
        "accept": "text/event-stream"}, method="POST")
    start = time.monotonic()
    try:
        # The socket timeout bounds one read; the server's keep-alives arrive every 15 s.
        with urllib.request.urlopen(req, timeout=60) as stream:
            name, data = None, []
            for raw in stream:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and name is not None:
                    on_event(turn, name, json.loads("\n".join(data)), time.monotonic() - start)
                    name, data = None, []
                    if turn["end"]:
                        break
                if time.monotonic() - start > timeout:
                    turn["end"], turn["error"] = "error", f"no end within {timeout:.0f} s"
                    break
    except urllib.error.HTTPError as error:
        turn["end"] = "error"
        turn["error"] = f"HTTP {error.code}: {error.read().decode(errors='replace')[:200]}"
    except (OSError, ValueError) as error:
        turn["end"], turn["error"] = "error", f"{type(error).__name__}: {error}"
    turn["total"] = time.monotonic() - start
    if turn["end"] is None:
        turn["end"], turn["error"] = "error", "the stream ended without done or error"
    return turn


def on_event(turn, name, data, at):
    turn["events"] += 1
    if name == "text":
        if turn["ttft"] is None:
            turn["ttft"] = at
        if data.get("depth", 0) == 0:
            turn["text"] += data.get("delta", "")
    elif name == "tool_call":
        turn["tool_calls"].append({"agent": data.get("agent"), "depth": data.get("depth", 0),
                                   "name": data.get("name"), "arguments": data.get("arguments")})
    elif name == "tool_result":
        turn["tool_results"].append({"name": data.get("name"), "content": data.get("content", ""),
                                     "is_error": data.get("is_error", False)})
    elif name == "done":
        turn["end"], turn["turn_id"] = "done", data.get("turn_id")
    elif name == "error":
        turn["end"], turn["turn_id"] = "error", data.get("turn_id")
        turn["error"] = f"{data.get('code')}: {data.get('message')}"


def repeated_call(turn):
    """The first tool call an agent made again with the same arguments in the turn, if any (a
    specialist asking what the router asked is no loop)."""
    seen = set()
    for call in turn["tool_calls"]:
        key = (call["agent"], call["depth"], call["name"],
               json.dumps(call["arguments"], sort_keys=True))
        if key in seen:
            return call["name"]
        seen.add(key)
    return None


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def parse_time(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


# The state the turns left, in one shape whether read from the APIs or the database:
# {"reminders": [{"text", "next_run_at", "time_zone"}], "memories": [text],
#  "cited_turns": {turn_id}}.

def state_from_apis(urls, session, conversation, document_id, since):
    token = session.token()
    tasks = request("GET", f"{urls['cron']}/v1/tasks?limit=200", token=token)["tasks"]
    reminders = [{"text": f"{t['name']} {json.dumps(t['payload'])}", "next_run_at":
                  t["next_run_at"], "time_zone": t["time_zone"]} for t in tasks
                 if t["kind"] == "reminder" and parse_time(t["created_at"]) >= since]
    memories = request("GET", f"{urls['agents']}/v1/memories?limit=200", token=token)["memories"]
    texts = [m["text"] for m in memories if parse_time(m["created_at"]) >= since]
    messages = request("GET", f"{urls['agents']}/v1/conversations/{conversation}/messages",
                       token=token)["messages"]
    cited = {m["turn_id"] for m in messages if m["role"] == "tool"
             and m.get("tool_name") == "search_documents" and not m["is_error"]
             and document_id in m["content"]}
    return {"reminders": reminders, "memories": texts, "cited_turns": cited}


def psql(conninfo, sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", conninfo, "-c", sql],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"psql: {out.stderr.strip()}")
    return json.loads(out.stdout.strip() or "[]")


def state_from_database(conninfo, user_id, conversation, document_id, since):
    # The ids come from the services (UUIDs) and the time from this script: nothing to quote.
    stamp = since.isoformat()
    rows = psql(conninfo, f"""SELECT coalesce(json_agg(t), '[]') FROM (
        SELECT name || ' ' || payload::text AS text, next_run_at, time_zone FROM cron.tasks
        WHERE user_id = '{user_id}' AND kind = 'reminder' AND created_at >= '{stamp}') t""")
    reminders = [{"text": r["text"], "next_run_at": r["next_run_at"],
                  "time_zone": r["time_zone"]} for r in rows]
    memories = psql(conninfo, f"""SELECT coalesce(json_agg(text), '[]') FROM agents.memories
        WHERE user_id = '{user_id}' AND superseded_at IS NULL AND retracted_at IS NULL
        AND created_at >= '{stamp}'""")
    cited = psql(conninfo, f"""SELECT coalesce(json_agg(DISTINCT turn_id), '[]')
        FROM agents.messages WHERE conversation_id = '{conversation}' AND role = 'tool'
        AND tool_name = 'search_documents' AND NOT is_error
        AND position('{document_id}' in content) > 0""")
    return {"reminders": reminders, "memories": memories, "cited_turns": set(cited)}


def expected_instant(spec, asked_at):
    """When a reminder asked for at `asked_at` (UTC) should fire, in UTC."""
    zone = zoneinfo.ZoneInfo(ZONE)
    day = asked_at.astimezone(zone).date() + dt.timedelta(days=spec["days"])
    local = dt.datetime(day.year, day.month, day.day, spec["hour"], spec["minute"], tzinfo=zone)
    return local.astimezone(dt.timezone.utc)


def score(state, turns):
    """One verdict per check: (kind, what, passed, detail)."""
    checks = []
    for number, (kind, say, expect), turn in zip(range(1, len(SCRIPT) + 1), SCRIPT, turns):
        if "reminder" in expect:
            spec = expect["reminder"]
            want = expected_instant(spec, turn["asked_at"])
            pattern = re.compile(spec["pattern"], re.IGNORECASE)
            named = [r for r in state["reminders"] if pattern.search(r["text"])]
            right = [r for r in named if r["next_run_at"]
                     and abs((parse_time(r["next_run_at"]) - want).total_seconds()) <= 60]
            found = ", ".join(f"{r['next_run_at']} ({r['time_zone']})" for r in named) or "none"
            checks.append(("reminder", f"turn {number}: {spec['what']} at "
                           f"{want.astimezone(zoneinfo.ZoneInfo(ZONE)):%Y-%m-%d %H:%M} {ZONE}",
                           bool(right), f"matching by name: {found}"))
        if "memory" in expect:
            pattern = re.compile(expect["memory"], re.IGNORECASE)
            hits = [text for text in state["memories"] if pattern.search(text)]
            checks.append(("memory", f"turn {number}: {say}", bool(hits),
                           f"found: {hits[:2]}" if hits else
                           f"none of the {len(state['memories'])} memories matches: "
                           f"{[text[:60] for text in state['memories'][:3]]}"))
        if "document" in expect:
            cited = turn["turn_id"] in state["cited_turns"]
            checks.append(("document", f"turn {number}: {say}", cited,
                           "a search_documents result with the lease is stored in the turn"
                           if cited else "no stored search_documents result with the lease"))
    return checks


def wait_for_memories(urls, session, conversation, document_id, since, settle, longest):
    """Memory extraction runs after each turn, off the response path: waits until every memory
    check passes, or nothing new was stored for `settle` seconds, or `longest` passed."""
    started = last_change = time.monotonic()
    count = -1
    while True:
        state = state_from_apis(urls, session, conversation, document_id, since)
        wanted = [e["memory"] for _, _, e in SCRIPT if "memory" in e]
        if all(any(re.search(p, t, re.IGNORECASE) for t in state["memories"]) for p in wanted):
            return state
        if len(state["memories"]) != count:
            count, last_change = len(state["memories"]), time.monotonic()
        now = time.monotonic()
        if now - last_change >= settle or now - started >= longest:
            return state
        time.sleep(2)


def fmt_seconds(value):
    return "-" if value is None else f"{value:.2f} s"


def main():
    urls = {"auth": env("BENCH_AUTH_URL"), "agents": env("BENCH_AGENTS_URL"),
            "cron": env("BENCH_CRON_URL")}
    for name, url in urls.items():
        if not url:
            die(f"BENCH_{name.upper()}_URL is not set")
        urls[name] = url.rstrip("/")
    conninfo = env("BENCH_DB")
    timeout = float(env("TURN_TIMEOUT", "600"))
    since = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    session = Session(urls["auth"])
    log(f"signed up {session.email} ({session.user_id})")
    request("PATCH", f"{urls['agents']}/v1/profile", {"name": "Dana", "time_zone": ZONE},
            token=session.token())
    document = upload(urls["agents"], session.token(), DOCUMENT)
    deadline = time.monotonic() + 300
    while document["status"] not in ("ready", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        document = request("GET", f"{urls['agents']}/v1/documents/{document['id']}",
                           token=session.token())
    if document["status"] != "ready":
        die(f"the lease was not indexed: {document['status']} {document.get('error') or ''}")
    log(f"uploaded {document['filename']}: {document['chunks_total']} chunks, ready")
    conversation = request("POST", f"{urls['agents']}/v1/conversations", {},
                           token=session.token())["id"]

    turns = []
    for number, (kind, say, _) in enumerate(SCRIPT, 1):
        asked_at = dt.datetime.now(dt.timezone.utc)
        turn = run_turn(urls["agents"], session.token(), conversation, say, timeout)
        turn["asked_at"], turn["kind"], turn["say"] = asked_at, kind, say
        turn["loop"] = repeated_call(turn)
        turns.append(turn)
        tools = ",".join(c["name"] for c in turn["tool_calls"]) or "-"
        ending = turn["end"] if turn["end"] == "done" else f"ERROR {turn['error']}"
        loop = f" LOOP {turn['loop']}" if turn["loop"] else ""
        log(f"[{number:2}/{len(SCRIPT)}] {kind:<8} first text {fmt_seconds(turn['ttft']):>9}  "
            f"turn {fmt_seconds(turn['total']):>9}  {ending}{loop}  tools {tools}  "
            f"{turn['text'][:70]!r}")

    state = wait_for_memories(urls, session, conversation, document["id"], since,
                              float(env("MEMORY_SETTLE", "30")), float(env("MEMORY_WAIT", "600")))
    checks = score(state, turns)
    database = None
    if conninfo:
        try:
            db_checks = score(state_from_database(conninfo, session.user_id, conversation,
                                                  document["id"], since), turns)
            database = [c[2] for c in checks] == [c[2] for c in db_checks]
            if not database:
                for api, db in zip(checks, db_checks):
                    if api[2] != db[2]:
                        log(f"the database disagrees on {api[1]}: API {api[2]}, database {db[2]}")
        except RuntimeError as error:
            log(f"database check skipped: {error}")
    for kind, what, passed, detail in checks:
        if not passed:
            log(f"state missed: {kind} {what} ({detail})")

    # Times are over the turns that ended with an answer (`done`): a turn that fails at once is
    # no fast answer, and the errors have their own row. A turn with no text at all counts at
    # its full time: the person waited that long for nothing.
    answered = [t for t in turns if t["end"] == "done"]
    ttfts = [t["ttft"] if t["ttft"] is not None else t["total"] for t in answered]
    totals = [t["total"] for t in answered]
    silent = sum(t["ttft"] is None for t in answered)
    failed = [t for t in turns if t["end"] != "done"]
    loops = sum(t["loop"] is not None for t in turns)
    n = len(turns)
    rows = []

    def row(figure, value, aim="", met=None):
        rows.append((figure, value, aim, "" if met is None else ("met" if met else "MISSED")))

    def timing(figure, values, p, aim=None):
        value = percentile(values, p) if values else None
        if aim is None:
            row(figure, fmt_seconds(value))
        else:
            row(figure, fmt_seconds(value), f"< {aim:g} s", value is not None and value < aim)

    over = f"over the {len(answered)} turns answered"
    timing(f"time to first text, p50 ({over})", ttfts, 50)
    timing("time to first text, p95", ttfts, 95, AIMS["ttft_p95"])
    if silent:
        row("  answered without any text", f"{silent} (counted at their full time)")
    timing(f"turn time, p50 ({over})", totals, 50)
    timing("turn time, p95", totals, 95, AIMS["turn_p95"])
    codes = {}
    for t in failed:
        code = (t["error"] or "?").split(":")[0]
        codes[code] = codes.get(code, 0) + 1
    why = ", ".join(f"{count} {code}" for code, count in sorted(codes.items()))
    row("turns ending in an error", f"{len(failed)} of {n}" + (f" ({why})" if why else ""), "0",
        not failed)
    row("turns with a loop (a tool call repeated)", f"{loops} of {n}", "0", loops == 0)
    for kind, label in (("reminder", f"reminders at the right time in {ZONE}"),
                        ("memory", "memories stored"), ("document", "document cited in the turn")):
        mine = [c for c in checks if c[0] == kind]
        row(label, f"{sum(c[2] for c in mine)} of {len(mine)}")
    agreed = {None: "API only", True: "database agrees", False: "DATABASE DISAGREES"}[database]
    row("state score", f"{sum(c[2] for c in checks)} of {len(checks)} ({agreed})")

    print(f"\nCompanion bench: {n} turns in one conversation, person in {ZONE}")
    print(f"model {env('BENCH_MODEL', '?')}; {env('BENCH_BUILD', '?')}; "
          f"commit {env('BENCH_COMMIT', '?')}")
    print(f"load average {env('BENCH_LOAD_START', '?')} at the start, "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])} at the end, "
          f"on {os.cpu_count()} cores\n")
    widths = [max(len(r[i]) for r in rows + [("figure", "value", "aim", "")]) for i in range(4)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format("figure", "value", "aim", "").rstrip())
    print(line.format(*("-" * w for w in widths)).rstrip())
    for r in rows:
        print(line.format(*r).rstrip())

    results = env("RESULTS")
    if results:
        with open(results, "w") as out:
            json.dump({"turns": [{k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                                  for k, v in t.items()} for t in turns],
                       "checks": [{"kind": c[0], "what": c[1], "passed": c[2], "detail": c[3]}
                                  for c in checks],
                       "database_agrees": database}, out, indent=1)
        log(f"every turn and check is in {results}")


if __name__ == "__main__":
    try:
        main()
    except RequestFailed as error:
        die(f"a request to Posey failed: {error}")
