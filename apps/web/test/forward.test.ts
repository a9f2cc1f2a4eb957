// What the forwarder refuses before it calls any service.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { cookieNames } from '@/lib/server/cookies';
import { authPathAllowed, forward } from '@/lib/server/forward';
import { isPublicPath } from '@/lib/server/routes';

const ctx = { origin: 'http://localhost:3000', names: cookieNames(false), accessToken: 'token' };
const req = (method: string, headers: Record<string, string> = { origin: 'http://localhost:3000' }) =>
  new Request('http://localhost:3000/api/x', { method, headers });

describe('forward', () => {
  it('refuses a cross-site write before anything else', async () => {
    const r = await forward(req('POST', { origin: 'https://evil.test' }), ctx, 'agents', ['v1', 'memories']);
    expect(r.status).toBe(403);
  });

  it('knows only the four services', async () => {
    expect((await forward(req('GET'), ctx, 'postgres', ['x'])).status).toBe(404);
  });

  it('lets the browser reach only the account and its sessions at auth, never token minting', async () => {
    for (const [method, path] of [['POST', ['token']], ['POST', ['logout']], ['GET', ['admin', 'users']], ['POST', ['signup']], ['DELETE', ['user']]] as const) {
      expect((await forward(req(method), ctx, 'auth', [...path])).status, `${method} /${path.join('/')}`).toBe(404);
    }
  });

  it('lets through only the admin routes the owner’s settings use, with the methods they need', () => {
    for (const [method, path] of [['GET', ['admin', 'status']], ['GET', ['admin', 'invites']], ['DELETE', ['admin', 'invites', 'x']], ['POST', ['invite']]] as const) {
      expect(authPathAllowed([...path], method), `${method} /${path.join('/')}`).toBe(true);
    }
    const refused = [
      ['GET', ['admin', 'users']], ['PUT', ['admin', 'users', 'x']], ['POST', ['admin', 'generate_link']],
      ['POST', ['admin', 'roles']], ['GET', ['admin', 'audit']], ['POST', ['admin', 'status']],
      ['POST', ['admin', 'invites']], ['GET', ['admin', 'invites', 'x']], ['DELETE', ['admin', 'invites', 'x', 'y']], ['GET', ['invite']],
    ] as const;
    for (const [method, path] of refused) {
      expect(authPathAllowed([...path], method), `${method} /${path.join('/')}`).toBe(false);
    }
  });

  it('lets through the person’s app passwords (calendar sync): list, make, revoke', () => {
    for (const [method, path] of [['GET', ['app-passwords']], ['POST', ['app-passwords']], ['DELETE', ['app-passwords', 'x']]] as const) {
      expect(authPathAllowed([...path], method), `${method} /${path.join('/')}`).toBe(true);
    }
    const refused = [['DELETE', ['app-passwords']], ['PUT', ['app-passwords']], ['GET', ['app-passwords', 'x']], ['POST', ['app-passwords', 'x']], ['DELETE', ['app-passwords', 'x', 'y']]] as const;
    for (const [method, path] of refused) {
      expect(authPathAllowed([...path], method), `${method} /${path.join('/')}`).toBe(false);
    }
  });

  it('refuses dot segments that would climb out of the service path', async () => {
    expect((await forward(req('GET'), ctx, 'agents', ['v1', '..', 'admin'])).status).toBe(400);
  });

  it('answers 401 without a session', async () => {
    expect((await forward(req('GET'), { ...ctx, accessToken: undefined }, 'agents', ['v1', 'memories'])).status).toBe(401);
  });

  describe('to a service', () => {
    const saved = process.env.AGENTS_URL;
    afterEach(() => {
      process.env.AGENTS_URL = saved;
    });

    it('passes If-Match on (a calendar edit made on a stale ETag gets agents’ 412) and the ETag back', async () => {
      const seen: Record<string, string | undefined> = {};
      const server = createServer((request, response) => {
        seen.ifMatch = request.headers['if-match'];
        seen.auth = request.headers.authorization;
        seen.url = request.url;
        response.writeHead(412, { 'content-type': 'application/json', etag: '"7"' });
        response.end(JSON.stringify({ error: { code: 'precondition_failed', message: 'changed' } }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        process.env.AGENTS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const request = new Request('http://localhost:3000/api/agents/v1/events/e1?scope=this&occurrence=2027-03-09', {
          method: 'DELETE',
          headers: { origin: 'http://localhost:3000', 'if-match': '"6"', cookie: 'posey-at=token' },
        });
        const r = await forward(request, ctx, 'agents', ['v1', 'events', 'e1']);
        expect(r.status).toBe(412);
        expect(r.headers.get('etag')).toBe('"7"');
        expect(seen).toEqual({ ifMatch: '"6"', auth: 'Bearer token', url: '/v1/events/e1?scope=this&occurrence=2027-03-09' });
      } finally {
        server.close();
      }
    });

    it('passes a download’s file name on (the books’ export saves as agents names it)', async () => {
      const server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="posey-finance.csv"' });
        response.end('date,transaction_id\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        process.env.AGENTS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const r = await forward(req('GET'), ctx, 'agents', ['v1', 'finance', 'export.csv']);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-disposition')).toBe('attachment; filename="posey-finance.csv"');
        expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(await r.text()).toBe('date,transaction_id\n');
      } finally {
        server.close();
      }
    });
  });
});

describe('routes', () => {
  it('lets a calendar app read a private feed without a session (its token is the key)', () => {
    expect(isPublicPath('/feeds/abc.ics')).toBe(true);
    expect(isPublicPath('/calendar')).toBe(false);
  });
});
