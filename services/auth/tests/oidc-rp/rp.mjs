// What the openid-client tests share: a browser that signs in and consents on Posey's pages,
// and the authorization code flow with PKCE, nonce and state driven through openid-client.

import assert from 'node:assert/strict'

import * as oidc from 'openid-client'

const env = process.env

/** The value of the hidden input `name` in `html`. */
export function hidden (html, name) {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`))
  assert.ok(match, `no ${name} in ${html}`)
  return match[1].replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>').replaceAll('&amp;', '&')
}

/** A browser: no redirects followed, the provider's cookie kept. */
export class Browser {
  cookie = ''

  async go (url, init = {}) {
    const headers = { ...(init.headers ?? {}), ...(this.cookie ? { cookie: this.cookie } : {}) }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const set of response.headers.getSetCookie()) {
      const pair = set.split(';')[0]
      this.cookie = pair.endsWith('=') ? '' : pair
    }
    return { status: response.status, location: response.headers.get('location'), html: await response.text() }
  }

  post (url, fields) {
    return this.go(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString()
    })
  }

  /** Signs in and consents on the pages `url` leads to; the redirect back to the client. */
  async authorize (url) {
    // Signed in and consented already: straight back with a code.
    let page = await this.go(url)
    if (page.html.includes('name="password"')) {
      page = await this.post(new URL('login', url), {
        request: hidden(page.html, 'request'),
        email: env.EMAIL,
        password: env.PASSWORD
      })
    }
    if (page.status === 200 && page.html.includes('name="csrf"')) {
      page = await this.post(new URL('consent', url), {
        request: hidden(page.html, 'request'),
        csrf: hidden(page.html, 'csrf'),
        decision: 'allow'
      })
    }
    assert.ok(page.status >= 300 && page.status < 400, `${page.status}: ${page.html}`)
    return new URL(page.location)
  }
}

export async function codeFlow (config, browser) {
  const verifier = oidc.randomPKCECodeVerifier()
  const nonce = oidc.randomNonce()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: env.REDIRECT_URI,
    scope: 'openid email profile offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state
  })
  const back = await browser.authorize(url)
  assert.ok(back.href.startsWith(env.REDIRECT_URI), back.href)
  const tokens = await oidc.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true
  })
  return tokens
}
