// openid-client (a certified relying-party library), unchanged, through Posey's OpenID
// provider: discovery, the authorization code flow with PKCE (this script plays the browser:
// it opens the authorize URL, fills the sign-in and consent forms and follows the redirect),
// the token exchange with the library's id_token checks (signature against the JWKS too),
// refresh, userinfo, introspection, revocation and the logout URL.
// Run by tests/api/oidc.rs with ISSUER, CLIENT_ID, CLIENT_SECRET, PUBLIC_CLIENT_ID,
// REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, EMAIL and PASSWORD.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as oidc from 'openid-client'

import { Browser, codeFlow } from './rp.mjs'

const env = process.env
const execute = [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks]

test('a confidential client (client_secret_basic): code, refresh, userinfo, introspection, revocation, logout', async () => {
  const config = await oidc.discovery(new URL(env.ISSUER), env.CLIENT_ID, env.CLIENT_SECRET,
    oidc.ClientSecretBasic(env.CLIENT_SECRET), { execute })
  const metadata = config.serverMetadata()
  assert.equal(metadata.issuer, env.ISSUER)
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'])

  const browser = new Browser()
  const tokens = await codeFlow(config, browser)
  const claims = tokens.claims()
  assert.equal(claims.email, env.EMAIL)
  assert.equal(claims.email_verified, true)
  assert.equal(claims.aud, env.CLIENT_ID)
  assert.equal(tokens.token_type.toLowerCase(), 'bearer')
  assert.ok(tokens.refresh_token)

  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
  assert.equal(info.email, env.EMAIL)

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token)
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token)
  assert.equal(refreshed.claims().sub, claims.sub)
  // The used refresh token is refused (and its grant ends).
  await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === 'invalid_grant')
  const gone = await oidc.tokenIntrospection(config, refreshed.access_token)
  assert.equal(gone.active, false)

  // A second grant (signed in and consented already: no pages), introspected, revoked.
  const again = await codeFlow(config, browser)
  const active = await oidc.tokenIntrospection(config, again.access_token)
  assert.equal(active.active, true)
  assert.equal(active.sub, claims.sub)
  await oidc.tokenRevocation(config, again.refresh_token)
  assert.equal((await oidc.tokenIntrospection(config, again.access_token)).active, false)

  const logout = oidc.buildEndSessionUrl(config, {
    id_token_hint: again.id_token,
    post_logout_redirect_uri: env.POST_LOGOUT_REDIRECT_URI,
    state: 'bye'
  })
  const out = await browser.go(logout)
  assert.equal(out.status, 302, out.html)
  assert.equal(out.location, `${env.POST_LOGOUT_REDIRECT_URI}?state=bye`)
  assert.equal(browser.cookie, '')
})

test('a public client (PKCE, no secret): code, refresh, userinfo', async () => {
  const config = await oidc.discovery(new URL(env.ISSUER), env.PUBLIC_CLIENT_ID, undefined, oidc.None(), { execute })
  const tokens = await codeFlow(config, new Browser())
  const claims = tokens.claims()
  assert.equal(claims.email, env.EMAIL)
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token)
  const info = await oidc.fetchUserInfo(config, refreshed.access_token, claims.sub)
  assert.equal(info.sub, claims.sub)
})
