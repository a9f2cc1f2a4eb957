// What the companion's tools asked the person to confirm (agents' `/v1/actions`, through the
// BFF): where an action stands as shown, and the person's answer. An action runs only once the
// person confirms it; denying it, or letting it expire, means it never runs.

import type { Action, ConfirmationEvent } from '@posey/sdk';

import { ApiError, api } from './client/api';

export type { Action };

export type Verb = 'confirm' | 'deny';

/** How an action is shown: a label, and the daisyUI badge tone that goes with it. */
export interface Outcome {
  label: 'Waiting' | 'Expired' | 'Running' | 'Done' | 'Failed' | 'Denied';
  badge: string;
  /** Whether it may still be answered. */
  open: boolean;
}

export function outcomeOf(action: Pick<Action, 'status' | 'expires_at'>, now: number = Date.now()): Outcome {
  switch (action.status) {
    case 'pending':
      return Date.parse(action.expires_at) <= now ? { label: 'Expired', badge: 'badge-ghost', open: false } : { label: 'Waiting', badge: 'badge-warning', open: true };
    case 'running':
      return { label: 'Running', badge: 'badge-info', open: false };
    case 'done':
      return { label: 'Done', badge: 'badge-success', open: false };
    case 'failed':
      return { label: 'Failed', badge: 'badge-error', open: false };
    case 'denied':
      return { label: 'Denied', badge: 'badge-neutral', open: false };
  }
}

/** The action a turn's `confirmation` event announced, as the actions routes would list it. */
export function actionFromEvent(event: ConfirmationEvent, conversationId: string | null, createdAt = new Date().toISOString()): Action {
  return {
    id: event.action_id,
    conversation_id: conversationId,
    plugin: event.plugin,
    summary: event.summary,
    reason: event.reason,
    status: 'pending',
    result: null,
    created_at: createdAt,
    expires_at: event.expires_at,
    decided_at: null,
  };
}

/** What answering came to: the action as it is now, or why not (`final` when asking again cannot help). */
export type Answer = { action: Action } | { error: string; final: boolean };

/**
 * Confirms or denies an action through the BFF. A 409 (answered already, or expired) and a 404
 * (gone) are final: the buttons go, the reason stays. Anything else may be tried again.
 */
export async function answerAction(id: string, verb: Verb, call: typeof api = api): Promise<Answer> {
  try {
    return { action: await call<Action>(`/agents/v1/actions/${encodeURIComponent(id)}/${verb}`, { method: 'POST' }) };
  } catch (e) {
    const status = e instanceof ApiError ? e.status : 0;
    return { error: (e as Error).message || 'The answer could not be sent.', final: status === 404 || status === 409 };
  }
}
