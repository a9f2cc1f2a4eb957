"""authlib (PyPI), unchanged, through Posey's OpenID provider: discovery, the authorization code
flow with PKCE (this script plays the browser: it opens the authorize URL, fills the sign-in and
consent forms and follows the redirect), the token exchange, the id_token checked by authlib
(signature against the JWKS, iss, aud, exp, nonce, at_hash), refresh, userinfo, introspection,
revocation and logout. Run by tests/api/oidc.rs with ISSUER, CLIENT_ID, CLIENT_SECRET,
REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, EMAIL and PASSWORD; prints "authlib flow ok"."""

import os
from urllib.parse import parse_qs, urlencode, urlparse

# The test's provider is plain HTTP on loopback.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402
from authlib_rp import Browser  # noqa: E402

env = os.environ
issuer = env["ISSUER"]

meta = requests.get(f"{issuer}/.well-known/openid-configuration").json()
assert meta["issuer"] == issuer, meta
jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())

client = OAuth2Session(
    env["CLIENT_ID"],
    env["CLIENT_SECRET"],
    scope="openid email profile offline_access",
    redirect_uri=env["REDIRECT_URI"],
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
verifier = generate_token(64)
nonce = generate_token(20)
url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
browser = Browser()
back = browser.authorize(url)
assert back.startswith(env["REDIRECT_URI"]), back
assert parse_qs(urlparse(back).query)["iss"] == [issuer], back

token = client.fetch_token(meta["token_endpoint"], authorization_response=back, state=state, code_verifier=verifier)


def id_token_claims(token, nonce):
    claims = jwt.decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}},
        claims_params={"nonce": nonce, "client_id": env["CLIENT_ID"], "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


claims = id_token_claims(token, nonce)
assert claims["email"] == env["EMAIL"], claims
assert claims["aud"] == env["CLIENT_ID"], claims

info = client.get(meta["userinfo_endpoint"]).json()
assert info["sub"] == claims["sub"] and info["email"] == env["EMAIL"], info

first_refresh = token["refresh_token"]
refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=first_refresh)
assert refreshed["refresh_token"] != first_refresh
refreshed_claims = id_token_claims(refreshed, None)
assert refreshed_claims["sub"] == claims["sub"]

introspected = client.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"]).json()
assert introspected["active"] is True and introspected["sub"] == claims["sub"], introspected
revoked = client.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token")
assert revoked.status_code == 200, revoked.text
introspected = client.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"]).json()
assert introspected == {"active": False}, introspected

logout = meta["end_session_endpoint"] + "?" + urlencode({
    "id_token_hint": refreshed["id_token"],
    "post_logout_redirect_uri": env["POST_LOGOUT_REDIRECT_URI"],
    "state": "bye",
})
out = browser.go("GET", logout)
assert out.status_code == 302, out.text
assert out.headers["location"] == env["POST_LOGOUT_REDIRECT_URI"] + "?state=bye", out.headers
assert browser.cookie is None
print("authlib flow ok")
