// An amount with its currency, every digit as the API gave it (`lib/finance.ts` formats the
// string; no float ever holds it). Money out is red when `tone` asks for it.

import { formatAmount, isNegative, isZero } from '@/lib/finance';

export function Money({ amount, currency, signed, tone, className = '' }: { amount: string; currency: string; signed?: boolean; tone?: boolean; className?: string }) {
  let colour = '';
  if (tone) {
    try {
      colour = isNegative(amount) ? 'text-error' : isZero(amount) ? '' : 'text-success';
    } catch {
      colour = '';
    }
  }
  return (
    <span className={`whitespace-nowrap tabular-nums ${colour} ${className}`.trim()} data-amount={amount} data-currency={currency}>
      {formatAmount(amount, currency, { signed })}
    </span>
  );
}

/** The messages under a field (`id` is what the field's `aria-describedby` names). */
export function FieldError({ id, messages }: { id: string; messages?: string[] }) {
  if (!messages?.length) return null;
  return (
    <p id={id} className="text-sm text-error" data-testid="field-error">
      {messages.join(' ')}
    </p>
  );
}

/** An input's wiring to its error: `aria-invalid` and `aria-describedby`. */
export function wired(id: string, messages?: string[]): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return messages?.length ? { 'aria-invalid': true, 'aria-describedby': id } : {};
}

/** A region that scrolls sideways on a narrow screen (a wide table), reachable by keyboard. */
export function Scroll({ label, className = 'overflow-x-auto', children }: { label: string; className?: string; children: React.ReactNode }) {
  return (
    <div className={className} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
