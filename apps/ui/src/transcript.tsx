// A conversation's items: the person's messages, agents' replies as Markdown, hand-offs, tool
// calls as cards, actions waiting for the person's yes, and the citations documents gave.

import { ActionCard } from './action-card';
import type { Action, AnswerAction } from './actions';
import type { Item } from './chat-items';
import { Markdown, type Citation } from './markdown';

function pretty(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

function clip(text: string, max = 4000): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

function ToolCard({ item }: { item: Extract<Item, { kind: 'tool' }> }) {
  const state = item.result === undefined ? 'running' : item.isError ? 'failed' : 'done';
  const badge = state === 'running' ? 'badge-warning' : state === 'failed' ? 'badge-error' : 'badge-success';
  return (
    <details className="collapse-arrow collapse border border-base-300 bg-base-100 text-sm" data-testid="tool-card">
      <summary className="collapse-title flex items-center gap-2 py-2 font-medium">
        <span>{item.name === 'delegate' ? 'Hands over to a specialist' : `Uses ${item.name}`}</span>
        <span className={`badge badge-sm ${badge}`}>{state}</span>
        {state === 'running' && <span className="loading loading-dots loading-xs" aria-hidden="true" />}
      </summary>
      <div className="collapse-content space-y-2">
        <p className="text-xs opacity-70">Arguments</p>
        <pre className="overflow-x-auto rounded bg-base-200 p-2 text-xs">{clip(pretty(item.args))}</pre>
        {item.result !== undefined && (
          <>
            <p className="text-xs opacity-70">{item.isError ? 'Error' : 'Result'}</p>
            <pre className="overflow-x-auto rounded bg-base-200 p-2 text-xs">{clip(pretty(item.result))}</pre>
          </>
        )}
      </div>
    </details>
  );
}

export function Transcript({
  items,
  citations,
  streaming = false,
  answer,
  onAnswered,
}: {
  items: Item[];
  citations: (Citation & { label: string })[];
  /** A turn is running: an action it asked for can be answered once the turn is stored. */
  streaming?: boolean;
  /** How the app sends the person's answer to an action. */
  answer: AnswerAction;
  onAnswered?: (action: Action) => void;
}) {
  return (
    <>
      {items.map((item) => {
        const indent = 'depth' in item && item.depth > 0 ? 'ml-4 border-l-2 border-secondary/40 pl-3' : '';
        switch (item.kind) {
          case 'user':
            return (
              <div key={item.key} className="chat chat-end" data-testid="user-message">
                <div className="chat-bubble chat-bubble-primary whitespace-pre-wrap break-words">{item.text}</div>
              </div>
            );
          case 'text':
            return (
              <div key={item.key} className={`chat chat-start ${indent}`} data-testid="assistant-message">
                <div className="chat-header text-xs opacity-70">{item.agent}</div>
                <div className="chat-bubble max-w-full bg-base-100 text-base-content">
                  <Markdown text={item.text} citations={citations} />
                </div>
              </div>
            );
          case 'handoff':
            return (
              <div key={item.key} className={`divider text-xs opacity-70 ${indent}`} data-testid="handoff">
                {item.from} → {item.to}
              </div>
            );
          case 'tool':
            return (
              <div key={item.key} className={indent}>
                <ToolCard item={item} />
              </div>
            );
          case 'confirmation':
            return (
              <div key={item.key} className="max-w-xl">
                <ActionCard action={item.action} answer={answer} locked={streaming} onAnswered={onAnswered} />
              </div>
            );
          case 'error':
            return (
              <div key={item.key} role="alert" className="alert alert-error alert-soft">
                {item.message}
              </div>
            );
        }
      })}
      {citations.length > 0 && (
        <nav aria-label="Sources" className="flex flex-wrap items-center gap-2 text-sm" data-testid="citations">
          <span className="opacity-70">Sources:</span>
          {citations.map((c) => (
            <a key={c.cite} href={c.href} className="badge badge-soft badge-info">
              {c.label}
            </a>
          ))}
        </nav>
      )}
    </>
  );
}
