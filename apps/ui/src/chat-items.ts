// One shape for a conversation as shown, built from the stored history or from a live turn's
// events: the person's messages, each agent's text, hand-offs, tool calls with their results,
// the actions a tool asked the person to confirm, and the citations of document searches.

import type { ChatEvent } from '@posey/sdk';

import { actionFromEvent, type Action } from './actions';
import type { Citation } from './markdown';

/** A message of a conversation's stored history, as agents' `/v1/conversations/{id}/messages` lists it. */
export interface StoredMessage {
  id: number;
  role: 'user' | 'assistant' | 'tool';
  agent: string;
  depth: number;
  content: string;
  tool_calls: { id: string; name: string; arguments: unknown }[];
  tool_call_id?: string | null;
  is_error: boolean;
  created_at: string;
}

export type Item =
  | { kind: 'user'; key: string; text: string }
  | { kind: 'text'; key: string; agent: string; depth: number; text: string }
  | { kind: 'handoff'; key: string; from: string; to: string; depth: number }
  | { kind: 'tool'; key: string; id: string; agent: string; depth: number; name: string; args: unknown; result?: string; isError?: boolean }
  | { kind: 'confirmation'; key: string; action: Action }
  | { kind: 'error'; key: string; message: string };

const confirmation = (action: Action): Item => ({ kind: 'confirmation', key: `a${action.id}`, action });

/**
 * The items of a stored history, with `actions` (asked in this conversation) each after the
 * messages stored up to when it was asked: a turn stores its messages and what it asked together.
 */
export function itemsFromHistory(messages: StoredMessage[], actions: Action[] = []): Item[] {
  const items: Item[] = [];
  const asked = actions.slice().sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  let speaking: string | null = null;
  for (const m of messages) {
    const at = Date.parse(m.created_at);
    for (let first = asked[0]; first && Date.parse(first.created_at) < at; first = asked[0]) {
      items.push(confirmation(first));
      asked.shift();
    }
    if (m.role === 'user' && m.depth === 0) {
      items.push({ kind: 'user', key: `m${m.id}`, text: m.content });
      speaking = null;
      continue;
    }
    // A specialist's task, as the delegating agent put it: shown by the delegate call's card.
    if (m.role === 'user') continue;
    if (m.role === 'tool') {
      const call = [...items].reverse().find((i) => i.kind === 'tool' && i.id === m.tool_call_id);
      if (call && call.kind === 'tool') {
        call.result = m.content;
        call.isError = m.is_error;
      }
      continue;
    }
    if (speaking !== null && speaking !== m.agent) {
      items.push({ kind: 'handoff', key: `h${m.id}`, from: speaking, to: m.agent, depth: m.depth });
    }
    speaking = m.agent;
    if (m.content.trim()) items.push({ kind: 'text', key: `m${m.id}`, agent: m.agent, depth: m.depth, text: m.content });
    for (const call of m.tool_calls) {
      items.push({ kind: 'tool', key: `t${m.id}-${call.id}`, id: call.id, agent: m.agent, depth: m.depth, name: call.name, args: call.arguments });
    }
  }
  items.push(...asked.map(confirmation));
  return items;
}

/**
 * `items` with one more live event applied (a new array; the changed item is replaced).
 * `conversationId` is the conversation the turn runs in (a confirmation's action belongs to it).
 */
export function applyEvent(items: Item[], event: ChatEvent, seq: number, conversationId: string | null = null): Item[] {
  const next = items.slice();
  switch (event.type) {
    case 'agent':
      if (event.from) next.push({ kind: 'handoff', key: `h${seq}`, from: event.from, to: event.agent, depth: event.depth });
      return next;
    case 'text': {
      const last = next[next.length - 1];
      if (last && last.kind === 'text' && last.agent === event.agent && last.depth === event.depth) {
        next[next.length - 1] = { ...last, text: last.text + event.delta };
      } else {
        next.push({ kind: 'text', key: `x${seq}`, agent: event.agent, depth: event.depth, text: event.delta });
      }
      return next;
    }
    case 'tool_call':
      next.push({ kind: 'tool', key: `t${seq}`, id: event.id, agent: event.agent, depth: event.depth, name: event.name, args: event.arguments });
      return next;
    case 'tool_result': {
      const at = next.findLastIndex((i) => i.kind === 'tool' && i.id === event.id);
      if (at >= 0) next[at] = { ...(next[at] as Extract<Item, { kind: 'tool' }>), result: event.content, isError: event.is_error };
      return next;
    }
    case 'confirmation':
      next.push(confirmation(actionFromEvent(event, conversationId)));
      return next;
    case 'error':
      next.push({ kind: 'error', key: `e${seq}`, message: event.message });
      return next;
    default:
      return next;
  }
}

interface Passage {
  document_id: string;
  filename: string;
  page?: number;
  heading?: string;
  chunk: number;
  cite: string;
}

/** Where a citation leads: a passage (`chunk`) of a document, as the app shows it. */
export type PassageHref = (documentId: string, chunk: number) => string;

/** The passages `search_documents` returned in `items`, each linking to its place in the document. */
export function citationsOf(items: Item[], href: PassageHref): (Citation & { label: string })[] {
  const out: (Citation & { label: string })[] = [];
  for (const item of items) {
    if (item.kind !== 'tool' || item.name !== 'search_documents' || !item.result || item.isError) continue;
    try {
      const parsed = JSON.parse(item.result) as { passages?: Passage[] };
      for (const p of parsed.passages ?? []) {
        if (out.some((c) => c.cite === p.cite)) continue;
        out.push({ cite: p.cite, label: p.cite.replace(/^\[|\]$/g, ''), href: href(p.document_id, p.chunk) });
      }
    } catch {
      // A result that is not the tool's JSON has no citations.
    }
  }
  return out;
}
