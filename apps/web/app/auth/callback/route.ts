// GET /auth/callback: where an email link lands (through auth's /verify). The code is exchanged
// with this browser's PKCE verifier; without it (another browser), the address is confirmed all
// the same and the person signs in here.

import { callAuth, isSession, type SessionAnswer } from '@/lib/server/auth-api';
import { parseCookies, sessionCookies, tokenCookie } from '@/lib/server/cookies';
import { decodePkce } from '@/lib/server/pkce';
import { seeOther, withQuery } from '@/lib/server/respond';
import { safeNext } from '@/lib/server/routes';
import { requestContext } from '@/lib/server/session';

export async function GET(request: Request) {
  const ctx = requestContext(request);
  const url = new URL(request.url);
  const pkce = decodePkce(parseCookies(request.headers.get('cookie')).get(ctx.names.pkce));
  const clearPkce = tokenCookie(ctx.names.pkce, '', 0);
  const errorCode = url.searchParams.get('error_code');
  if (errorCode) return seeOther(ctx, withQuery('/sign-in', { error: errorCode }), [clearPkce]);
  const code = url.searchParams.get('code');
  if (!code) return seeOther(ctx, '/sign-in', [clearPkce]);
  if (!pkce) return seeOther(ctx, withQuery('/sign-in', { notice: 'confirmed_elsewhere' }));
  const result = await callAuth<SessionAnswer>('/token', {
    query: { grant_type: 'pkce' },
    body: { auth_code: code, code_verifier: pkce.v },
    userAgent: request.headers.get('user-agent'),
  });
  if (result.ok && isSession(result.value)) {
    return seeOther(ctx, safeNext(pkce.next), [...sessionCookies(ctx.names, result.value), clearPkce]);
  }
  return seeOther(ctx, withQuery('/sign-in', { error: result.ok ? 'unexpected_failure' : result.code }), [clearPkce]);
}
