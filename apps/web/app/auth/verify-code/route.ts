// POST /auth/verify-code: the six-digit code from an email (sign-up, sign-in or recovery) with the
// address it went to → session cookies. Works on any device, unlike the PKCE link.

import { callAuth, isSession, type SessionAnswer } from '@/lib/server/auth-api';
import { sessionCookies, tokenCookie } from '@/lib/server/cookies';
import { readForm, seeOther, withQuery } from '@/lib/server/respond';

const TYPES: Record<string, { type: string; next: string }> = {
  signup: { type: 'email', next: '/chat' },
  email: { type: 'email', next: '/chat' },
  recovery: { type: 'recovery', next: '/reset-password' },
};

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  const email = (form.email ?? '').trim();
  const purpose = TYPES[form.purpose ?? ''] ? (form.purpose as string) : 'email';
  const { type, next } = TYPES[purpose];
  const code = (form.code ?? '').replace(/\s+/g, '');
  const result = await callAuth<SessionAnswer>('/verify', {
    body: { type, email, token: code },
    userAgent: request.headers.get('user-agent'),
  });
  if (result.ok && isSession(result.value)) {
    return seeOther(ctx, next, [...sessionCookies(ctx.names, result.value), tokenCookie(ctx.names.pkce, '', 0)]);
  }
  const error = result.ok ? 'unexpected_failure' : result.code;
  return seeOther(ctx, withQuery('/check-email', { email, purpose, error }));
}
