'use client';
// The conversation: its history, the turn streaming in (through the BFF, which swaps in the
// session's token), a composer that sends on Enter, and a Stop that stops listening (the turn
// itself finishes on the server and is in the history on the next load). What a tool asked the
// person to confirm is a card in the conversation; once answered, the history is read again for
// the message saying what became of it.

import { streamChat } from '@posey/sdk';
import { applyEvent, citationsOf, itemsFromHistory, Transcript, type Item } from '@posey/ui';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useRef, useState } from 'react';

import { answerAction, type Action } from '@/lib/actions';
import { api, signedOut } from '@/lib/client/api';
import type { Conversation, StoredMessage } from '@/lib/types';

interface Pending {
  content: string;
  at: number;
  /** How many messages the history had before this turn. */
  count: number;
}

/** A document search's passage, on the document's page. */
const passageHref = (documentId: string, chunk: number) => `/documents/${encodeURIComponent(documentId)}#chunk-${chunk}`;

const PENDING_MAX_MS = 5 * 60_000;
const pendingKey = (id: string) => `posey-pending-${id}`;

function readPending(id: string): Pending | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(pendingKey(id)) ?? 'null') as Pending | null;
    return value && Date.now() - value.at < PENDING_MAX_MS ? value : null;
  } catch {
    return null;
  }
}

function writePending(id: string, pending: Pending) {
  sessionStorage.setItem(pendingKey(id), JSON.stringify(pending));
}

function clearPending(id: string) {
  sessionStorage.removeItem(pendingKey(id));
}

/** The actions waiting for the person's answer that conversation `id` asked for. */
async function pendingIn(id: string): Promise<Action[]> {
  const { actions } = await api<{ actions: Action[] }>('/agents/v1/actions');
  return actions.filter((a) => a.conversation_id === id);
}

export interface AgentInfo {
  name: string;
  description?: string;
  router?: boolean;
}

