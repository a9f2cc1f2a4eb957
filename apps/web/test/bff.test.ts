// The BFF's own logic: cookie attributes, the same-origin check, and the single-flight refresh.

import { describe, expect, it, vi } from 'vitest';

import { cookieNames, parseCookies, sessionCookies, tokenCookie, withCookies } from '@/lib/server/cookies';
import { checkCsrf } from '@/lib/server/csrf';
import { needsRefresh } from '@/lib/server/jwt';
import { singleFlight, type RefreshOutcome } from '@/lib/server/refresh';
import { safeNext } from '@/lib/server/routes';

const ORIGIN = 'http://localhost:3000';

function jwt(claims: object): string {
  return `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
}

describe('cookies', () => {
  it('are HttpOnly, Secure, SameSite=Lax and host-only on every path', () => {
    const cookie = tokenCookie('posey-at', 'a.b.c', 3600);
    expect(cookie).toBe('posey-at=a.b.c; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax');
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it('get the __Host- prefix over HTTPS only', () => {
    expect(cookieNames(true).access).toBe('__Host-posey-at');
    expect(cookieNames(false).access).toBe('posey-at');
  });

  it('store both tokens, the refresh token for the session lifetime', () => {
    const [access, refresh] = sessionCookies(cookieNames(true), { access_token: 'A', refresh_token: 'R', expires_in: 60 });
    expect(access).toMatch(/^__Host-posey-at=A;.*Max-Age=60;.*HttpOnly/);
    expect(refresh).toMatch(/^__Host-posey-rt=R;.*Max-Age=2592000;.*HttpOnly/);
  });

  it('round-trip through a Cookie header with changes applied', () => {
    const header = withCookies('a=1; posey-at=old; b=x%3By', { 'posey-at': 'new', a: null });
    expect(parseCookies(header)).toEqual(new Map([['posey-at', 'new'], ['b', 'x;y']]));
  });
});

describe('csrf', () => {
  const h = (init: Record<string, string>) => new Headers(init);

  it('lets reads through from anywhere', () => {
    expect(checkCsrf('GET', h({ 'sec-fetch-site': 'cross-site' }), ORIGIN).ok).toBe(true);
  });

  it('accepts a same-origin write', () => {
    expect(checkCsrf('POST', h({ origin: ORIGIN, 'sec-fetch-site': 'same-origin' }), ORIGIN).ok).toBe(true);
    expect(checkCsrf('DELETE', h({ origin: ORIGIN }), ORIGIN).ok).toBe(true);
  });

  it('refuses a cross-site, same-site or origin-less write', () => {
    expect(checkCsrf('POST', h({ origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' }), ORIGIN)).toMatchObject({ ok: false });
    expect(checkCsrf('POST', h({ origin: 'http://localhost:3001', 'sec-fetch-site': 'same-site' }), ORIGIN)).toMatchObject({ ok: false });
    expect(checkCsrf('POST', h({ origin: 'https://evil.test' }), ORIGIN)).toMatchObject({ ok: false });
    expect(checkCsrf('PATCH', h({}), ORIGIN)).toMatchObject({ ok: false });
    // A browser's top-level form POST from another site says `cross-site` even with no Origin.
    expect(checkCsrf('POST', h({ 'sec-fetch-site': 'cross-site' }), ORIGIN)).toMatchObject({ ok: false });
  });
});

describe('refresh timing', () => {
  it('refreshes a missing, unreadable or nearly expired token only', () => {
    const now = 1_000_000;
    expect(needsRefresh(undefined, now)).toBe(true);
    expect(needsRefresh('garbage', now)).toBe(true);
    expect(needsRefresh(jwt({ exp: now + 30 }), now)).toBe(true);
    expect(needsRefresh(jwt({ exp: now + 3600 }), now)).toBe(false);
  });
});

describe('single-flight refresh', () => {
  /** An auth service whose refresh tokens work once, as Posey's do (outside the reuse window). */
  function singleUseAuth() {
    let generation = 0;
    const live = new Set(['R0']);
    const calls: string[] = [];
    const refresh = vi.fn(async (token: string): Promise<RefreshOutcome> => {
      calls.push(token);
      await new Promise((r) => setTimeout(r, 5));
      if (!live.delete(token)) return { kind: 'invalid', message: 'Invalid Refresh Token: Already Used' };
      generation += 1;
      const next = `R${generation}`;
      live.add(next);
      return { kind: 'ok', tokens: { access_token: `A${generation}`, refresh_token: next, expires_in: 3600 } };
    });
    return { refresh, calls };
  }

  it('makes one call for parallel requests with one token, and all of them stay signed in', async () => {
    const auth = singleUseAuth();
    const once = singleFlight(auth.refresh);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => once('R0')));
    expect(auth.refresh).toHaveBeenCalledTimes(1);
    for (const outcome of outcomes) expect(outcome).toMatchObject({ kind: 'ok', tokens: { refresh_token: 'R1' } });
  });

  it('answers a late request with the old token from memory instead of spending it again', async () => {
    let t = 0;
    const auth = singleUseAuth();
    const once = singleFlight(auth.refresh, 30_000, () => t);
    await once('R0');
    t += 10_000;
    expect(await once('R0')).toMatchObject({ kind: 'ok', tokens: { refresh_token: 'R1' } });
    expect(auth.calls).toEqual(['R0']);
    t += 30_001;
    // Past the window the token is asked about again (and auth says it is spent).
    expect(await once('R0')).toMatchObject({ kind: 'invalid' });
  });

  it('without it, the second of two parallel refreshes is refused', async () => {
    const auth = singleUseAuth();
    const [a, b] = await Promise.all([auth.refresh('R0'), auth.refresh('R0')]);
    expect([a.kind, b.kind].sort()).toEqual(['invalid', 'ok']);
  });

  it('does not remember a failure that may pass', async () => {
    let fail = true;
    const refresh = vi.fn(async (): Promise<RefreshOutcome> =>
      fail ? { kind: 'unavailable', message: 'down' } : { kind: 'ok', tokens: { access_token: 'A', refresh_token: 'R', expires_in: 1 } },
    );
    const once = singleFlight(refresh);
    expect(await once('R0')).toMatchObject({ kind: 'unavailable' });
    fail = false;
    await new Promise((r) => setTimeout(r, 0));
    expect(await once('R0')).toMatchObject({ kind: 'ok' });
  });
});

describe('next', () => {
  it('keeps only same-site paths', () => {
    expect(safeNext('/memory?q=1')).toBe('/memory?q=1');
    expect(safeNext('//evil.test/')).toBe('/chat');
    expect(safeNext('/\\evil.test')).toBe('/chat');
    expect(safeNext('https://evil.test')).toBe('/chat');
    expect(safeNext('/api/agents/v1/memories')).toBe('/chat');
  });
});
