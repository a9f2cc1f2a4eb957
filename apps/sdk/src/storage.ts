// Where the auth client keeps its session. Each host brings its own: memory (tests, scripts), a
// server-side cookie jar (the web app's BFF), the platform's secure store (mobile), the OS
// keyring behind an IPC bridge (desktop).

export interface Storage {
  get(key: string): Promise<string | null> | string | null;
  set(key: string, value: string): Promise<void> | void;
  remove(key: string): Promise<void> | void;
}

/** Kept in this process only. */
export class MemoryStorage implements Storage {
  private readonly values = new Map<string, string>();

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  set(key: string, value: string): void {
    this.values.set(key, value);
  }

  remove(key: string): void {
    this.values.delete(key);
  }
}

export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'lax' | 'strict' | 'none';
  path?: string;
  /** Seconds. */
  maxAge?: number;
  domain?: string;
}

/**
 * A request's cookies as a server framework exposes them; Next.js's `cookies()` fits as it is
 * (`get` answers `{ value }`). The jar encodes values for the header itself.
 */
export interface CookieJar {
  get(name: string): { value: string } | string | null | undefined;
  set(name: string, value: string, options: CookieOptions): void;
  delete(name: string): void;
}

/** Browsers keep at most about 4 KB per cookie: longer values are split over `<key>.<n>`. */
const CHUNK_BYTES = 3_500;
const CHUNKED = 'chunked:';
const MAX_CHUNKS = 16;

/**
 * The session in httpOnly cookies of a server-side jar: the browser holds them but scripts in
 * the page cannot read them. Values longer than a cookie can hold are split into chunks.
 */
export class CookieStorage implements Storage {
  private readonly options: CookieOptions;

  constructor(
    private readonly jar: CookieJar,
    options: CookieOptions = {},
  ) {
    this.options = {
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
      // Auth ends an idle session after 30 days by default; the cookie need not outlive it.
      maxAge: 30 * 24 * 3600,
      ...options,
    };
  }

  private read(name: string): string | null {
    const found = this.jar.get(name);
    if (found === null || found === undefined) return null;
    return typeof found === 'string' ? found : found.value;
  }

  get(key: string): string | null {
    const head = this.read(key);
    if (head === null || !head.startsWith(CHUNKED)) return head;
    const count = Number(head.slice(CHUNKED.length));
    if (!Number.isInteger(count) || count < 1 || count > MAX_CHUNKS) return null;
    let value = '';
    for (let i = 0; i < count; i++) {
      const part = this.read(`${key}.${i}`);
      // A missing chunk: the browser dropped one; the session is unusable.
      if (part === null) return null;
      value += part;
    }
    return value;
  }

  set(key: string, value: string): void {
    const chunks = splitForCookies(value);
    if (chunks.length > MAX_CHUNKS) throw new Error(`a value of ${value.length} characters is too long for cookies`);
    const before = this.chunkCount(key);
    if (chunks.length === 1) {
      this.jar.set(key, value, this.options);
    } else {
      chunks.forEach((chunk, i) => this.jar.set(`${key}.${i}`, chunk, this.options));
      this.jar.set(key, `${CHUNKED}${chunks.length}`, this.options);
    }
    const now = chunks.length === 1 ? 0 : chunks.length;
    for (let i = now; i < before; i++) this.jar.delete(`${key}.${i}`);
  }

  remove(key: string): void {
    const count = this.chunkCount(key);
    for (let i = 0; i < count; i++) this.jar.delete(`${key}.${i}`);
    this.jar.delete(key);
  }

  private chunkCount(key: string): number {
    const head = this.read(key);
    if (head === null || !head.startsWith(CHUNKED)) return 0;
    const count = Number(head.slice(CHUNKED.length));
    return Number.isInteger(count) ? Math.min(Math.max(count, 0), MAX_CHUNKS) : 0;
  }
}

/** Splits `value` so that each piece, percent-encoded as a cookie jar would, fits a cookie. */
function splitForCookies(value: string): string[] {
  if (encodeURIComponent(value).length <= CHUNK_BYTES) return [value];
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of value) {
    const cost = encodeURIComponent(ch).length;
    if (size + cost > CHUNK_BYTES) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += cost;
  }
  if (current) chunks.push(current);
  return chunks;
}

/** Expo's `expo-secure-store` (the Keychain on iOS, the Keystore on Android). */
export interface SecureStoreLike {
  getItemAsync(key: string): Promise<string | null>;
  setItemAsync(key: string, value: string): Promise<void>;
  deleteItemAsync(key: string): Promise<void>;
}

/** The platform's secure storage on mobile: `secureStoreStorage(SecureStore)`. */
export function secureStoreStorage(store: SecureStoreLike): Storage {
  return {
    get: (key) => store.getItemAsync(key),
    set: (key, value) => store.setItemAsync(key, value),
    remove: (key) => store.deleteItemAsync(key),
  };
}

/** Tauri's `invoke` (or any IPC call of the same shape). */
export type Invoke = (command: string, args: Record<string, unknown>) => Promise<unknown>;

/**
 * The OS keyring on desktop, kept by the native side and reached over IPC: the webview never
 * holds the secret at rest. `commands` names the native commands, each taking `{ key }` (and
 * `value` for `set`); `get` answers the string or null.
 */
export function ipcStorage(
  invoke: Invoke,
  commands: { get: string; set: string; remove: string } = {
    get: 'keyring_get',
    set: 'keyring_set',
    remove: 'keyring_delete',
  },
): Storage {
  return {
    async get(key) {
      const value = await invoke(commands.get, { key });
      return typeof value === 'string' ? value : null;
    },
    async set(key, value) {
      await invoke(commands.set, { key, value });
    },
    async remove(key) {
      await invoke(commands.remove, { key });
    },
  };
}
