// The auth client, over the auth service's Supabase Auth (GoTrue) API and Posey's additions
// (sessions). The session lives in a pluggable Storage. Refresh is single-flight: however many
// callers find the access token expiring at once (in one client, or in several clients holding
// the same refresh token, as a server handling parallel requests of one browser does), one
// refresh request is made, so the single-use refresh token is never spent twice.

import { PoseyError, errorFromBody, errorFromResponse, networkError } from './errors.js';
import { MemoryStorage, type Storage } from './storage.js';

export interface Identity {
  identity_id: string;
  id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at?: string;
  created_at?: string;
  updated_at?: string;
  email?: string;
}

/**
 * A person's account, as auth answers it (`GET /user`). Like Supabase, auth leaves timestamps
 * that are not set out of the answer rather than sending null.
 */
export interface User {
  id: string;
  aud: string;
  role: string;
  email: string;
  email_confirmed_at?: string | null;
  phone: string;
  confirmation_sent_at?: string | null;
  recovery_sent_at?: string | null;
  email_change_sent_at?: string | null;
  new_email?: string | null;
  invited_at?: string | null;
  confirmed_at?: string | null;
  last_sign_in_at?: string | null;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: Identity[];
  created_at: string;
  updated_at: string;
  is_anonymous: boolean;
  banned_until?: string | null;
  deleted_at?: string | null;
}

export interface Session {
  access_token: string;
  refresh_token: string;
  /** When the access token expires, in Unix seconds. */
  expires_at: number;
  user: User;
}

/** One signed-in device (`GET /sessions`). */
export interface SessionInfo {
  id: string;
  created_at: string;
  refreshed_at: string | null;
  not_after: string | null;
  aal: string | null;
  amr: unknown;
  user_agent: string | null;
  ip: string | null;
  /** Whether it is the session of the token that asked. */
  current: boolean;
}

/** What a one-time token proves: `email` accepts a sign-in (magic link) or signup code. */
export type OtpType = 'signup' | 'magiclink' | 'recovery' | 'invite' | 'email_change' | 'email';

export type AuthEvent = 'SIGNED_IN' | 'SIGNED_OUT' | 'TOKEN_REFRESHED' | 'USER_UPDATED' | 'PASSWORD_RECOVERY';

export type AuthListener = (event: AuthEvent, session: Session | null) => void;

export interface AuthClientOptions {
  /** The auth service's base URL, e.g. `http://localhost:9000`. */
  url: string;
  /** Where the session is kept (default: in memory). */
  storage?: Storage;
  fetch?: typeof fetch;
  /** The storage key (default `posey.auth.session`). */
  storageKey?: string;
  /** Refresh when the access token expires within this many seconds (default 60). */
  refreshMarginSeconds?: number;
}

type Fetch = typeof fetch;

/** Refreshes in progress (and for a few seconds after), by auth URL and refresh token. */
const refreshes = new Map<string, Promise<Session>>();
/**
 * How long a finished refresh is kept for late callers presenting the same refresh token (a
 * request that carried the old cookie): shorter than auth's reuse interval (10 s by default).
 */
const KEEP_FINISHED_MS = 5_000;

const API_VERSION = { 'X-Supabase-Api-Version': '2024-01-01' };

export class AuthClient {
  readonly url: string;
  private readonly storage: Storage;
  private readonly fetchImpl: Fetch;
  private readonly storageKey: string;
  private readonly marginSeconds: number;
  private readonly listeners = new Set<AuthListener>();
  /** This client's refreshes in progress, by the refresh token spent. */
  private readonly ownRefreshes = new Map<string, Promise<Session>>();

  constructor(options: AuthClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.storage = options.storage ?? new MemoryStorage();
    const f = options.fetch ?? globalThis.fetch;
    // Called unbound, a browser's fetch throws "Illegal invocation".
    this.fetchImpl = (input, init) => f(input, init);
    this.storageKey = options.storageKey ?? 'posey.auth.session';
    this.marginSeconds = options.refreshMarginSeconds ?? 60;
  }

