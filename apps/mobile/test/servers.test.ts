// The servers list: URLs filled in from an address, checked as typed, kept in AsyncStorage.

import AsyncStorage from '@react-native-async-storage/async-storage';

import { loadServers, normalizeUrl, saveServers, type Server, urlsFor, withServer, withoutServer } from '../src/lib/servers';

const home: Server = { id: 'h', name: 'Home', authUrl: 'http://h:9000', agentsUrl: 'http://h:8000', cronUrl: 'http://h:8090' };
const work: Server = { id: 'w', name: 'Work', authUrl: 'https://w:9000', agentsUrl: 'https://w:8000', cronUrl: 'https://w:8090' };

beforeEach(() => AsyncStorage.clear());

it("fills in each service's URL at posey up's ports", () => {
  expect(urlsFor('posey.local')).toEqual({ authUrl: 'http://posey.local:9000', agentsUrl: 'http://posey.local:8000', cronUrl: 'http://posey.local:8090' });
  expect(urlsFor('https://posey.example.org/').authUrl).toBe('https://posey.example.org:9000');
  expect(urlsFor('192.168.1.20:1234').cronUrl).toBe('http://192.168.1.20:8090');
  expect(() => urlsFor('  ')).toThrow(/address/);
  expect(() => urlsFor('ftp://x')).toThrow(/http/);
});

it('checks a typed URL', () => {
  expect(normalizeUrl(' https://a.example/auth/ ', 'Auth URL')).toBe('https://a.example/auth');
  expect(() => normalizeUrl('nope', 'Auth URL')).toThrow('Auth URL: not a URL.');
  expect(() => normalizeUrl('http://a?x=1', 'Auth URL')).toThrow(/query/);
});

it('adds, switches and removes servers, and keeps them across starts', async () => {
  let list = withServer({ servers: [], activeId: null }, home);
  list = withServer(list, work);
  expect(list.activeId).toBe('w');
  await saveServers(AsyncStorage, { ...list, activeId: 'h' });
  expect(await loadServers(AsyncStorage)).toEqual({ servers: [home, work], activeId: 'h' });
  list = withoutServer(list, 'w');
  expect(list).toEqual({ servers: [home], activeId: 'h' });
});

it('reads a damaged list as what it can', async () => {
  await AsyncStorage.setItem('posey.servers', JSON.stringify({ servers: [home, { id: 3 }], activeId: 'gone' }));
  expect(await loadServers(AsyncStorage)).toEqual({ servers: [home], activeId: 'h' });
  await AsyncStorage.setItem('posey.servers', '{not json');
  expect(await loadServers(AsyncStorage)).toEqual({ servers: [], activeId: null });
});
