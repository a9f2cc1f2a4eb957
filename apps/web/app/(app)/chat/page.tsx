import type { AgentInfo } from '@/components/chat/chat-view';
import { serviceJson } from '@/lib/server/session';
import type { Conversation } from '@/lib/types';

import { ChatPage } from './chat-page';

export const metadata = { title: 'Chat' };

export default async function NewChat() {
  const [{ conversations }, { agents }] = await Promise.all([
    serviceJson<{ conversations: Conversation[] }>('agents', '/v1/conversations?limit=200', '/chat'),
    serviceJson<{ agents: AgentInfo[] }>('agents', '/v1/agents', '/chat'),
  ]);
  return <ChatPage conversations={conversations} conversation={null} messages={[]} agents={agents} />;
}
