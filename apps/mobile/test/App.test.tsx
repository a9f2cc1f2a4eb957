// The app's first start, rendered by React Native's test renderer: no server yet, so it asks
// for one; once saved (the URLs filled in from the address), it asks to sign in there.

import AsyncStorage from '@react-native-async-storage/async-storage';
import { act, create, type ReactTestRenderer } from 'react-test-renderer';

import App from '../src/App';

function byLabel(tree: ReactTestRenderer, label: string) {
  return tree.root.find((n) => n.props.accessibilityLabel === label && typeof n.props.onChangeText === 'function');
}

function text(tree: ReactTestRenderer): string {
  return tree.root
    .findAll((n) => (n.type as unknown) === 'Text')
    .map((n) => n.props.children)
    .flat(Infinity)
    .filter((c: unknown) => typeof c === 'string')
    .join(' | ');
}

beforeEach(() => AsyncStorage.clear());

it('asks for a server, fills in its URLs, saves it and asks to sign in there', async () => {
  let tree!: ReactTestRenderer;
  await act(() => {
    tree = create(<App />);
  });
  expect(text(tree)).toContain('Connect to your Posey');
  await act(() => {
    byLabel(tree, 'Address').props.onChangeText('192.168.1.20');
  });
  expect(byLabel(tree, 'Auth URL').props.value).toBe('http://192.168.1.20:9000');
  expect(byLabel(tree, 'Cron URL').props.value).toBe('http://192.168.1.20:8090');
  const save = tree.root.find((n) => n.props.accessibilityRole === 'button' && n.props.accessibilityLabel === 'Save server' && typeof n.props.onPress === 'function');
  await act(() => {
    save.props.onPress();
  });
  await act(async () => {
    await new Promise((r) => setTimeout(r, 50));
  });
  expect(text(tree)).toContain('Sign in to ');
  expect(text(tree)).toContain('Home');
  const stored = JSON.parse((await AsyncStorage.getItem('posey.servers')) ?? '{}') as { servers: Record<string, string>[] };
  expect(stored.servers[0]).toMatchObject({ name: 'Home', agentsUrl: 'http://192.168.1.20:8000' });
  await act(() => tree.unmount());
});
