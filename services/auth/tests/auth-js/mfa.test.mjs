// @supabase/auth-js's `mfa` API, unchanged, against Posey's auth service: enrol a TOTP factor,
// challenge and verify it (the session steps up to aal2), list factors, read the assurance level,
// sign in again and step up with challengeAndVerify, see a used code refused, unenrol; and the
// admin's mfa.listFactors / deleteFactor. Codes are computed here from the enrolment's secret
// (RFC 6238, with node:crypto). Started by services/auth/tests/api/auth_js.rs with AUTH_URL and
// SERVICE_TOKEN; sign-up is confirmed at once there.

import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import test from 'node:test'

import { AuthClient } from '@supabase/auth-js'

const url = process.env.AUTH_URL
assert.ok(url && process.env.SERVICE_TOKEN, 'AUTH_URL and SERVICE_TOKEN are required')

const client = () =>
  new AuthClient({ url, autoRefreshToken: false, persistSession: false, detectSessionInUrl: false })

/** RFC 4648 base32, no padding, to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of text) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const bytes = []
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(bytes)
}

/** The six-digit code of `secret` at `unixSeconds` (RFC 6238: SHA-1, 30 s). */
function totp(secret, unixSeconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)))
  const digest = createHmac('sha1', base32(secret)).update(counter).digest()
  const offset = digest[19] & 0x0f
  const value = digest.readUInt32BE(offset) & 0x7fffffff
  return String(value % 1_000_000).padStart(6, '0')
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())

test('a person enrols TOTP, steps up to aal2, signs in again with it, and unenrols', async () => {
  const auth = client()
  const email = `authjs-mfa-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`
  const password = 'correct horse battery'
  const signUp = await auth.signUp({ email, password })
  assert.equal(signUp.error, null)
  assert.ok(signUp.data.session, 'confirmed at once')

  const enrolled = await auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone', issuer: 'Posey' })
  assert.equal(enrolled.error, null)
  const factor = enrolled.data
  assert.equal(factor.type, 'totp')
  assert.equal(factor.friendly_name, 'phone')
  assert.match(factor.totp.qr_code, /^data:image\/svg\+xml;utf-8,.*<svg/s)
  assert.match(factor.totp.uri, /^otpauth:\/\/totp\/Posey:/)
  assert.match(factor.totp.secret, /^[A-Z2-7]{32}$/)

  // Unverified: not yet a reason to step up.
  const before = await auth.mfa.getAuthenticatorAssuranceLevel()
  assert.deepEqual([before.data.currentLevel, before.data.nextLevel], ['aal1', 'aal1'])
  const unverified = await auth.mfa.listFactors()
  assert.equal(unverified.error, null)
  assert.equal(unverified.data.all.length, 1)
  assert.equal(unverified.data.totp.length, 0, 'only verified factors are listed by type')

  const challenge = await auth.mfa.challenge({ factorId: factor.id })
  assert.equal(challenge.error, null)
  assert.ok(challenge.data.expires_at > Date.now() / 1000)
  const code = totp(factor.totp.secret)
  const verified = await auth.mfa.verify({ factorId: factor.id, challengeId: challenge.data.id, code })
  assert.equal(verified.error, null)
  assert.equal(claimsOf(verified.data.access_token).aal, 'aal2')

  const after = await auth.mfa.getAuthenticatorAssuranceLevel()
  assert.equal(after.error, null)
  assert.deepEqual([after.data.currentLevel, after.data.nextLevel], ['aal2', 'aal2'])
  assert.deepEqual(after.data.currentAuthenticationMethods.map((m) => m.method), ['password', 'totp'])
  const listed = await auth.mfa.listFactors()
  assert.equal(listed.data.totp.length, 1)
  assert.equal(listed.data.totp[0].id, factor.id)
  assert.equal(listed.data.totp[0].status, 'verified')

  // A refresh keeps aal2.
  const refreshed = await auth.refreshSession()
  assert.equal(refreshed.error, null)
  assert.equal(claimsOf(refreshed.data.session.access_token).aal, 'aal2')

  // Another device: the password alone gives aal1, and says a second factor is due.
  const other = client()
  const signIn = await other.signInWithPassword({ email, password })
  assert.equal(signIn.error, null)
  const due = await other.mfa.getAuthenticatorAssuranceLevel()
  assert.deepEqual([due.data.currentLevel, due.data.nextLevel], ['aal1', 'aal2'])
  const byJwt = await other.mfa.getAuthenticatorAssuranceLevel(signIn.data.session.access_token)
  assert.deepEqual([byJwt.data.currentLevel, byJwt.data.nextLevel], ['aal1', 'aal2'])
  // The code already used is refused; aal1 cannot unenrol a verified factor.
  const replayed = await other.mfa.challengeAndVerify({ factorId: factor.id, code })
  assert.equal(replayed.error?.code, 'mfa_verification_failed')
  const early = await other.mfa.unenroll({ factorId: factor.id })
  assert.equal(early.error?.code, 'insufficient_aal')
  // The next step's code (one step ahead is accepted) steps this device up too.
  const stepped = await other.mfa.challengeAndVerify({ factorId: factor.id, code: totp(factor.totp.secret, Date.now() / 1000 + 30) })
  assert.equal(stepped.error, null)
  assert.equal((await other.mfa.getAuthenticatorAssuranceLevel()).data.currentLevel, 'aal2')

  const unenrolled = await other.mfa.unenroll({ factorId: factor.id })
  assert.equal(unenrolled.error, null)
  assert.equal(unenrolled.data.id, factor.id)
  const none = await other.mfa.listFactors()
  assert.equal(none.data.all.length, 0)
  const down = await other.refreshSession()
  assert.equal(claimsOf(down.data.session.access_token).aal, 'aal1', 'no factor left: aal1 again')
})

test("the admin lists and deletes a person's factors", async () => {
  const auth = client()
  const email = `authjs-mfa-admin-${Date.now()}@example.test`
  const signUp = await auth.signUp({ email, password: 'correct horse battery' })
  assert.equal(signUp.error, null)
  const enrolled = await auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone' })
  assert.equal(enrolled.error, null)

  const admin = new AuthClient({
    url,
    autoRefreshToken: false,
    persistSession: false,
    headers: { Authorization: `Bearer ${process.env.SERVICE_TOKEN}` },
  }).admin
  const userId = signUp.data.user.id
  const listed = await admin.mfa.listFactors({ userId })
  assert.equal(listed.error, null)
  assert.deepEqual(listed.data.factors.map((f) => f.id), [enrolled.data.id])
  const deleted = await admin.mfa.deleteFactor({ userId, id: enrolled.data.id })
  assert.equal(deleted.error, null)
  // auth-js wraps this answer once more than its others ({ data: { data, error } }).
  assert.equal(deleted.data.data.id, enrolled.data.id)
  assert.deepEqual((await admin.mfa.listFactors({ userId })).data.factors, [])
})
