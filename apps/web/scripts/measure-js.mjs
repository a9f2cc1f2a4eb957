#!/usr/bin/env node
// JavaScript a page ships, gzipped: the framework's root files plus every client chunk of the
// page's layouts and page, from the build's manifests (run after `next build`).
// Usage: node scripts/measure-js.mjs [route ...]   (default: the chat pages)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const next = join(import.meta.dirname, '..', '.next');
const routes = process.argv.slice(2).length ? process.argv.slice(2) : ['/(app)/chat/[id]/page', '/(app)/chat/page'];
const build = JSON.parse(readFileSync(join(next, 'build-manifest.json'), 'utf8'));

let failed = false;
for (const route of routes) {
  const file = join(next, 'server', 'app', `${route}_client-reference-manifest.js`);
  globalThis.self = globalThis;
  globalThis.__RSC_MANIFEST = {};
  // The manifest is a script that fills `self.__RSC_MANIFEST`.
  new Function(readFileSync(file, 'utf8'))();
  const manifest = globalThis.__RSC_MANIFEST[route];
  const segments = route.replace(/\/page$/, '').split('/').filter(Boolean);
  const chain = ['app/layout'];
  for (let i = 1; i <= segments.length; i++) chain.push(`app/${segments.slice(0, i).join('/')}/layout`);
  chain.push(`app${route}`);
  const files = new Set(build.rootMainFiles);
  for (const [key, chunks] of Object.entries(manifest.entryJSFiles)) {
    if (chain.some((c) => key.endsWith(`/${c}`))) for (const chunk of chunks) files.add(chunk);
  }
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(next, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  console.log(`${route}: ${files.size} files, ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped`);
  if (gz > 150 * 1024) failed = true;
}
if (failed) {
  console.error('over the 150 KiB budget');
  process.exit(1);
}
