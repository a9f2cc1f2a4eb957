// Serves the web export (dist/) and, under /auth, /agents and /cron, the services of a running
// posey: one origin for the page and the APIs, as a reverse proxy in front of a web deployment
// gives it (the services send no CORS headers). Responses are streamed through as they come, so
// the chat's server-sent events arrive piece by piece.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
};

export interface Served {
  url: string;
  close: () => Promise<void>;
}

/** Called with each piece of a proxied answer as it passes (the tests read the chat's stream). */
export type Tap = (path: string, chunk: Buffer) => void;

export async function serveExport(dir: string, upstreams: Record<string, string>, tap?: Tap): Promise<Served> {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`no web export at ${dir}: run \`npm run build\` first`);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const prefix = Object.keys(upstreams).find((p) => path === `/${p}` || path.startsWith(`/${p}/`));
    if (prefix) proxy(req, res, upstreams[prefix] as string, (req.url ?? '/').slice(prefix.length + 1) || '/', tap);
    else file(dir, path, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function file(dir: string, path: string, res: ServerResponse) {
  let target = normalize(join(dir, decodeURIComponent(path)));
  // A single-page app: anything that is not a file is the page.
  if (!target.startsWith(dir) || !existsSync(target) || statSync(target).isDirectory()) target = join(dir, 'index.html');
  res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' });
  createReadStream(target).pipe(res);
}

function proxy(req: IncomingMessage, res: ServerResponse, upstream: string, path: string, tap?: Tap) {
  const target = new URL(path, upstream);
  const headers = { ...req.headers, host: target.host };
  const out = request(target, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    if (tap) answer.on('data', (chunk: Buffer) => tap(req.url ?? '/', chunk));
    answer.pipe(res);
  });
  out.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy: ${e.message}`);
  });
  req.pipe(out);
}
