'use client';
// The home's activity: every command, by the person, the companion or an automation, newest
// first (agents' audit log), with what it came to and the state after; older ones on request.

import { useId, useState } from 'react';

import { Scroll } from '@/components/finance/money';
import { api } from '@/lib/client/api';
import { actorLabel, auditWhat, entityName, instantLabel, newestFirst, outcomeLabel, type AuditEntry, type Entity } from '@/lib/home';

const OUTCOME_BADGE: Record<string, string> = { done: 'badge-success', failed: 'badge-error', refused: 'badge-warning', awaiting_confirmation: 'badge-info' };
const PAGE = 50;

export function Activity({ entries, entities, zone, problem, onMore }: { entries: AuditEntry[]; entities: Entity[]; zone: string; problem: string | null; onMore: (older: AuditEntry[]) => void }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const names = new Map(entities.map((e) => [e.entity_id, entityName(e)]));
  const sorted = newestFirst(entries);

  async function more() {
    const oldest = sorted[sorted.length - 1];
    if (!oldest) return;
    setBusy(true);
    setError(null);
    try {
      const { entries: older } = await api<{ entries: AuditEntry[] }>(`/agents/v1/home/audit?${new URLSearchParams({ limit: String(PAGE), before: oldest.at })}`);
      if (older.length < PAGE) setDone(true);
      onMore(older);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card bg-base-100 shadow-sm" aria-labelledby={`${id}-title`}>
      <div className="card-body gap-3">
        <h2 id={`${id}-title`} className="card-title text-base">
          Activity
        </h2>
        {problem && <p className="text-sm text-error">The activity cannot be shown: {problem}</p>}
        {!problem && sorted.length === 0 && <p className="text-sm opacity-80">Nothing done yet. Every command, yours, the companion’s or an automation’s, is listed here.</p>}
        {sorted.length > 0 && (
          <Scroll label="Activity, newest first">
            <table className="table table-sm" data-testid="audit">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">State after</th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((entry) => (
                  <tr key={entry.id}>
                    <td className="whitespace-nowrap">
                      <time dateTime={entry.at}>{instantLabel(entry.at, zone)}</time>
                    </td>
                    <td>{actorLabel(entry)}</td>
                    <td>{auditWhat(entry, names.get(entry.entity_id))}</td>
                    <td>
                      <span className={`badge badge-sm whitespace-nowrap ${OUTCOME_BADGE[entry.outcome] ?? 'badge-ghost'}`}>{outcomeLabel(entry.outcome)}</span>
                      {entry.error && <p className="text-xs text-error">{entry.error}</p>}
                    </td>
                    <td>{entry.state_after ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        )}
        {error && (
          <p role="alert" className="text-sm text-error">
            {error}
          </p>
        )}
        {sorted.length >= PAGE && !done && (
          <button type="button" className="btn btn-sm self-start" disabled={busy} onClick={() => void more()}>
            Older
          </button>
        )}
      </div>
    </section>
  );
}
