// Signing out through the bridge: done, or (the keyring keeping the session) what the sign-in
// page tells the person. The bridge is a stand-in here; its store's refusal is tested in Rust.

import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.hoisted(() => vi.fn());
vi.mock('@tauri-apps/api/core', () => ({ invoke }));

import { signOut } from '../src/bridge';

beforeEach(() => {
  invoke.mockReset();
});

describe('signOut', () => {
  it('has nothing to say when the session is forgotten', async () => {
    invoke.mockResolvedValue(null);
    expect(await signOut()).toBeNull();
    expect(invoke).toHaveBeenCalledWith('sign_out', undefined);
  });

  it('says so when the keyring kept the session', async () => {
    invoke.mockRejectedValue({ status: 0, code: 'keyring', message: 'the keyring refused: SecretService: the collection is locked' });
    expect(await signOut()).toBe('Signed out, but this device could not forget the session: the keyring refused: SecretService: the collection is locked');
  });
});
