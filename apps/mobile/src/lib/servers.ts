// The Posey servers a person uses (a home and a work instance, say), one of them active. Only
// names and URLs are kept, in the plain key-value store; each server's session is in the secure
// store under its own key.

import { type KeyValue, readJson, writeJson } from './kv';

export interface Server {
  id: string;
  name: string;
  authUrl: string;
  agentsUrl: string;
  cronUrl: string;
}

export interface ServerList {
  servers: Server[];
  activeId: string | null;
}

const KEY = 'posey.servers';

/** The ports `posey up` serves each service on. */
export const DEFAULT_PORTS = { auth: 9000, agents: 8000, cron: 8090 } as const;

/** Each service's URL on `address` (a host name, or a URL) at the ports `posey up` uses. */
export function urlsFor(address: string): Pick<Server, 'authUrl' | 'agentsUrl' | 'cronUrl'> {
  const trimmed = address.trim();
  if (!trimmed) throw new Error('Enter the server’s address.');
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('The address is http:// or https://.');
  const at = (port: number) => `${url.protocol}//${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${port}`;
  return { authUrl: at(DEFAULT_PORTS.auth), agentsUrl: at(DEFAULT_PORTS.agents), cronUrl: at(DEFAULT_PORTS.cron) };
}

/** A service URL as typed: http(s), no query or fragment, no trailing slash. */
export function normalizeUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(`${what}: not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what}: use http:// or https://.`);
  if (url.search || url.hash) throw new Error(`${what}: no query or fragment.`);
  return url.toString().replace(/\/+$/, '');
}

export function newServerId(): string {
  return `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export async function loadServers(kv: KeyValue): Promise<ServerList> {
  const list = await readJson<ServerList>(kv, KEY, { servers: [], activeId: null });
  const servers = Array.isArray(list.servers) ? list.servers.filter(isServer) : [];
  const activeId = servers.some((s) => s.id === list.activeId) ? list.activeId : (servers[0]?.id ?? null);
  return { servers, activeId };
}

export function saveServers(kv: KeyValue, list: ServerList): Promise<void> {
  return writeJson(kv, KEY, list);
}

/** `list` with `server` added (or replaced, by id) and made active. */
export function withServer(list: ServerList, server: Server): ServerList {
  const servers = list.servers.some((s) => s.id === server.id)
    ? list.servers.map((s) => (s.id === server.id ? server : s))
    : [...list.servers, server];
  return { servers, activeId: server.id };
}

export function withoutServer(list: ServerList, id: string): ServerList {
  const servers = list.servers.filter((s) => s.id !== id);
  return { servers, activeId: list.activeId === id ? (servers[0]?.id ?? null) : list.activeId };
}

function isServer(s: unknown): s is Server {
  const v = s as Partial<Server> | null;
  return !!v && typeof v.id === 'string' && typeof v.name === 'string' && typeof v.authUrl === 'string' && typeof v.agentsUrl === 'string' && typeof v.cronUrl === 'string';
}
