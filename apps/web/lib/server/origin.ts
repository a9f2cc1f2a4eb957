// The app's own origin: what `Origin` must equal on a mutating request, and whether cookies get
// the `__Host-` prefix (only over HTTPS, where browsers honour it). Next's server speaks plain
// HTTP; behind a TLS-terminating proxy, `WEB_ORIGIN` (https://posey.example) says so.

export function appOrigin(headers: Headers): string {
  const configured = process.env.WEB_ORIGIN?.trim();
  if (configured) return new URL(configured).origin;
  return `http://${headers.get('host') ?? 'localhost'}`;
}

export function isHttps(origin: string): boolean {
  return origin.startsWith('https:');
}
