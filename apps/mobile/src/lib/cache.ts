// Offline reading: the recent conversations of each server and their messages, kept in the
// plain key-value store as the app last saw them. Conversation text only, never a token; it is
// dropped when the person signs out of that server.

import type { AgentsComponents } from '@posey/sdk';

import { type KeyValue, readJson, writeJson } from './kv';

export type Conversation = AgentsComponents['schemas']['Conversation'];
export type Message = AgentsComponents['schemas']['Message'];

/** How many conversations the list keeps, and how many of them keep their messages. */
export const KEEP_CONVERSATIONS = 30;
export const KEEP_MESSAGES_OF = 10;
const KEEP_MESSAGES = 200;

const listKey = (server: string) => `posey.cache.${server}.conversations`;
const messagesKey = (server: string, conversation: string) => `posey.cache.${server}.messages.${conversation}`;

export interface Cached<T> {
  value: T;
  /** When it was saved, ms since the epoch. */
  savedAt: number;
}

export class OfflineCache {
  constructor(
    private readonly kv: KeyValue,
    private readonly server: string,
  ) {}

  async conversations(): Promise<Cached<Conversation[]> | null> {
    return readJson<Cached<Conversation[]> | null>(this.kv, listKey(this.server), null);
  }

  /** Saves the list; the messages of conversations that fell out of the kept ones are dropped. */
  async saveConversations(list: Conversation[]): Promise<void> {
    const before = (await this.conversations())?.value ?? [];
    const kept = list.slice(0, KEEP_CONVERSATIONS);
    await writeJson(this.kv, listKey(this.server), { value: kept, savedAt: Date.now() });
    const withMessages = new Set(kept.slice(0, KEEP_MESSAGES_OF).map((c) => c.id));
    for (const c of before) {
      if (!withMessages.has(c.id)) await this.kv.removeItem(messagesKey(this.server, c.id));
    }
  }

  async messages(conversation: string): Promise<Cached<Message[]> | null> {
    return readJson<Cached<Message[]> | null>(this.kv, messagesKey(this.server, conversation), null);
  }

  async saveMessages(conversation: string, messages: Message[]): Promise<void> {
    await writeJson(this.kv, messagesKey(this.server, conversation), {
      value: messages.slice(-KEEP_MESSAGES),
      savedAt: Date.now(),
    });
  }

  /** Everything kept for this server (on sign-out). */
  async clear(): Promise<void> {
    const list = (await this.conversations())?.value ?? [];
    for (const c of list) await this.kv.removeItem(messagesKey(this.server, c.id));
    await this.kv.removeItem(listKey(this.server));
  }
}
