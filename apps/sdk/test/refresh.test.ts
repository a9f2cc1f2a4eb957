// Single-flight refresh against the real auth service: however many callers find the access
// token expired at once, one refresh request is made. The requests are counted by a fetch that
// passes everything through to auth (an observation, not a stand-in).

import { describe, expect, it } from 'vitest';

import { type AuthEvent, MemoryStorage, type Session } from '../src/index.js';
import { authClient, countingFetch, newPerson } from './support.js';

const KEY = 'posey.auth.session';

/** `session` as a client that has held it past its expiry would have it stored. */
function expired(session: Session): string {
  return JSON.stringify({ ...session, expires_at: Math.floor(Date.now() / 1000) - 5 });
}

const isRefresh = (call: { method: string; url: string }) =>
  call.method === 'POST' && call.url.includes('/token?grant_type=refresh_token');

describe('refresh', () => {
  it('makes one refresh for ten parallel getSession() calls with an expired token', async () => {
    const storage = new MemoryStorage();
    const { fetch, calls } = countingFetch();
    const { auth, session } = await newPerson(authClient({ storage, fetch }));
    storage.set(KEY, expired(session));
    const events: AuthEvent[] = [];
    auth.onAuthStateChange((e) => events.push(e));
    calls.length = 0;

    const sessions = await Promise.all(Array.from({ length: 10 }, () => auth.getSession()));

    expect(calls.filter(isRefresh)).toHaveLength(1);
    expect(calls).toHaveLength(1);
    const tokens = new Set(sessions.map((s) => s?.access_token));
    expect(tokens.size).toBe(1);
    const fresh = sessions[0]!;
    expect(fresh.refresh_token).not.toBe(session.refresh_token);
    expect(fresh.expires_at).toBeGreaterThan(Date.now() / 1000 + 60);
    expect(JSON.parse(storage.get(KEY) ?? 'null')).toEqual(fresh);
    expect(events).toEqual(['TOKEN_REFRESHED']);
    // The new token works, and no further refresh is needed for it.
    expect((await auth.getUser()).id).toBe(session.user.id);
    expect(calls.filter(isRefresh)).toHaveLength(1);
  });

  it('refreshes once for several clients holding the same refresh token', async () => {
    // A server answering parallel requests of one browser: each request has its own client and
    // its own copy of the session (from the same cookie).
    const { session } = await newPerson();
    const { fetch, calls } = countingFetch();
    const storages = Array.from({ length: 5 }, () => new MemoryStorage());
    for (const s of storages) s.set(KEY, expired(session));
    const clients = storages.map((storage) => authClient({ storage, fetch }));

    const sessions = await Promise.all(clients.map((c) => c.getSession()));

    expect(calls.filter(isRefresh)).toHaveLength(1);
    expect(new Set(sessions.map((s) => s?.refresh_token)).size).toBe(1);
    // Every client stored the successor, as each request would set its cookie.
    for (const s of storages) {
      const stored = JSON.parse(s.get(KEY) ?? 'null') as Session | null;
      expect(stored?.refresh_token).toBe(sessions[0]?.refresh_token);
    }
  });

  it('does not refresh a token that is still valid', async () => {
    const { fetch, calls } = countingFetch();
    const { auth, session } = await newPerson(authClient({ fetch }));
    calls.length = 0;
    const again = await Promise.all([auth.getSession(), auth.getSession()]);
    expect(again).toEqual([session, session]);
    expect(calls).toHaveLength(0);
  });

  it('signs out when auth refuses the refresh token (the session was ended)', async () => {
    const storage = new MemoryStorage();
    const { auth, session } = await newPerson(authClient({ storage }));
    // Another holder of the same session ends it at auth.
    const other = authClient();
    await other.setSession(session);
    await other.signOut('local');
    storage.set(KEY, expired(session));
    const events: AuthEvent[] = [];
    auth.onAuthStateChange((e) => events.push(e));

    const results = await Promise.all([auth.getSession(), auth.getSession(), auth.getSession()]);

    expect(results).toEqual([null, null, null]);
    expect(storage.get(KEY)).toBeNull();
    expect(events).toEqual(['SIGNED_OUT']);
  });
});
