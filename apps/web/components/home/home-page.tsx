'use client';
// The Home page's client side: holds what the server fetched and keeps it current as the person
// acts (a command's returned entity replaces the old one and its audit entry heads the activity;
// adding or removing a connection reads the lists again).

import { useId, useState } from 'react';

import { api } from '@/lib/client/api';
import type { Area, AuditEntry, CommandResult, Connection, EntitiesResponse, Entity, Exposure, Watch } from '@/lib/home';
import { replaceEntity } from '@/lib/home';

import { Activity } from './activity';
import { Connections } from './connections';
import { Devices } from './devices';
import { Watches } from './watches';

export interface HomeData {
  connections: Connection[];
  areas: Area[];
  entities: Entity[];
  /** `null` when it could not be read (the companion's checkboxes are then not offered). */
  exposure: Exposure | null;
  audit: AuditEntry[];
  watches: Watch[];
}

export interface HomeProblems {
  entities: string | null;
  exposure: string | null;
  audit: string | null;
  watches: string | null;
}

export function HomePage({ initial, problems: initialProblems, zone }: { initial: HomeData; problems: HomeProblems; zone: string }) {
  const id = useId();
  const [data, setData] = useState(initial);
  const [problems, setProblems] = useState(initialProblems);

  /** Everything a connection changes, read again. */
  async function reload() {
    const [connections, entities, watches, audit] = await Promise.allSettled([
      api<{ connections: Connection[] }>('/agents/v1/home/connections'),
      api<EntitiesResponse>('/agents/v1/home/entities'),
      api<{ watches: Watch[] }>('/agents/v1/home/watches'),
      api<{ entries: AuditEntry[] }>('/agents/v1/home/audit?limit=50'),
    ]);
    const why = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? (r.reason as Error).message : null);
    setData((d) => ({
      ...d,
      connections: connections.status === 'fulfilled' ? connections.value.connections : d.connections,
      areas: entities.status === 'fulfilled' ? entities.value.areas : d.areas,
      entities: entities.status === 'fulfilled' ? entities.value.entities : d.entities,
      watches: watches.status === 'fulfilled' ? watches.value.watches : d.watches,
      audit: audit.status === 'fulfilled' ? audit.value.entries : d.audit,
    }));
    setProblems((p) => ({ ...p, entities: why(entities), watches: why(watches), audit: why(audit) }));
  }

  const onCommand = (result: CommandResult) =>
    setData((d) => ({
      ...d,
      entities: replaceEntity(d.entities, result.entity),
      audit: result.audit ? [result.audit, ...d.audit.filter((a) => a.id !== result.audit.id)] : d.audit,
    }));

  const empty = data.connections.length === 0;

  return (
    <div className="space-y-6">
      {empty && (
        <section className="card bg-base-100 shadow-sm" aria-labelledby={`${id}-empty`} data-testid="home-empty">
          <div className="card-body gap-2">
            <h2 id={`${id}-empty`} className="card-title text-base">
              Connect your home
            </h2>
            <p>Posey shows and switches your lights, thermostats, locks and the rest once it is connected to where they already are:</p>
            <ul className="list-disc space-y-1 pl-6 text-sm">
              <li>
                <strong>Home Assistant</strong>: its address (like <code>http://homeassistant.local:8123</code>) and a long-lived access token, made in your Home Assistant
                profile under Security.
              </li>
              <li>
                <strong>An MQTT broker</strong> with devices that announce themselves there (Home Assistant discovery, zigbee2mqtt, Tasmota, ESPHome): its address and
                password, or nothing to use this Posey’s own broker.
              </li>
            </ul>
            <p className="text-sm opacity-80">The companion sees and controls nothing of your home until you allow it, device by device or room by room.</p>
          </div>
        </section>
      )}
      <Connections connections={data.connections} onChanged={reload} />
      {!empty && (
        <>
          <Devices areas={data.areas} entities={data.entities} exposure={data.exposure} problem={problems.entities} exposureProblem={problems.exposure} onCommand={onCommand} onExposure={(exposure) => setData((d) => ({ ...d, exposure }))} />
          <Watches watches={data.watches} entities={data.entities} problem={problems.watches} onChange={(watches) => setData((d) => ({ ...d, watches }))} />
          <Activity entries={data.audit} entities={data.entities} zone={zone} problem={problems.audit} onMore={(older) => setData((d) => ({ ...d, audit: [...d.audit, ...older.filter((o) => !d.audit.some((a) => a.id === o.id))] }))} />
        </>
      )}
    </div>
  );
}
