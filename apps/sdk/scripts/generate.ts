// `npm run generate`: the SDK's types from each service's GET /openapi.json, written to
// src/generated/<service>.ts. The services are the ones at AUTH_URL, AGENTS_URL and CRON_URL
// when all three are set; otherwise a posey up is started for the purpose with the test harness
// (apps/testing; it needs TEST_DATABASE_URL, TEST_SMTP_URL and TEST_SMTP_MAILDIR).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type PoseyInfo, startPosey } from '../../testing/posey.js';
import { SERVICES, type ServiceName, fetchDocument, generateTypes } from './openapi.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'generated');

async function main(): Promise<void> {
  const given = { authUrl: process.env.AUTH_URL, agentsUrl: process.env.AGENTS_URL, cronUrl: process.env.CRON_URL };
  let stop: (() => Promise<void>) | null = null;
  let urls: Pick<PoseyInfo, 'authUrl' | 'agentsUrl' | 'cronUrl'>;
  if (given.authUrl && given.agentsUrl && given.cronUrl) {
    urls = { authUrl: given.authUrl, agentsUrl: given.agentsUrl, cronUrl: given.cronUrl };
  } else {
    console.log('starting posey up with the test harness (set AUTH_URL, AGENTS_URL and CRON_URL to use running services)');
    const posey = await startPosey();
    stop = posey.stop;
    urls = posey;
  }
  try {
    for (const [service, key] of Object.entries(SERVICES) as [ServiceName, keyof typeof urls][]) {
      const file = join(out, `${service}.ts`);
      const document = await fetchDocument(urls[key]);
      if (!document) {
        const note = existsSync(file) ? ` (keeping the committed ${file})` : '';
        console.log(`${service}: publishes no OpenAPI document at ${urls[key]}/openapi.json; skipped${note}`);
        continue;
      }
      const text = await generateTypes(service, document);
      const before = existsSync(file) ? readFileSync(file, 'utf8') : null;
      if (before === text) {
        console.log(`${service}: ${file} is up to date`);
      } else {
        writeFileSync(file, text);
        console.log(`${service}: wrote ${file}`);
      }
    }
  } finally {
    await stop?.();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
