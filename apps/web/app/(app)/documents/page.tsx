import { Documents } from '@/components/documents/documents';
import { PageHeader } from '@/components/page-header';
import { serviceJson } from '@/lib/server/session';
import type { DocumentInfo } from '@/lib/types';

export const metadata = { title: 'Documents' };

export default async function DocumentsPage() {
  const { documents } = await serviceJson<{ documents: DocumentInfo[] }>('agents', '/v1/documents?limit=200', '/documents');
  return (
    <>
      <PageHeader title="Documents" />
      <div className="mx-auto w-full max-w-3xl p-4">
        <Documents initial={documents} />
      </div>
    </>
  );
}
