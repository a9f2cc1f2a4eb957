'use client';
// "Waiting for you": every action a tool asked the person to confirm that is still open, newest
// first, answered here as in the conversation. An answered card stays, showing what it came to.

import { useState } from 'react';

import type { Action } from '@/lib/actions';

import { ActionCard } from './action-card';

export function Waiting({ initial }: { initial: Action[] }) {
  const [actions, setActions] = useState(initial);
  if (actions.length === 0) return null;
  const open = actions.filter((a) => a.status === 'pending').length;
  return (
    <section aria-labelledby="waiting-heading" className="space-y-2" data-testid="waiting">
      <h2 id="waiting-heading" className="flex items-center gap-2 font-semibold">
        Waiting for you
        {open > 0 && <span className="badge badge-sm badge-warning">{open}</span>}
      </h2>
      <p className="text-sm opacity-70">Posey asked before doing these. Nothing happens unless you confirm.</p>
      <ul className="space-y-2" aria-label="Waiting for you">
        {actions.map((a) => (
          <li key={a.id}>
            <ActionCard action={a} showConversation onAnswered={(done) => setActions((list) => list.map((x) => (x.id === done.id ? done : x)))} />
          </li>
        ))}
      </ul>
    </section>
  );
}
