// The apps' test harness: a real `posey up` as a child process on free ports, with its own data
// dir, a fresh database on TEST_DATABASE_URL's server, the deterministic test model and auth's
// emails going to the test SMTP server's Maildir. Usable from a vitest globalSetup (pass
// `info` to the tests with provide/inject) and from Playwright (`infoEnv` / `infoFromEnv`).
// Mirrors services/posey/tests/up/support.rs and posey-testkit's per-test database.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { Mailbox, type ReceivedMail } from './mail.js';

export { Mailbox, parseMessage, type ReceivedMail } from './mail.js';

/** What a test needs to reach a running posey; plain data, so it crosses process boundaries. */
export interface PoseyInfo {
  authUrl: string;
  agentsUrl: string;
  gatewayUrl: string;
  cronUrl: string;
  /** The web app's URL, when started with `webDir`. */
  webUrl: string | null;
  /** The database this run uses (dropped when it stops). */
  databaseUrl: string;
  dataDir: string;
  /** Where auth's emails land (TEST_SMTP_MAILDIR). */
  maildir: string;
  logPath: string;
  /** GATEWAY_ADMIN_SECRET of this run, for operator queries in tests. */
  gatewayAdminSecret: string;
}

export interface StartOptions {
  /** The posey binary; default POSEY_BIN, else $CARGO_TARGET_DIR/debug/posey, else target/debug/posey. */
  bin?: string;
  /** Variables for posey besides (or instead of) the harness's; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** The web app's standalone build (POSEY_WEB_DIR); it then gets a free WEB_PORT too. */
  webDir?: string;
  /** How long to wait for every service's /readyz (default 180 s: a debug build loads models). */
  readyTimeoutMs?: number;
}

export interface RunningPosey extends PoseyInfo {
  info: PoseyInfo;
  /** The process's exit, once it has exited (null while it runs). */
  exitCode: () => number | NodeJS.Signals | null;
  /** The last `lines` of posey's output. */
  logTail: (lines?: number) => string;
  /** Stops posey (SIGINT, then SIGKILL after 30 s), drops the database, removes the data dir. */
  stop: () => Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const DB_PREFIX = 'posey_h_';
/** Set by the harness in the test processes (Playwright workers inherit it). */
export const INFO_VAR = 'POSEY_TEST_INFO';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the apps' tests through ./scripts/test, which starts the test ` +
        `servers, or source a file like /work/dev-test.env that sets TEST_DATABASE_URL, ` +
        `TEST_SMTP_URL and TEST_SMTP_MAILDIR`,
    );
  }
  return value;
}

/** The posey binary to run, checked to exist. */
export function poseyBin(explicit?: string): string {
  const bin =
    explicit ??
    process.env.POSEY_BIN ??
    join(process.env.CARGO_TARGET_DIR ?? join(repoRoot, 'target'), 'debug', 'posey');
  if (!existsSync(bin)) {
    throw new Error(
      `no posey binary at ${bin}: build it with \`cargo build -p posey\` (or set POSEY_BIN)`,
    );
  }
  return bin;
}

/** Ports handed out by this process, never handed out again. */
const issued = new Set<number>();

/** The first port of the kernel's ephemeral range (`listen(0)` and outgoing connections). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 10_001 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const server = createServer();
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => server.close(() => ok(true)));
  });
}

/**
 * `count` distinct TCP ports free on 127.0.0.1 now, for a process that needs its port numbers
 * up front. Drawn below the kernel's ephemeral range and never twice in one process, as
 * posey-testkit's `free_port` and scripts/lib.sh's do: a port the kernel picked for
 * `listen(0)` may be picked again for another `listen(0)` (a broker `posey up` starts on port
 * 0, say) or be the local end of an outgoing connection before the service meant for it binds.
 */
export async function freePorts(count: number): Promise<number[]> {
  const below = ephemeralLow();
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries >= 10_000) throw new Error(`no free port on 127.0.0.1 between 10000 and ${below}`);
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    if (issued.has(port) || !(await bindable(port))) continue;
    issued.add(port);
    ports.push(port);
  }
  return ports;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `url` with its database path replaced by `name`. */
