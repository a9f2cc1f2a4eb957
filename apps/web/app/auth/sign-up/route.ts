// POST /auth/sign-up: creates the account; auth emails a confirmation link (PKCE, so the link
// signs in only this browser) and a code. With confirmations off, the session starts at once.

import { callAuth, isSession } from '@/lib/server/auth-api';
import { PKCE_MAX_AGE, sessionCookies, tokenCookie } from '@/lib/server/cookies';
import { challengeOf, encodePkce, newVerifier } from '@/lib/server/pkce';
import { readForm, seeOther, withQuery } from '@/lib/server/respond';

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  const email = (form.email ?? '').trim();
  const name = (form.name ?? '').trim();
  const password = form.password ?? '';
  if (form.confirm !== undefined && form.confirm !== password) {
    return seeOther(ctx, withQuery('/sign-up', { error: 'password_mismatch', email, name }));
  }
  const verifier = newVerifier();
  const result = await callAuth<unknown>('/signup', {
    query: { redirect_to: `${ctx.origin}/auth/callback` },
    body: {
      email,
      password,
      data: name ? { name } : {},
      code_challenge: challengeOf(verifier),
      code_challenge_method: 's256',
    },
    userAgent: request.headers.get('user-agent'),
  });
  if (!result.ok) return seeOther(ctx, withQuery('/sign-up', { error: result.code, email, name }));
  if (isSession(result.value)) return seeOther(ctx, '/chat', sessionCookies(ctx.names, result.value));
  const pkce = tokenCookie(ctx.names.pkce, encodePkce({ v: verifier, next: '/chat' }), PKCE_MAX_AGE);
  return seeOther(ctx, withQuery('/check-email', { email, purpose: 'signup' }), [pkce]);
}
