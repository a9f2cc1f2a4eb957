// Uploads kept out of the proxy (which would buffer the body, and caps it): the route streams
// the request to a service itself, so it refreshes the session as the proxy would (one flight
// per refresh token across every upload route) and `forward` checks the origin.

import { refreshGrant } from '@/lib/server/auth-api';
import { sessionCookies } from '@/lib/server/cookies';
import { forward } from '@/lib/server/forward';
import { needsRefresh } from '@/lib/server/jwt';
import { singleFlight } from '@/lib/server/refresh';
import { requestContext } from '@/lib/server/session';

const refreshOnce = singleFlight((token) => refreshGrant(token));

/** Streams `request` (body and query) to agents' `path` with the session's token. */
export async function forwardUpload(request: Request, path: string[]): Promise<Response> {
  const ctx = requestContext(request);
  let token = ctx.accessToken;
  let setCookies: string[] = [];
  if (ctx.refreshToken && needsRefresh(token, Date.now() / 1000)) {
    const outcome = await refreshOnce(ctx.refreshToken);
    if (outcome.kind === 'ok') {
      token = outcome.tokens.access_token;
      setCookies = sessionCookies(ctx.names, outcome.tokens);
    }
  }
  const response = await forward(request, ctx, 'agents', path, token);
  for (const cookie of setCookies) response.headers.append('set-cookie', cookie);
  return response;
}
