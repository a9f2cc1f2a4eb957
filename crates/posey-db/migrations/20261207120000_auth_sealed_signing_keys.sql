-- Signing keys' private halves are sealed at rest: AES-256-GCM under the operator's key
-- (AUTH_KEY_ENCRYPTION_KEY), the key's kid as associated data. Keys stored before are plaintext
-- (`sealed` false) until the auth service's next start seals them.
ALTER TABLE auth.signing_keys ADD COLUMN sealed boolean NOT NULL DEFAULT false;
