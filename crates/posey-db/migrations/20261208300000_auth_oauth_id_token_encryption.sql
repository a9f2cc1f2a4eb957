-- Encrypted id tokens (OpenID Connect Registration 1.0, 2): a client's public keys, given inline
-- as a JWK set, and the JWE algorithms its id tokens are encrypted with. No algorithm: id tokens
-- are only signed, as before.

ALTER TABLE auth.oauth_clients
    ADD COLUMN jwks jsonb,
    ADD COLUMN id_token_encrypted_response_alg text
        CHECK (id_token_encrypted_response_alg IN ('ECDH-ES', 'ECDH-ES+A256KW')),
    ADD COLUMN id_token_encrypted_response_enc text
        CHECK (id_token_encrypted_response_enc IN ('A128CBC-HS256', 'A128GCM', 'A256GCM')),
    ADD CONSTRAINT oauth_clients_id_token_encryption_whole CHECK (
        (id_token_encrypted_response_alg IS NULL) = (id_token_encrypted_response_enc IS NULL)
        AND (id_token_encrypted_response_alg IS NULL OR jwks IS NOT NULL)
    );
