// Answers of the auth route handlers: 303 redirects (the forms work without JavaScript), with the
// session's cookies when one was started or ended.

import { checkCsrf, csrfRefusal } from './csrf';
import { requestContext, type RequestContext } from './session';

export function seeOther(ctx: RequestContext, path: string, setCookies: string[] = []): Response {
  const headers = new Headers({ location: new URL(path, ctx.origin).toString(), 'cache-control': 'no-store' });
  for (const cookie of setCookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/** `path` with `params` added to its query. */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const url = new URL(path, 'http://x');
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, v);
  return url.pathname + url.search;
}

/** The request's form fields as strings, after the same-origin check (also done by the proxy). */
export async function readForm(
  request: Request,
): Promise<{ ctx: RequestContext; form: Record<string, string> } | Response> {
  const ctx = requestContext(request);
  const csrf = checkCsrf(request.method, request.headers, ctx.origin);
  if (!csrf.ok) return csrfRefusal(csrf.reason);
  const form: Record<string, string> = {};
  const type = request.headers.get('content-type') ?? '';
  try {
    if (type.includes('application/json')) {
      const body = (await request.json()) as Record<string, unknown>;
      for (const [k, v] of Object.entries(body ?? {})) if (typeof v === 'string') form[k] = v;
    } else {
      const data = await request.formData();
      for (const [k, v] of data) if (typeof v === 'string') form[k] = v;
    }
  } catch {
    return Response.json({ error: { code: 'bad_request', message: 'The form could not be read.' } }, { status: 400 });
  }
  return { ctx, form };
}
