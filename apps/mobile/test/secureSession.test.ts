// What the session storage keeps, and where: the session (with the refresh token) only in the
// secure store, in entries small enough for it; nothing secret in AsyncStorage, which the
// servers list, settings and the offline cache use.

import AsyncStorage from '@react-native-async-storage/async-storage';
import type { Session } from '@posey/sdk';

import { connect, sessionKey } from '../src/lib/connection';
import { CHUNK_CHARS, memorySecureStore, secureKey, secureSessionStorage } from '../src/lib/secureSession';
import { saveServers, type Server } from '../src/lib/servers';

const server: Server = { id: 'home1', name: 'Home', authUrl: 'http://127.0.0.1:9', agentsUrl: 'http://127.0.0.1:9', cronUrl: 'http://127.0.0.1:9' };

/** A session shaped as auth answers it, with tokens as long as real ones (JWTs of ~1 KB). */
function session(tag: string): Session {
  const token = (kind: string) => `${kind}.${tag}.${'x'.repeat(900)}`;
  return {
    access_token: token('access'),
    refresh_token: `refresh-${tag}-${'r'.repeat(40)}`,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    user: {
      id: '6f1c1b7e-1111-4222-8333-944444444444',
      aud: 'authenticated',
      role: 'authenticated',
      email: 'ada@example.test',
      phone: '',
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { name: 'Ada' },
      identities: [],
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      is_anonymous: false,
    },
  };
}

async function everythingInAsyncStorage(): Promise<string> {
  const keys = await AsyncStorage.getAllKeys();
  const pairs = await AsyncStorage.multiGet(keys);
  return pairs.map(([k, v]) => `${k}=${v}`).join('\n');
}

beforeEach(async () => {
  await AsyncStorage.clear();
});

describe('secureSessionStorage', () => {
  it('keeps a value larger than a secure-store entry in pieces that each fit, and reads it back whole', async () => {
    const store = memorySecureStore();
    const storage = secureSessionStorage(store);
    const value = 'v'.repeat(CHUNK_CHARS * 2 + 17);
    await storage.set('posey.session.home', value);
    expect(await storage.get('posey.session.home')).toBe(value);
    expect(store.keys().sort()).toEqual(['posey.session.home', 'posey.session.home.0', 'posey.session.home.1', 'posey.session.home.2']);
    for (const key of store.keys()) {
      const entry = (await store.getItemAsync(key)) ?? '';
      expect(new TextEncoder().encode(entry).length).toBeLessThanOrEqual(2048);
    }
  });

  it('drops the pieces a shorter value no longer needs, and every piece on remove', async () => {
    const store = memorySecureStore();
    const storage = secureSessionStorage(store);
    await storage.set('k', 'a'.repeat(CHUNK_CHARS * 3));
    await storage.set('k', 'b'.repeat(CHUNK_CHARS + 1));
    expect(store.keys().sort()).toEqual(['k', 'k.0', 'k.1']);
    expect(await storage.get('k')).toBe('b'.repeat(CHUNK_CHARS + 1));
    await storage.set('k', 'short');
    expect(store.keys()).toEqual(['k']);
    expect(await storage.get('k')).toBe('short');
    await storage.set('k', 'c'.repeat(CHUNK_CHARS * 2));
    await storage.remove('k');
    expect(store.keys()).toEqual([]);
    expect(await storage.get('k')).toBeNull();
  });

  it('reads a value whose pieces are missing (a write cut short) as nothing', async () => {
    const store = memorySecureStore();
    const storage = secureSessionStorage(store);
    await storage.set('k', 'a'.repeat(CHUNK_CHARS * 2));
    await store.deleteItemAsync('k.1');
    expect(await storage.get('k')).toBeNull();
  });

  it('stores a short value that looks like a piece count as pieces, so it reads back as itself', async () => {
    const storage = secureSessionStorage(memorySecureStore());
    await storage.set('k', 'chunks:3');
    expect(await storage.get('k')).toBe('chunks:3');
  });

  it('uses keys the secure store accepts', () => {
    expect(secureKey('posey.session.s1')).toBe('posey.session.s1');
    expect(secureKey('a b/c:d')).toBe('a_b_c_d');
  });
});

describe("a server's session", () => {
  it('is in the secure store with its refresh token, and nothing of it is in AsyncStorage', async () => {
    const secure = memorySecureStore();
    await saveServers(AsyncStorage, { servers: [server], activeId: server.id });
    const connection = connect(server, { secure, kv: AsyncStorage });
    const signedIn = session('one');
    await connection.auth.setSession(signedIn);
    // The app caches conversations for offline reading in AsyncStorage meanwhile.
    await connection.cache.saveConversations([{ id: 'c1', title: 'Groceries', agent: 'router', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' }]);

    const stored = await secureSessionStorage(secure).get(sessionKey(server));
    expect(JSON.parse(stored ?? '{}').refresh_token).toBe(signedIn.refresh_token);
    expect(await connection.auth.accessToken()).toBe(signedIn.access_token);
    expect(secure.keys().every((k) => k.startsWith(sessionKey(server)))).toBe(true);

    const plain = await everythingInAsyncStorage();
    expect(plain).toContain('Groceries');
    expect(plain).toContain(server.authUrl);
    expect(plain).not.toContain(signedIn.refresh_token);
    expect(plain).not.toContain(signedIn.access_token.slice(0, 40));
    expect(plain).not.toMatch(/refresh|access_token/);
  });

  it('is kept per server: signing in at work leaves the home session as it was', async () => {
    const secure = memorySecureStore();
    const work: Server = { ...server, id: 'work1', name: 'Work' };
    const home = connect(server, { secure, kv: AsyncStorage });
    const office = connect(work, { secure, kv: AsyncStorage });
    await home.auth.setSession(session('home'));
    await office.auth.setSession(session('work'));
    expect((await home.auth.getSession())?.refresh_token).toBe(session('home').refresh_token);
    expect((await office.auth.getSession())?.refresh_token).toBe(session('work').refresh_token);
  });
});
