// POST /upload/documents: a document upload, streamed to agents' `/v1/documents` (see
// lib/server/upload.ts for why uploads are routes of their own).

import { forwardUpload } from '@/lib/server/upload';

export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return forwardUpload(request, ['v1', 'documents']);
}
