// The gateway's GraphQL (Hasura's dialect): queries and mutations over HTTP (`POST /v1/graphql`),
// subscriptions over WebSocket on the same path with graphql-ws (`graphql-transport-ws`). The
// token goes in `connection_init`; when it expires the gateway closes the socket (4403) and the
// client reconnects with a fresh one from the token source, resubscribing.

import { type Client as WsClient, createClient } from 'graphql-ws/client';

import { PoseyError, errorFromBody, errorFromResponse, networkError } from './errors.js';
import { type TokenSource, resolveToken } from './token.js';

export interface GraphQLErrorEntry {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string } & Record<string, unknown>;
}

export interface GatewayClientOptions {
  /** The gateway's base URL, e.g. `http://localhost:8080`. */
  url: string;
  /** A person's (or service's) access token, or a function giving it before each request. */
  token?: TokenSource;
  /** The operator's `x-hasura-admin-secret`, instead of a token. */
  adminSecret?: string;
  /** Act as this one of the token's allowed roles (`x-hasura-role`). */
  role?: string;
  fetch?: typeof fetch;
  /** A WebSocket class for subscriptions where there is no global one (Node 20: the `ws` package). */
  webSocketImpl?: unknown;
  /** How often to reconnect a dropped subscription socket before giving up (default 5). */
  retryAttempts?: number;
}

export interface QueryOptions {
  operationName?: string;
  signal?: AbortSignal;
}

export class GatewayClient {
  private readonly endpoint: string;
  private readonly fetchImpl: typeof fetch;
  private socket: WsClient | null = null;

  constructor(private readonly options: GatewayClientOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/graphql`;
    const f = options.fetch ?? globalThis.fetch;
    this.fetchImpl = (input, init) => f(input, init);
  }

  /**
   * Runs a query or mutation and answers its `data`. GraphQL errors (validation, permissions,
   * limits) throw a PoseyError with the first error's code and message; `body` holds them all.
   */
  async query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options: QueryOptions = {},
  ): Promise<T> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      ...(await this.credentials()),
    };
    let response: Response;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables, operationName: options.operationName }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      throw networkError(`POST ${this.endpoint}`, e);
    }
    if (!response.ok) throw await errorFromResponse(response);
    const body = (await response.json()) as { data?: T | null; errors?: GraphQLErrorEntry[] };
    if (body.errors?.length) throw errorFromBody(response.status, body);
    return body.data as T;
  }

  /**
   * The results of a subscription (Hasura's live queries: each result is the query's answer
   * when it changed). Ending the loop unsubscribes. A GraphQL error ends it with a PoseyError.
   */
  async *subscribe<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): AsyncGenerator<T, void, undefined> {
    const results = this.ws().iterate<T>({ query, ...(variables ? { variables } : {}) });
    try {
      for await (const result of results) {
        if (result.errors?.length) throw errorFromBody(200, result);
        yield result.data as T;
      }
    } catch (e) {
      throw asSocketError(e);
    } finally {
      await results.return?.();
    }
  }

  /** Closes the subscription socket (if one is open); later subscriptions open a new one. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    await socket?.dispose();
  }

  private async credentials(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    if (this.options.adminSecret) headers['x-hasura-admin-secret'] = this.options.adminSecret;
    const token = await resolveToken(this.options.token);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (this.options.role) headers['x-hasura-role'] = this.options.role;
    return headers;
  }

  private ws(): WsClient {
    if (this.socket) return this.socket;
    const impl = this.options.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (!impl) {
      throw new PoseyError({
        status: 0,
        code: 'no_websocket',
        message: 'no WebSocket here: pass webSocketImpl (on Node 20, the ws package) to subscribe',
      });
    }
    this.socket = createClient({
      url: this.endpoint.replace(/^http/, 'ws'),
      webSocketImpl: impl,
      lazy: true,
      retryAttempts: this.options.retryAttempts ?? 5,
      // Asked on every (re)connection, so a reconnect after expiry carries a fresh token.
      connectionParams: async () => ({ headers: await this.credentials() }),
    });
    return this.socket;
  }
}

/** graphql-ws rejects with a CloseEvent or an array of errors; make them PoseyErrors. */
function asSocketError(e: unknown): unknown {
  if (e instanceof PoseyError || e instanceof Error) return e;
  if (Array.isArray(e)) return errorFromBody(200, { errors: e });
  const close = e as { code?: unknown; reason?: unknown } | null;
  if (close && typeof close.code === 'number') {
    return new PoseyError({
      status: close.code === 4403 ? 403 : 0,
      code: `websocket_closed_${close.code}`,
      message: typeof close.reason === 'string' && close.reason ? close.reason : `the socket closed (${close.code})`,
    });
  }
  return new PoseyError({ status: 0, code: 'websocket_error', message: String(e) });
}