  // --- Signing up and in ---------------------------------------------------------------------

  /**
   * Creates an account. With email confirmation on (the default) the answer has no session: the
   * person follows the emailed link or enters its code (`verifyOtp`). An address that already
   * has an account gets the same answer, by design.
   */
  async signUp(params: {
    email: string;
    password: string;
    data?: Record<string, unknown>;
    redirectTo?: string;
  }): Promise<{ user: User; session: Session | null }> {
    const body = await this.request<Record<string, unknown>>('POST', '/signup', {
      body: { email: params.email, password: params.password, data: params.data },
      query: { redirect_to: params.redirectTo },
    });
    if (typeof body.access_token === 'string') {
      const session = toSession(body);
      await this.saveSession(session, 'SIGNED_IN');
      return { user: session.user, session };
    }
    return { user: body as unknown as User, session: null };
  }

  async signInWithPassword(params: { email: string; password: string }): Promise<Session> {
    const body = await this.request<Record<string, unknown>>('POST', '/token', {
      query: { grant_type: 'password' },
      body: { email: params.email, password: params.password },
    });
    const session = toSession(body);
    await this.saveSession(session, 'SIGNED_IN');
    return session;
  }

  /** Emails a sign-in link and code (and creates the account if it is new, unless told not to). */
  async signInWithOtp(params: {
    email: string;
    createUser?: boolean;
    data?: Record<string, unknown>;
    redirectTo?: string;
  }): Promise<void> {
    await this.request('POST', '/otp', {
      body: { email: params.email, create_user: params.createUser ?? true, data: params.data },
      query: { redirect_to: params.redirectTo },
    });
  }

  /** Signs in with an emailed six-digit code (with its address) or a link's token hash. */
  async verifyOtp(
    params: { email: string; token: string; type: OtpType } | { tokenHash: string; type: OtpType },
  ): Promise<Session> {
    const body =
      'tokenHash' in params
        ? { token_hash: params.tokenHash, type: params.type }
        : { email: params.email, token: params.token, type: params.type };
    const answer = await this.request<Record<string, unknown>>('POST', '/verify', { body });
    const session = toSession(answer);
    await this.saveSession(session, params.type === 'recovery' ? 'PASSWORD_RECOVERY' : 'SIGNED_IN');
    return session;
  }

