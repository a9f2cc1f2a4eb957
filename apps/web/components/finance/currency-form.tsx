'use client';
// The person's currency, which budgets and totals are in (agents' `/v1/finance/settings`).

import { useRouter } from 'next/navigation';
import { useState } from 'react';

import { api, ApiError } from '@/lib/client/api';

import { FieldError, wired } from './money';

export function CurrencyForm({ currency }: { currency: string | null }) {
  const router = useRouter();
  const [error, setError] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="flex flex-wrap items-start gap-2"
      aria-label="Budget currency"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const code = String(new FormData(e.currentTarget).get('currency') ?? '').trim().toUpperCase();
        setBusy(true);
        try {
          await api('/agents/v1/finance/settings', { method: 'PUT', body: { currency: code } });
          setError(undefined);
          router.refresh();
        } catch (err) {
          setError(err instanceof ApiError && err.fields.currency ? err.fields.currency : [(err as Error).message]);
        } finally {
          setBusy(false);
        }
      }}
    >
      <label className="flex flex-col gap-1">
        <span className="text-sm">Currency budgets and totals are in</span>
        <input className="input input-sm w-28 uppercase" name="currency" defaultValue={currency ?? ''} maxLength={3} {...wired('currency-error', error)} />
        <FieldError id="currency-error" messages={error} />
      </label>
      <button type="submit" className="btn btn-sm mt-6" disabled={busy}>
        Save
      </button>
    </form>
  );
}
