// A chat turn as an async iterator: `POST /v1/conversations/{id}/messages` on the agents service
// answers server-sent events, each named by its type with its JSON as data (TurnEvent in
// services/agents/src/runtime/mod.rs). The turn runs to its end and is stored even when the
// client leaves early (abort, or `break` out of the loop).

import { PoseyError, errorFromResponse, networkError } from './errors.js';
import { parseSse } from './sse.js';
import { type TokenSource, resolveToken } from './token.js';

/** An agent starts speaking: the conversation's agent, a specialist it delegated to (`from` the
 * delegating agent), or the delegating agent again when the specialist is done. */
export interface AgentEvent {
  type: 'agent';
  agent: string;
  /** 0 is the conversation's agent; more is a specialist. */
  depth: number;
  from: string | null;
}

/** A piece of the speaking agent's answer. */
export interface TextEvent {
  type: 'text';
  agent: string;
  depth: number;
  delta: string;
}

export interface ToolCallEvent {
  type: 'tool_call';
  agent: string;
  depth: number;
  id: string;
  name: string;
  arguments: unknown;
}

/** A tool's answer; `is_error` when it failed or its arguments were refused (`content` says why). */
export interface ToolResultEvent {
  type: 'tool_result';
  agent: string;
  depth: number;
  id: string;
  name: string;
  content: string;
  is_error: boolean;
}

/** A tool asked the person to confirm an action instead of taking it: nothing is done unless they
 * confirm it (`confirmAction`, `POST /v1/actions/{id}/confirm`) before `expires_at`; denying it
 * (`denyAction`) or letting it expire means it never runs. The turn's reply says what waits. */
export interface ConfirmationEvent {
  type: 'confirmation';
  action_id: string;
  /** The plugin whose tool asked (and that runs the action once confirmed). */
  plugin: string;
  /** What would be done, e.g. "delete all your notes". */
  summary: string;
  /** Why it needs the person's yes. */
  reason: string;
  /** RFC 3339; after it the action can no longer be confirmed. */
  expires_at: string;
}

/** The tokens the turn used, once it ends. */
export interface UsageEvent {
  type: 'usage';
  input_tokens: number;
  output_tokens: number;
}

/** The turn ended and is stored. */
export interface DoneEvent {
  type: 'done';
  turn_id: string;
}

/** The turn failed (what it did until then is stored): `model_error`, `unknown_agent`,
 * `internal`, or `interrupted` when the service was stopping. */
export interface TurnErrorEvent {
  type: 'error';
  code: string;
  message: string;
  turn_id: string;
}

export type ChatEvent =
  | AgentEvent
  | TextEvent
  | ToolCallEvent
  | ToolResultEvent
  | ConfirmationEvent
  | UsageEvent
  | DoneEvent
  | TurnErrorEvent;

const TYPES = new Set<string>(['agent', 'text', 'tool_call', 'tool_result', 'confirmation', 'usage', 'done', 'error']);

export interface StreamChatOptions {
  /** The agents service's base URL. */
  agentsUrl: string;
  /** The person's access token, or a function giving it (e.g. `() => auth.accessToken()`). */
  token: TokenSource;
  conversationId: string;
  content: string;
  /** Stops reading: the iterator then throws the abort reason (the turn still completes). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * The turn's events, in order, ending with `done` or `error`. A refused request (no such
 * conversation, a daily limit reached, a bad message) throws a PoseyError before any event; a
 * stream that ends without `done` or `error` throws one too (`incomplete_stream`).
 */
export async function* streamChat(options: StreamChatOptions): AsyncGenerator<ChatEvent, void, undefined> {
  const base = options.agentsUrl.replace(/\/+$/, '');
  const url = `${base}/v1/conversations/${encodeURIComponent(options.conversationId)}/messages`;
  const token = await resolveToken(options.token);
  if (!token) throw new PoseyError({ status: 401, code: 'no_session', message: 'not signed in' });
  const f = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await f(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'text/event-stream',
      },
      body: JSON.stringify({ content: options.content }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    throw networkError(`POST ${url}`, e);
  }
  if (!response.ok) throw await errorFromResponse(response);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/event-stream') || !response.body) {
    await response.body?.cancel();
    throw new PoseyError({
      status: response.status,
      code: 'not_an_event_stream',
      message: `expected server-sent events, got ${type || 'no body'}`,
    });
  }
  for await (const sse of parseSse(response.body)) {
    let event: unknown;
    try {
      event = JSON.parse(sse.data);
    } catch {
      throw new PoseyError({ status: response.status, code: 'bad_event', message: `event ${sse.event} is not JSON` });
    }
    const kind = (event as { type?: unknown } | null)?.type;
    // Event types this SDK does not know yet (a newer server) are skipped, not guessed at.
    if (typeof kind !== 'string' || !TYPES.has(kind)) continue;
    yield event as ChatEvent;
    if (kind === 'done' || kind === 'error') return;
  }
  options.signal?.throwIfAborted();
  throw new PoseyError({
    status: response.status,
    code: 'incomplete_stream',
    message: 'the event stream ended before the turn did',
  });
}
