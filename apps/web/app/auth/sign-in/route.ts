// POST /auth/sign-in: email and password → session cookies → the page the person wanted.

import { callAuth, isSession, type SessionAnswer } from '@/lib/server/auth-api';
import { sessionCookies } from '@/lib/server/cookies';
import { readForm, seeOther, withQuery } from '@/lib/server/respond';
import { safeNext } from '@/lib/server/routes';

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  const email = (form.email ?? '').trim();
  const next = safeNext(form.next);
  const result = await callAuth<SessionAnswer>('/token', {
    query: { grant_type: 'password' },
    body: { email, password: form.password ?? '' },
    userAgent: request.headers.get('user-agent'),
  });
  if (result.ok && isSession(result.value)) {
    return seeOther(ctx, next, sessionCookies(ctx.names, result.value));
  }
  const error = result.ok ? 'unexpected_failure' : result.code;
  if (error === 'email_not_confirmed') return seeOther(ctx, withQuery('/check-email', { email, purpose: 'signup', error }));
  return seeOther(ctx, withQuery('/sign-in', { error, email, next: form.next ? next : undefined }));
}
