// POST /auth/invite: the invitee picks a password on the invite page; auth's /signup takes the
// invite's token (it proves the address, so no email round trip) and answers a session.

import { callAuth, isSession } from '@/lib/server/auth-api';
import { sessionCookies } from '@/lib/server/cookies';
import { readForm, seeOther, withQuery } from '@/lib/server/respond';

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  const token = (form.token_hash ?? '').trim();
  const email = (form.email ?? '').trim();
  const name = (form.name ?? '').trim();
  const password = form.password ?? '';
  const back = (error: string) => seeOther(ctx, withQuery('/invite', { token_hash: token, email, name, error }));
  if (!token) return back('invite_invalid');
  if (form.confirm !== undefined && form.confirm !== password) return back('password_mismatch');
  const result = await callAuth<unknown>('/signup', {
    body: { email, password, data: name ? { name } : {}, invite_token: token },
    userAgent: request.headers.get('user-agent'),
  });
  if (!result.ok) {
    // A used, withdrawn or expired invite: its own message (the generic one says "ask for a new code").
    return back(result.code === 'otp_expired' ? 'invite_invalid' : result.code);
  }
  if (!isSession(result.value)) return back('invite_invalid');
  return seeOther(ctx, '/chat', sessionCookies(ctx.names, result.value));
}
