'use client';
// The import wizard: choose the account, upload a bank file (OFX/QFX and CAMT.053 are
// recognised; a CSV file is read with a saved mapping or a bank's preset), look at the preview
// (each line new or already there, the category a rule chose, the file's closing balance against
// what the account would hold), then commit it or discard it. Below, the past imports, each
// deletable (a committed one takes the transactions it added with it).

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { api, ApiError, errorOf, signedOut } from '@/lib/client/api';
import { apiFieldErrors, dayLabel, type CsvPresetInfo, type FinanceAccount, type FinanceImport, type SavedCsvMapping } from '@/lib/finance';

import { FieldError, Money, Scroll, wired } from './money';

const FORMAT_NAMES: Record<string, string> = { ofx: 'OFX', camt053: 'CAMT.053', csv: 'CSV' };

/** The upload: the file's bytes as they are, to the BFF's streaming upload route. */
export async function uploadStatement(file: Blob & { name?: string }, params: Record<string, string>): Promise<FinanceImport> {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  const response = await fetch(`/upload/finance-imports?${query}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/octet-stream' },
    body: file,
    cache: 'no-store',
  });
  if (response.status === 401) signedOut();
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as FinanceImport;
}

const UPLOAD_FIELDS = ['account_id', 'format', 'mapping_id', 'preset', 'file'] as const;
type UploadErrors = Partial<Record<(typeof UPLOAD_FIELDS)[number] | 'form', string[]>>;

type Reader = 'auto' | 'mapping' | 'preset';

/** How many of a preview's lines the table shows. */
export const SHOWN_LINES = 500;

export function Preview({ preview, account, busy, onCommit, onDiscard }: { preview: FinanceImport; account?: FinanceAccount; busy: boolean; onCommit: () => void; onDiscard: () => void }) {
  const all = preview.lines ?? [];
  // A year of a busy account is thousands of lines: the first ones are shown, all are committed.
  const lines = all.slice(0, SHOWN_LINES);
  const currency = account?.currency ?? '';
  const check = preview.balance_check;
  return (
    <section className="card bg-base-100 shadow-sm" aria-labelledby="preview-title" data-testid="import-preview">
      <div className="card-body gap-3">
        <h2 id="preview-title" className="card-title text-base">
          Preview of {preview.file_name ?? 'the file'} ({FORMAT_NAMES[preview.format] ?? preview.format}) into {account?.name ?? 'the account'}
        </h2>
        <p data-testid="preview-summary">
          {preview.new_lines ?? 0} new, {preview.duplicate_lines ?? 0} already there (skipped when committing)
          {preview.matched_lines ? `, ${preview.matched_lines} already posted by a recurring transaction (linked to it, not added again)` : ''}. Nothing is written until you
          commit.
        </p>
        {check ? (
          <div role="status" className={`alert alert-soft ${check.matches ? 'alert-success' : 'alert-error'}`} data-testid="balance-check">
            <span>
              {check.matches ? 'The balance matches: ' : 'The balance does not match: '}
              the file says <Money amount={check.stated} currency={currency} /> at the end of {dayLabel(check.date)}; with these lines the account would hold <Money amount={check.after_import} currency={currency} />.
            </span>
          </div>
        ) : (
          <p className="text-sm opacity-80">The file states no closing balance to check against.</p>
        )}
        <Scroll label="Lines in the file" className="max-h-[60dvh] overflow-auto">
          <table className="table table-sm table-pin-rows" aria-label="Lines in the file">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Payee</th>
                <th scope="col">Description</th>
                <th scope="col">Category</th>
                <th scope="col" className="text-right">
                  Amount
                </th>
                <th scope="col">Import</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l) => (
                <tr key={`${l.source}-${l.import_key}`} data-testid="preview-line" data-duplicate={l.duplicate}>
                  <td className="whitespace-nowrap">{dayLabel(l.date)}</td>
                  <th scope="row" className="font-normal">
                    {l.payee ?? ''}
                    {l.file_payee && l.file_payee !== l.payee && <span className="block text-xs opacity-80">file: {l.file_payee}</span>}
                  </th>
                  <td className="max-w-72 truncate text-xs" title={l.description ?? undefined}>
                    {l.description ?? ''}
                  </td>
                  <td>{l.category ?? <span className="opacity-80">Uncategorised</span>}</td>
                  <td className="text-right">
                    <Money amount={l.amount} currency={currency} tone />
                  </td>
                  <td>
                    {l.duplicate ? (
                      <span className="badge badge-sm badge-ghost">duplicate</span>
                    ) : l.matches ? (
                      <span className="badge badge-sm badge-ghost" title="A recurring transaction posted this payment already: committing links this line to it.">
                        posted already
                      </span>
                    ) : (
                      <span className="badge badge-sm badge-primary">new</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
        {all.length > lines.length && (
          <p className="text-sm" data-testid="preview-cut">
            The first {lines.length} of {all.length} lines are shown; committing takes them all.
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn btn-primary" disabled={busy} onClick={onCommit}>
            Commit {preview.new_lines ?? 0} new transaction{preview.new_lines === 1 ? '' : 's'}
          </button>
          <button type="button" className="btn" disabled={busy} onClick={onDiscard}>
            Discard
          </button>
        </div>
      </div>
    </section>
  );
}

export function ImportWizard({
  accounts,
  imports,
  mappings,
  presets,
  initialAccount,
}: {
  accounts: FinanceAccount[];
  imports: FinanceImport[];
  mappings: SavedCsvMapping[];
  presets: CsvPresetInfo[];
  initialAccount?: string;
}) {
  const id = useId();
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const open = accounts.filter((a) => !a.closed_at);
  const [accountId, setAccountId] = useState(initialAccount && open.some((a) => a.id === initialAccount) ? initialAccount : (open[0]?.id ?? ''));
  const [reader, setReader] = useState<Reader>('auto');
  const [errors, setErrors] = useState<UploadErrors>({});
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<FinanceImport | null>(null);
  const [flash, setFlash] = useState<{ text: string; importId?: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fid = (f: string) => `${id}-${f}-error`;
  const names = new Map(accounts.map((a) => [a.id, a]));
  const refresh = () => startRefresh(() => router.refresh());

  async function upload(form: HTMLFormElement) {
    const data = new FormData(form);
    const file = data.get('file');
    const found: UploadErrors = {};
    if (!accountId) found.account_id = ['Choose the account the file is a statement of.'];
    if (!(file instanceof File) || file.size === 0) found.file = ['Choose the bank file.'];
    const mapping = String(data.get('mapping_id') ?? '');
    const preset = String(data.get('preset') ?? '');
    if (reader === 'mapping' && !mapping) found.mapping_id = ['Choose a saved mapping.'];
    if (reader === 'preset' && !preset) found.preset = ['Choose your bank.'];
    setErrors(found);
    setFlash(null);
    setError(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const made = await uploadStatement(file as File, {
        account_id: accountId,
        ...(reader === 'mapping' ? { format: 'csv', mapping_id: mapping } : {}),
        ...(reader === 'preset' ? { format: 'csv', preset } : {}),
        file_name: (file as File).name,
      });
      setPreview(made);
      refresh();
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, UPLOAD_FIELDS, e.message) : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  async function commit() {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      const done = await api<FinanceImport>(`/agents/v1/finance/imports/${preview.id}/commit`, { method: 'POST' });
      setPreview(null);
      const linked = done.matched ? `, ${done.matched} linked to what recurring transactions posted` : '';
      setFlash({ text: `Imported ${done.file_name ?? 'the file'}: ${done.added ?? 0} added${linked}, ${done.skipped ?? 0} skipped as already there.`, importId: done.id });
      refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function reopen(i: FinanceImport) {
    setError(null);
    setFlash(null);
    try {
      setPreview(await api<FinanceImport>(`/agents/v1/finance/imports/${i.id}`));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function remove(i: FinanceImport, asPreview = false) {
    const committed = i.state === 'committed';
    if (!asPreview && !window.confirm(committed ? `Delete the import of ${i.file_name ?? 'this file'} and the ${i.added ?? 0} transactions it added?` : `Discard the preview of ${i.file_name ?? 'this file'}?`)) return;
    setBusy(true);
    setError(null);
    setFlash(null);
    try {
      let gone: { transactions: number };
      try {
        gone = await api<{ transactions: number }>(`/agents/v1/finance/imports/${i.id}`, { method: 'DELETE' });
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409 && committed)) throw e;
        if (!window.confirm(`${e.message} Delete them anyway?`)) return;
        gone = await api<{ transactions: number }>(`/agents/v1/finance/imports/${i.id}?confirm_reconciled=true`, { method: 'DELETE' });
      }
      if (preview?.id === i.id) setPreview(null);
      setFlash({ text: committed ? `Deleted the import and the ${gone.transactions} transaction${gone.transactions === 1 ? '' : 's'} it added.` : 'Discarded the preview.' });
      refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  if (open.length === 0) {
    return (
      <p>
        Open an account first: <Link className="link" href="/finance/accounts">Accounts</Link>.
      </p>
    );
  }

  return (
    <div className="space-y-6" aria-busy={refreshing}>
      <form
        className="card bg-base-100 shadow-sm"
        aria-labelledby={`${id}-title`}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void upload(e.currentTarget);
        }}
      >
        <div className="card-body gap-3">
          <h2 id={`${id}-title`} className="card-title text-base">
            Import a bank file
          </h2>
          <div className="grid gap-3 sm:grid-cols-2">
            <label className="flex flex-col gap-1">
              <span className="text-sm">1. Account</span>
              <select className="select w-full" value={accountId} onChange={(e) => setAccountId(e.target.value)} {...wired(fid('account_id'), errors.account_id)}>
                {open.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.currency})
                  </option>
                ))}
              </select>
              <FieldError id={fid('account_id')} messages={errors.account_id} />
            </label>
            <label className="flex flex-col gap-1">
              <span className="text-sm">2. Kind of file</span>
              <select className="select w-full" value={reader} onChange={(e) => setReader(e.target.value as Reader)} {...wired(fid('format'), errors.format)}>
                <option value="auto">OFX, QFX or CAMT.053 (recognised)</option>
                <option value="preset">CSV from a bank Posey knows</option>
                <option value="mapping" disabled={mappings.length === 0}>
                  CSV with a saved mapping{mappings.length === 0 ? ' (none saved)' : ''}
                </option>
              </select>
              <FieldError id={fid('format')} messages={errors.format} />
            </label>
            {reader === 'preset' && (
              <label className="flex flex-col gap-1">
                <span className="text-sm">Bank</span>
                <select className="select w-full" name="preset" defaultValue="" {...wired(fid('preset'), errors.preset)}>
                  <option value="">Choose…</option>
                  {presets.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                </select>
                <FieldError id={fid('preset')} messages={errors.preset} />
              </label>
            )}
            {reader === 'mapping' && (
              <label className="flex flex-col gap-1">
                <span className="text-sm">Mapping</span>
                <select className="select w-full" name="mapping_id" defaultValue="" {...wired(fid('mapping_id'), errors.mapping_id)}>
                  <option value="">Choose…</option>
                  {mappings.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </select>
                <FieldError id={fid('mapping_id')} messages={errors.mapping_id} />
              </label>
            )}
            <label className="flex flex-col gap-1 sm:col-span-2">
              <span className="text-sm">3. File</span>
              <input className="file-input w-full" type="file" name="file" accept=".ofx,.qfx,.xml,.csv,.txt,application/x-ofx,text/csv,application/xml,text/xml" {...wired(fid('file'), errors.file)} />
              <FieldError id={fid('file')} messages={errors.file} />
            </label>
          </div>
          {errors.form && (
            <p role="alert" className="text-sm text-error">
              {errors.form.join(' ')}
            </p>
          )}
          <button className="btn btn-primary" type="submit" disabled={busy}>
            Upload and preview
          </button>
        </div>
      </form>

      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          <span>{error}</span>
        </div>
      )}
      {flash && (
        <div role="status" className="alert alert-success alert-soft" data-testid="import-done">
          <span>
            {flash.text}{' '}
            {flash.importId && (
              <Link className="link" href={`/finance/transactions?import_id=${flash.importId}`}>
                See them
              </Link>
            )}
          </span>
        </div>
      )}
      {preview && <Preview preview={preview} account={names.get(preview.account_id)} busy={busy} onCommit={() => void commit()} onDiscard={() => void remove(preview, true)} />}

      <section aria-labelledby={`${id}-past`}>
        <h2 id={`${id}-past`} className="mb-2 font-semibold">
          Past imports
        </h2>
        {imports.length === 0 ? (
          <p className="text-sm opacity-80">None yet.</p>
        ) : (
          <Scroll label="Past imports">
            <table className="table table-sm bg-base-100" aria-label="Past imports">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Account</th>
                  <th scope="col">Format</th>
                  <th scope="col">When</th>
                  <th scope="col">Result</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {imports.map((i) => (
                  <tr key={i.id} data-testid="past-import" data-state={i.state}>
                    <th scope="row" className="font-normal">
                      {i.state === 'committed' ? (
                        <Link className="link" href={`/finance/transactions?import_id=${i.id}`}>
                          {i.file_name ?? '(no name)'}
                        </Link>
                      ) : (
                        (i.file_name ?? '(no name)')
                      )}
                    </th>
                    <td>{names.get(i.account_id)?.name ?? ''}</td>
                    <td>{FORMAT_NAMES[i.format] ?? i.format}</td>
                    <td className="whitespace-nowrap">{dayLabel(i.committed_at ?? i.created_at)}</td>
                    <td>{i.state === 'committed' ? `${i.added ?? 0} added, ${i.skipped ?? 0} skipped` : `preview: ${i.new_lines ?? 0} new, ${i.duplicate_lines ?? 0} already there`}</td>
                    <td>
                      <div className="flex flex-wrap justify-end gap-1">
                      {i.state === 'preview' && preview?.id !== i.id && (
                        <button type="button" className="btn btn-xs" disabled={busy} onClick={() => void reopen(i)} aria-label={`Open the preview of ${i.file_name ?? 'the file'}`}>
                          Open
                        </button>
                      )}
                      <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={() => void remove(i)} aria-label={`${i.state === 'committed' ? 'Delete' : 'Discard'} the import of ${i.file_name ?? 'the file'}`}>
                        {i.state === 'committed' ? 'Delete' : 'Discard'}
                      </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        )}
      </section>
    </div>
  );
}
