// GET /memory/export?format=json|markdown: everything the companion remembers (history included,
// each memory with where it came from) as a file to keep. Agents' own export is the source; the
// Markdown is written from it for a person to read.

import { memoriesMarkdown, type MemoryExport } from '@/lib/memory-export';
import { serviceUrl } from '@/lib/server/config';
import { seeOther } from '@/lib/server/respond';
import { requestContext } from '@/lib/server/session';

export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  const ctx = requestContext(request);
  const format = new URL(request.url).searchParams.get('format') ?? 'json';
  if (format !== 'json' && format !== 'markdown') {
    return Response.json({ error: { code: 'bad_format', message: 'format is json or markdown.' } }, { status: 400 });
  }
  if (!ctx.accessToken) return seeOther(ctx, '/sign-in?next=/memory');
  let upstream: Response;
  try {
    upstream = await fetch(`${serviceUrl('agents')}/v1/memories/export`, {
      headers: { authorization: `Bearer ${ctx.accessToken}`, accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    return Response.json({ error: { code: 'service_unreachable', message: `The agents service cannot be reached (${String(error)}).` } }, { status: 502 });
  }
  if (upstream.status === 401) return seeOther(ctx, '/auth/expired?next=/memory');
  if (!upstream.ok) {
    return new Response(upstream.body, { status: upstream.status, headers: { 'content-type': upstream.headers.get('content-type') ?? 'application/json' } });
  }
  const exported = (await upstream.json()) as MemoryExport;
  const day = exported.exported_at.slice(0, 10);
  const [body, type, extension] =
    format === 'json'
      ? [JSON.stringify(exported, null, 2), 'application/json', 'json']
      : [memoriesMarkdown(exported, ctx.origin), 'text/markdown; charset=utf-8', 'md'];
  return new Response(body, {
    headers: {
      'content-type': type,
      'content-disposition': `attachment; filename="posey-memories-${day}.${extension}"`,
      'cache-control': 'no-store',
    },
  });
}
