'use client';
// Documents: drop or pick files to upload (with progress, and the reason when one is refused or
// fails), watch ingestion until ready, delete.

import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';

import { api, errorOf, signedOut } from '@/lib/client/api';
import type { DocumentInfo } from '@/lib/types';

interface Upload {
  id: number;
  name: string;
  progress: number;
  error?: string;
}

const WORKING = new Set(['queued', 'extracting', 'embedding']);

function size(bytes: number) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** XHR, not fetch: only it reports upload progress. */
function upload(file: File, onProgress: (fraction: number) => void): Promise<DocumentInfo> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/upload/documents');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new Error('The upload was cut off. Check the connection and try again.'));
    xhr.onload = async () => {
      const response = new Response(xhr.responseText || null, {
        status: xhr.status,
        headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '', 'retry-after': xhr.getResponseHeader('retry-after') ?? '' },
      });
      if (xhr.status === 401) signedOut();
      if (xhr.status >= 400) reject(await errorOf(response));
      else resolve((await response.json()) as DocumentInfo);
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

export function Documents({ initial }: { initial: DocumentInfo[] }) {
  const [documents, setDocuments] = useState(initial);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    const { documents: list } = await api<{ documents: DocumentInfo[] }>('/agents/v1/documents?limit=200');
    setDocuments(list);
  }, []);

  const working = documents.some((d) => WORKING.has(d.status));
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(() => void refresh().catch(() => {}), 1500);
    return () => clearInterval(timer);
  }, [working, refresh]);

  async function send(files: FileList | File[]) {
    for (const file of Array.from(files)) {
      const id = Date.now() + Math.random();
      setUploads((u) => [...u, { id, name: file.name, progress: 0 }]);
      try {
        await upload(file, (p) => setUploads((u) => u.map((x) => (x.id === id ? { ...x, progress: p } : x))));
        setUploads((u) => u.filter((x) => x.id !== id));
        await refresh();
      } catch (e) {
        setUploads((u) => u.map((x) => (x.id === id ? { ...x, error: (e as Error).message } : x)));
      }
    }
  }

  async function reindex(d: DocumentInfo) {
    setError(null);
    try {
      const queued = await api<DocumentInfo>(`/agents/v1/documents/${d.id}/reindex`, { method: 'POST' });
      setDocuments((list) => list.map((x) => (x.id === d.id ? queued : x)));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function remove(d: DocumentInfo) {
    if (!window.confirm(`Delete ${d.filename}? Posey will no longer find anything in it.`)) return;
    setError(null);
    try {
      await api(`/agents/v1/documents/${d.id}`, { method: 'DELETE' });
      setDocuments((list) => list.filter((x) => x.id !== d.id));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div className="space-y-4">
      <label
        className={`flex cursor-pointer flex-col items-center gap-2 rounded-box border-2 border-dashed p-8 text-center ${dragging ? 'border-primary bg-primary/10' : 'border-base-300 bg-base-100'}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void send(e.dataTransfer.files);
        }}
      >
        <span className="font-medium">Drop files here, or choose them</span>
        <span className="text-sm opacity-70">PDF, Word (.docx), HTML, Markdown or text</span>
        <input
          type="file"
          multiple
          className="file-input file-input-sm"
          aria-label="Choose files to upload"
          accept=".pdf,.docx,.html,.htm,.md,.markdown,.txt,application/pdf,text/plain,text/markdown,text/html"
          onChange={(e) => {
            if (e.target.files) void send(e.target.files);
            e.target.value = '';
          }}
        />
      </label>
      {uploads.map((u) => (
        <div key={u.id} className="card card-sm bg-base-100" data-testid="upload">
          <div className="card-body">
            <p className="font-medium">{u.name}</p>
            {u.error ? (
              <div role="alert" className="flex items-center gap-2 text-error">
                <span className="flex-1">{u.error}</span>
                <button className="btn btn-ghost btn-xs" type="button" onClick={() => setUploads((x) => x.filter((y) => y.id !== u.id))}>
                  Dismiss
                </button>
              </div>
            ) : (
              <progress className="progress progress-primary" value={Math.round(u.progress * 100)} max={100} aria-label={`Uploading ${u.name}`} />
            )}
          </div>
        </div>
      ))}
      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          {error}
        </div>
      )}
      <ul className="space-y-2" aria-label="Documents">
        {documents.map((d) => (
          <li key={d.id} className="card card-sm bg-base-100 shadow-sm" data-testid="document">
            <div className="card-body gap-1">
              <div className="flex items-center gap-2">
                <Link className="link flex-1 truncate font-medium" href={`/documents/${d.id}`}>
                  {d.filename}
                </Link>
                <span
                  className={`badge badge-sm ${d.status === 'ready' ? 'badge-success' : d.status === 'failed' ? 'badge-error' : 'badge-warning'}`}
                  data-testid="document-status"
                >
                  {d.status}
                </span>
                <button className="btn btn-ghost btn-xs text-error" type="button" onClick={() => void remove(d)} aria-label={`Delete ${d.filename}`}>
                  Delete
                </button>
              </div>
              <p className="text-xs opacity-70">
                {size(d.size_bytes)}
                {d.pages ? ` · ${d.pages} pages` : ''}
                {d.chunks_total ? ` · ${d.chunks_done}/${d.chunks_total} passages indexed` : ''}
              </p>
              {WORKING.has(d.status) && (
                <progress
                  className="progress progress-warning"
                  value={d.chunks_total ? d.chunks_done : undefined}
                  max={d.chunks_total || undefined}
                  aria-label={`Indexing ${d.filename}`}
                />
              )}
              {d.status === 'failed' && (
                <div className="flex flex-wrap items-center gap-2">
                  {d.error && (
                    <p role="alert" className="flex-1 text-sm text-error">
                      {d.error}
                    </p>
                  )}
                  <button className="btn btn-xs" type="button" onClick={() => void reindex(d)}>
                    Try again
                  </button>
                </div>
              )}
            </div>
          </li>
        ))}
      </ul>
      {documents.length === 0 && uploads.length === 0 && <p className="opacity-70">No documents yet. Posey can answer from what you upload, citing where it read it.</p>}
    </div>
  );
}
