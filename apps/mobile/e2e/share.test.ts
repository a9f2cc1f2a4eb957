// The share target's upload, run from Node against the real agents: a document shared to Posey
// goes through the app's connection (the SDK's auth and typed client) as multipart and becomes
// one of the person's documents. (The share sheet itself exists only on iOS and Android.)

import { unwrap } from '@posey/sdk';
import { expect, inject, it } from 'vitest';

import { connect } from '../src/lib/connection';
import type { KeyValue } from '../src/lib/kv';
import { memorySecureStore } from '../src/lib/secureSession';
import { uploadDocument } from '../src/lib/share';

function memoryKv(): KeyValue {
  const values = new Map<string, string>();
  return {
    getItem: (k) => Promise.resolve(values.get(k) ?? null),
    setItem: (k, v) => Promise.resolve(void values.set(k, v)),
    removeItem: (k) => Promise.resolve(void values.delete(k)),
  };
}

it('adds a shared document to the person’s documents', async () => {
  const { authUrl, agentsUrl, cronUrl, email, password } = inject('e2e');
  const connection = connect(
    { id: 'home', name: 'Home', authUrl, agentsUrl, cronUrl },
    { secure: memorySecureStore(), kv: memoryKv() },
  );
  await connection.auth.signInWithPassword({ email, password });
  const text = `# Lease\n\nThe rent of flat ${Date.now()} is due on the first of each month.\n`;
  const doc = await uploadDocument(connection, new Blob([text], { type: 'text/markdown' }), 'lease.md');
  expect(doc.filename).toBe('lease.md');
  const { documents } = await unwrap(connection.agents.GET('/v1/documents', {}));
  expect(documents.map((d) => d.id)).toContain(doc.id);
});
