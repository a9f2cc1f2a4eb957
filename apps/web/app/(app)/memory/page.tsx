import { MemoryList } from '@/components/memory/memory-list';
import { PageHeader } from '@/components/page-header';
import { serviceJson } from '@/lib/server/session';
import type { Memory } from '@/lib/types';

export const metadata = { title: 'Memory' };

export default async function MemoryPage() {
  const { memories } = await serviceJson<{ memories: Memory[] }>('agents', '/v1/memories?limit=200', '/memory');
  return (
    <>
      <PageHeader title="Memory">
        {/* Plain links (not client navigation): the route answers with a file to download. */}
        <a className="btn btn-sm" href="/memory/export?format=json" download>
          Export JSON
        </a>
        <a className="btn btn-sm" href="/memory/export?format=markdown" download>
          Export Markdown
        </a>
      </PageHeader>
      <div className="mx-auto w-full max-w-3xl p-4">
        <MemoryList initial={memories} />
      </div>
    </>
  );
}
