// Memory: what Posey remembers about the person, as the web app shows it (@posey/ui's list:
// search by meaning, add, edit, delete, where each memory came from), through the bridge.

import type { AgentsComponents } from '@posey/sdk';
import { type AgentsCall, MemoryList } from '@posey/ui';
import { useCallback } from 'react';

import { api } from '../bridge';
import { ErrorText, Page } from '../ui';
import { useLoad } from '../useLoad';

type MemoryItem = AgentsComponents['schemas']['Memory'];

const call: AgentsCall = (method, path, body) => api('agents', method, path, body);

export function Memory() {
  const memories = useLoad(useCallback(async () => (await api<{ memories: MemoryItem[] }>('agents', 'GET', '/v1/memories?limit=200')).memories, []));
  return (
    <Page title="Memory">
      <ErrorText error={memories.error} />
      {memories.data && (
        <MemoryList
          initial={memories.data}
          call={call}
          conversationLink={(id, label) => (
            <a className="link" href={`#/chat/${encodeURIComponent(id)}`}>
              {label}
            </a>
          )}
        />
      )}
    </Page>
  );
}
