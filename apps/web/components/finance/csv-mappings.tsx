'use client';
// Saved CSV mappings: how a bank's CSV export is read (delimiter, header, columns, date format,
// decimal separator, sign convention), kept under a name to import with. A new one starts from a
// bank's preset and is written as agents' mapping JSON; what agents finds wrong with it is shown
// under the field. Listed mappings can be deleted.

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, type CsvPresetInfo, type SavedCsvMapping } from '@/lib/finance';

import { FieldError, wired } from './money';

const FIELDS = ['name', 'mapping'] as const;
type Errors = Partial<Record<(typeof FIELDS)[number] | 'form', string[]>>;

const EXAMPLE = {
  delimiter: ';',
  has_header: true,
  date: 'Buchungstag',
  date_format: '%d.%m.%Y',
  amount: 'Betrag',
  payee: 'Empfänger',
  description: ['Verwendungszweck'],
  decimal_separator: ',',
};

export function CsvMappings({ mappings, presets }: { mappings: SavedCsvMapping[]; presets: CsvPresetInfo[] }) {
  const id = useId();
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [json, setJson] = useState(JSON.stringify(presets[0]?.mapping ?? EXAMPLE, null, 2));
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const fid = (f: string) => `${id}-${f}-error`;

  async function save(form: HTMLFormElement) {
    const name = String(new FormData(form).get('name') ?? '').trim();
    const found: Errors = {};
    let mapping: unknown;
    try {
      mapping = JSON.parse(json);
    } catch (e) {
      found.mapping = [`This is not JSON: ${(e as Error).message}`];
    }
    if (!name) found.name = ['Give the mapping a name, like the bank’s.'];
    setErrors(found);
    setFlash(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const made = await api<SavedCsvMapping>('/agents/v1/finance/csv-mappings', { body: { name, mapping } });
      form.reset();
      setFlash(`Saved the mapping “${made.name}”: choose “CSV with a saved mapping” above to import with it.`);
      startRefresh(() => router.refresh());
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, FIELDS, e.message) : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  async function remove(m: SavedCsvMapping) {
    if (!window.confirm(`Delete the mapping “${m.name}”?`)) return;
    setFlash(null);
    try {
      await api(`/agents/v1/finance/csv-mappings/${m.id}`, { method: 'DELETE' });
      setFlash(`Deleted the mapping “${m.name}”.`);
      startRefresh(() => router.refresh());
    } catch (e) {
      setErrors({ form: [(e as Error).message] });
    }
  }

  return (
    <details className="collapse-arrow collapse border border-base-300 bg-base-100" aria-busy={refreshing}>
      <summary className="collapse-title font-semibold">CSV mappings for other banks</summary>
      <div className="collapse-content space-y-3">
        {mappings.length > 0 && (
          <ul className="divide-y divide-base-300 text-sm" aria-label="Saved CSV mappings">
            {mappings.map((m) => (
              <li key={m.id} className="flex items-center gap-2 py-1">
                <span className="flex-1">{m.name}</span>
                <button type="button" className="btn btn-ghost btn-xs text-error" onClick={() => void remove(m)} aria-label={`Delete the mapping ${m.name}`}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
        <form
          className="flex flex-col gap-3"
          aria-labelledby={`${id}-title`}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save(e.currentTarget);
          }}
        >
          <h3 id={`${id}-title`} className="text-sm font-semibold">
            New mapping
          </h3>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Name</span>
            <input className="input w-full" name="name" maxLength={200} {...wired(fid('name'), errors.name)} />
            <FieldError id={fid('name')} messages={errors.name} />
          </label>
          {presets.length > 0 && (
            <label className="flex flex-col gap-1">
              <span className="text-sm">Start from</span>
              <select className="select w-full" defaultValue={presets[0]?.id} onChange={(e) => setJson(JSON.stringify(presets.find((p) => p.id === e.target.value)?.mapping ?? EXAMPLE, null, 2))}>
                {presets.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="flex flex-col gap-1">
            <span className="text-sm">Mapping (columns by header name, or by index from 0 when there is no header; the date format as chrono writes it)</span>
            <textarea className="textarea h-64 w-full font-mono text-xs" spellCheck={false} value={json} onChange={(e) => setJson(e.target.value)} {...wired(fid('mapping'), errors.mapping)} />
            <FieldError id={fid('mapping')} messages={errors.mapping} />
          </label>
          {errors.form && (
            <p role="alert" className="text-sm text-error">
              {errors.form.join(' ')}
            </p>
          )}
          {flash && (
            <p role="status" className="text-sm">
              {flash}
            </p>
          )}
          <button className="btn btn-sm self-start" type="submit" disabled={busy}>
            Save mapping
          </button>
        </form>
      </div>
    </details>
  );
}