  /**
   * Takes the session from the URL an email link landed on (auth's `GET /verify` redirects to
   * the app with the session in the fragment, or the error). The user is fetched with it.
   */
  async sessionFromUrl(url: string | URL): Promise<Session> {
    const fragment = new URLSearchParams(new URL(url).hash.replace(/^#/, ''));
    const errorCode = fragment.get('error_code');
    if (errorCode) {
      throw new PoseyError({
        status: 0,
        code: errorCode,
        message: fragment.get('error_description') ?? errorCode,
      });
    }
    const accessToken = fragment.get('access_token');
    const refreshToken = fragment.get('refresh_token');
    const expiresAt = Number(fragment.get('expires_at'));
    if (!accessToken || !refreshToken || !Number.isFinite(expiresAt)) {
      throw new PoseyError({ status: 0, code: 'no_session_in_url', message: 'the URL carries no session' });
    }
    const user = await this.request<User>('GET', '/user', { token: accessToken });
    const session = { access_token: accessToken, refresh_token: refreshToken, expires_at: expiresAt, user };
    const type = fragment.get('type');
    await this.saveSession(session, type === 'recovery' ? 'PASSWORD_RECOVERY' : 'SIGNED_IN');
    return session;
  }

  /** Stores a session obtained elsewhere (say, handed over by another client). */
  async setSession(session: Session): Promise<void> {
    await this.saveSession(session, 'SIGNED_IN');
  }

  /** Emails a password-recovery link and code (the answer is the same for unknown addresses). */
  async recover(email: string, options: { redirectTo?: string } = {}): Promise<void> {
    await this.request('POST', '/recover', { body: { email }, query: { redirect_to: options.redirectTo } });
  }

  /** Sends a signup confirmation or an email-change email again. */
  async resend(params: { type: 'signup' | 'email_change'; email: string }): Promise<void> {
    await this.request('POST', '/resend', { body: params });
  }

  // --- The session -----------------------------------------------------------------------------

  /**
   * The stored session, refreshed first when its access token expires within the margin. Null
   * when signed out, or when auth refused the refresh (the session was ended): then the stored
   * session is removed. A refresh that failed otherwise (network, 5xx, 429) throws and keeps it.
   */
  async getSession(): Promise<Session | null> {
    const session = await this.loadSession();
    if (!session) return null;
    if (session.expires_at - nowSeconds() > this.marginSeconds) return session;
    try {
      return await this.refreshFrom(session);
    } catch (e) {
      if (e instanceof PoseyError && isRefused(e)) return null;
      throw e;
    }
  }

  /** The access token to send, refreshed when needed; null when signed out. */
  async accessToken(): Promise<string | null> {
    return (await this.getSession())?.access_token ?? null;
  }

  /** Refreshes now, whatever the expiry (single-flight as well). */
  async refreshSession(): Promise<Session> {
    const session = await this.loadSession();
    if (!session) throw new PoseyError({ status: 0, code: 'no_session', message: 'not signed in' });
    return this.refreshFrom(session);
  }

  /**
   * Ends sessions at auth: `global` (default) every session of the person, `local` this one,
   * `others` every other one. The stored session is removed except for `others`. A session
   * auth has already ended counts as signed out.
   */
  async signOut(scope: 'global' | 'local' | 'others' = 'global'): Promise<void> {
    const session = await this.getSession().catch(() => this.loadSession());
    if (session) {
      try {
        await this.request('POST', '/logout', { query: { scope }, token: session.access_token });
      } catch (e) {
        // 401/403/404: the token or its session is gone already, which is what was asked.
        if (!(e instanceof PoseyError && [401, 403, 404].includes(e.status))) throw e;
      }
    }
    if (scope !== 'others') {
      await this.storage.remove(this.storageKey);
      this.emit('SIGNED_OUT', null);
    }
  }

  async getUser(): Promise<User> {
    const user = await this.request<User>('GET', '/user', { token: await this.requireToken() });
    await this.updateStoredUser(user, null);
    return user;
  }

  /**
   * Changes the password (ending the person's other sessions), the user metadata (merged), or
   * the email address (effective once the link sent to the new address is followed).
   */
  async updateUser(params: {
    password?: string;
    data?: Record<string, unknown>;
    email?: string;
    redirectTo?: string;
  }): Promise<User> {
    const { redirectTo, ...body } = params;
    const user = await this.request<User>('PUT', '/user', {
      token: await this.requireToken(),
      body,
      query: { redirect_to: redirectTo },
    });
    await this.updateStoredUser(user, 'USER_UPDATED');
    return user;
  }

  /** The person's signed-in devices. */
  async listSessions(): Promise<SessionInfo[]> {
    const body = await this.request<{ sessions: SessionInfo[] }>('GET', '/sessions', {
      token: await this.requireToken(),
    });
    return body.sessions;
  }

  /** Signs one device out; its access tokens stop working everywhere within seconds. */
  async revokeSession(id: string): Promise<void> {
    await this.request('DELETE', `/sessions/${encodeURIComponent(id)}`, { token: await this.requireToken() });
  }

  /** Calls `listener` on every sign-in, sign-out, refresh and user update; returns the unsubscribe. */
  onAuthStateChange(listener: AuthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- Internals -------------------------------------------------------------------------------

  private async requireToken(): Promise<string> {
    const token = await this.accessToken();
    if (!token) throw new PoseyError({ status: 401, code: 'no_session', message: 'not signed in' });
    return token;
  }

  private async loadSession(): Promise<Session | null> {
    const raw = await this.storage.get(this.storageKey);
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw) as Partial<Session>;
      if (
        typeof parsed.access_token === 'string' &&
        typeof parsed.refresh_token === 'string' &&
        typeof parsed.expires_at === 'number' &&
        typeof parsed.user === 'object'
      ) {
        return parsed as Session;
      }
    } catch {
      // Not ours, or corrupt: treated as signed out.
    }
    return null;
  }

  private async saveSession(session: Session, event: AuthEvent | null): Promise<void> {
    await this.storage.set(this.storageKey, JSON.stringify(session));
    if (event) this.emit(event, session);
  }

  private async updateStoredUser(user: User, event: AuthEvent | null): Promise<void> {
    const session = await this.loadSession();
    if (session && session.user.id === user.id) await this.saveSession({ ...session, user }, event);
    else if (event) this.emit(event, session);
  }

  /**
   * The refreshed session for `old`: joins a refresh of the same refresh token already made
   * (by this client or another in this process), else makes it. The result is stored unless
   * the storage has moved on meanwhile; a refusal removes the stored session.
   */
  private refreshFrom(old: Session): Promise<Session> {
    const own = this.ownRefreshes.get(old.refresh_token);
    if (own) return own;
    const work = (async () => {
      try {
        const session = await sharedRefresh(this.url, old.refresh_token, (token) => this.grantRefresh(token));
        const stored = await this.loadSession();
        if (!stored || stored.refresh_token === old.refresh_token) {
          await this.saveSession(session, 'TOKEN_REFRESHED');
        }
        return session;
      } catch (e) {
        if (e instanceof PoseyError && isRefused(e)) {
          const stored = await this.loadSession();
          // Someone refreshed this session meanwhile and stored the successor: that one holds.
          if (stored && stored.refresh_token !== old.refresh_token) return stored;
          if (stored) {
            await this.storage.remove(this.storageKey);
            this.emit('SIGNED_OUT', null);
          }
        }
        throw e;
      } finally {
        this.ownRefreshes.delete(old.refresh_token);
      }
    })();
    this.ownRefreshes.set(old.refresh_token, work);
    return work;
  }

  private async grantRefresh(refreshToken: string): Promise<Session> {
    const body = await this.request<Record<string, unknown>>('POST', '/token', {
      query: { grant_type: 'refresh_token' },
      body: { refresh_token: refreshToken },
    });
    return toSession(body);
  }

  private emit(event: AuthEvent, session: Session | null): void {
    for (const listener of this.listeners) {
      try {
        listener(event, session);
      } catch {
        // A listener's failure is its own; the others still hear of it.
      }
    }
  }

  private async request<T = unknown>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string | undefined>; token?: string } = {},
  ): Promise<T> {
    const url = new URL(this.url + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { ...API_VERSION, Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (e) {
      throw networkError(`${method} ${url.pathname}`, e);
    }
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** One refresh per (auth URL, refresh token) at a time in this process, kept briefly after. */
function sharedRefresh(
  url: string,
  refreshToken: string,
  grant: (token: string) => Promise<Session>,
): Promise<Session> {
  const key = `${url}\n${refreshToken}`;
  const existing = refreshes.get(key);
  if (existing) return existing;
  const started = grant(refreshToken);
  refreshes.set(key, started);
  started.then(
    () => {
      const timer = setTimeout(() => refreshes.delete(key), KEEP_FINISHED_MS);
      // Never keeps a process (a CLI, a test worker) alive on its own.
      (timer as { unref?: () => void }).unref?.();
    },
    () => refreshes.delete(key),
  );
  return started;
}

/** Auth refused the refresh token itself (used, revoked, expired): the session is over. */
function isRefused(e: PoseyError): boolean {
  return e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function toSession(body: Record<string, unknown>): Session {
  const { access_token, refresh_token, expires_at, expires_in, user } = body;
  if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof user !== 'object' || !user) {
    throw errorFromBody(200, { code: 'unexpected_answer', message: 'auth answered without a session' });
  }
  const expiresAt =
    typeof expires_at === 'number'
      ? expires_at
      : nowSeconds() + (typeof expires_in === 'number' ? expires_in : 0);
  return { access_token, refresh_token, expires_at: expiresAt, user: user as User };
}
