// What the forwarder refuses before it calls any service.

import { describe, expect, it } from 'vitest';

import { cookieNames } from '@/lib/server/cookies';
import { authPathAllowed, forward } from '@/lib/server/forward';

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

  it('refuses dot segments that would climb out of the service path', async () => {
    expect((await forward(req('GET'), ctx, 'agents', ['v1', '..', 'admin'])).status).toBe(400);
  });

  it('answers 401 without a session', async () => {
    expect((await forward(req('GET'), { ...ctx, accessToken: undefined }, 'agents', ['v1', 'memories'])).status).toBe(401);
  });
});
