// Chat: the person's conversations, one conversation as the web app shows it (@posey/ui's
// transcript: Markdown answers, tool cards, hand-offs, actions to confirm or deny, citations),
// and a composer whose answer streams in as the bridge forwards the turn's events.

import type { AgentsComponents } from '@posey/sdk';
import { type Action, applyEvent, citationsOf, type Item, Transcript } from '@posey/ui';
import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { api, message, streamChat } from '../bridge';
import { answer, loadConversation, passageHref } from '../chat';
import { Empty, ErrorText } from '../ui';
import { useLoad } from '../useLoad';

type Conversation = AgentsComponents['schemas']['Conversation'];

/** `initial`: the conversation the address names (`#/chat/<id>`), open at first. */
export function Chat({ initial = null }: { initial?: string | null }) {
  const [selected, setSelected] = useState<string | null>(initial);
  const [items, setItems] = useState<Item[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Actions answered on this page, shown with what they came to after a reload of the history.
  const answered = useRef<Action[]>([]);
  const bottom = useRef<HTMLDivElement>(null);
  const list = useLoad(useCallback(async () => (await api<{ conversations: Conversation[] }>('agents', 'GET', '/v1/conversations?limit=50')).conversations, []));
  const citations = useMemo(() => citationsOf(items, passageHref), [items]);

  useEffect(() => {
    if (!selected) return;
    let live = true;
    loadConversation(selected, answered.current)
      .then((loaded) => { if (live) setItems(loaded); })
      .catch((e: unknown) => { if (live) setError(message(e)); });
    return () => { live = false; };
  }, [selected]);

  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [items]);

  function open(id: string | null) {
    answered.current = [];
    setItems([]);
    setError(null);
    setSelected(id);
  }

  async function reload(id: string) {
    setItems(await loadConversation(id, answered.current));
  }

  async function onAnswered(action: Action) {
    answered.current = [...answered.current.filter((a) => a.id !== action.id), action];
    if (!selected) return;
    try {
      await reload(selected);
    } catch (e) {
      setError(message(e));
    }
  }

  async function send(e: FormEvent) {
    e.preventDefault();
    const content = draft.trim();
    if (!content || streaming) return;
    setError(null);
    setDraft('');
    setStreaming(true);
    setItems((prev) => [...prev, { kind: 'user', key: `u${Date.now()}`, text: content }]);
    try {
      let id = selected;
      if (!id) {
        const created = await api<Conversation>('agents', 'POST', '/v1/conversations', { title: content.slice(0, 80) });
        id = created.id;
        setSelected(id);
        list.setData((c = []) => [created, ...c]);
      }
      let seq = 0;
      const here = id;
      await streamChat(id, content, (event) => {
        const n = ++seq;
        setItems((prev) => applyEvent(prev, event, n, here));
      });
      await reload(id);
    } catch (err) {
      setError(message(err));
    } finally {
      setStreaming(false);
    }
  }

  return (
    <div className="flex h-full">
      <aside className="flex w-60 shrink-0 flex-col gap-2 overflow-y-auto border-r border-base-300 p-3">
        <button className="btn btn-sm btn-outline" onClick={() => open(null)}>New conversation</button>
        <ErrorText error={list.error} />
        <ul className="menu w-full p-0">
          {(list.data ?? []).map((c) => (
            <li key={c.id}>
              <a className={selected === c.id ? 'menu-active' : undefined} onClick={() => open(c.id)}>
                <span className="truncate">{c.title || 'Untitled'}</span>
              </a>
            </li>
          ))}
        </ul>
      </aside>
      <section className="flex min-w-0 flex-1 flex-col">
        <div className="flex-1 space-y-3 overflow-y-auto p-6" data-testid="messages" aria-live="polite" aria-busy={streaming}>
          {items.length === 0 && <Empty>Ask Posey anything.</Empty>}
          <Transcript items={items} citations={citations} streaming={streaming} answer={answer} onAnswered={(a) => void onAnswered(a)} />
          {streaming && <span className="loading loading-dots loading-sm" aria-label="Posey is answering" />}
          <div ref={bottom} />
        </div>
        <ErrorText error={error} />
        <form onSubmit={(e) => void send(e)} className="flex gap-2 border-t border-base-300 p-3">
          <input name="message" className="input flex-1" placeholder="Message Posey" value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus />
          <button type="submit" className="btn btn-primary" disabled={streaming || !draft.trim()}>Send</button>
        </form>
      </section>
    </div>
  );
}
