// @supabase/auth-js's WebAuthn APIs, unchanged, against Posey's auth service: `mfa.enroll` /
// `mfa.challenge` / `mfa.verify` for a `webauthn` factor (the session steps up to aal2), and
// the `passkey` API: registration, usernameless sign-in (a session saved by auth-js at aal2),
// list and delete. Node has no `navigator.credentials`, so auth-js's browser-only wrappers
// (`mfa.webauthn.register`, `signInWithPasskey`) cannot run here; in their place the software
// authenticator of tests/webauthn/authenticator.py (PyPI soft-webauthn, with TEST_AGENTS_PYTHON)
// answers the options auth-js hands back, and its credential reaches auth-js as a browser's
// would, an object with `toJSON()`. Started by services/auth/tests/api/passkeys.rs with
// AUTH_URL, WEBAUTHN_ORIGIN and TEST_AGENTS_PYTHON; sign-up is confirmed at once there.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import test from 'node:test'

import { AuthClient } from '@supabase/auth-js'

const url = process.env.AUTH_URL
const origin = process.env.WEBAUTHN_ORIGIN
const python = process.env.TEST_AGENTS_PYTHON
assert.ok(url && origin && python, 'AUTH_URL, WEBAUTHN_ORIGIN and TEST_AGENTS_PYTHON are required')
const authenticatorDir = fileURLToPath(new URL('../webauthn/', import.meta.url))

const client = () =>
  new AuthClient({
    url,
    autoRefreshToken: false,
    persistSession: false,
    detectSessionInUrl: false,
    // auth-js 2.109 (the newest for Node 20) has the passkey API behind this switch.
    experimental: { passkey: true },
  })

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())

/** auth-js turns the options' binary fields into ArrayBuffers; back to base64url JSON. */
function toJson(value) {
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString('base64url')
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer).toString('base64url')
  if (Array.isArray(value)) return value.map(toJson)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]))
  }
  return value
}

/** The software authenticator: a credential (with `toJSON`, as a browser's) and the device. */
function authenticator(op, options, device = null) {
  const request = JSON.stringify({ op, options: toJson(options), origin, device })
  const answer = JSON.parse(
    execFileSync(python, ['authenticator.py'], { cwd: authenticatorDir, input: request }).toString(),
  )
  return { credential: { toJSON: () => answer.credential }, json: answer.credential, device: answer.device }
}

const rp = { rpId: 'localhost', rpOrigins: [origin] }

test('a webauthn factor through mfa.enroll, mfa.challenge and mfa.verify reaches aal2', async () => {
  const auth = client()
  const email = `authjs-webauthn-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`
  const password = 'correct horse battery'
  const signUp = await auth.signUp({ email, password })
  assert.equal(signUp.error, null)

  const enrolled = await auth.mfa.enroll({ factorType: 'webauthn', friendlyName: 'laptop' })
  assert.equal(enrolled.error, null)
  assert.equal(enrolled.data.type, 'webauthn')
  const factorId = enrolled.data.id

  const created = await auth.mfa.challenge({ factorId, webauthn: rp })
  assert.equal(created.error, null)
  assert.equal(created.data.webauthn.type, 'create')
  const publicKey = created.data.webauthn.credential_options.publicKey
  assert.ok(publicKey.challenge instanceof ArrayBuffer, 'auth-js decoded the options')
  const registration = authenticator('create', publicKey)
  const verified = await auth.mfa.verify({
    factorId,
    challengeId: created.data.id,
    webauthn: { ...rp, type: 'create', credential_response: registration.credential },
  })
  assert.equal(verified.error, null)
  assert.equal(claimsOf(verified.data.access_token).aal, 'aal2')
  const level = await auth.mfa.getAuthenticatorAssuranceLevel()
  assert.equal(level.data.currentLevel, 'aal2')
  const listed = await auth.mfa.listFactors()
  assert.deepEqual(listed.data.webauthn.map((f) => f.id), [factorId])

  // Signed in again with the password: aal1, then the authentication ceremony.
  const again = client()
  assert.equal((await again.signInWithPassword({ email, password })).error, null)
  assert.equal((await again.mfa.getAuthenticatorAssuranceLevel()).data.currentLevel, 'aal1')
  const requested = await again.mfa.challenge({ factorId, webauthn: rp })
  assert.equal(requested.error, null)
  assert.equal(requested.data.webauthn.type, 'request')
  const assertion = authenticator('get', requested.data.webauthn.credential_options.publicKey, registration.device)
  const stepped = await again.mfa.verify({
    factorId,
    challengeId: requested.data.id,
    webauthn: { ...rp, type: 'request', credential_response: assertion.credential },
  })
  assert.equal(stepped.error, null)
  assert.equal((await again.mfa.getAuthenticatorAssuranceLevel()).data.currentLevel, 'aal2')

  const unenrolled = await again.mfa.unenroll({ factorId })
  assert.equal(unenrolled.error, null)
})

test('the passkey API registers a passkey and signs in with it, without a password', async () => {
  const auth = client()
  const email = `authjs-passkey-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`
  const signUp = await auth.signUp({ email, password: 'correct horse battery' })
  assert.equal(signUp.error, null)
  const userId = signUp.data.user.id

  const started = await auth.passkey.startRegistration()
  assert.equal(started.error, null)
  const registration = authenticator('create', started.data.options)
  const registered = await auth.passkey.verifyRegistration({
    challengeId: started.data.challenge_id,
    credential: registration.json,
  })
  assert.equal(registered.error, null)
  const passkeyId = registered.data.id

  const visitor = client()
  const options = await visitor.passkey.startAuthentication()
  assert.equal(options.error, null)
  const assertion = authenticator('get', options.data.options, registration.device)
  const signedIn = await visitor.passkey.verifyAuthentication({
    challengeId: options.data.challenge_id,
    credential: assertion.json,
  })
  assert.equal(signedIn.error, null)
  assert.equal(signedIn.data.user.id, userId)
  const { data: { session } } = await visitor.getSession()
  assert.equal(claimsOf(session.access_token).sub, userId)
  assert.equal(claimsOf(session.access_token).aal, 'aal2')

  const list = await visitor.passkey.list()
  assert.equal(list.error, null)
  assert.deepEqual(list.data.map((p) => p.id), [passkeyId])
  const renamed = await visitor.passkey.update({ passkeyId, friendlyName: 'Work laptop' })
  assert.equal(renamed.error, null)
  assert.equal(renamed.data.friendly_name, 'Work laptop')
  assert.equal((await visitor.passkey.delete({ passkeyId })).error, null)
  assert.deepEqual((await visitor.passkey.list()).data, [])
})