function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(serverUrl: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database on `serverUrl`'s server. Databases of harness runs whose process is
 * gone (killed before it could clean up) are dropped first.
 */
async function createDatabase(serverUrl: string): Promise<string> {
  const name = `${DB_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(serverUrl, async (client) => {
    const stale = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${DB_PREFIX}%`],
    );
    for (const { datname } of stale.rows) {
      const pid = Number(/^posey_h_(\d+)_/.exec(datname)?.[1]);
      if (Number.isInteger(pid) && !alive(pid)) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
      }
    }
    await client.query(`CREATE DATABASE "${name}"`);
  });
  return name;
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

// Kill any posey still running when this process exits (a crash, a Ctrl-C): its services and
// their children follow it through their parent-death signals.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `posey up` and waits until every service answers /readyz. */
export async function startPosey(options: StartOptions = {}): Promise<RunningPosey> {
  const serverUrl = required('TEST_DATABASE_URL');
  const smtpUrl = required('TEST_SMTP_URL');
  const maildir = required('TEST_SMTP_MAILDIR');
  const bin = poseyBin(options.bin);
  const extra = options.env ?? {};
  if (
    !process.env.POSEY_LOCAL_EMBEDDING_MODEL &&
    !extra.POSEY_LOCAL_EMBEDDING_MODEL &&
    !extra.POSEY_EMBEDDING_MODEL
  ) {
    throw new Error(
      'POSEY_LOCAL_EMBEDDING_MODEL is not set: the agents service loads the embedding model at ' +
        'start; ./scripts/test installs it and sets the variable',
    );
  }

  const [auth, agents, gateway, cron, web] = await freePorts(5);
  const root = mkdtempSync(join(tmpdir(), 'posey-harness-'));
  const dataDir = join(root, 'data');
  const logPath = join(root, 'posey.log');
  const dbName = await createDatabase(serverUrl);
  const databaseUrl = withDatabase(serverUrl, dbName);
  const gatewayAdminSecret = randomBytes(16).toString('hex');
  const authUrl = `http://127.0.0.1:${auth}`;

  const env: Record<string, string | undefined> = { ...process.env };
  // Backing parts the caller's shell may point elsewhere: this run uses its own or embedded ones.
  for (const name of ['REDIS_URL', 'QDRANT_URL', 'POSTGRES_BIN_DIR', 'POSEY_WEB_DIR', 'WEB_PORT']) {
    delete env[name];
  }
  Object.assign(env, {
    POSEY_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    BIND_ADDRESS: '127.0.0.1',
    AUTH_PORT: String(auth),
    AGENTS_PORT: String(agents),
    GATEWAY_PORT: String(gateway),
    CRON_PORT: String(cron),
    // Links in emails point here (an IP: `localhost` may resolve to ::1, where nothing listens).
    AUTH_EXTERNAL_URL: authUrl,
    POSEY_MODEL: 'test',
    SMTP_URL: smtpUrl,
    // Every test signs in from 127.0.0.1: the per-IP and per-account limits are for the public.
    AUTH_RATE_LIMIT_PER_IP: '100000',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '1000',
    AUTH_RATE_LIMIT_EMAILS_PER_HOUR: '1000',
    // Every test signs up people of its own (by default only the first account may, then invites).
    AUTH_OPEN_SIGNUP: 'true',
    GATEWAY_ADMIN_SECRET: gatewayAdminSecret,
    RUST_LOG: process.env.RUST_LOG ?? 'info',
  });
  if (options.webDir) Object.assign(env, { POSEY_WEB_DIR: options.webDir, WEB_PORT: String(web) });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }

  const info: PoseyInfo = {
    authUrl,
    agentsUrl: `http://127.0.0.1:${agents}`,
    gatewayUrl: `http://127.0.0.1:${gateway}`,
    cronUrl: `http://127.0.0.1:${cron}`,
    webUrl: options.webDir ? `http://127.0.0.1:${web}` : null,
    databaseUrl,
    dataDir,
    maildir,
    logPath,
    gatewayAdminSecret,
  };

  const log = createWriteStream(logPath);
  const child = spawn(bin, ['up'], {
    // Needed where Next's types declare NODE_ENV required (apps/web type-checks this file too).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const echo = process.env.TEST_LOG === '1';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (echo) process.stderr.write(chunk);
    });
  }
  let exit: number | NodeJS.Signals | null = null;
  const exited = new Promise<void>((ok) => {
    child.once('exit', (code, signal) => {
      exit = code ?? signal;
      running.delete(child);
      ok();
    });
  });
  // A spawn failure (say, EACCES) surfaces as an exit too.
  child.once('error', (e) => {
    log.write(`spawning ${bin}: ${e.message}\n`);
    exit ??= -1;
    running.delete(child);
  });

  const logTail = (lines = 40) => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (exit === null) {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    }
    await new Promise((ok) => log.end(ok));
    try {
      await dropDatabase(serverUrl, dbName);
    } finally {
      if (process.env.POSEY_HARNESS_KEEP !== '1') rmSync(root, { recursive: true, force: true });
    }
  };

  const posey: RunningPosey = { ...info, info, exitCode: () => exit, logTail, stop };
  try {
    const urls = [info.authUrl, info.agentsUrl, info.gatewayUrl, info.cronUrl];
    await waitReady(urls.map((u) => `${u}/readyz`), options.readyTimeoutMs ?? 180_000, () => exit);
    if (info.webUrl) await waitReady([info.webUrl], options.readyTimeoutMs ?? 180_000, () => exit);
  } catch (e) {
    const tail = logTail();
    await stop().catch(() => {});
    throw new Error(`${(e as Error).message}; posey's log ends:\n${tail}`, { cause: e });
  }
  return posey;
}

