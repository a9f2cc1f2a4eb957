// The app's own settings (not secret), in the plain key-value store.

import { type KeyValue, readJson, writeJson } from './kv';

export interface Settings {
  /** Ask for the fingerprint or face before showing anything when the app opens. */
  biometricUnlock: boolean;
}

const KEY = 'posey.settings';
const DEFAULTS: Settings = { biometricUnlock: false };

export async function loadSettings(kv: KeyValue): Promise<Settings> {
  return { ...DEFAULTS, ...(await readJson<Partial<Settings>>(kv, KEY, {})) };
}

export function saveSettings(kv: KeyValue, settings: Settings): Promise<void> {
  return writeJson(kv, KEY, settings);
}
