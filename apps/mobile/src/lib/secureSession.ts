// The SDK's `Storage` over the platform's secure store (the Keychain on iOS, the Keystore on
// Android, through expo-secure-store). The session (with its refresh token) is kept there and
// nowhere else. A secure-store value may hold about 2 KB, and a session with its user is larger,
// so values are split over `<key>.<n>` entries with `<key>` holding the count.

import type { SecureStoreLike, Storage } from '@posey/sdk';

/** Bytes per entry, under expo-secure-store's 2048 (ASCII: a session is JSON of ASCII tokens). */
export const CHUNK_CHARS = 1_800;
const HEAD = 'chunks:';
const MAX_CHUNKS = 32;

/** Secure-store keys may hold only letters, digits, `.`, `-` and `_`. */
export function secureKey(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function secureSessionStorage(store: SecureStoreLike): Storage {
  async function count(key: string): Promise<number> {
    const head = await store.getItemAsync(key);
    if (head === null || !head.startsWith(HEAD)) return 0;
    const n = Number(head.slice(HEAD.length));
    return Number.isInteger(n) && n > 0 && n <= MAX_CHUNKS ? n : 0;
  }

  return {
    async get(name) {
      const key = secureKey(name);
      const head = await store.getItemAsync(key);
      if (head === null || !head.startsWith(HEAD)) return head;
      const n = await count(key);
      let value = '';
      for (let i = 0; i < n; i++) {
        const part = await store.getItemAsync(`${key}.${i}`);
        // A missing piece (a write cut short): the session is unusable, as if signed out.
        if (part === null) return null;
        value += part;
      }
      return n > 0 ? value : null;
    },

    async set(name, value) {
      const key = secureKey(name);
      const before = await count(key);
      const parts: string[] = [];
      for (let i = 0; i < value.length; i += CHUNK_CHARS) parts.push(value.slice(i, i + CHUNK_CHARS));
      if (parts.length > MAX_CHUNKS) throw new Error(`a value of ${value.length} characters is too long for the secure store`);
      if (parts.length <= 1 && !value.startsWith(HEAD)) {
        await store.setItemAsync(key, value);
      } else {
        // The pieces first, the count last: a reader never sees a count whose pieces are not there.
        for (const [i, part] of parts.entries()) await store.setItemAsync(`${key}.${i}`, part);
        await store.setItemAsync(key, `${HEAD}${parts.length}`);
      }
      const now = parts.length <= 1 && !value.startsWith(HEAD) ? 0 : parts.length;
      for (let i = now; i < before; i++) await store.deleteItemAsync(`${key}.${i}`);
    },

    async remove(name) {
      const key = secureKey(name);
      const n = await count(key);
      await store.deleteItemAsync(key);
      for (let i = 0; i < n; i++) await store.deleteItemAsync(`${key}.${i}`);
    },
  };
}

/**
 * A secure store held in this process only: the web export's, where no platform store exists
 * (a browser's storage is readable by any script on the page). Signing in again after a reload
 * is the price.
 */
export function memorySecureStore(): SecureStoreLike & { keys: () => string[] } {
  const values = new Map<string, string>();
  return {
    getItemAsync: (key) => Promise.resolve(values.get(key) ?? null),
    setItemAsync: (key, value) => {
      values.set(key, value);
      return Promise.resolve();
    },
    deleteItemAsync: (key) => {
      values.delete(key);
      return Promise.resolve();
    },
    keys: () => [...values.keys()],
  };
}
