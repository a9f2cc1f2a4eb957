// The quick-chat window (the global shortcut opens it): one question, its answer streaming in,
// in a conversation of its own that the main window lists too; shown as the main window's chat
// (@posey/ui's transcript), so an action the answer asks for can be confirmed here.

import type { AgentsComponents } from '@posey/sdk';
import { applyEvent, citationsOf, type Item, Transcript } from '@posey/ui';
import { type FormEvent, useMemo, useState } from 'react';

import { api, message, streamChat } from '../bridge';
import { answer, passageHref } from '../chat';
import { ErrorText } from '../ui';

type Conversation = AgentsComponents['schemas']['Conversation'];

export function Quick() {
  const [draft, setDraft] = useState('');
  const [items, setItems] = useState<Item[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const citations = useMemo(() => citationsOf(items, passageHref), [items]);

  async function ask(e: FormEvent) {
    e.preventDefault();
    const content = draft.trim();
    if (!content || streaming) return;
    setError(null);
    setStreaming(true);
    setItems([{ kind: 'user', key: 'question', text: content }]);
    try {
      const conversation = await api<Conversation>('agents', 'POST', '/v1/conversations', { title: content.slice(0, 80) });
      let seq = 0;
      await streamChat(conversation.id, content, (event) => {
        const n = ++seq;
        setItems((prev) => applyEvent(prev, event, n, conversation.id));
      });
    } catch (err) {
      setError(message(err));
    } finally {
      setStreaming(false);
    }
  }

  return (
    <div className="flex h-screen flex-col gap-3 bg-base-100 p-4">
      <form onSubmit={(e) => void ask(e)} className="flex gap-2">
        <input className="input flex-1" placeholder="Ask Posey" value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus />
        <button type="submit" className="btn btn-primary" disabled={streaming}>Ask</button>
      </form>
      <ErrorText error={error} />
      <div className="flex-1 space-y-3 overflow-y-auto" aria-live="polite" aria-busy={streaming}>
        <Transcript items={items} citations={citations} streaming={streaming} answer={answer} />
        {streaming && <span className="loading loading-dots loading-sm" aria-label="Posey is answering" />}
      </div>
    </div>
  );
}
