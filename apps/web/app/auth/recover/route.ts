// POST /auth/recover: emails a password-reset link and code; both lead to /reset-password signed in.

import { callAuth } from '@/lib/server/auth-api';
import { PKCE_MAX_AGE, tokenCookie } from '@/lib/server/cookies';
import { challengeOf, encodePkce, newVerifier } from '@/lib/server/pkce';
import { readForm, seeOther, withQuery } from '@/lib/server/respond';

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  const email = (form.email ?? '').trim();
  const verifier = newVerifier();
  const result = await callAuth<unknown>('/recover', {
    query: { redirect_to: `${ctx.origin}/auth/callback` },
    body: { email, code_challenge: challengeOf(verifier), code_challenge_method: 's256' },
  });
  if (!result.ok) return seeOther(ctx, withQuery('/forgot-password', { error: result.code, email }));
  const pkce = tokenCookie(ctx.names.pkce, encodePkce({ v: verifier, next: '/reset-password' }), PKCE_MAX_AGE);
  return seeOther(ctx, withQuery('/check-email', { email, purpose: 'recovery' }), [pkce]);
}
