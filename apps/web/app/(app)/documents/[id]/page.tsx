// One document's passages, as Posey cites them: a citation links to `#chunk-<n>` here.

import Link from 'next/link';
import { notFound } from 'next/navigation';

import { PageHeader } from '@/components/page-header';
import { ServiceError, serviceJson } from '@/lib/server/session';
import type { Chunk, DocumentInfo } from '@/lib/types';

export const metadata = { title: 'Document' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function DocumentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  const here = `/documents/${id}`;
  let document: DocumentInfo;
  let chunks: Chunk[];
  try {
    [document, { chunks }] = await Promise.all([
      serviceJson<DocumentInfo>('agents', `/v1/documents/${id}`, here),
      serviceJson<{ chunks: Chunk[] }>('agents', `/v1/documents/${id}/chunks?limit=200`, here),
    ]);
  } catch (error) {
    if (error instanceof ServiceError && error.status === 404) notFound();
    throw error;
  }
  return (
    <>
      <PageHeader title={document.filename}>
        <Link className="btn btn-sm" href="/documents">
          All documents
        </Link>
      </PageHeader>
      <div className="mx-auto w-full max-w-3xl space-y-3 p-4">
        <p className="text-sm opacity-80">
          {document.status}
          {document.pages ? ` · ${document.pages} pages` : ''} · {chunks.length} passages
        </p>
        {document.error && (
          <p role="alert" className="text-error">
            {document.error}
          </p>
        )}
        <ol className="space-y-2">
          {chunks.map((c) => (
            <li key={c.ordinal} id={`chunk-${c.ordinal}`} className="card card-sm scroll-mt-4 bg-base-100 target:ring-2 target:ring-primary">
              <div className="card-body">
                <p className="text-xs opacity-70">
                  Passage {c.ordinal + 1}
                  {c.page ? ` · page ${c.page}` : ''}
                  {c.heading ? ` · ${c.heading}` : ''}
                </p>
                <p className="whitespace-pre-wrap text-sm">{c.text}</p>
              </div>
            </li>
          ))}
        </ol>
      </div>
    </>
  );
}
