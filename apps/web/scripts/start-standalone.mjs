#!/usr/bin/env node
// `npm start`: the standalone server on WEB_PORT (default 3000) and BIND_ADDRESS (default
// 127.0.0.1), as `posey up` runs it.

import { spawn } from 'node:child_process';
import { join } from 'node:path';

const server = join(import.meta.dirname, '..', '.next', 'standalone', 'web', 'server.js');
const env = {
  ...process.env,
  PORT: process.env.WEB_PORT ?? process.env.PORT ?? '3000',
  HOSTNAME: process.env.BIND_ADDRESS ?? process.env.HOSTNAME ?? '127.0.0.1',
};
const child = spawn(process.execPath, [server], { env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
