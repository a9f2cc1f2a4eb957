'use client';
// One action a tool asked the person to confirm: what it would do and why it asks, until when,
// and Confirm / Deny while it may still be answered; then what it came to (Done, Failed with
// why, Denied). Shown in the conversation that asked and in the "Waiting for you" list, in the
// web and the desktop app alike; how an answer is sent is the app's.

import { type ReactNode, useState } from 'react';

import { type Action, type AnswerAction, outcomeOf, type Verb } from './actions';

export interface ActionCardViewProps {
  action: Action;
  /** The answer being sent, if any. */
  busy?: Verb | null;
  /** Why the last answer did not go through. */
  error?: string | null;
  /** No more buttons: the service said it can no longer be answered (see `error`). */
  closed?: boolean;
  /** Buttons shown but not usable yet (the turn that asked is still being stored). */
  locked?: boolean;
  /** A link to the conversation that asked (in the list; not inside the conversation itself). */
  conversationLink?: ReactNode;
  onAnswer?: (verb: Verb) => void;
  now?: number;
}

export function ActionCardView({ action, busy = null, error = null, closed = false, locked = false, conversationLink = null, onAnswer, now }: ActionCardViewProps) {
  const outcome = outcomeOf(action, now);
  const open = outcome.open && !closed;
  const expires = new Date(action.expires_at);
  return (
    <article className={`card card-sm border bg-base-100 shadow-sm ${outcome.open ? 'border-warning/60' : 'border-base-300'}`} aria-label={`Confirm: ${action.summary}`} data-testid="action-card" data-status={action.status}>
      <div className="card-body gap-2">
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-xs uppercase tracking-wide opacity-70">{outcome.open ? 'Needs your yes' : 'Asked before acting'}</span>
          <span className={`badge badge-sm ${outcome.badge}`} data-testid="action-status">
            {outcome.label}
          </span>
        </div>
        <p className="text-base font-semibold">{action.summary}</p>
        <p className="text-sm">
          <span className="opacity-70">Why it asks: </span>
          {action.reason}
        </p>
        {action.status === 'pending' && (
          <p className="text-xs opacity-70">
            {outcome.label === 'Expired' ? 'Expired at ' : 'Expires at '}
            <time dateTime={action.expires_at} suppressHydrationWarning>
              {expires.toLocaleString()}
            </time>
            {outcome.label === 'Expired' && '. Ask again to do it.'}
          </p>
        )}
        {action.result !== null && (
          <p className={`whitespace-pre-wrap text-sm ${action.status === 'failed' ? 'text-error' : ''}`} data-testid="action-result">
            {action.result}
          </p>
        )}
        {action.status === 'denied' && <p className="text-sm">Nothing was done.</p>}
        {error && (
          <div role="alert" className="alert alert-error alert-soft py-2 text-sm">
            {error}
          </div>
        )}
        {(open || conversationLink) && (
          <div className="card-actions items-center justify-end">
            {conversationLink && <span className="mr-auto text-sm">{conversationLink}</span>}
            {open && (
              <>
                <button type="button" className="btn btn-sm" disabled={locked || busy !== null} onClick={() => onAnswer?.('deny')}>
                  {busy === 'deny' && <span className="loading loading-spinner loading-xs" aria-hidden="true" />}
                  Deny
                </button>
                <button type="button" className="btn btn-sm btn-primary" disabled={locked || busy !== null} onClick={() => onAnswer?.('confirm')}>
                  {busy === 'confirm' && <span className="loading loading-spinner loading-xs" aria-hidden="true" />}
                  Confirm
                </button>
              </>
            )}
          </div>
        )}
      </div>
    </article>
  );
}

/** The card with its answers sent by `answer`; `onAnswered` gets the action as it is now. */
export function ActionCard({
  action,
  answer,
  conversationLink,
  locked,
  onAnswered,
}: {
  action: Action;
  answer: AnswerAction;
  conversationLink?: ReactNode;
  locked?: boolean;
  onAnswered?: (action: Action) => void;
}) {
  const [answered, setAnswered] = useState<Action | null>(null);
  const [busy, setBusy] = useState<Verb | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [closed, setClosed] = useState(false);

  async function send(verb: Verb) {
    setBusy(verb);
    setError(null);
    const outcome = await answer(action.id, verb);
    setBusy(null);
    if ('action' in outcome) {
      setAnswered(outcome.action);
      onAnswered?.(outcome.action);
    } else {
      setError(outcome.error);
      setClosed(outcome.final);
    }
  }

  // What this card was told last wins over a stale copy from its parent.
  const shown = answered && action.status === 'pending' ? answered : action;
  return <ActionCardView action={shown} busy={busy} error={error} closed={closed} locked={locked} conversationLink={conversationLink} onAnswer={(verb) => void send(verb)} />;
}
