import { serviceJson } from '@/lib/server/session';
import type { Conversation } from '@/lib/types';

import { ChatPage } from './chat-page';

export const metadata = { title: 'Chat' };

export default async function NewChat() {
  const { conversations } = await serviceJson<{ conversations: Conversation[] }>('agents', '/v1/conversations?limit=200', '/chat');
  return <ChatPage conversations={conversations} conversation={null} messages={[]} />;
}
