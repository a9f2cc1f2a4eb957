// The key-value store for what is not secret (servers, settings, the offline cache):
// AsyncStorage in the app, an in-memory one in tests. Tokens never go here.

export interface KeyValue {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

export async function readJson<T>(kv: KeyValue, key: string, fallback: T): Promise<T> {
  const raw = await kv.getItem(key);
  if (raw === null) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

export function writeJson(kv: KeyValue, key: string, value: unknown): Promise<void> {
  return kv.setItem(key, JSON.stringify(value));
}
