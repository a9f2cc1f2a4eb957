// GET /feeds/<token>.ics: a calendar's private read-only feed, for calendar apps that subscribe by
// URL. Agents serves it at `/v1/feeds/<token>` without a session (the token is the key); the
// browser and calendar apps only know this app's origin (the services may not be reachable from
// outside), so the feed is passed through here, as the BFF passes everything else.

import { serviceUrl } from '@/lib/server/config';

export const dynamic = 'force-dynamic';

/** A token as agents makes them (32 random bytes, base64url), with or without `.ics`. */
const TOKEN = /^[A-Za-z0-9_-]{16,100}(\.ics)?$/;

const PASS_RESPONSE = ['content-type', 'content-disposition', 'cache-control', 'etag', 'last-modified'];

function notFound(): Response {
  return Response.json({ error: { code: 'not_found', message: 'No feed has this address (it may have been revoked).' } }, { status: 404 });
}

export async function GET(_request: Request, { params }: { params: Promise<{ token: string }> }): Promise<Response> {
  const { token } = await params;
  if (!TOKEN.test(token)) return notFound();
  let upstream: Response;
  try {
    upstream = await fetch(`${serviceUrl('agents')}/v1/feeds/${encodeURIComponent(token)}`, {
      headers: { accept: 'text/calendar' },
      cache: 'no-store',
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    return Response.json({ error: { code: 'service_unreachable', message: 'The calendar cannot be reached just now.' } }, { status: 502 });
  }
  if (upstream.status === 404) return notFound();
  const headers = new Headers();
  for (const name of PASS_RESPONSE) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // Not for search engines; the URL is a secret.
  headers.set('x-robots-tag', 'noindex');
  return new Response(upstream.body, { status: upstream.status, headers });
}
