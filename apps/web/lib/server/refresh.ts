// One refresh per session at a time. A refresh token is single-use: two tabs (or two parallel
// requests of one page) that present the same one must not each spend it. The first caller
// refreshes; every caller with the same token, meanwhile or shortly after, gets the same result.

import type { Tokens } from './cookies';

export type RefreshOutcome =
  | { kind: 'ok'; tokens: Tokens }
  // Auth refused the token: the session is over (revoked, expired, or reused too late).
  | { kind: 'invalid'; message: string }
  // Auth could not be asked (down, 5xx): keep the cookies and try again on the next request.
  | { kind: 'unavailable'; message: string };

export type Refresher = (refreshToken: string) => Promise<RefreshOutcome>;

interface Flight {
  promise: Promise<RefreshOutcome>;
  settledAt?: number;
}

/**
 * Wraps `refresh` so concurrent and recent calls with one token share a single call. A settled
 * success is remembered for `rememberMs` (a request that left before the new cookies arrived
 * still presents the old token); failures that may pass are not remembered.
 */
export function singleFlight(refresh: Refresher, rememberMs = 30_000, now = () => Date.now()) {
  const flights = new Map<string, Flight>();

  function sweep() {
    const t = now();
    for (const [key, flight] of flights) {
      if (flight.settledAt !== undefined && t - flight.settledAt > rememberMs) flights.delete(key);
    }
  }

  return function refreshOnce(refreshToken: string): Promise<RefreshOutcome> {
    sweep();
    const existing = flights.get(refreshToken);
    if (existing) return existing.promise;
    const flight: Flight = {
      promise: refresh(refreshToken).catch(
        (error: unknown): RefreshOutcome => ({ kind: 'unavailable', message: String(error) }),
      ),
    };
    flights.set(refreshToken, flight);
    void flight.promise.then((outcome) => {
      if (outcome.kind === 'unavailable') flights.delete(refreshToken);
      else flight.settledAt = now();
    });
    return flight.promise;
  };
}
