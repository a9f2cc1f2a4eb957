// A bank file's way to agents: the wizard sends the file's bytes as they are to the BFF's
// /upload/finance-imports with the query saying how to read it, and that route passes both on
// to agents' `POST /v1/finance/imports` with the session's token (refusing a cross-site post);
// a file agents cannot read comes back as a 422 naming the field `file`.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { POST } from '@/app/upload/finance-imports/route';
import { uploadStatement } from '@/components/finance/import-wizard';
import { ApiError } from '@/lib/client/api';

// Latin-1 and a byte that is no UTF-8: the route must not decode or re-encode anything.
const FILE = Buffer.concat([Buffer.from('OFXHEADER:100\nDATA:OFXSGML\n<NAME>Caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\n')]);

describe('the upload route', () => {
  const saved = process.env.AGENTS_URL;
  afterEach(() => {
    process.env.AGENTS_URL = saved;
  });

  it('streams the file and its query to agents with the session’s token', async () => {
    const seen: { url?: string; auth?: string; type?: string; body?: Buffer } = {};
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        Object.assign(seen, { url: request.url, auth: request.headers.authorization, type: request.headers['content-type'], body: Buffer.concat(chunks) });
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: 'i1', state: 'preview' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      process.env.AGENTS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const request = new Request('http://localhost:3000/upload/finance-imports?account_id=a1&file_name=checking.ofx', {
        method: 'POST',
        headers: { host: 'localhost:3000', origin: 'http://localhost:3000', cookie: 'posey-at=token', 'content-type': 'application/octet-stream' },
        body: FILE,
      });
      const response = await POST(request);
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ id: 'i1', state: 'preview' });
      expect(seen.url).toBe('/v1/finance/imports?account_id=a1&file_name=checking.ofx');
      expect(seen.auth).toBe('Bearer token');
      expect(seen.type).toBe('application/octet-stream');
      expect(seen.body?.equals(FILE)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('refuses a post from another site', async () => {
    const request = new Request('http://localhost:3000/upload/finance-imports?account_id=a1', {
      method: 'POST',
      headers: { host: 'localhost:3000', origin: 'https://evil.test', cookie: 'posey-at=token' },
      body: FILE,
    });
    expect((await POST(request)).status).toBe(403);
  });
});

describe('the wizard’s upload', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('sends the bytes as they are, with how to read them', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return Response.json({ id: 'i1' }, { status: 201 });
    });
    const file = new Blob([FILE]);
    expect(await uploadStatement(file, { account_id: 'a1', format: 'csv', preset: 'dkb-girokonto', mapping_id: '', file_name: 'Umsätze.csv' })).toEqual({ id: 'i1' });
    expect(calls).toHaveLength(1);
    const [{ url, init }] = calls;
    expect(url).toBe(`/upload/finance-imports?account_id=a1&format=csv&preset=dkb-girokonto&file_name=${encodeURIComponent('Umsätze.csv')}`);
    expect(init.method).toBe('POST');
    expect(init.body).toBe(file);
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/octet-stream');
  });

  it('gives agents’ 422 with the field it names', async () => {
    vi.stubGlobal('fetch', async () =>
      Response.json({ error: { code: 'invalid', message: 'invalid input', fields: { file: ['STMTTRN 3, line 40: TRNAMT "12,3x" is no amount'] } } }, { status: 422 }),
    );
    const error = await uploadStatement(new Blob([FILE]), { account_id: 'a1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect((error as ApiError).fields).toEqual({ file: ['STMTTRN 3, line 40: TRNAMT "12,3x" is no amount'] });
  });
});
