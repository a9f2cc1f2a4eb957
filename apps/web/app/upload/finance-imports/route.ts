// POST /upload/finance-imports?account_id=&format=&mapping_id=&preset=: a bank file (OFX, QFX,
// CAMT.053 or CSV, sent as its raw bytes), streamed to agents' `POST /v1/finance/imports` with
// the query as given; the answer is the import's preview. Kept out of the proxy like
// /upload/documents (which would buffer the body, and caps it), so it checks the origin and
// refreshes the session itself.

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
  const response = await forward(request, ctx, 'agents', ['v1', 'finance', 'imports'], token);
  for (const cookie of setCookies) response.headers.append('set-cookie', cookie);
  return response;
}
