// The chat's parts that are the desktop's own: forwarded events read back into chat events, and
// the conversation and the answers to its actions going through the bridge's `api` command (the
// bridge is a stand-in here; the end-to-end test runs the real one).

import type { Action } from '@posey/sdk';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.hoisted(() => vi.fn());
vi.mock('@tauri-apps/api/core', () => ({ invoke }));

import { chatEvent } from '../src/bridge';
import { answer, loadConversation, passageHref } from '../src/chat';

const action = (over: Partial<Action> = {}): Action => ({
  id: 'a1',
  conversation_id: 'c1',
  plugin: 'notes',
  summary: 'delete all your notes',
  reason: 'it cannot be undone',
  status: 'pending',
  result: null,
  created_at: '2026-12-05T11:59:00Z',
  expires_at: '2026-12-05T13:00:00Z',
  decided_at: null,
  ...over,
});

/** The bridge answering each `api` command by its method and path. */
function bridge(answers: Record<string, { status: number; body: unknown }>) {
  invoke.mockImplementation((name: string, args: { method: string; path: string }) => {
    expect(name).toBe('api');
    const reply = answers[`${args.method} ${args.path}`];
    if (!reply) throw new Error(`unexpected ${args.method} ${args.path}`);
    return Promise.resolve(reply);
  });
}

beforeEach(() => {
  invoke.mockReset();
});

describe('chatEvent', () => {
  it('reads a forwarded event and skips what it does not know', () => {
    expect(chatEvent('{"type":"done","turn_id":"t"}')).toEqual({ type: 'done', turn_id: 't' });
    expect(chatEvent('{"type":"something_new"}')).toBeNull();
    expect(chatEvent('not json')).toBeNull();
  });
});

describe('a conversation through the bridge', () => {
  const message = { id: 1, turn_id: 't', role: 'user', agent: 'posey', depth: 0, content: 'forget my notes', tool_calls: [], is_error: false, created_at: '2026-12-05T11:58:00Z' };

  it('shows what this conversation asked that still waits, and what was answered here', async () => {
    bridge({
      'GET /v1/conversations/c1/messages': { status: 200, body: { messages: [message] } },
      'GET /v1/actions': { status: 200, body: { actions: [action(), action({ id: 'elsewhere', conversation_id: 'c2' })] } },
    });
    const items = await loadConversation('c1', [action({ id: 'a0', status: 'done', result: 'done' })]);
    expect(items.map((i) => i.kind)).toEqual(['user', 'confirmation', 'confirmation']);
    expect(items.flatMap((i) => (i.kind === 'confirmation' ? [i.action.id] : []))).toEqual(['a0', 'a1']);
  });

  it('sends an answer to the action and takes a 409 as final', async () => {
    bridge({
      'POST /v1/actions/a%201/confirm': { status: 200, body: action({ id: 'a 1', status: 'done' }) },
      'POST /v1/actions/a1/deny': { status: 409, body: { code: 'conflict', message: 'the action expired; ask again' } },
    });
    expect(await answer('a 1', 'confirm')).toEqual({ action: action({ id: 'a 1', status: 'done' }) });
    expect(await answer('a1', 'deny')).toEqual({ error: 'the action expired; ask again', final: true });
  });

  it('links a citation to its document on the Documents page', () => {
    expect(passageHref('d 1', 2)).toBe('#/documents/d%201/2');
  });
});
