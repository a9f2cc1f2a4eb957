// The finance pages' server side: agents' `/v1/finance` read for a page (a redirect to sign in
// goes through), and today in the person's zone.

import { unstable_rethrow } from 'next/navigation';

import { isZone, todayIn } from '@/lib/calendar';
import { serviceJson } from '@/lib/server/session';
import type { Profile } from '@/lib/types';

export function financeJson<T>(path: string, here: string): Promise<T> {
  return serviceJson<T>('agents', `/v1/finance${path}`, here);
}

/** What a part of a page needs, or why it could not be had (the rest of the page still shows). */
export type Maybe<T> = { ok: true; value: T } | { ok: false; error: string };

export async function maybe<T>(path: string, here: string): Promise<Maybe<T>> {
  try {
    return { ok: true, value: await financeJson<T>(path, here) };
  } catch (error) {
    unstable_rethrow(error);
    return { ok: false, error: (error as Error).message };
  }
}

/** Today (`YYYY-MM-DD`) in the person's zone (their profile's). */
export async function personToday(here: string): Promise<string> {
  const profile = await serviceJson<Profile>('agents', '/v1/profile', here);
  return todayIn(isZone(profile.time_zone) ? profile.time_zone : 'UTC');
}
