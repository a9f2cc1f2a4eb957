// freePorts: below the kernel's ephemeral range, where no `listen(0)` or outgoing connection of
// another process can take a port between its choosing and the service binding it, and never
// the same port twice in one process.

import { readFileSync } from 'node:fs';

import { expect, test } from 'vitest';

import { freePorts } from '../posey.js';

test('free ports are below the ephemeral range, distinct and never handed out twice', async () => {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports = [...(await freePorts(100)), ...(await freePorts(100))];
  expect(ports.filter((port) => port < 10_000 || port >= low)).toEqual([]);
  expect(new Set(ports).size).toBe(ports.length);
});
