'use client';
// "Download everything": the browser downloads the zip as it is written, and this says how far
// the export has got (agents' /v1/me/export/progress) until it has finished, so a large account's
// download is not a silent wait.

import { useCallback, useEffect, useRef, useState } from 'react';

import { api } from '@/lib/client/api';
import type { ExportProgress } from '@/lib/types';

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function describe(p: ExportProgress): string | null {
  switch (p.state) {
    case 'running':
      return `Writing ${p.part ?? 'your data'}: part ${Math.min(p.parts_done + 1, p.parts_total)} of ${p.parts_total}, ${p.files} files, ${megabytes(p.bytes)} so far.`;
    case 'finished':
      return `Your export is written: ${p.files} files, ${megabytes(p.bytes)}.`;
    case 'failed':
      return 'The export stopped part-way and its zip is incomplete: download it again.';
    default:
      return null;
  }
}

/** Polls until the export has ended: after a click, until one was seen running and then not
 * (or, for one too quick to be seen running, for a few seconds); otherwise while one runs. */
async function follow(afterClick: boolean, show: (p: ExportProgress) => void, stopped: () => boolean): Promise<void> {
  let seenRunning = false;
  for (let polls = 0; ; polls++) {
    const p = await api<ExportProgress>('/agents/v1/me/export/progress');
    if (stopped()) return;
    show(p);
    if (p.state === 'running') seenRunning = true;
    else if (seenRunning || !afterClick || polls >= 10) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export function ExportEverything() {
  const [progress, setProgress] = useState<ExportProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The newest follow's token: a new click, or the page gone, stops the older one.
  const current = useRef<object | null>(null);

  const start = useCallback((afterClick: boolean) => {
    const mine = {};
    current.current = mine;
    follow(afterClick, setProgress, () => current.current !== mine).catch((e: unknown) => {
      if (current.current === mine) setError((e as Error).message);
    });
  }, []);

  useEffect(() => {
    // An export already being written (in another tab) shows at once.
    const mine = {};
    current.current = mine;
    follow(false, setProgress, () => current.current !== mine).catch((e: unknown) => setError((e as Error).message));
    return () => {
      current.current = null;
    };
  }, []);

  const text = progress ? describe(progress) : null;
  return (
    <div className="space-y-2">
      <a
        className="btn self-start"
        href="/api/agents/v1/me/export"
        download
        data-testid="export-everything"
        onClick={() => {
          setError(null);
          setTimeout(() => start(true), 300);
        }}
      >
        Download everything (zip)
      </a>
      {text && (
        <p role="status" className="text-sm" data-testid="export-progress">
          {text}
        </p>
      )}
      {error && (
        <p role="alert" className="text-sm text-error">
          {error}
        </p>
      )}
    </div>
  );
}
