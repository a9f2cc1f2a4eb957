import { notFound, unstable_rethrow } from 'next/navigation';

import type { AgentInfo } from '@/components/chat/chat-view';
import type { Action } from '@/lib/actions';
import { ServiceError, serviceJson } from '@/lib/server/session';
import type { Conversation, StoredMessage } from '@/lib/types';

import { ChatPage } from '../chat-page';

export const metadata = { title: 'Chat' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function Chat({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  const here = `/chat/${id}`;
  // What waits for the person's yes: a failure here must not hide the conversation.
  const waiting = serviceJson<{ actions: Action[] }>('agents', '/v1/actions', here).catch((error: unknown) => {
    unstable_rethrow(error);
    return { actions: [] as Action[] };
  });
  let loaded: [{ conversations: Conversation[] }, Conversation, { messages: StoredMessage[] }, { agents: AgentInfo[] }, { actions: Action[] }];
  try {
    loaded = await Promise.all([
      serviceJson<{ conversations: Conversation[] }>('agents', '/v1/conversations?limit=200', here),
      serviceJson<Conversation>('agents', `/v1/conversations/${id}`, here),
      serviceJson<{ messages: StoredMessage[] }>('agents', `/v1/conversations/${id}/messages`, here),
      serviceJson<{ agents: AgentInfo[] }>('agents', '/v1/agents', here),
      waiting,
    ]);
  } catch (error) {
    if (error instanceof ServiceError && error.status === 404) notFound();
    throw error;
  }
  const [{ conversations }, conversation, { messages }, { agents }, { actions }] = loaded;
  const asked = actions.filter((a) => a.conversation_id === id);
  return <ChatPage conversations={conversations} conversation={conversation} messages={messages} agents={agents} actions={asked} />;
}
