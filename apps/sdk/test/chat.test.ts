// The chat stream against the agents service of a running posey up on the deterministic test
// model (it calls every tool it is offered once, then answers with a summary of the results).

import { describe, expect, it } from 'vitest';

import { type ChatEvent, PoseyError, createAgentsClient, streamChat, unwrap } from '../src/index.js';
import { newPerson, posey } from './support.js';

async function setup() {
  const { auth } = await newPerson();
  const agents = createAgentsClient({ url: posey().agentsUrl, token: () => auth.accessToken() });
  const conversation = await unwrap(agents.POST('/v1/conversations', { body: { title: 'SDK test' } }));
  return { auth, agents, conversation };
}

describe('streamChat', () => {
  it('yields the turn’s real events, in order, and the turn is stored', async () => {
    const { auth, agents, conversation } = await setup();
    const events: ChatEvent[] = [];
    for await (const event of streamChat({
      agentsUrl: posey().agentsUrl,
      token: () => auth.accessToken(),
      conversationId: conversation.id,
      content: 'What time is it?',
    })) {
      events.push(event);
    }

    const types = events.map((e) => e.type);
    // The conversation's agent speaks first; the turn ends with its usage, then done.
    expect(events[0]).toEqual({ type: 'agent', agent: conversation.agent, depth: 0, from: null });
    expect(types.slice(-2)).toEqual(['usage', 'done']);
    // The test model calls its tools first: every call is answered by a result with its id.
    const calls = events.filter((e) => e.type === 'tool_call');
    const results = events.filter((e) => e.type === 'tool_result');
    expect(calls.length).toBeGreaterThan(0);
    expect(results.map((r) => r.id).sort()).toEqual(calls.map((c) => c.id).sort());
    for (const call of calls) {
      const result = results.find((r) => r.id === call.id);
      expect(result?.name).toBe(call.name);
      expect(events.indexOf(result!)).toBeGreaterThan(events.indexOf(call));
    }
    // Its `delegate` call hands the task to a specialist, who speaks at depth 1, then back.
    const handOff = events.find((e) => e.type === 'agent' && e.depth === 1);
    expect(handOff).toMatchObject({ from: conversation.agent });
    const specialist = handOff?.type === 'agent' ? handOff.agent : '';
    expect(events.slice(events.indexOf(handOff!))).toContainEqual({
      type: 'agent',
      agent: conversation.agent,
      depth: 0,
      from: specialist,
    });
    // ... then answers in several text pieces.
    const texts = events.filter((e) => e.type === 'text' && e.depth === 0);
    expect(texts.length).toBeGreaterThan(1);
    const answer = texts.map((t) => (t.type === 'text' ? t.delta : '')).join('');
    const usage = events.find((e) => e.type === 'usage');
    expect(usage).toMatchObject({ type: 'usage' });
    expect(usage?.type === 'usage' && usage.input_tokens > 0 && usage.output_tokens > 0).toBe(true);
    const done = events.at(-1);
    expect(done?.type === 'done' && done.turn_id).toMatch(/^[0-9a-f-]{36}$/);

    // The history holds the person's message and the reply the stream spelled out.
    const history = await unwrap(
      agents.GET('/v1/conversations/{id}/messages', { params: { path: { id: conversation.id } } }),
    );
    expect(history.messages[0]).toMatchObject({ role: 'user', content: 'What time is it?' });
    const last = history.messages.at(-1);
    expect(last).toMatchObject({ role: 'assistant', content: answer });
  });

  it('stops reading on abort, and the turn still completes and is stored', async () => {
    const { auth, agents, conversation } = await setup();
    const controller = new AbortController();
    const seen: ChatEvent[] = [];
    const reading = (async () => {
      for await (const event of streamChat({
        agentsUrl: posey().agentsUrl,
        token: () => auth.accessToken(),
        conversationId: conversation.id,
        content: 'Remember that I like tea.',
        signal: controller.signal,
      })) {
        seen.push(event);
        if (seen.length === 1) controller.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.type).toBe('agent');

    // Whoever left, the turn runs to its end: the history gets the reply.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { messages } = await unwrap(
        agents.GET('/v1/conversations/{id}/messages', { params: { path: { id: conversation.id } } }),
      );
      if (messages.some((m) => m.role === 'assistant' && m.depth === 0 && m.content)) break;
      expect(Date.now(), 'the aborted turn was never stored').toBeLessThan(deadline);
      await new Promise((ok) => setTimeout(ok, 200));
    }
  });

  it('throws the server’s error before any event when the request is refused', async () => {
    const { auth } = await setup();
    const stream = streamChat({
      agentsUrl: posey().agentsUrl,
      token: () => auth.accessToken(),
      conversationId: '00000000-0000-0000-0000-000000000000',
      content: 'hello',
    });
    const error = await stream.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PoseyError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });

    const empty = streamChat({ agentsUrl: posey().agentsUrl, token: 'not a token', conversationId: 'x', content: 'hi' });
    await expect(empty.next()).rejects.toMatchObject({ status: 401 });
  });
});
