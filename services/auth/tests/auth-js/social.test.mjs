// @supabase/auth-js, unchanged, signing in with an upstream OpenID provider through Posey:
// signInWithOAuth with the PKCE flow (skipBrowserRedirect: the test is the browser), the
// provider's sign-in (panva's oidc-provider, started by the Rust test), Posey's /callback, and
// exchangeCodeForSession with the verifier auth-js kept. Started by tests/api/auth_js.rs with
// AUTH_URL (Posey), PUBLIC_URL (Posey's public URL, which the upstream redirects to) and
// APP_URL (an allowed redirect_to).

import assert from 'node:assert/strict'
import test from 'node:test'

import { AuthClient } from '@supabase/auth-js'

const url = process.env.AUTH_URL
const publicUrl = process.env.PUBLIC_URL
const appUrl = process.env.APP_URL
assert.ok(url && publicUrl && appUrl, 'AUTH_URL, PUBLIC_URL and APP_URL are required')

/** A browser that follows nothing by itself and keeps cookies. */
function browser() {
  const cookies = new Map()
  return async function go(target, init = {}) {
    const real = target.startsWith(publicUrl) ? url + target.slice(publicUrl.length) : target
    const headers = { ...(init.headers ?? {}), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
    const response = await fetch(real, { ...init, headers, redirect: 'manual' })
    for (const set of response.headers.getSetCookie()) {
      const [pair] = set.split(';')
      const at = pair.indexOf('=')
      cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1))
    }
    const location = response.headers.get('location')
    return { status: response.status, location: location && new URL(location, real).href, body: await response.text() }
  }
}

/** From auth-js's URL to where Posey sends the browser at last, signing in upstream as `who`. */
async function signInUpstream(startUrl, who) {
  const go = browser()
  const toUpstream = await go(startUrl)
  assert.equal(toUpstream.status, 302, toUpstream.body)
  const toLogin = await go(toUpstream.location)
  assert.equal(toLogin.status, 303, toLogin.body)
  const login = await go(`${toLogin.location}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sub: who.sub, email: who.email, email_verified: String(who.verified) }).toString(),
  })
  assert.equal(login.status, 303, login.body)
  const resume = await go(login.location)
  assert.equal(resume.status, 303, resume.body)
  assert.ok(resume.location.startsWith(`${publicUrl}/callback?`), resume.location)
  const landing = await go(resume.location)
  assert.equal(landing.status, 302, landing.body)
  return new URL(landing.location)
}

const client = () =>
  new AuthClient({ url, autoRefreshToken: false, persistSession: false, detectSessionInUrl: false, flowType: 'pkce' })

test('signInWithOAuth (PKCE) through an OpenID provider, then exchangeCodeForSession', async () => {
  const auth = client()
  const email = `social-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`
  const { data, error } = await auth.signInWithOAuth({
    provider: 'oidc',
    options: { redirectTo: appUrl, skipBrowserRedirect: true },
  })
  assert.equal(error, null)
  const start = new URL(data.url)
  assert.equal(start.pathname, '/authorize')
  assert.equal(start.searchParams.get('provider'), 'oidc')
  assert.equal(start.searchParams.get('code_challenge_method'), 's256')

  const landing = await signInUpstream(data.url, { sub: `authjs-${email}`, email, verified: true })
  assert.equal(`${landing.origin}${landing.pathname}`, appUrl)
  const code = landing.searchParams.get('code')
  assert.ok(code, `no code in ${landing}`)
  assert.equal(landing.hash, '', 'no tokens in the URL of a PKCE flow')

  const exchanged = await auth.exchangeCodeForSession(code)
  assert.equal(exchanged.error, null)
  assert.equal(exchanged.data.user.email, email)
  assert.equal(exchanged.data.user.app_metadata.provider, 'oidc')
  assert.ok(exchanged.data.session.access_token)

  const me = await auth.getUser()
  assert.equal(me.error, null)
  assert.equal(me.data.user.id, exchanged.data.user.id)
})

test('a refused sign-in comes back to the app as an error auth-js reads', async () => {
  const auth = client()
  const { data } = await auth.signInWithOAuth({
    provider: 'oidc',
    options: { redirectTo: appUrl, skipBrowserRedirect: true },
  })
  const email = `unverified-${Date.now()}@example.test`
  const landing = await signInUpstream(data.url, { sub: `unverified-${email}`, email, verified: false })
  assert.equal(landing.searchParams.get('error_code'), 'provider_email_needs_verification')
  assert.equal(landing.searchParams.get('code'), null)
  // auth-js only builds the URL; Posey refuses a provider it does not offer.
  const google = await auth.signInWithOAuth({ provider: 'google', options: { skipBrowserRedirect: true } })
  const refused = await fetch(google.data.url, { redirect: 'manual' })
  assert.equal(refused.status, 400)
})
