// Home: the person's smart home through agents' home plugin (`/v1/home`): connections to Home
// Assistant or an MQTT broker, the devices by area with their controls and what the companion
// may see and control of each, the activity log and the watches. Fetched here; the components act.

import { unstable_rethrow } from 'next/navigation';

import { HomePage } from '@/components/home/home-page';
import { PageHeader } from '@/components/page-header';
import { isZone } from '@/lib/calendar';
import { normaliseExposure, type AuditEntry, type Connection, type EntitiesResponse, type Exposure, type Watch } from '@/lib/home';
import { serviceJson } from '@/lib/server/session';
import type { Profile } from '@/lib/types';

export const metadata = { title: 'Home' };

const HERE = '/home';

/** A part of the page, or why it could not be had (the rest still shows). */
async function part<T>(path: string): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await serviceJson<T>('agents', `/v1/home${path}`, HERE) };
  } catch (error) {
    unstable_rethrow(error);
    return { ok: false, error: (error as Error).message };
  }
}

export default async function HomeRoute() {
  const [connections, entities, exposure, audit, watches, profile] = await Promise.all([
    part<{ connections: Connection[] }>('/connections'),
    part<EntitiesResponse>('/entities'),
    part<Exposure>('/exposure'),
    part<{ entries: AuditEntry[] }>('/audit?limit=50'),
    part<{ watches: Watch[] }>('/watches'),
    serviceJson<Profile>('agents', '/v1/profile', HERE),
  ]);
  const zone = isZone(profile.time_zone) ? profile.time_zone : 'UTC';
  return (
    <>
      <PageHeader title="Home" />
      <div className="mx-auto w-full max-w-6xl space-y-6 p-4">
        {connections.ok ? (
          <HomePage
            zone={zone}
            initial={{
              connections: connections.value.connections,
              areas: entities.ok ? entities.value.areas : [],
              entities: entities.ok ? entities.value.entities : [],
              exposure: exposure.ok ? normaliseExposure(exposure.value) : null,
              audit: audit.ok ? audit.value.entries : [],
              watches: watches.ok ? watches.value.watches : [],
            }}
            problems={{
              entities: entities.ok ? null : entities.error,
              exposure: exposure.ok ? null : exposure.error,
              audit: audit.ok ? null : audit.error,
              watches: watches.ok ? null : watches.error,
            }}
          />
        ) : (
          <div role="alert" className="alert alert-error alert-soft">
            <span>Your home cannot be shown: {connections.error}</span>
          </div>
        )}
      </div>
    </>
  );
}
