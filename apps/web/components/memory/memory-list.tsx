'use client';
// The shared memory list (@posey/ui) as the web app shows it: through the BFF, a memory's
// conversation one link away.

import { type AgentsCall, MemoryList as SharedList } from '@posey/ui';
import Link from 'next/link';

import { api } from '@/lib/client/api';
import type { Memory } from '@/lib/types';

const call: AgentsCall = (method, path, body) => api(`/agents${path}`, { method, body });

export function MemoryList({ initial }: { initial: Memory[] }) {
  return (
    <SharedList
      initial={initial}
      call={call}
      conversationLink={(id, label) => (
        <Link className="link" href={`/chat/${id}`}>
          {label}
        </Link>
      )}
    />
  );
}
