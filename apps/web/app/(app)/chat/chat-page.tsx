// The chat page, shared by /chat (a new conversation) and /chat/<id>.

import { ChatView, type AgentInfo } from '@/components/chat/chat-view';
import { ConversationList } from '@/components/chat/conversation-list';
import type { Action } from '@/lib/actions';
import type { Conversation, StoredMessage } from '@/lib/types';

export function ChatPage({
  conversations,
  conversation,
  messages,
  agents,
  actions = [],
}: {
  conversations: Conversation[];
  conversation: Conversation | null;
  messages: StoredMessage[];
  agents: AgentInfo[];
  actions?: Action[];
}) {
  return (
    <div className="flex h-[calc(100dvh-4rem)] md:h-dvh">
      <aside className="hidden w-72 shrink-0 overflow-y-auto border-r border-base-300 bg-base-100 lg:block" aria-label="Conversations">
        <ConversationList conversations={conversations} current={conversation?.id ?? null} />
      </aside>
      <section className="flex min-w-0 flex-1 flex-col" aria-label="Conversation">
        <header className="flex items-center gap-2 border-b border-base-300 bg-base-100 px-3 py-2">
          <details className="dropdown lg:hidden">
            <summary className="btn btn-ghost btn-sm">Chats</summary>
            <div className="dropdown-content z-30 w-72 rounded-box bg-base-100 shadow">
              <ConversationList conversations={conversations} current={conversation?.id ?? null} />
            </div>
          </details>
          <h1 className="truncate font-semibold">{conversation?.title ?? 'New chat'}</h1>
        </header>
        <ChatView key={conversation?.id ?? 'new'} conversation={conversation} messages={messages} agents={agents} actions={actions} />
      </section>
    </div>
  );
}
