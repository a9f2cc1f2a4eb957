// The .deb a person installs (`apt install ./Posey_*.deb`): its Depends names each package once,
// and installing what it names brings every shared library the app's binary links, so the app
// starts on a machine that had none of them. Read off the .deb `npm run build:app` made, with
// Debian's own tools (dpkg-deb, readelf, dpkg-query) and this machine's package database.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect, test } from 'vitest';

const target = process.env.POSEY_DESKTOP_TARGET_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'posey-desktop-target');
const debDir = join(target, 'release', 'bundle', 'deb');

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Package names in a Depends-style field (versions and architectures dropped, every
 * alternative of an `a | b` kept). */
function names(field: string): string[] {
  return field
    .split(/[,|]/)
    .map((part) => part.trim().split(/[\s:(]/)[0] ?? '')
    .filter((name) => name !== '');
}

/** Every package installing `roots` brings, as this machine's installed packages say (a virtual
 * package reaches the installed packages that provide it). */
function closure(roots: string[]): Set<string> {
  const depends = new Map<string, string[]>();
  const providers = new Map<string, string[]>();
  const installed = run('dpkg-query', ['-W', '-f', '${Package}\t${db:Status-Abbrev}\t${Depends}, ${Pre-Depends}\t${Provides}\n']);
  for (const line of installed.split('\n')) {
    const [name, status, needs, provides] = line.split('\t');
    if (!name || !status?.startsWith('ii')) continue;
    depends.set(name, names(needs ?? ''));
    for (const virtual of names(provides ?? '')) providers.set(virtual, [...(providers.get(virtual) ?? []), name]);
  }
  const reached = new Set<string>();
  const queue = [...roots];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (reached.has(name)) continue;
    reached.add(name);
    queue.push(...(depends.get(name) ?? []), ...(providers.get(name) ?? []));
  }
  return reached;
}

test('the .deb depends once on each package, and they bring every library the app links', () => {
  const debs = readdirSync(debDir).filter((file) => file.endsWith('.deb'));
  expect(debs, `the .deb npm run build:app makes, in ${debDir}`).toHaveLength(1);
  const deb = join(debDir, debs[0] ?? '');

  const depends = names(run('dpkg-deb', ['-f', deb, 'Depends']));
  expect(depends.filter((name, i) => depends.indexOf(name) !== i), 'packages named twice').toEqual([]);

  const unpacked = mkdtempSync(join(tmpdir(), 'posey-deb-'));
  try {
    run('dpkg-deb', ['-x', deb, unpacked]);
    const dynamic = run('readelf', ['-d', join(unpacked, 'usr', 'bin', 'posey-desktop')]);
    const libraries = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] ?? '');
    expect(libraries, 'the libraries the binary links').toContain('libwebkit2gtk-4.1.so.0');

    const brought = closure(depends);
    const missing = libraries.flatMap((library) => {
      // The package that installed the library here (a -dev package's .so link aside).
      const owners = run('dpkg', ['-S', library])
        .split('\n')
        .filter((line) => line.endsWith(`/${library}`))
        .map((line) => line.split(':')[0] ?? '');
      return owners.some((owner) => brought.has(owner)) ? [] : [`${library} (${owners.join(', ')})`];
    });
    expect(missing, `libraries no package of Depends (${depends.join(', ')}) brings`).toEqual([]);
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
});
