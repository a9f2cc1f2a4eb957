// `/api/<service>/*`: the browser's only way to the services (see lib/server/forward.ts).

import { forward } from '@/lib/server/forward';
import { requestContext } from '@/lib/server/session';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ service: string; path: string[] }> };

async function handle(request: Request, { params }: Params): Promise<Response> {
  const { service, path } = await params;
  return forward(request, requestContext(request), service, path);
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
