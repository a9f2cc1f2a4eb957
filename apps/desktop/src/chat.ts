// The conversation as the desktop shows it, in @posey/ui's model: a stored history read through
// the bridge (with the actions it asked the person to confirm that still wait), answers to those
// actions sent through the bridge, and citations that open the Documents page.

import { type Action, type AnswerAction, type Item, type StoredMessage, answerAction, itemsFromHistory } from '@posey/ui';

import { api } from './bridge';

/** Confirms or denies an action through the bridge (agents' `/v1/actions/{id}/{verb}`). */
export const answer: AnswerAction = (id, verb) =>
  answerAction(id, verb, (actionId, v) => api<Action>('agents', 'POST', `/v1/actions/${encodeURIComponent(actionId)}/${v}`));

/** A document search's passage: the Documents page, which names the document. */
export const passageHref = (documentId: string, chunk: number) => `#/documents/${encodeURIComponent(documentId)}/${chunk}`;

/** Conversation `id` as items: its stored messages, and what it asked that still waits. */
export async function loadConversation(id: string, answered: Action[] = []): Promise<Item[]> {
  const [{ messages }, { actions }] = await Promise.all([
    api<{ messages: StoredMessage[] }>('agents', 'GET', `/v1/conversations/${encodeURIComponent(id)}/messages`),
    api<{ actions: Action[] }>('agents', 'GET', '/v1/actions'),
  ]);
  const waiting = actions.filter((a) => a.conversation_id === id);
  // An action answered here keeps showing what it came to (the service lists only waiting ones).
  const shown = [...answered.filter((a) => a.conversation_id === id && !waiting.some((w) => w.id === a.id)), ...waiting];
  return itemsFromHistory(messages, shown);
}
