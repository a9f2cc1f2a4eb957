// The webview's only way to Posey: the Rust bridge's commands and events. The bridge holds the
// tokens; what comes back here is accounts, API answers and chat events, never a credential.

import type { ChatEvent, User } from '@posey/sdk';
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

export type Service = 'auth' | 'agents' | 'cron';

export interface ApiReply {
  status: number;
  body: unknown;
}

/** A failure as the bridge reports it (`status` 0 when no server answered). */
export class BridgeError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(init: { status: number; code: string; message: string }) {
    super(init.message);
    this.name = 'BridgeError';
    this.status = init.status;
    this.code = init.code;
  }
}

function isErrorBody(v: unknown): v is { status: number; code: string; message: string } {
  return typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'string' && typeof (v as { message?: unknown }).message === 'string';
}

/** A bridge error, or a service's non-2xx answer, as a BridgeError. */
export function toError(e: unknown, status = 0): BridgeError {
  if (e instanceof BridgeError) return e;
  if (isErrorBody(e)) return new BridgeError({ status: typeof e.status === 'number' ? e.status : status, code: e.code, message: e.message });
  if (e instanceof Error) return new BridgeError({ status, code: 'error', message: e.message });
  return new BridgeError({ status, code: 'error', message: typeof e === 'string' ? e : `the server answered ${status}` });
}

async function command<T>(name: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(name, args);
  } catch (e) {
    throw toError(e);
  }
}

/** One API call through the bridge; a non-2xx answer throws. */
export async function api<T>(service: Service, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await command<ApiReply>('api', { service, method, path, body: body ?? null });
  if (reply.status < 200 || reply.status >= 300) throw toError(reply.body, reply.status);
  return reply.body as T;
}

export const signIn = (email: string, password: string) => command<User>('sign_in', { email, password });
export const sendCode = (email: string) => command<null>('send_code', { email });
export const verifyCode = (email: string, code: string) => command<User>('verify_code', { email, code });
export const currentUser = () => command<User | null>('current_user');

/** Signs this device out: the session ends at auth and is forgotten here. Resolves to what the
 * sign-in page should tell the person when the keyring would not let go of the session (it is
 * still there, so the next start could restore it), else null. */
export async function signOut(): Promise<string | null> {
  try {
    await command<null>('sign_out');
    return null;
  } catch (e) {
    return `Signed out, but this device could not forget the session: ${toError(e).message}`;
  }
}

export async function uploadDocument(file: File): Promise<unknown> {
  const bytes = Array.from(new Uint8Array(await file.arrayBuffer()));
  const reply = await command<ApiReply>('upload_document', { filename: file.name, bytes });
  if (reply.status < 200 || reply.status >= 300) throw toError(reply.body, reply.status);
  return reply.body;
}

export interface Settings {
  auth_url: string;
  agents_url: string;
  cron_url: string;
}

export interface SettingsView extends Settings {
  autostart: boolean;
  shortcut: string;
}

export const getSettings = () => command<SettingsView>('get_settings');
export const setSettings = (settings: Settings) => command<null>('set_settings', { settings });
export const setAutostart = (enabled: boolean) => command<boolean>('set_autostart', { enabled });
export const openMain = () => command<null>('open_main');

const CHAT_TYPES = new Set(['agent', 'text', 'tool_call', 'tool_result', 'confirmation', 'usage', 'done', 'error']);

/** A forwarded server-sent event as a chat event, or null for what this client does not know. */
export function chatEvent(data: string): ChatEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  const type = (parsed as { type?: unknown } | null)?.type;
  return typeof type === 'string' && CHAT_TYPES.has(type) ? (parsed as ChatEvent) : null;
}

interface ForwardedEvent {
  stream_id: string;
  event: string;
  data: string;
}

/**
 * Sends a message and calls `onEvent` with each event of the turn, as the bridge forwards them;
 * resolves when the stream ends.
 */
export async function streamChat(conversationId: string, content: string, onEvent: (e: ChatEvent) => void): Promise<void> {
  const streamId = crypto.randomUUID();
  const stop = await listen<ForwardedEvent>('chat-event', ({ payload }) => {
    if (payload.stream_id !== streamId) return;
    const event = chatEvent(payload.data);
    if (event) onEvent(event);
  });
  try {
    await command<null>('chat_send', { conversationId, content, streamId });
  } finally {
    stop();
  }
}

/** Calls `onNotification` with each notification cron delivers while the app runs. */
export function onNotification(handler: (n: { id: string; title: string; body: string }) => void): () => void {
  const stop = listen<{ id: string; title: string; body: string }>('notification', ({ payload }) => handler(payload));
  return () => void stop.then((f) => f());
}

/** Calls `handler` when a `posey://` link signed someone in (or failed to). */
export function onSessionChanged(handler: (change: { user?: User; error?: { message: string } }) => void): () => void {
  const stop = listen<{ user?: User; error?: { message: string } }>('session-changed', ({ payload }) => handler(payload));
  return () => void stop.then((f) => f());
}

/** The message of anything thrown. */
export function message(e: unknown): string {
  return toError(e).message;
}
