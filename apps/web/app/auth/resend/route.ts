// POST /auth/resend: the sign-up confirmation again (a new link and code; the PKCE verifier too).

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
  const result = await callAuth<unknown>('/resend', {
    query: { redirect_to: `${ctx.origin}/auth/callback` },
    body: { type: 'signup', email, code_challenge: challengeOf(verifier), code_challenge_method: 's256' },
  });
  if (!result.ok) return seeOther(ctx, withQuery('/check-email', { email, purpose: 'signup', error: result.code }));
  const pkce = tokenCookie(ctx.names.pkce, encodePkce({ v: verifier, next: '/chat' }), PKCE_MAX_AGE);
  return seeOther(ctx, withQuery('/check-email', { email, purpose: 'signup', notice: 'sent_again' }), [pkce]);
}
