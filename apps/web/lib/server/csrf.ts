// Cross-site request forgery: a mutating request must come from a page of this origin. Browsers
// send `Sec-Fetch-Site` (and `Origin` on every POST); a request that proves neither is refused.

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export type CsrfVerdict = { ok: true } | { ok: false; reason: string };

export function checkCsrf(method: string, headers: Headers, origin: string): CsrfVerdict {
  if (SAFE.has(method.toUpperCase())) return { ok: true };
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') {
    return { ok: false, reason: `a ${site} request may not change anything here` };
  }
  const from = headers.get('origin');
  if (from === null) {
    if (site === 'same-origin') return { ok: true };
    return { ok: false, reason: 'the request has no Origin header' };
  }
  if (from !== origin) return { ok: false, reason: `requests from ${from} are refused` };
  return { ok: true };
}

export function csrfRefusal(reason: string): Response {
  return Response.json(
    { error: { code: 'cross_site_request', message: `Refused: ${reason}.` } },
    { status: 403 },
  );
}
