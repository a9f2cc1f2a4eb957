// The offline cache: the recent conversations and their messages, per server, dropped on sign-out.

import AsyncStorage from '@react-native-async-storage/async-storage';

import { type Conversation, KEEP_CONVERSATIONS, KEEP_MESSAGES_OF, type Message, OfflineCache } from '../src/lib/cache';

const conversation = (i: number): Conversation => ({ id: `c${i}`, title: `chat ${i}`, agent: 'router', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });
const message = (i: number): Message => ({
  id: i,
  role: i % 2 ? 'assistant' : 'user',
  content: `m${i}`,
  agent: 'router',
  depth: 0,
  created_at: '2026-01-01T00:00:00Z',
  is_error: false,
  tool_calls: [],
  turn_id: '00000000-0000-4000-8000-000000000000',
});

beforeEach(() => AsyncStorage.clear());

it('keeps the recent conversations and reads them back offline', async () => {
  const cache = new OfflineCache(AsyncStorage, 'home');
  const list = Array.from({ length: KEEP_CONVERSATIONS + 5 }, (_, i) => conversation(i));
  await cache.saveConversations(list);
  const back = await cache.conversations();
  expect(back?.value).toHaveLength(KEEP_CONVERSATIONS);
  expect(back?.value[0]?.title).toBe('chat 0');
  expect(Date.now() - (back?.savedAt ?? 0)).toBeLessThan(5_000);
});

it('drops the messages of conversations that are no longer among the recent ones', async () => {
  const cache = new OfflineCache(AsyncStorage, 'home');
  await cache.saveConversations([conversation(1), conversation(2)]);
  await cache.saveMessages('c1', [message(1), message(2)]);
  await cache.saveMessages('c2', [message(3)]);
  const newer = Array.from({ length: KEEP_MESSAGES_OF }, (_, i) => conversation(100 + i));
  await cache.saveConversations([...newer, conversation(2)]);
  expect(await cache.messages('c1')).toBeNull();
  expect(await cache.messages('c2')).toBeNull();
  await cache.saveConversations([conversation(1)]);
  await cache.saveMessages('c1', [message(1)]);
  expect((await cache.messages('c1'))?.value.map((m) => m.content)).toEqual(['m1']);
});

it("keeps each server's apart, and forgets one server's on clear", async () => {
  const home = new OfflineCache(AsyncStorage, 'home');
  const work = new OfflineCache(AsyncStorage, 'work');
  await home.saveConversations([conversation(1)]);
  await home.saveMessages('c1', [message(1)]);
  await work.saveConversations([conversation(2)]);
  await home.clear();
  expect(await home.conversations()).toBeNull();
  expect(await home.messages('c1')).toBeNull();
  expect((await work.conversations())?.value.map((c) => c.id)).toEqual(['c2']);
});
