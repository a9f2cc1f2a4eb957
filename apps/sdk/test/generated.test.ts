// The committed types in src/generated/ must be what `npm run generate` makes from the documents
// the running services publish now: regenerated into a temp dir and compared.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { SERVICES, type ServiceName, fetchDocument, generateTypes } from '../scripts/openapi.js';
import { posey } from './support.js';

const committed = (service: ServiceName) => join(import.meta.dirname, '..', 'src', 'generated', `${service}.ts`);

describe('generated OpenAPI types', () => {
  for (const [service, key] of Object.entries(SERVICES) as [ServiceName, 'authUrl' | 'agentsUrl' | 'cronUrl'][]) {
    it(`${service}: the committed file is what its /openapi.json generates`, async () => {
      const document = await fetchDocument(posey()[key]);
      const file = committed(service);
      if (!document) {
        // A service without a document has no committed types to go stale.
        expect(existsSync(file), `${file} exists but ${service} publishes no /openapi.json`).toBe(false);
        return;
      }
      expect(existsSync(file), `${service} publishes /openapi.json: run \`npm run generate\``).toBe(true);
      const dir = mkdtempSync(join(tmpdir(), 'posey-sdk-generate-'));
      try {
        const fresh = join(dir, `${service}.ts`);
        writeFileSync(fresh, await generateTypes(service, document));
        const same = readFileSync(fresh, 'utf8') === readFileSync(file, 'utf8');
        expect(same, `${file} is stale: run \`npm run generate\` in apps/sdk and commit the result`).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
