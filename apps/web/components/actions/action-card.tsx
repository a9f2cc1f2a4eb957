'use client';
// The shared action card (@posey/ui) as the web app shows it: answers through the BFF, and in the
// "Waiting for you" list a link to the conversation that asked.

import { ActionCard as SharedCard, type Action } from '@posey/ui';
import Link from 'next/link';

import { answerAction } from '@/lib/actions';

export function ActionCard({
  action,
  showConversation,
  locked,
  onAnswered,
}: {
  action: Action;
  showConversation?: boolean;
  locked?: boolean;
  onAnswered?: (action: Action) => void;
}) {
  const link =
    showConversation && action.conversation_id ? (
      <Link className="link" href={`/chat/${action.conversation_id}`}>
        open the conversation
      </Link>
    ) : null;
  return <SharedCard action={action} answer={answerAction} conversationLink={link} locked={locked} onAnswered={onAnswered} />;
}
