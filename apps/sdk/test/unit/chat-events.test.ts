// streamChat's reading of a turn's events, on a stream made here: the built-in plugins never ask
// for a confirmation, so a real turn cannot show one (the actions helpers are tested against a
// real posey in actions.test.ts).

import { describe, expect, it } from 'vitest';

import { type ChatEvent, streamChat } from '../../src/index.js';

/** A fetch answering every request with these server-sent events. */
function answering(events: { event: string; data: unknown }[]): typeof fetch {
  const text = events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join('');
  return () =>
    Promise.resolve(
      new Response(new TextEncoder().encode(text), { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    );
}

async function collect(fetch: typeof globalThis.fetch): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const event of streamChat({ agentsUrl: 'http://agents.test', token: 't', conversationId: 'c', content: 'hi', fetch })) {
    out.push(event);
  }
  return out;
}

describe('streamChat events', () => {
  it('yields a confirmation a tool asked for, between the reply and the usage', async () => {
    const confirmation = {
      type: 'confirmation',
      action_id: '0193a5f0-0000-7000-8000-000000000001',
      plugin: 'notes',
      summary: 'delete all your notes',
      reason: 'it cannot be undone',
      expires_at: '2026-12-05T16:00:00Z',
    };
    const events = await collect(
      answering([
        { event: 'agent', data: { type: 'agent', agent: 'keeper', depth: 0, from: null } },
        { event: 'text', data: { type: 'text', agent: 'keeper', depth: 0, delta: 'Confirm to delete all your notes.' } },
        { event: 'confirmation', data: confirmation },
        { event: 'usage', data: { type: 'usage', input_tokens: 3, output_tokens: 4 } },
        { event: 'done', data: { type: 'done', turn_id: 't1' } },
      ]),
    );
    expect(events.map((e) => e.type)).toEqual(['agent', 'text', 'confirmation', 'usage', 'done']);
    const asked = events.find((e) => e.type === 'confirmation');
    expect(asked).toEqual(confirmation);
    // The union narrows on its type: the fields are typed.
    if (asked?.type === 'confirmation') expect(asked.action_id.length).toBe(36);
  });

  it('still skips event types it does not know', async () => {
    const events = await collect(
      answering([
        { event: 'something_new', data: { type: 'something_new', x: 1 } },
        { event: 'done', data: { type: 'done', turn_id: 't1' } },
      ]),
    );
    expect(events).toEqual([{ type: 'done', turn_id: 't1' }]);
  });
});
