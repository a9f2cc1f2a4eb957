// One server as the app talks to it: the SDK's auth client keeping the session in the secure
// store under the server's own key, the typed agents and cron clients asking it for the access
// token before each request, and the server's offline cache.

import { AuthClient, type SecureStoreLike, createAgentsClient, createCronClient } from '@posey/sdk';

import { OfflineCache } from './cache';
import type { KeyValue } from './kv';
import { secureSessionStorage } from './secureSession';
import type { Server } from './servers';

export interface Connection {
  server: Server;
  auth: AuthClient;
  agents: ReturnType<typeof createAgentsClient>;
  cron: ReturnType<typeof createCronClient>;
  cache: OfflineCache;
  /** Removes the stored session without asking auth (signing out while offline). */
  forgetSession: () => Promise<void>;
  /** The fetch the chat stream reads with (a streaming one on native). */
  streamFetch?: typeof fetch;
}

export interface Platform {
  secure: SecureStoreLike;
  kv: KeyValue;
  streamFetch?: typeof fetch;
}

/** The secure-store key of `server`'s session. */
export function sessionKey(server: Server): string {
  return `posey.session.${server.id}`;
}

export function connect(server: Server, platform: Platform): Connection {
  const storage = secureSessionStorage(platform.secure);
  const auth = new AuthClient({ url: server.authUrl, storage, storageKey: sessionKey(server) });
  const token = () => auth.accessToken();
  return {
    server,
    auth,
    agents: createAgentsClient({ url: server.agentsUrl, token }),
    cron: createCronClient({ url: server.cronUrl, token }),
    cache: new OfflineCache(platform.kv, server.id),
    forgetSession: async () => {
      await storage.remove(sessionKey(server));
    },
    ...(platform.streamFetch ? { streamFetch: platform.streamFetch } : {}),
  };
}

/**
 * Signs out of `connection`'s server (ending this device's session there) and forgets what was
 * cached from it. When auth cannot be reached the session is still removed from the device: the
 * person asked to be signed out here. Answers whether auth heard of it.
 */
export async function signOut(connection: Connection): Promise<boolean> {
  let told = true;
  try {
    await connection.auth.signOut('local');
  } catch {
    told = false;
    await connection.forgetSession();
  }
  await connection.cache.clear();
  return told;
}
