// POST /upload/finance-imports?account_id=&format=&mapping_id=&preset=: a bank file (OFX, QFX,
// CAMT.053 or CSV, sent as its raw bytes), streamed to agents' `POST /v1/finance/imports` with
// the query as given; the answer is the import's preview (see lib/server/upload.ts for why
// uploads are routes of their own).

import { forwardUpload } from '@/lib/server/upload';

export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return forwardUpload(request, ['v1', 'finance', 'imports']);
}
