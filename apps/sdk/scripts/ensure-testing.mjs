// Before `npm test`: the harness in ../testing has its own dependencies (pg); install them from
// its lock file when they are missing or older than it, so `npm ci && npm test` here is enough.

import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const testing = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testing');
const lock = join(testing, 'package-lock.json');
const installed = join(testing, 'node_modules', '.package-lock.json');

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log(`installing the test harness's dependencies in ${testing}`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: testing, stdio: 'inherit' });
}
