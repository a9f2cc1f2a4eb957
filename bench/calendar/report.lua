-- wrk: one CalDAV REPORT, the same on every request. bench/calendar/run sets BODY_FILE (the XML
-- body), DEPTH and AUTHORIZATION (the whole header value).
local file = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "REPORT"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/xml; charset=utf-8"
wrk.headers["Depth"] = os.getenv("DEPTH") or "1"
wrk.headers["Authorization"] = os.getenv("AUTHORIZATION")
