// Documents: what the person gave Posey to read, with where its ingestion is; upload (the
// bridge sends the bytes) and delete. A citation in the chat opens this page on its document.

import type { AgentsComponents } from '@posey/sdk';
import { type ChangeEvent, useCallback, useEffect, useRef, useState } from 'react';

import { api, message, uploadDocument } from '../bridge';
import { Empty, ErrorText, Page } from '../ui';
import { useLoad } from '../useLoad';

type Doc = AgentsComponents['schemas']['Document'];

const BADGE: Record<Doc['status'], string> = {
  queued: 'badge-ghost',
  extracting: 'badge-info',
  embedding: 'badge-info',
  ready: 'badge-success',
  failed: 'badge-error',
};

export function Documents({ cited = null }: { cited?: string | null }) {
  const [busy, setBusy] = useState(false);
  const citedCard = useRef<HTMLLIElement>(null);
  const docs = useLoad(useCallback(async () => (await api<{ documents: Doc[] }>('agents', 'GET', '/v1/documents?limit=200')).documents, []));
  const { reload, data } = docs;

  // While something is being read, look again every few seconds.
  const working = (data ?? []).some((d) => d.status !== 'ready' && d.status !== 'failed');
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(reload, 3000);
    return () => clearInterval(timer);
  }, [working, reload]);

  const found = (data ?? []).some((d) => d.id === cited);
  useEffect(() => {
    if (found) citedCard.current?.scrollIntoView({ block: 'center' });
  }, [found]);

  async function upload(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setBusy(true);
    try {
      await uploadDocument(file);
      reload();
    } catch (err) {
      docs.setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(id: string) {
    try {
      await api('agents', 'DELETE', `/v1/documents/${encodeURIComponent(id)}`);
      docs.setData((d = []) => d.filter((x) => x.id !== id));
    } catch (err) {
      docs.setError(message(err));
    }
  }

  return (
    <Page
      title="Documents"
      actions={
        <label className={`btn btn-primary btn-sm ${busy ? 'btn-disabled' : ''}`}>
          {busy ? 'Uploading…' : 'Upload'}
          <input type="file" className="hidden" accept=".pdf,.docx,.html,.htm,.md,.txt" onChange={(e) => void upload(e)} />
        </label>
      }
    >
      <ErrorText error={docs.error} />
      {data?.length === 0 && <Empty>No documents yet: PDF, Word, HTML, Markdown or plain text.</Empty>}
      <ul className="flex flex-col gap-2">
        {(data ?? []).map((d) => (
          <li
            key={d.id}
            ref={d.id === cited ? citedCard : undefined}
            data-testid="document"
            aria-current={d.id === cited ? 'true' : undefined}
            className={`card card-border bg-base-100 ${d.id === cited ? 'border-primary' : ''}`}
          >
            <div className="card-body flex-row items-center justify-between gap-4 p-4">
              <div className="min-w-0">
                <div className="truncate font-medium">{d.filename}</div>
                <div className="text-xs text-base-content/60">
                  {(d.size_bytes / 1024).toFixed(0)} KB · {new Date(d.created_at).toLocaleDateString()}
                  {d.status === 'embedding' && ` · ${d.chunks_done}/${d.chunks_total}`}
                  {d.error && ` · ${d.error}`}
                </div>
              </div>
              <div className="flex items-center gap-2">
                <span className={`badge ${BADGE[d.status]}`}>{d.status}</span>
                <button className="btn btn-ghost btn-sm" onClick={() => void remove(d.id)}>Delete</button>
              </div>
            </div>
          </li>
        ))}
      </ul>
    </Page>
  );
}
