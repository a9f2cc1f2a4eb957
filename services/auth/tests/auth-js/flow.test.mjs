// @supabase/auth-js, unchanged, against Posey's auth service: sign up, confirm through the email
// the service delivered over SMTP, sign in, read and update the user, refresh, verify the access
// token locally against the JWKS (getClaims), sign out; and the admin API with a service token.
// Started by services/auth/tests/api/auth_js.rs with AUTH_URL, TEST_SMTP_MAILDIR and SERVICE_TOKEN.

import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'node:test'

import { AuthClient } from '@supabase/auth-js'

const url = process.env.AUTH_URL
const maildir = process.env.TEST_SMTP_MAILDIR
assert.ok(url && maildir && process.env.SERVICE_TOKEN, 'AUTH_URL, TEST_SMTP_MAILDIR and SERVICE_TOKEN are required')

const client = () =>
  new AuthClient({ url, autoRefreshToken: false, persistSession: false, detectSessionInUrl: false })

/** Decodes a quoted-printable body (soft line breaks and =XX escapes). */
const decodeQuotedPrintable = (text) =>
  text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)))

/** Waits for the first message to `address` in the SMTP server's Maildir and returns its body. */
async function waitForMail(address, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for (const sub of ['new', 'cur']) {
      const dir = join(maildir, sub)
      const names = await readdir(dir).catch(() => [])
      for (const name of names) {
        const raw = await readFile(join(dir, name), 'utf8')
        const [head, ...rest] = raw.split(/\r?\n\r?\n/)
        if (!new RegExp(`^To:.*${address.replace(/[.+]/g, '\\$&')}`, 'im').test(head)) continue
        const body = rest.join('\n\n')
        return /quoted-printable/i.test(head) ? decodeQuotedPrintable(body) : body
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no email to ${address} within ${timeoutMs} ms`)
}

test('a person signs up, confirms by email, signs in, updates, refreshes and signs out', async () => {
  const auth = client()
  const email = `authjs-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`
  const password = 'correct horse battery'

  const signUp = await auth.signUp({ email, password, options: { data: { name: 'Ada' } } })
  assert.equal(signUp.error, null)
  assert.equal(signUp.data.session, null, 'confirmation is on: no session yet')
  assert.equal(signUp.data.user.email, email)

  const early = await auth.signInWithPassword({ email, password })
  assert.equal(early.error?.code, 'email_not_confirmed')

  const mail = await waitForMail(email)
  const code = mail.match(/code: (\d{6})/)?.[1]
  assert.ok(code, `no code in: ${mail}`)
  const verified = await auth.verifyOtp({ email, token: code, type: 'signup' })
  assert.equal(verified.error, null)
  assert.ok(verified.data.session?.access_token)
  assert.ok(verified.data.user.email_confirmed_at)
  assert.equal((await auth.signOut()).error, null)

  const wrong = await auth.signInWithPassword({ email, password: 'not the password' })
  assert.equal(wrong.error?.code, 'invalid_credentials')

  const signIn = await auth.signInWithPassword({ email, password })
  assert.equal(signIn.error, null)
  const session = signIn.data.session
  assert.equal(session.token_type, 'bearer')
  assert.ok(session.expires_at > Date.now() / 1000)

  const me = await auth.getUser()
  assert.equal(me.error, null)
  assert.equal(me.data.user.email, email)
  assert.equal(me.data.user.user_metadata.name, 'Ada')

  const updated = await auth.updateUser({ data: { name: 'Grace' } })
  assert.equal(updated.error, null)
  assert.equal(updated.data.user.user_metadata.name, 'Grace')

  const refreshed = await auth.refreshSession()
  assert.equal(refreshed.error, null)
  assert.notEqual(refreshed.data.session.refresh_token, session.refresh_token)
  assert.equal(refreshed.data.user.user_metadata.name, 'Grace')

  // Verified in the client with WebCrypto against /.well-known/jwks.json.
  const claims = await auth.getClaims()
  assert.equal(claims.error, null)
  assert.equal(claims.data.claims.email, email)
  assert.equal(claims.data.header.alg, 'ES256')

  assert.equal((await auth.signOut()).error, null)
  const after = await client().getUser(refreshed.data.session.access_token)
  assert.ok(after.error, 'a signed-out session token no longer works')
})

test('the admin API works with a service token', async () => {
  const admin = new AuthClient({
    url,
    autoRefreshToken: false,
    persistSession: false,
    headers: { Authorization: `Bearer ${process.env.SERVICE_TOKEN}` },
  }).admin
  const email = `authjs-admin-${Date.now()}@example.test`

  const created = await admin.createUser({ email, password: 'correct horse battery', email_confirm: true, user_metadata: { via: 'admin' } })
  assert.equal(created.error, null)
  assert.equal(created.data.user.email, email)
  assert.ok(created.data.user.email_confirmed_at)

  const listed = await admin.listUsers({ page: 1, perPage: 50 })
  assert.equal(listed.error, null)
  assert.ok(listed.data.users.some((u) => u.email === email))
  assert.ok(listed.data.total >= 1)

  const fetched = await admin.getUserById(created.data.user.id)
  assert.equal(fetched.data.user.user_metadata.via, 'admin')

  const link = await admin.generateLink({ type: 'magiclink', email })
  assert.equal(link.error, null)
  assert.match(link.data.properties.action_link, /\/verify\?token=/)

  const factors = await admin.mfa.listFactors({ userId: created.data.user.id })
  assert.equal(factors.error, null)

  const deleted = await admin.deleteUser(created.data.user.id)
  assert.equal(deleted.error, null)
  const gone = await admin.getUserById(created.data.user.id)
  assert.equal(gone.error?.status, 404)
})
