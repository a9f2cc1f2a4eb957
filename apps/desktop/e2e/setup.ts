// The end-to-end run's world: `posey up` from the shared harness (free ports, a fresh database,
// the built-in local model, email to the test Maildir) with one confirmed person to sign in as;
// an X server of its own (Xvfb); and tauri-driver in front of Debian's WebKitWebDriver, which
// starts the built app with the environment below (pointing it at this posey, its settings in a
// temporary directory, its notifications logged to a file the test reads).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePorts, type RunningPosey, readMail, startPosey, uniqueEmail } from '@posey/testing';
import type { TestProject } from 'vitest/node';

export interface E2eInfo {
  driverUrl: string;
  application: string;
  notificationLog: string;
  /** The X screen's framebuffer (XWD). */
  screenFile: string;
  artifacts: string;
  authUrl: string;
  /** The test posey's database, for what a test stores or checks directly. */
  databaseUrl: string;
  email: string;
  password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eInfo;
  }
}

const root = join(import.meta.dirname, '..');
const PASSWORD = 'correct horse battery staple';
const NATIVE_DRIVER = '/usr/bin/WebKitWebDriver';

/** The app `npm run build` made (in scripts/with-target's directory): POSEY_DESKTOP_BIN, else
 * the release build, else the debug one. */
export function application(): string {
  const target = process.env.POSEY_DESKTOP_TARGET_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'posey-desktop-target');
  const candidates = [process.env.POSEY_DESKTOP_BIN, join(target, 'release', 'posey-desktop'), join(target, 'debug', 'posey-desktop')];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new Error(`no built app (looked at ${candidates.filter(Boolean).join(', ')}): run \`npm run build\` first`);
  return found;
}

function tauriDriver(): string {
  const candidates = [process.env.TAURI_DRIVER, join(process.env.CARGO_HOME ?? join(process.env.HOME ?? '/root', '.cargo'), 'bin', 'tauri-driver')];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new Error('no tauri-driver: ./scripts/setup installs it (cargo install --locked tauri-driver)');
  return found;
}

/** Starts Xvfb on a display it picks itself (`-displayfd`), answering `:N`; its screen is kept
 * in `fbDir/Xvfb_screen0` (what the screenshots are taken from). */
async function startXvfb(fbDir: string): Promise<{ display: string; process: ChildProcess }> {
  const args = ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp', '-fbdir', fbDir];
  const child = spawn('Xvfb', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const display = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('Xvfb did not start in 20 s')), 20_000);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`Xvfb exited (${code})`)));
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        ok(`:${out.trim()}`);
      }
    });
  });
  return { display, process: child };
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

let posey: RunningPosey | null = null;
let xvfb: ChildProcess | null = null;
let driver: ChildProcess | null = null;
let scratch: string | null = null;

export async function setup(project: TestProject) {
  if (!existsSync(NATIVE_DRIVER)) throw new Error(`no ${NATIVE_DRIVER}: apt-get install webkit2gtk-driver`);
  const app = application();
  const driverBin = tauriDriver();
  const artifacts = join(root, 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'posey-desktop-e2e-'));

  posey = await startPosey({ env: { AUTH_OPEN_SIGNUP: 'true', AUTH_REDIRECT_URLS: 'posey://auth-callback', AGENTS_DAILY_REQUESTS: '1000000', AGENTS_DAILY_TOKENS: '1000000000' } });
  // The owner first, so that the person below is an ordinary one who confirms their address.
  const owner = await post(`${posey.authUrl}/signup`, { email: uniqueEmail('owner'), password: 'the owner of this test posey' });
  if (typeof owner.access_token !== 'string') throw new Error('the owner was not signed in at once');
  const email = uniqueEmail('desktop');
  await post(`${posey.authUrl}/signup`, { email, password: PASSWORD, data: { name: 'Ada' } });
  const mail = await readMail(email, { maildir: posey.maildir, timeoutMs: 20_000 });
  if (!mail.verifyLink) throw new Error(`no confirmation link in: ${mail.body}`);
  const confirmed = await fetch(mail.verifyLink, { redirect: 'manual' });
  if (confirmed.status >= 400) throw new Error(`confirming failed: ${confirmed.status}`);

  const fbDir = join(scratch, 'fb');
  mkdirSync(fbDir);
  const x = await startXvfb(fbDir);
  xvfb = x.process;
  const [port, nativePort] = await freePorts(2);
  const notificationLog = join(scratch, 'notifications.jsonl');
  driver = spawn(driverBin, ['--port', String(port), '--native-port', String(nativePort), '--native-driver', NATIVE_DRIVER], {
    stdio: ['ignore', process.env.TEST_LOG ? 'inherit' : 'ignore', process.env.TEST_LOG ? 'inherit' : 'ignore'],
    env: {
      ...process.env,
      DISPLAY: x.display,
      // No session bus: the desktop notification itself fails quietly; the log says it was due.
      DBUS_SESSION_BUS_ADDRESS: 'disabled:',
      XDG_CONFIG_HOME: join(scratch, 'config'),
      XDG_DATA_HOME: join(scratch, 'data'),
      XDG_CACHE_HOME: join(scratch, 'cache'),
      POSEY_DESKTOP_AUTH_URL: posey.authUrl,
      POSEY_DESKTOP_AGENTS_URL: posey.agentsUrl,
      POSEY_DESKTOP_CRON_URL: posey.cronUrl,
      POSEY_DESKTOP_NOTIFICATION_LOG: notificationLog,
      // WebKitGTK under Xvfb: no GPU, no accessibility bus.
      WEBKIT_DISABLE_COMPOSITING_MODE: '1',
      WEBKIT_DISABLE_DMABUF_RENDERER: '1',
      NO_AT_BRIDGE: '1',
      RUST_LOG: process.env.RUST_LOG ?? 'info',
    },
  });
  project.provide('e2e', { driverUrl: `http://127.0.0.1:${port}`, application: app, notificationLog, screenFile: join(fbDir, 'Xvfb_screen0'), artifacts, authUrl: posey.authUrl, databaseUrl: posey.databaseUrl, email, password: PASSWORD });
}

export async function teardown() {
  driver?.kill('SIGTERM');
  xvfb?.kill('SIGTERM');
  await posey?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
