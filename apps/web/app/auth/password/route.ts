// POST /auth/password: sets a new password for the signed-in person (from settings or after a
// recovery link). Auth ends every other session of the person.

import { callAuth } from '@/lib/server/auth-api';
import { readForm, seeOther, withQuery } from '@/lib/server/respond';

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  const back = form.from === 'reset' ? '/reset-password' : '/settings';
  if (!ctx.accessToken) return seeOther(ctx, withQuery('/sign-in', { notice: 'session_ended' }));
  if ((form.password ?? '') !== (form.confirm ?? '')) {
    return seeOther(ctx, withQuery(back, { error: 'password_mismatch' }));
  }
  const result = await callAuth('/user', { method: 'PUT', body: { password: form.password }, token: ctx.accessToken });
  if (!result.ok) return seeOther(ctx, withQuery(back, { error: result.code }));
  return seeOther(ctx, withQuery(form.from === 'reset' ? '/chat' : '/settings', { notice: 'password_changed' }));
}
