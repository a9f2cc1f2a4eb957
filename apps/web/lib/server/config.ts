// Where the services are, from the environment (the launcher sets these; defaults are `posey up`'s ports).

export type Service = 'auth' | 'agents' | 'cron' | 'gateway';

const DEFAULTS: Record<Service, [string, string]> = {
  auth: ['AUTH_URL', 'http://127.0.0.1:9000'],
  agents: ['AGENTS_URL', 'http://127.0.0.1:8000'],
  cron: ['CRON_URL', 'http://127.0.0.1:8090'],
  gateway: ['GATEWAY_URL', 'http://127.0.0.1:8080'],
};

/** The base URL of `service`, without a trailing slash. Read per call so tests can set the env. */
export function serviceUrl(service: Service): string {
  const [name, fallback] = DEFAULTS[service];
  const raw = process.env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${name} must be an http or https URL, not ${JSON.stringify(raw)}`);
  }
  return url.toString().replace(/\/+$/, '');
}

export function isService(name: string): name is Service {
  return Object.hasOwn(DEFAULTS, name);
}
