// POST /auth/sign-out: ends this session (or, with `scope=global`, every one) and clears the cookies.

import { callAuth } from '@/lib/server/auth-api';
import { clearedSessionCookies } from '@/lib/server/cookies';
import { readForm, seeOther } from '@/lib/server/respond';

export async function POST(request: Request) {
  const read = await readForm(request);
  if (read instanceof Response) return read;
  const { ctx, form } = read;
  if (ctx.accessToken) {
    const scope = form.scope === 'global' ? 'global' : 'local';
    // Whatever auth says, this browser is signed out: its cookies go.
    await callAuth('/logout', { method: 'POST', query: { scope }, token: ctx.accessToken });
  }
  return seeOther(ctx, '/sign-in?notice=signed_out', clearedSessionCookies(ctx.names));
}
