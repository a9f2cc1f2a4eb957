// Typed REST clients (openapi-fetch) over the types generated from each service's OpenAPI
// document (src/generated/, `npm run generate`). Each request carries the token source's
// current token. `unwrap` turns openapi-fetch's `{data, error}` into data or a PoseyError.

import createClient, { type Client, type Middleware } from 'openapi-fetch';

import { errorFromBody } from './errors.js';
import type { paths as AgentsPaths } from './generated/agents.js';
import type { paths as AuthPaths } from './generated/auth.js';
import type { paths as CronPaths } from './generated/cron.js';
import { type TokenSource, resolveToken } from './token.js';

export type { AgentsPaths, AuthPaths, CronPaths };
export type { components as AgentsComponents, operations as AgentsOperations } from './generated/agents.js';
export type { components as AuthComponents, operations as AuthOperations } from './generated/auth.js';
export type { components as CronComponents, operations as CronOperations } from './generated/cron.js';

export interface RestClientOptions {
  /** The service's base URL. */
  url: string;
  /** The access token, or a function giving it before each request (e.g. `() => auth.accessToken()`). */
  token?: TokenSource;
  /** Extra headers on every request (e.g. `X-Posey-Person` with a service token at cron). */
  headers?: Record<string, string>;
  fetch?: (request: Request) => Promise<Response>;
}

function bearer(token: TokenSource | undefined): Middleware {
  return {
    async onRequest({ request }) {
      const value = await resolveToken(token);
      if (value) request.headers.set('Authorization', `Bearer ${value}`);
      return request;
    },
  };
}

function create<P extends object>(options: RestClientOptions): Client<P> {
  const client = createClient<P>({
    baseUrl: options.url.replace(/\/+$/, ''),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(bearer(options.token));
  return client;
}

/** The agents service: conversations, agents, profile, memories, documents, models. */
export function createAgentsClient(options: RestClientOptions): Client<AgentsPaths> {
  return create<AgentsPaths>(options);
}

/** The cron service: tasks and their runs, notifications, Web Push subscriptions. */
export function createCronClient(options: RestClientOptions): Client<CronPaths> {
  return create<CronPaths>(options);
}

/**
 * The auth service's whole API, typed: the admin routes (users, roles, invites, audit) above all;
 * for signing in and the session, use AuthClient. Errors come in GoTrue's newer shape.
 */
export function createAuthApi(options: RestClientOptions): Client<AuthPaths> {
  return create<AuthPaths>({
    ...options,
    headers: { 'X-Supabase-Api-Version': '2024-01-01', ...options.headers },
  });
}

/** What an openapi-fetch call resolves to, in either outcome. */
interface FetchOutcome<D, E> {
  data?: D;
  error?: E;
  response: Response;
}

/**
 * The data of a successful call; a failed one throws a PoseyError with the status and the
 * server's code and message.
 */
export async function unwrap<D, E>(call: Promise<FetchOutcome<D, E>>): Promise<D> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    const retry = Number(response.headers.get('retry-after'));
    throw errorFromBody(response.status, error, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return data as D;
}
