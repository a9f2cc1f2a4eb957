// How the API clients get the access token they send: a fixed one, or a function asked before
// every request (say `() => auth.accessToken()`, which refreshes when it is about to expire).

export type TokenSource = string | null | (() => string | null | Promise<string | null>);

export async function resolveToken(source: TokenSource | undefined): Promise<string | null> {
  if (source === undefined || source === null) return null;
  return typeof source === 'function' ? await source() : source;
}
