// The typed cron client (types generated from cron's /openapi.json) against a running posey up.

import { describe, expect, it } from 'vitest';

import { PoseyError, createCronClient, unwrap } from '../src/index.js';
import { newPerson, posey } from './support.js';

describe('cron client', () => {
  it('creates a reminder and lists it', async () => {
    const { auth } = await newPerson();
    const cron = createCronClient({ url: posey().cronUrl, token: () => auth.accessToken() });
    const at = new Date(Date.now() + 3600_000).toISOString();

    const task = await unwrap(
      cron.POST('/v1/tasks', {
        body: {
          name: 'Water the plants',
          kind: 'reminder',
          payload: { title: 'Water the plants', body: 'The ferns too' },
          schedule: { kind: 'once', spec: at },
          time_zone: 'Europe/Paris',
        },
      }),
    );
    expect(task).toMatchObject({ name: 'Water the plants', kind: 'reminder', paused: false, time_zone: 'Europe/Paris' });
    expect(Date.parse(task.next_run_at ?? '')).toBe(Date.parse(at));

    const listed = await unwrap(cron.GET('/v1/tasks'));
    expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);
    const fetched = await unwrap(cron.GET('/v1/tasks/{id}', { params: { path: { id: task.id } } }));
    expect(fetched.payload).toEqual({ title: 'Water the plants', body: 'The ferns too' });
  });

  it('reports every bad field of a refused task', async () => {
    const { auth } = await newPerson();
    const cron = createCronClient({ url: posey().cronUrl, token: () => auth.accessToken() });
    const error = await unwrap(
      cron.POST('/v1/tasks', {
        body: { name: '', kind: 'reminder', payload: {}, schedule: { kind: 'interval', spec: '1' } },
      }),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PoseyError);
    const refused = error as PoseyError;
    expect(refused.status).toBe(422);
    expect(Object.keys(refused.fields ?? {}).sort()).toEqual(['name', 'payload.title', 'schedule']);
  });
});
