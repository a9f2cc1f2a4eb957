// What the companion's tools asked the person to confirm (agents' `/v1/actions`): where an
// action stands as shown, and the person's answer. An action runs only once the person confirms
// it; denying it, or letting it expire, means it never runs. How the answer travels (the web
// app's BFF, the desktop bridge) is the app's: it passes the call in.

import type { Action, ConfirmationEvent } from '@posey/sdk';

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

/** Posts `verb` to agents' `/v1/actions/{id}/{verb}` the app's way; throws on a non-2xx answer. */
export type SendAnswer = (id: string, verb: Verb) => Promise<Action>;

/** An answer as a card shows it; what `send` throws may carry the HTTP `status` it failed with. */
export type AnswerAction = (id: string, verb: Verb) => Promise<Answer>;

/**
 * Confirms or denies an action through `send`. A 409 (answered already, or expired) and a 404
 * (gone) are final: the buttons go, the reason stays. Anything else may be tried again.
 */
export async function answerAction(id: string, verb: Verb, send: SendAnswer): Promise<Answer> {
  try {
    return { action: await send(id, verb) };
  } catch (e) {
    const status = (e as { status?: unknown } | null)?.status;
    const final = status === 404 || status === 409;
    return { error: (e as Error | null)?.message || 'The answer could not be sent.', final };
  }
}
