// A small W3C WebDriver client over fetch: what the end-to-end test needs from tauri-driver
// (which hands the session to Debian's WebKitWebDriver): find, click, type, read, run a script.

export class WebDriver {
  private constructor(
    private readonly base: string,
    readonly sessionId: string,
  ) {}

  static async start(driverUrl: string, application: string, timeoutMs = 60_000): Promise<WebDriver> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const body = { capabilities: { alwaysMatch: { 'tauri:options': { application } } } };
        const answer = await send<{ sessionId: string }>(`${driverUrl}/session`, 'POST', body);
        return new WebDriver(driverUrl, answer.sessionId);
      } catch (e) {
        // tauri-driver may not listen yet.
        if (Date.now() > deadline) throw e;
        await sleep(500);
      }
    }
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return send<T>(`${this.base}/session/${this.sessionId}${path}`, method, body);
  }

  async quit(): Promise<void> {
    await this.call('DELETE', '');
  }

  /** The first element matching `css`, waiting up to `timeoutMs` for it. */
  async find(css: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.call<Record<string, string>[]>('POST', '/elements', { using: 'css selector', value: css });
      const first = found[0];
      if (first) return Object.values(first)[0] as string;
      if (Date.now() > deadline) throw new Error(`no element matches ${css}`);
      await sleep(250);
    }
  }

  async count(css: string): Promise<number> {
    return (await this.call<unknown[]>('POST', '/elements', { using: 'css selector', value: css })).length;
  }

  async click(css: string): Promise<void> {
    await this.call('POST', `/element/${await this.find(css)}/click`, {});
  }

  async type(css: string, text: string): Promise<void> {
    const element = await this.find(css);
    await this.call('POST', `/element/${element}/clear`, {});
    await this.call('POST', `/element/${element}/value`, { text });
  }

  async text(css: string): Promise<string> {
    return this.call<string>('GET', `/element/${await this.find(css)}/text`);
  }

  async texts(css: string): Promise<string[]> {
    const found = await this.call<Record<string, string>[]>('POST', '/elements', { using: 'css selector', value: css });
    return Promise.all(found.map((e) => this.call<string>('GET', `/element/${Object.values(e)[0]}/text`)));
  }

  async execute<T>(script: string, ...args: unknown[]): Promise<T> {
    return this.call<T>('POST', '/execute/sync', { script, args });
  }
}

async function send<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as { value: T & { error?: string; message?: string } };
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${answer.value?.error ?? ''} ${answer.value?.message ?? ''}`);
  return answer.value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** Polls `check` until it answers something truthy. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
