// Same-origin `/api/<service>/<path>` → the service, with the session's bearer token. Bodies are
// streamed both ways: uploads are not buffered and server-sent events arrive as they are sent.

import { isService, serviceUrl, type Service } from './config';
import { clearedSessionCookies } from './cookies';
import { checkCsrf, csrfRefusal } from './csrf';
import type { RequestContext } from './session';

/** Request headers passed on; the browser's cookies and anything hop-by-hop stay here. */
const PASS_REQUEST = ['accept', 'content-type', 'last-event-id', 'idempotency-key', 'if-none-match', 'if-match'];
/** Response headers passed back. */
const PASS_RESPONSE = ['content-type', 'content-disposition', 'retry-after', 'etag', 'last-modified'];

/**
 * Auth routes the browser may reach through the BFF: the account, its sessions and app passwords
 * (calendar sync), and the owner's install status and invites — nothing that mints tokens. An
 * app password's secret is shown to the person who made it, once; it signs in only over CalDAV. The admin routes go with the
 * person's own token, so auth's role check decides (a non-admin gets its 403).
 */
export function authPathAllowed(path: string[], method: string): boolean {
  if (path.length === 1 && path[0] === 'user') return method === 'GET' || method === 'PUT';
  if (path.length === 1 && path[0] === 'sessions') return method === 'GET';
  if (path.length === 2 && path[0] === 'sessions') return method === 'DELETE';
  if (path.length === 1 && path[0] === 'invite') return method === 'POST';
  if (path.length === 1 && path[0] === 'app-passwords') return method === 'GET' || method === 'POST';
  if (path.length === 2 && path[0] === 'app-passwords') return method === 'DELETE';
  if (path.length === 2 && path[0] === 'admin' && path[1] === 'status') return method === 'GET';
  if (path.length === 2 && path[0] === 'admin' && path[1] === 'invites') return method === 'GET';
  if (path.length === 3 && path[0] === 'admin' && path[1] === 'invites') return method === 'DELETE';
  return false;
}

function problem(status: number, code: string, message: string, extra?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers: extra });
}

export async function forward(
  request: Request,
  ctx: RequestContext,
  serviceName: string,
  path: string[],
  token?: string,
): Promise<Response> {
  const method = request.method.toUpperCase();
  const csrf = checkCsrf(method, request.headers, ctx.origin);
  if (!csrf.ok) return csrfRefusal(csrf.reason);
  if (!isService(serviceName)) return problem(404, 'not_found', `There is no service ${JSON.stringify(serviceName)}.`);
  const service: Service = serviceName;
  if (path.some((segment) => segment === '.' || segment === '..' || segment === '')) {
    return problem(400, 'bad_path', 'The path may not contain empty, "." or ".." segments.');
  }
  if (service === 'auth' && !authPathAllowed(path, method)) {
    return problem(404, 'not_found', 'That auth route is not available here.');
  }
  const bearer = token ?? ctx.accessToken;
  if (!bearer) return problem(401, 'signed_out', 'Sign in first.');

  const target = `${serviceUrl(service)}/${path.map(encodeURIComponent).join('/')}${new URL(request.url).search}`;
  const headers = new Headers({ authorization: `Bearer ${bearer}` });
  for (const name of PASS_REQUEST) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const hasBody = !['GET', 'HEAD'].includes(method) && request.body !== null;
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method,
      headers,
      body: hasBody ? request.body : undefined,
      // Node's fetch streams a request body only in half-duplex mode.
      ...(hasBody ? { duplex: 'half' } : {}),
      redirect: 'manual',
      cache: 'no-store',
      // The browser leaving (a stopped chat, a closed tab) ends the upstream request too.
      signal: request.signal,
    } as RequestInit);
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    return problem(502, 'service_unreachable', `The ${service} service cannot be reached (${String(error)}).`);
  }

  const out = new Headers({ 'cache-control': 'no-store' });
  for (const name of PASS_RESPONSE) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  if ((upstream.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    // `no-transform` keeps compression (which buffers) off; proxies are asked not to buffer.
    out.set('cache-control', 'no-cache, no-transform');
    out.set('x-accel-buffering', 'no');
  }
  if (upstream.status === 401 && service === 'auth') {
    // Auth itself refused the token: the session is over here too.
    for (const cookie of clearedSessionCookies(ctx.names)) out.append('set-cookie', cookie);
  }
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}
