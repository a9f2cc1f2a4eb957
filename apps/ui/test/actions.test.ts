// The card of an action a tool asked the person to confirm, its answers, and where it sits in the
// conversation: rendered to markup as a server renders it, answers through a stand-in for the
// app's call (the apps' browser tests answer through the real ones).

import type { Action } from '@posey/sdk';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { ActionCardView, type ActionCardViewProps } from '../src/action-card';
import { actionFromEvent, answerAction, outcomeOf, type Verb } from '../src/actions';
import { applyEvent, itemsFromHistory, type Item, type StoredMessage } from '../src/chat-items';

const NOW = Date.parse('2026-12-05T12:00:00Z');

const action = (over: Partial<Action> = {}): Action => ({
  id: '0193a5f0-0000-7000-8000-000000000001',
  conversation_id: '0193a5f0-0000-7000-8000-0000000000c1',
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

const card = (props: Partial<ActionCardViewProps> = {}) => renderToStaticMarkup(createElement(ActionCardView, { action: action(), now: NOW, ...props }));
const buttons = (html: string) => [...html.matchAll(/<button[^>]*>(?:<span[^>]*><\/span>)?([^<]*)<\/button>/g)].map((m) => m[1]);
const status = (html: string) => /data-testid="action-status">([^<]*)</.exec(html)?.[1];

describe('the action card', () => {
  it('shows what waits, why it asks and until when, with Deny and Confirm', () => {
    const html = card();
    expect(html).toContain('delete all your notes');
    expect(html).toContain('it cannot be undone');
    expect(html).toContain('Expires at <time dateTime="2026-12-05T13:00:00Z">');
    expect(status(html)).toBe('Waiting');
    expect(buttons(html)).toEqual(['Deny', 'Confirm']);
    expect(html).not.toContain('disabled');
  });

  it('has no buttons once it expired', () => {
    const html = card({ now: Date.parse('2026-12-05T13:00:01Z') });
    expect(status(html)).toBe('Expired');
    expect(html).toContain('Expired at');
    expect(buttons(html)).toEqual([]);
  });

  it('shows what a confirmed action came to, and a denied one', () => {
    const done = card({ action: action({ status: 'done', result: '3 notes deleted', decided_at: '2026-12-05T12:00:00Z' }) });
    expect(status(done)).toBe('Done');
    expect(done).toContain('3 notes deleted');
    expect(buttons(done)).toEqual([]);
    expect(done).not.toContain('Expires at');

    const failed = card({ action: action({ status: 'failed', result: 'this plugin runs no confirmed actions' }) });
    expect(status(failed)).toBe('Failed');
    expect(failed).toMatch(/class="[^"]*text-error[^"]*"[^>]*>this plugin runs no confirmed actions</);

    const denied = card({ action: action({ status: 'denied' }) });
    expect(status(denied)).toBe('Denied');
    expect(denied).toContain('Nothing was done.');
    expect(buttons(denied)).toEqual([]);
  });

  it('keeps the buttons off while an answer is on its way or the turn is being stored', () => {
    expect(card({ busy: 'confirm' }).match(/<button[^>]*disabled/g)).toHaveLength(2);
    expect(card({ locked: true }).match(/<button[^>]*disabled/g)).toHaveLength(2);
  });

  it('shows why an answer failed, and drops the buttons when it can no longer be answered', () => {
    const retry = card({ error: 'The agents service cannot be reached.' });
    expect(retry).toContain('role="alert"');
    expect(buttons(retry)).toEqual(['Deny', 'Confirm']);
    const closed = card({ error: 'the action was answered already: it is denied', closed: true });
    expect(closed).toContain('the action was answered already: it is denied');
    expect(buttons(closed)).toEqual([]);
  });

  it('links to the conversation that asked where the app gives the link, with no buttons once answered', () => {
    const link = createElement('a', { href: '/chat/c1' }, 'open the conversation');
    expect(card({ conversationLink: link })).toContain('<a href="/chat/c1">open the conversation</a>');
    expect(card()).not.toContain('href="/chat/');
    const answered = card({ conversationLink: link, action: action({ status: 'done', result: 'done' }) });
    expect(answered).toContain('open the conversation');
    expect(buttons(answered)).toEqual([]);
  });

  it('shows what the tool wrote as text, never as markup', () => {
    const html = card({ action: action({ summary: '<img src=x onerror=alert(1)>' }) });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
  });

  it('labels each status', () => {
    expect(outcomeOf(action({ status: 'running' }), NOW)).toMatchObject({ label: 'Running', open: false });
    expect(outcomeOf(action(), NOW)).toMatchObject({ label: 'Waiting', open: true });
  });
});

describe('answering an action', () => {
  /** A stand-in for the app's call that records what was asked and answers as told. */
  function sending(answer: () => unknown) {
    const asked: [string, Verb][] = [];
    const send = (id: string, verb: Verb) => {
      asked.push([id, verb]);
      return Promise.resolve().then(() => answer() as ReturnType<typeof action>);
    };
    return { send, asked };
  }

  it('sends the answer and gives the action back', async () => {
    const { send, asked } = sending(() => action({ status: 'denied' }));
    expect(await answerAction('a b', 'deny', send)).toEqual({ action: action({ status: 'denied' }) });
    expect(asked).toEqual([['a b', 'deny']]);
  });

  it('takes a 409 or 404 as final and anything else as worth another try', async () => {
    const refused = (status: number, message: string) =>
      sending(() => {
        throw Object.assign(new Error(message), { status });
      }).send;
    expect(await answerAction('x', 'confirm', refused(409, 'the action expired; ask again'))).toEqual({ error: 'the action expired; ask again', final: true });
    expect(await answerAction('x', 'deny', refused(404, 'no such action'))).toEqual({ error: 'no such action', final: true });
    expect(await answerAction('x', 'confirm', refused(502, 'The agents service cannot be reached.'))).toEqual({
      error: 'The agents service cannot be reached.',
      final: false,
    });
    expect(await answerAction('x', 'confirm', refused(0, ''))).toEqual({ error: 'The answer could not be sent.', final: false });
  });
});

describe('actions in the conversation', () => {
  const base = { is_error: false, tool_calls: [] as StoredMessage['tool_calls'], agent: 'keeper', depth: 0 };
  const history: StoredMessage[] = [
    { ...base, id: 1, role: 'user', content: 'forget my notes', created_at: '2026-12-05T11:59:00.000001Z' },
    { ...base, id: 2, role: 'assistant', content: 'Confirm to delete all your notes.', created_at: '2026-12-05T11:59:00.000001Z' },
    { ...base, id: 3, role: 'assistant', content: 'Denied: delete all your notes. Nothing was done.', created_at: '2026-12-05T12:00:00Z' },
  ];

  it('puts an action after the messages of the turn that asked, before what was said of it later', () => {
    const items = itemsFromHistory(history, [action({ created_at: '2026-12-05T11:59:00.000001Z', status: 'denied' })]);
    expect(items.map((i) => i.kind)).toEqual(['user', 'text', 'confirmation', 'text']);
    // Asked after everything stored: last.
    expect(itemsFromHistory(history.slice(0, 2), [action()]).map((i) => i.kind)).toEqual(['user', 'text', 'confirmation']);
  });

  it('turns a live confirmation event into a waiting action of the conversation', () => {
    const event = { type: 'confirmation', action_id: 'a1', plugin: 'notes', summary: 'delete all your notes', reason: 'it cannot be undone', expires_at: '2026-12-05T13:00:00Z' } as const;
    const items: Item[] = applyEvent([], event, 1, 'c1');
    expect(items).toEqual([{ kind: 'confirmation', key: 'aa1', action: actionFromEvent(event, 'c1', (items[0] as { action: Action }).action.created_at) }]);
    expect(items[0]).toMatchObject({ action: { id: 'a1', conversation_id: 'c1', status: 'pending', result: null, summary: 'delete all your notes' } });
  });
});
