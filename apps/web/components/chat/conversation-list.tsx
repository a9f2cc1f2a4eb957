'use client';
// The person's conversations: search by title, rename, delete.

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';

import { api } from '@/lib/client/api';
import type { Conversation } from '@/lib/types';

export function ConversationList({ conversations, current }: { conversations: Conversation[]; current: string | null }) {
  const router = useRouter();
  const [query, setQuery] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = conversations.filter((c) => c.title.toLowerCase().includes(query.trim().toLowerCase()));

  async function rename(id: string, title: string) {
    setError(null);
    try {
      await api(`/agents/v1/conversations/${id}`, { method: 'PATCH', body: { title } });
      setEditing(null);
      router.refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function remove(c: Conversation) {
    if (!window.confirm(`Delete “${c.title}” and its messages?`)) return;
    setError(null);
    try {
      await api(`/agents/v1/conversations/${c.id}`, { method: 'DELETE' });
      if (c.id === current) router.push('/chat');
      router.refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div className="flex flex-col gap-2 p-3">
      <Link href="/chat" className="btn btn-primary btn-sm">
        New chat
      </Link>
      <label className="input input-sm w-full">
        <span className="sr-only">Search conversations</span>
        <input type="search" placeholder="Search conversations" value={query} onChange={(e) => setQuery(e.target.value)} />
      </label>
      {error && (
        <p role="alert" className="text-sm text-error">
          {error}
        </p>
      )}
      <ul className="menu w-full p-0" aria-label="Conversations">
        {shown.map((c) => (
          <li key={c.id}>
            {editing === c.id ? (
              <form
                className="flex gap-1 p-1"
                onSubmit={(e) => {
                  e.preventDefault();
                  void rename(c.id, String(new FormData(e.currentTarget).get('title') ?? ''));
                }}
              >
                <input name="title" aria-label="New title" className="input input-xs flex-1" defaultValue={c.title} maxLength={200} autoFocus required />
                <button className="btn btn-xs btn-primary" type="submit">
                  Save
                </button>
                <button className="btn btn-xs" type="button" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <div className={`flex items-center gap-1 ${c.id === current ? 'menu-active' : ''}`}>
                <Link href={`/chat/${c.id}`} className="flex-1 truncate" aria-current={c.id === current ? 'page' : undefined}>
                  {c.title}
                </Link>
                <button className="btn btn-ghost btn-xs" type="button" onClick={() => setEditing(c.id)} aria-label={`Rename ${c.title}`}>
                  Rename
                </button>
                <button className="btn btn-ghost btn-xs text-error" type="button" onClick={() => void remove(c)} aria-label={`Delete ${c.title}`}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
        {shown.length === 0 && <li className="p-2 text-sm opacity-70">{query ? 'No conversation matches.' : 'No conversations yet.'}</li>}
      </ul>
    </div>
  );
}
