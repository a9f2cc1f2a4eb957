// POST /auth/email-code: emails a sign-in link and a six-digit code (no account is created here;
// the answer is the same whether or not the address has one).

import { callAuth } from '@/lib/server/auth-api';
import { PKCE_MAX_AGE, tokenCookie } from '@/lib/server/cookies';
import { challengeOf, encodePkce, newVerifier } from '@/lib/server/pkce';
import { readForm, seeOther, withQuery } from '@/lib/server/respond';
import { safeNext } from '@/lib/server/routes';

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  const email = (form.email ?? '').trim();
  const verifier = newVerifier();
  const result = await callAuth<unknown>('/otp', {
    query: { redirect_to: `${ctx.origin}/auth/callback` },
    body: { email, create_user: false, code_challenge: challengeOf(verifier), code_challenge_method: 's256' },
  });
  if (!result.ok) return seeOther(ctx, withQuery('/sign-in/code', { error: result.code, email }));
  const pkce = tokenCookie(ctx.names.pkce, encodePkce({ v: verifier, next: safeNext(form.next) }), PKCE_MAX_AGE);
  return seeOther(ctx, withQuery('/check-email', { email, purpose: 'email' }), [pkce]);
}
