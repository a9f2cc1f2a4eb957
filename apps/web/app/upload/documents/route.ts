// POST /upload/documents: a document upload, streamed to agents' `/v1/documents`. Kept out of the
// proxy (which would buffer the body), so it checks the origin and refreshes the session itself.

import { refreshGrant } from '@/lib/server/auth-api';
import { sessionCookies } from '@/lib/server/cookies';
import { forward } from '@/lib/server/forward';
import { needsRefresh } from '@/lib/server/jwt';
import { singleFlight } from '@/lib/server/refresh';
import { requestContext } from '@/lib/server/session';

export const dynamic = 'force-dynamic';

const refreshOnce = singleFlight((token) => refreshGrant(token));

export async function POST(request: Request): Promise<Response> {
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
  const response = await forward(request, ctx, 'agents', ['v1', 'documents'], token);
  for (const cookie of setCookies) response.headers.append('set-cookie', cookie);
  return response;
}
