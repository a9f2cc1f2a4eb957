'use client';
// What the companion remembers: search by meaning, add, edit, delete; each memory says where it
// came from. The app passes in how it reaches the agents service and how it links to the
// conversation a memory was learnt in.

import { type ReactNode, useState } from 'react';

/** A memory as agents' `/v1/memories` gives it. */
export interface Memory {
  id: string;
  text: string;
  kind: string;
  origin: string;
  conversation_id?: string | null;
  updated_at: string;
}

/** One call to the agents service, the app's way (its BFF, its bridge); throws on a non-2xx answer. */
export type AgentsCall = <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => Promise<T>;

/** A link to a conversation, labelled `label`, as the app makes one. */
export type ConversationLink = (conversationId: string, label: string) => ReactNode;

const KINDS = ['fact', 'preference', 'event', 'relationship', 'goal', 'other'];

function when(iso: string) {
  return new Date(iso).toLocaleString();
}

/** A text field of a submitted form. */
function field(data: FormData, name: string, fallback = ''): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : fallback;
}

function Origin({ memory, link }: { memory: Memory; link: ConversationLink }) {
  if (memory.origin === 'person') return <span>added by you</span>;
  const from = memory.origin === 'agent' ? 'noted by Posey' : 'learnt in conversation';
  return memory.conversation_id ? link(memory.conversation_id, from) : <span>{from}</span>;
}

export function MemoryList<M extends Memory>({ initial, call, conversationLink }: { initial: M[]; call: AgentsCall; conversationLink: ConversationLink }) {
  const [memories, setMemories] = useState(initial);
  const [searched, setSearched] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run<T>(f: () => Promise<T>): Promise<T | undefined> {
    setError(null);
    setBusy(true);
    try {
      return await f();
    } catch (e) {
      setError((e as Error).message);
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  async function search(q: string) {
    await run(async () => {
      if (!q.trim()) {
        const { memories: all } = await call<{ memories: M[] }>('GET', '/v1/memories?limit=200');
        setMemories(all);
        setSearched(null);
        return;
      }
      const { memories: found } = await call<{ memories: M[] }>('GET', `/v1/memories/search?q=${encodeURIComponent(q)}&limit=50`);
      setMemories(found);
      setSearched(q);
    });
  }

  async function add(text: string, kind: string) {
    const created = await run(() => call<M>('POST', '/v1/memories', { text, kind }));
    if (created) setMemories((m) => [created, ...m]);
    return !!created;
  }

  async function save(id: string, text: string, kind: string) {
    const updated = await run(() => call<M>('PATCH', `/v1/memories/${encodeURIComponent(id)}`, { text, kind }));
    if (updated) {
      // An edit keeps the old text as history under a new current memory.
      setMemories((m) => m.map((x) => (x.id === id ? updated : x)));
      setEditing(null);
    }
  }

  async function remove(memory: M) {
    if (!window.confirm(`Forget “${memory.text}”?`)) return;
    const ok = await run(() => call('DELETE', `/v1/memories/${encodeURIComponent(memory.id)}`).then(() => true));
    if (ok) setMemories((m) => m.filter((x) => x.id !== memory.id));
  }

  return (
    <div className="space-y-4">
      <form
        role="search"
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void search(field(new FormData(e.currentTarget), 'q'));
        }}
      >
        <label className="input flex-1">
          <span className="sr-only">Search memories</span>
          <input name="q" type="search" placeholder="Search what Posey remembers" />
        </label>
        <button className="btn" type="submit" disabled={busy}>
          Search
        </button>
      </form>
      <details className="collapse-arrow collapse border border-base-300 bg-base-100">
        <summary className="collapse-title font-medium">Tell Posey something to remember</summary>
        <form
          className="collapse-content flex flex-col gap-2 sm:flex-row"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const data = new FormData(form);
            void add(field(data, 'text'), field(data, 'kind', 'fact')).then((added) => {
              if (added) form.reset();
            });
          }}
        >
          <label className="input flex-1">
            <span className="sr-only">Memory</span>
            <input name="text" required maxLength={2000} placeholder="I'm allergic to peanuts" />
          </label>
          <select name="kind" className="select sm:w-40" aria-label="Kind" defaultValue="fact">
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
          <button className="btn btn-primary" type="submit" disabled={busy}>
            Remember
          </button>
        </form>
      </details>
      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          {error}
        </div>
      )}
      {searched !== null && (
        <p className="text-sm opacity-80">
          Closest to “{searched}”.{' '}
          <button className="link" type="button" onClick={() => void search('')}>
            Show all
          </button>
        </p>
      )}
      <ul className="space-y-2" aria-label="Memories">
        {memories.map((m) => (
          <li key={m.id} className="card card-sm bg-base-100 shadow-sm" data-testid="memory">
            <div className="card-body">
              {editing === m.id ? (
                <form
                  className="flex flex-col gap-2"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const data = new FormData(e.currentTarget);
                    void save(m.id, field(data, 'text'), field(data, 'kind', m.kind));
                  }}
                >
                  <label className="sr-only" htmlFor={`edit-${m.id}`}>
                    Memory text
                  </label>
                  <textarea id={`edit-${m.id}`} name="text" className="textarea w-full" defaultValue={m.text} required maxLength={2000} autoFocus />
                  <div className="flex gap-2">
                    <select name="kind" className="select select-sm w-40" aria-label="Kind" defaultValue={m.kind}>
                      {KINDS.map((k) => (
                        <option key={k}>{k}</option>
                      ))}
                    </select>
                    <button className="btn btn-sm btn-primary" type="submit" disabled={busy}>
                      Save
                    </button>
                    <button className="btn btn-sm" type="button" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </div>
                </form>
              ) : (
                <>
                  <p>{m.text}</p>
                  <div className="flex flex-wrap items-center gap-2 text-xs opacity-80">
                    <span className="badge badge-sm badge-outline">{m.kind}</span>
                    <Origin memory={m} link={conversationLink} />
                    <span>· {when(m.updated_at)}</span>
                    <span className="flex-1" />
                    <button className="btn btn-ghost btn-xs" type="button" onClick={() => setEditing(m.id)} aria-label={`Edit “${m.text}”`}>
                      Edit
                    </button>
                    <button className="btn btn-ghost btn-xs text-error" type="button" onClick={() => void remove(m)} aria-label={`Delete “${m.text}”`}>
                      Delete
                    </button>
                  </div>
                </>
              )}
            </div>
          </li>
        ))}
      </ul>
      {memories.length === 0 && <p className="opacity-70">{searched === null ? 'Nothing remembered yet. Chat with Posey, or add something above.' : 'Nothing matches.'}</p>}
    </div>
  );
}
