// Encrypted id tokens through openid-client, unchanged: the relying party makes an ECDH P-256
// key pair (WebCrypto), registers its public key through Posey's admin API, and openid-client
// decrypts the id token (a JWE around the signed id token) and validates what is inside
// (signature against the JWKS, nonce, audience), at the code exchange and at refresh. Logout
// takes the signed id token inside, as OpenID Connect Core 3.1.2.1 says. A client without a
// key still gets a plain signed id token.
// Run by tests/api/oidc.rs with ISSUER, ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
// POST_LOGOUT_REDIRECT_URI, EMAIL and PASSWORD.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as oidc from 'openid-client'

import { Browser, codeFlow } from './rp.mjs'

const env = process.env
const execute = [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks]

const part = (token, i) => JSON.parse(Buffer.from(token.split('.')[i], 'base64url'))

/** An ECDH P-256 key pair: the private key stays here, the public JWK goes to Posey. */
async function encryptionKey () {
  const { publicKey, privateKey } = await crypto.subtle.generateKey(
    { name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey)
  return { privateKey, jwk: { kty, crv, x, y } }
}

/** Registers a confidential client through the admin API: its id and secret. */
async function register (fields) {
  const response = await fetch(new URL('/admin/oauth/clients', env.ISSUER), {
    method: 'POST',
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Encrypting app',
      redirect_uris: [env.REDIRECT_URI],
      post_logout_redirect_uris: [env.POST_LOGOUT_REDIRECT_URI],
      ...fields
    })
  })
  const client = await response.json()
  assert.equal(response.status, 201, JSON.stringify(client))
  return client
}

async function configFor (client) {
  return oidc.discovery(new URL(env.ISSUER), client.client_id, client.client_secret,
    oidc.ClientSecretBasic(client.client_secret), { execute })
}

test('ECDH-ES+A256KW with A256GCM: decrypted and validated at the code exchange and refresh; logout with the signed token inside', async () => {
  const { privateKey, jwk } = await encryptionKey()
  const client = await register({
    jwks: { keys: [{ ...jwk, kid: 'rp-enc-1', use: 'enc', alg: 'ECDH-ES+A256KW' }] },
    id_token_encrypted_response_alg: 'ECDH-ES+A256KW',
    id_token_encrypted_response_enc: 'A256GCM'
  })
  assert.equal(client.id_token_encrypted_response_enc, 'A256GCM')
  const config = await configFor(client)
  const metadata = config.serverMetadata()
  assert.ok(metadata.id_token_encryption_alg_values_supported.includes('ECDH-ES+A256KW'))
  assert.ok(metadata.id_token_encryption_enc_values_supported.includes('A256GCM'))

  // Without the private key openid-client cannot read the id token at all.
  const blind = await configFor(client)
  await assert.rejects(codeFlow(blind, new Browser()),
    (e) => /JWE decryption is not configured/.test(e.cause?.message))

  oidc.enableDecryptingResponses(config, ['A256GCM'], { key: privateKey, kid: 'rp-enc-1' })
  const browser = new Browser()
  const tokens = await codeFlow(config, browser)
  assert.equal(tokens.id_token.split('.').length, 5, 'a compact JWE')
  const header = part(tokens.id_token, 0)
  assert.equal(header.alg, 'ECDH-ES+A256KW')
  assert.equal(header.enc, 'A256GCM')
  assert.equal(header.cty, 'JWT')
  assert.equal(header.kid, 'rp-enc-1')
  const claims = tokens.claims()
  assert.equal(claims.email, env.EMAIL)
  assert.equal(claims.aud, client.client_id)
  const signed = oidc.getDecryptedResponses(tokens)?.id_token?.token_endpoint
  assert.equal(signed.split('.').length, 3)
  assert.equal(part(signed, 0).alg, 'ES256')

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token)
  assert.equal(refreshed.id_token.split('.').length, 5)
  assert.equal(refreshed.claims().sub, claims.sub)
  assert.equal(oidc.getDecryptedResponses(refreshed).split('.').length, 3)

  // The encrypted token is no hint (Posey has no key to read it); the signed one inside is.
  const encryptedHint = oidc.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: env.POST_LOGOUT_REDIRECT_URI
  })
  const refused = await browser.go(encryptedHint)
  assert.equal(refused.status, 400)
  assert.match(refused.html, /encrypted/)
  const logout = oidc.buildEndSessionUrl(config, {
    id_token_hint: signed,
    post_logout_redirect_uri: env.POST_LOGOUT_REDIRECT_URI,
    state: 'bye'
  })
  const out = await browser.go(logout)
  assert.equal(out.status, 302, out.html)
  assert.equal(out.location, `${env.POST_LOGOUT_REDIRECT_URI}?state=bye`)
})

test('ECDH-ES direct, enc left to the default (A128CBC-HS256), a key without kid', async () => {
  const { privateKey, jwk } = await encryptionKey()
  const client = await register({
    jwks: { keys: [jwk] },
    id_token_encrypted_response_alg: 'ECDH-ES'
  })
  assert.equal(client.id_token_encrypted_response_enc, 'A128CBC-HS256')
  const config = await configFor(client)
  oidc.enableDecryptingResponses(config, ['A128CBC-HS256'], privateKey)
  const tokens = await codeFlow(config, new Browser())
  const header = part(tokens.id_token, 0)
  assert.equal(header.alg, 'ECDH-ES')
  assert.equal(header.enc, 'A128CBC-HS256')
  assert.equal(header.kid, undefined)
  assert.equal(tokens.id_token.split('.')[1], '', 'direct key agreement: no encrypted key')
  assert.equal(tokens.claims().email, env.EMAIL)
})

test('a client without a key gets a plain signed id token', async () => {
  const config = await configFor({ client_id: env.CLIENT_ID, client_secret: env.CLIENT_SECRET })
  const tokens = await codeFlow(config, new Browser())
  assert.equal(tokens.id_token.split('.').length, 3)
  assert.equal(part(tokens.id_token, 0).alg, 'ES256')
  assert.equal(tokens.claims().email, env.EMAIL)
})
