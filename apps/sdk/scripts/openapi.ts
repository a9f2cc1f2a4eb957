// Turns a service's OpenAPI document into the SDK's types (openapi-typescript): shared by
// `npm run generate` and the test that fails when a committed file is stale.

import openapiTS, { COMMENT_HEADER, astToString } from 'openapi-typescript';

/** The services that may publish `GET /openapi.json`, by the harness URL that reaches each. */
export const SERVICES = {
  auth: 'authUrl',
  agents: 'agentsUrl',
  cron: 'cronUrl',
} as const;

export type ServiceName = keyof typeof SERVICES;

/** The document a running service publishes, or null when it has none (404). */
export async function fetchDocument(baseUrl: string): Promise<Record<string, unknown> | null> {
  const url = `${baseUrl.replace(/\/+$/, '')}/openapi.json`;
  const response = await fetch(url);
  if (response.status === 404) {
    await response.body?.cancel();
    return null;
  }
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** The TypeScript file for `document` of `service`, exactly as committed under src/generated/. */
export async function generateTypes(service: ServiceName, document: Record<string, unknown>): Promise<string> {
  // openapi-typescript takes the document as parsed JSON; its own type is stricter than JSON's.
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], {
    silent: true,
    // A free-form object (a task's payload, metadata) takes any keys, not none.
    emptyObjectsUnknown: true,
  });
  const banner =
    `${COMMENT_HEADER}` +
    `// From the ${service} service's GET /openapi.json by \`npm run generate\` (apps/sdk); do not edit.\n\n`;
  return banner + astToString(ast);
}
