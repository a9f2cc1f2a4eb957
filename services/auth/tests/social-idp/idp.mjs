// The upstream OpenID provider of auth's social-login tests: panva's `oidc-provider` (an
// OpenID Certified implementation), run as it is, with one client registered for Posey and a
// login step of its own that the tests drive like a browser:
//
//   POST /interaction/<uid>/login   sub=...&email=...&email_verified=true|false[&name=...]
//
// signs that person in (consent is given for Posey, a first-party client). Configured by env:
//   IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URI   the client registered for Posey
//   IDP_TAMPER   unset, or a hostile upstream for the refusal tests: `aud` re-signs each id_token
//                for another audience with the provider's own key, `key` re-signs it with a key
//                the provider never published (same `kid`).
// Prints `listening <issuer>` once it accepts requests; stops when stdin closes.

import http from 'node:http'

import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose'
import Provider from 'oidc-provider'

const clientId = process.env.IDP_CLIENT_ID ?? 'posey'
const clientSecret = process.env.IDP_CLIENT_SECRET ?? 'posey-upstream-secret'
const redirectUri = process.env.IDP_REDIRECT_URI
const tamper = process.env.IDP_TAMPER ?? ''
if (!redirectUri) throw new Error('IDP_REDIRECT_URI is required')

/** The people who signed in here: their claims by subject. */
const accounts = new Map()

const { privateKey } = await generateKeyPair('RS256', { extractable: true })
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'idp-key-1', use: 'sig', alg: 'RS256' }

const server = http.createServer()
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const issuer = `http://127.0.0.1:${server.address().port}`

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['posey-social-idp-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub)
    if (!claims) return undefined
    return { accountId: sub, claims: async () => ({ sub, ...claims }) }
  },
  // Posey is first-party here: consent is implied for the scopes it asks for.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId)
    if (grantId) return ctx.oidc.provider.Grant.find(grantId)
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    })
    grant.addOIDCScope(ctx.oidc.params.scope ?? 'openid')
    await grant.save()
    return grant
  },
})

if (tamper) {
  const otherKey = (await generateKeyPair('RS256')).privateKey
  const ownKey = await importJWK(signingJwk, 'RS256')
  provider.use(async (ctx, next) => {
    await next()
    const idToken = ctx.path === '/token' ? ctx.body?.id_token : undefined
    if (!idToken) return
    const claims = decodeJwt(idToken)
    const header = decodeProtectedHeader(idToken)
    const key = tamper === 'key' ? otherKey : ownKey
    if (tamper === 'aud') claims.aud = 'another-client'
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader(header).sign(key) }
  })
}

const callback = provider.callback()

/** The request's urlencoded body. */
async function form(req) {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return new URLSearchParams(raw)
}

server.on('request', async (req, res) => {
  const path = new URL(req.url, issuer).pathname
  const login = path.match(/^\/interaction\/([^/]+)\/login$/)
  try {
    if (req.method === 'POST' && login) {
      await provider.interactionDetails(req, res)
      const body = await form(req)
      const sub = body.get('sub')
      if (!sub) throw new Error('sub is required')
      accounts.set(sub, {
        email: body.get('email') ?? undefined,
        email_verified: body.get('email_verified') === 'true',
        name: body.get('name') ?? undefined,
      })
      await provider.interactionFinished(req, res, { login: { accountId: sub } }, {
        mergeWithLastSubmission: false,
      })
      return
    }
    if (req.method === 'GET' && path.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res)
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.end(
        `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${details.uid}/login">` +
          '<input name="sub"><input name="email"><input name="email_verified"><button>Sign in</button></form>',
      )
      return
    }
    callback(req, res)
  } catch (error) {
    res.statusCode = 400
    res.setHeader('content-type', 'text/plain')
    res.end(String(error))
  }
})

console.log(`listening ${issuer}`)
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
