// The GraphQL client against the gateway of a running posey up: queries and mutations over
// HTTP, and a subscription (graphql-ws) that hears a notification cron really delivers.

import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { GatewayClient, PoseyError, createCronClient, unwrap } from '../src/index.js';
import { newPerson, posey } from './support.js';

interface Notification {
  id: string;
  title: string;
  user_id: string;
  read_at: string | null;
}

const clients: GatewayClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function gatewayFor(token: () => Promise<string | null>): GatewayClient {
  const client = new GatewayClient({ url: posey().gatewayUrl, token, webSocketImpl: WebSocket });
  clients.push(client);
  return client;
}

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('GatewayClient', () => {
  it('hears a new notification live, then marks it read with a mutation', async () => {
    const { auth, session } = await newPerson();
    const gateway = gatewayFor(() => auth.accessToken());
    const list = `{ cron_notifications(order_by: {created_at: asc}) { id title user_id read_at } }`;
    expect(await gateway.query(list)).toEqual({ cron_notifications: [] });

    const subscription = gateway.subscribe<{ cron_notifications: Notification[] }>(`subscription ${list}`);
    const feed = subscription[Symbol.asyncIterator]();
    const initial = await within(15_000, 'the first result', feed.next());
    expect(initial.value).toEqual({ cron_notifications: [] });

    // A reminder due in an hour, run now: cron delivers it as an in-app notification.
    const cron = createCronClient({ url: posey().cronUrl, token: () => auth.accessToken() });
    const task = await unwrap(
      cron.POST('/v1/tasks', {
        body: {
          name: 'Stretch',
          kind: 'reminder',
          payload: { title: 'Time to stretch' },
          schedule: { kind: 'once', spec: new Date(Date.now() + 3600_000).toISOString() },
        },
      }),
    );
    await unwrap(cron.POST('/v1/tasks/{id}/run', { params: { path: { id: task.id } } }));

    const next = await within(30_000, 'the live notification', feed.next());
    const heard = (next.value as { cron_notifications: Notification[] }).cron_notifications;
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ title: 'Time to stretch', user_id: session.user.id, read_at: null });
    await feed.return?.();

    const readAt = new Date().toISOString();
    const updated = await gateway.query<{ update_cron_notifications_by_pk: Notification | null }>(
      `mutation Read($id: uuid!, $at: timestamptz!) {
        update_cron_notifications_by_pk(pk_columns: {id: $id}, _set: {read_at: $at}) { id read_at }
      }`,
      { id: heard[0]?.id, at: readAt },
    );
    expect(Date.parse(updated.update_cron_notifications_by_pk?.read_at ?? '')).toBe(Date.parse(readAt));
  });

  it('sees only the person’s own rows, and refuses what the role may not touch', async () => {
    const ada = await newPerson();
    const bob = await newPerson();
    const asBob = gatewayFor(() => bob.auth.accessToken());
    const count = await asBob.query<{ cron_notifications_aggregate: { aggregate: { count: number } } }>(
      `{ cron_notifications_aggregate(where: {user_id: {_eq: "${ada.session.user.id}"}}) { aggregate { count } } }`,
    );
    expect(count.cron_notifications_aggregate.aggregate.count).toBe(0);

    // The user role has no rule for cron's tasks: the field does not exist for it.
    const error = await asBob.query('{ cron_tasks { id } }').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PoseyError);
    expect(error).toMatchObject({ status: 200, code: 'validation-failed' });
    expect((error as PoseyError).message).toContain('cron_tasks');
  });

  it('refuses a bad token over HTTP with the gateway’s code', async () => {
    const gateway = gatewayFor(() => Promise.resolve('not-a-token'));
    await expect(gateway.query('{ cron_notifications { id } }')).rejects.toMatchObject({
      status: 401,
      code: 'invalid-jwt',
    });
  });
});
