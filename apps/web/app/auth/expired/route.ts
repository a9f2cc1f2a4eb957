// GET /auth/expired: a service refused the access token. If auth refuses it too (the session was
// revoked), the cookies are cleared and the person signs in again; otherwise nothing changes, so
// a link from elsewhere cannot sign anyone out.

import { callAuth } from '@/lib/server/auth-api';
import { clearedSessionCookies } from '@/lib/server/cookies';
import { seeOther, withQuery } from '@/lib/server/respond';
import { safeNext } from '@/lib/server/routes';
import { requestContext } from '@/lib/server/session';

export async function GET(request: Request) {
  const ctx = requestContext(request);
  const next = safeNext(new URL(request.url).searchParams.get('next'));
  if (ctx.accessToken) {
    const user = await callAuth('/user', { token: ctx.accessToken });
    if (user.ok || user.status >= 500) return seeOther(ctx, next);
  }
  return seeOther(ctx, withQuery('/sign-in', { notice: 'session_ended', next }), clearedSessionCookies(ctx.names));
}
