// The biometric lock: with it on and a session stored, the app opens on the lock and shows
// nothing of the person's until the fingerprint or face matches. The OS prompt cannot run here,
// so expo-local-authentication answers as the OS would; the secure store is an in-memory one.

import AsyncStorage from '@react-native-async-storage/async-storage';
import { act, create, type ReactTestRenderer } from 'react-test-renderer';

import App from '../src/App';
import { sessionKey } from '../src/lib/connection';
import { secureSessionStorage } from '../src/lib/secureSession';
import type { Server } from '../src/lib/servers';

const mockAnswers: boolean[] = [];
const mockSecure = new Map<string, string>();

jest.mock('expo-local-authentication', () => ({
  hasHardwareAsync: () => Promise.resolve(true),
  isEnrolledAsync: () => Promise.resolve(true),
  authenticateAsync: () => Promise.resolve({ success: mockAnswers.shift() ?? false }),
}));
jest.mock('expo-secure-store', () => ({
  AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY: 0,
  getItemAsync: (k: string) => Promise.resolve(mockSecure.get(k) ?? null),
  setItemAsync: (k: string, v: string) => Promise.resolve(void mockSecure.set(k, v)),
  deleteItemAsync: (k: string) => Promise.resolve(void mockSecure.delete(k)),
}));

const server: Server = { id: 'home1', name: 'Home', authUrl: 'http://127.0.0.1:9', agentsUrl: 'http://127.0.0.1:9', cronUrl: 'http://127.0.0.1:9' };

function text(tree: ReactTestRenderer): string {
  return tree.root
    .findAll((n) => (n.type as unknown) === 'Text')
    .map((n) => n.props.children)
    .flat(Infinity)
    .filter((c: unknown) => typeof c === 'string')
    .join(' | ');
}

const settle = () => act(() => new Promise<void>((r) => setTimeout(r, 50)));

beforeEach(async () => {
  await AsyncStorage.clear();
  mockSecure.clear();
  await AsyncStorage.setItem('posey.servers', JSON.stringify({ servers: [server], activeId: server.id }));
  await AsyncStorage.setItem('posey.settings', JSON.stringify({ biometricUnlock: true }));
  const session = {
    access_token: 'a'.repeat(40),
    refresh_token: 'r'.repeat(40),
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    user: { id: 'u1', email: 'ada@example.test' },
  };
  await secureSessionStorage({
    getItemAsync: (k) => Promise.resolve(mockSecure.get(k) ?? null),
    setItemAsync: (k, v) => Promise.resolve(void mockSecure.set(k, v)),
    deleteItemAsync: (k) => Promise.resolve(void mockSecure.delete(k)),
  }).set(sessionKey(server), JSON.stringify(session));
});

it('opens on the lock, stays locked when the face does not match, and opens when it does', async () => {
  mockAnswers.push(false, true);
  let tree!: ReactTestRenderer;
  await act(() => {
    tree = create(<App />);
  });
  await settle();
  expect(text(tree)).toContain('Posey is locked');
  expect(text(tree)).toContain('Not recognised');
  expect(text(tree)).not.toContain('Chats');
  const unlock = tree.root.find((n) => n.props.accessibilityRole === 'button' && n.props.accessibilityLabel === 'Unlock' && typeof n.props.onPress === 'function');
  await act(() => {
    unlock.props.onPress();
  });
  await settle();
  expect(text(tree)).not.toContain('Posey is locked');
  expect(text(tree)).toContain('Chats');
  await act(() => tree.unmount());
});

it('opens straight away when the lock is off', async () => {
  await AsyncStorage.setItem('posey.settings', JSON.stringify({ biometricUnlock: false }));
  let tree!: ReactTestRenderer;
  await act(() => {
    tree = create(<App />);
  });
  await settle();
  expect(text(tree)).not.toContain('Posey is locked');
  expect(text(tree)).toContain('Chats');
  await act(() => tree.unmount());
});