async function waitReady(
  urls: string[],
  timeoutMs: number,
  exit: () => number | NodeJS.Signals | null,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      const code = exit();
      if (code !== null) throw new Error(`posey exited (${code}) before ${url} was ready`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        // A service's /readyz says 200; the web app answers anything once it listens.
        if (response.status === 200 || (!url.endsWith('/readyz') && response.status < 500)) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${url} was not ready within ${timeoutMs} ms`);
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }
}

/**
 * The rows of one SQL query on a run's database (`info.databaseUrl`): for tests that check what
 * a service stored where no API shows it.
 */
export async function queryDatabase<R extends pg.QueryResultRow>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  return withAdmin(databaseUrl, async (client) => (await client.query<R>(sql, params)).rows);
}

/** The variable to hand `info` to other processes (Playwright workers, child scripts). */
export function infoEnv(info: PoseyInfo): Record<string, string> {
  return { [INFO_VAR]: JSON.stringify(info) };
}

/** The info a harness process handed down in POSEY_TEST_INFO. */
export function infoFromEnv(): PoseyInfo {
  const raw = process.env[INFO_VAR];
  if (!raw) throw new Error(`${INFO_VAR} is not set: start posey with startPosey() in a global setup`);
  return JSON.parse(raw) as PoseyInfo;
}

const mailboxes = new Map<string, Mailbox>();

/**
 * The next email to `to` that this process has not handed out yet (waiting for it to arrive),
 * with its verify link and six-digit code. The Maildir is TEST_SMTP_MAILDIR unless given.
 */
export function readMail(
  to: string,
  options: { maildir?: string; timeoutMs?: number } = {},
): Promise<ReceivedMail> {
  const dir = options.maildir ?? required('TEST_SMTP_MAILDIR');
  let box = mailboxes.get(dir);
  if (!box) {
    box = new Mailbox(dir);
    mailboxes.set(dir, box);
  }
  return box.next(to, options.timeoutMs);
}

/** A unique address for one test, at a domain that never receives real mail. */
export function uniqueEmail(label = 'user'): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@example.test`;
}
