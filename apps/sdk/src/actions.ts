// What the companion's tools asked the person to confirm (agents' `/v1/actions`), over the typed
// agents client. An action runs only when the person confirms it; denying it, or letting it
// expire, means it never runs. What became of it is added to the conversation that asked.

import type { Client } from 'openapi-fetch';

import type { components, paths } from './generated/agents.js';
import { unwrap } from './rest.js';

/** An action as the person sees it, pending or answered. */
export type Action = components['schemas']['Action'];
/** `pending`, `denied`, `running`, `done` or `failed` (an expired one stays `pending`). */
export type ActionStatus = Action['status'];

type AgentsClient = Client<paths>;

/** The actions waiting for the person's answer (unexpired), newest first. */
export async function listActions(agents: AgentsClient, options: { signal?: AbortSignal } = {}): Promise<Action[]> {
  const { actions } = await unwrap(agents.GET('/v1/actions', options.signal ? { signal: options.signal } : {}));
  return actions;
}

/**
 * Confirms an action: it runs now and comes back `done` or `failed`, with what the plugin said in
 * `result`. Someone else's or an unknown id throws a PoseyError with status 404; one answered
 * already or expired, status 409 (`conflict`).
 */
export function confirmAction(agents: AgentsClient, id: string): Promise<Action> {
  return unwrap(agents.POST('/v1/actions/{id}/confirm', { params: { path: { id } } }));
}

/** Denies an action: it never runs and comes back `denied`. The same 404 and 409 as confirming. */
export function denyAction(agents: AgentsClient, id: string): Promise<Action> {
  return unwrap(agents.POST('/v1/actions/{id}/deny', { params: { path: { id } } }));
}