export function ChatView({
  conversation,
  messages,
  agents,
  actions = [],
}: {
  conversation: Conversation | null;
  messages: StoredMessage[];
  agents: AgentInfo[];
  /** What this conversation asked the person to confirm that still waits. */
  actions?: Action[];
}) {
  const router = useRouter();
  const [conversationId, setConversationId] = useState(conversation?.id ?? null);
  const [items, setItems] = useState<Item[]>(() => itemsFromHistory(messages, actions));
  // The actions shown in this conversation: those waiting, and those answered on this page (the
  // service lists only waiting ones; an answered card keeps showing what it came to).
  const shownActions = useRef<Action[]>(actions);
  const [streaming, setStreaming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [agent, setAgent] = useState(conversation?.agent ?? agents.find((a) => a.router)?.name ?? '');
  const abort = useRef<AbortController | null>(null);
  // How many messages the server has stored for this conversation, as last read.
  const storedCount = useRef(messages.length);
  const end = useRef<HTMLDivElement>(null);
  const citations = useMemo(() => citationsOf(items, passageHref), [items]);

  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [items]);
  useEffect(() => () => abort.current?.abort(), []);

  // A turn still running when the page was reloaded: the server finishes and stores it, so show
  // the message and wait for the stored reply.
  const [waiting, setWaiting] = useState(false);
  useEffect(() => {
    const id = conversation?.id;
    const pending = id ? readPending(id) : null;
    if (!id || !pending) return;
    if (messages.length > pending.count) {
      clearPending(id);
      return;
    }
    let stop = false;
    // The history is what the server rendered; the pending turn is added on top of it once.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setItems((prev) => (prev.some((i) => i.key === 'pending') ? prev : [...prev, { kind: 'user', key: 'pending', text: pending.content }]));
    setWaiting(true);
    void (async () => {
      while (!stop && Date.now() - pending.at < PENDING_MAX_MS) {
        await new Promise((r) => setTimeout(r, 1500));
        const { messages: stored } = await api<{ messages: StoredMessage[] }>(`/agents/v1/conversations/${id}/messages`).catch(() => ({ messages: [] as StoredMessage[] }));
        if (stored.length > pending.count) {
          storedCount.current = stored.length;
          const asked = await pendingIn(id).catch(() => shownActions.current);
          shownActions.current = asked;
          if (!stop) setItems(itemsFromHistory(stored, asked));
          break;
        }
      }
      if (stop) return;
      clearPending(id);
      setWaiting(false);
    })();
    return () => {
      stop = true;
    };
  }, [conversation?.id, messages.length]);

  async function reload(id: string) {
    const [{ messages: stored }, waiting] = await Promise.all([
      api<{ messages: StoredMessage[] }>(`/agents/v1/conversations/${id}/messages`),
      // Not knowing what waits must not hide the conversation: keep what is shown.
      pendingIn(id).catch(() => shownActions.current.filter((a) => a.status === 'pending')),
    ]);
    const answered = shownActions.current.filter((a) => a.status !== 'pending' && !waiting.some((w) => w.id === a.id));
    shownActions.current = [...answered, ...waiting];
    storedCount.current = stored.length;
    setItems(itemsFromHistory(stored, shownActions.current));
  }

  /** An action answered on its card: shown as it is now, with what the conversation was told. */
  async function answered(action: Action) {
    shownActions.current = [...shownActions.current.filter((a) => a.id !== action.id), action];
    const id = action.conversation_id ?? conversationId;
    if (!id) return;
    try {
      await reload(id);
    } catch (e) {
      setNotice((e as Error).message);
    }
    router.refresh();
  }

  async function send() {
    const content = text.trim();
    if (!content || streaming) return;
    setNotice(null);
    setStreaming(true);
    let id = conversationId;
    const controller = new AbortController();
    abort.current = controller;
    try {
      if (!id) {
        const created = await api<Conversation>('/agents/v1/conversations', { body: { title: content.slice(0, 60), ...(agent ? { agent } : {}) } });
        id = created.id;
        setConversationId(id);
        window.history.replaceState(null, '', `/chat/${id}`);
      }
      setText('');
      writePending(id, { content, at: Date.now(), count: storedCount.current });
      let seq = 0;
      setItems((prev) => [...prev, { kind: 'user', key: `u${Date.now()}`, text: content }]);
      // The BFF replaces the Authorization header with the session's token; the browser has none.
      const events = streamChat({ agentsUrl: '/api/agents', token: 'bff-session', conversationId: id, content, signal: controller.signal });
      for await (const event of events) {
        // The updater runs later: it must see this event's number, not the loop's latest.
        const n = ++seq;
        const here = id;
        setItems((prev) => applyEvent(prev, event, n, here));
      }
      clearPending(id);
      await reload(id);
    } catch (e) {
      const err = e as { status?: number; message?: string };
      // Refused before the turn started: nothing to wait for after a reload. (A broken
      // connection, a reload included, leaves the turn running: it stays pending.)
      if (id && typeof err.status === 'number' && err.status >= 400) clearPending(id);
      if (controller.signal.aborted) setNotice('Stopped. The reply is still being written and will be here when you reopen this chat.');
      else if (err.status === 401) signedOut();
      else setNotice(err.message ?? 'The message could not be sent.');
    } finally {
      abort.current = null;
      setStreaming(false);
      router.refresh();
    }
  }

  async function chooseAgent(name: string) {
    const previous = agent;
    setAgent(name);
    if (!conversationId) return;
    try {
      await api(`/agents/v1/conversations/${conversationId}`, { method: 'PATCH', body: { agent: name } });
    } catch (e) {
      setAgent(previous);
      setNotice((e as Error).message);
    }
  }

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex-1 space-y-3 overflow-y-auto p-3 md:p-6" aria-live="polite" aria-busy={streaming} data-testid="transcript">
        {items.length === 0 && <p className="mt-10 text-center opacity-70">Ask Posey anything. It remembers what matters to you.</p>}
        <Transcript items={items} citations={citations} streaming={streaming} answer={answerAction} onAnswered={(action) => void answered(action)} />
        {waiting && !streaming && <p className="text-sm opacity-70">Posey is still answering this message…</p>}
        {(streaming || waiting) && <span className="loading loading-dots loading-sm" aria-label="Posey is answering" />}
        {notice && (
          <div role="status" className="alert alert-info alert-soft text-sm">
            {notice}
          </div>
        )}
        <div ref={end} />
      </div>
      <form
        className="sticky bottom-16 flex items-end gap-2 border-t border-base-300 bg-base-100 p-2 md:bottom-0"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        {agents.length > 1 && (
          <select
            className="select select-sm w-auto max-w-32 self-center"
            aria-label="Agent"
            title="Who answers in this conversation"
            value={agent}
            disabled={streaming}
            onChange={(e) => void chooseAgent(e.target.value)}
          >
            {agents.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        )}
        <label className="sr-only" htmlFor="composer">
          Message
        </label>
        <textarea
          id="composer"
          className="textarea max-h-40 min-h-10 flex-1 resize-none"
          rows={1}
          placeholder="Message Posey"
          value={text}
          maxLength={32000}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
        />
        {streaming ? (
          <button type="button" className="btn btn-warning" onClick={() => abort.current?.abort()}>
            Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!text.trim()}>
            Send
          </button>
        )}
      </form>
    </div>
  );
}
