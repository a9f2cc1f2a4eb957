"""authlib's JOSE (PyPI), unchanged, as a second relying party that decrypts Posey's encrypted id
tokens: it makes an EC P-256 key, registers its public half through the admin API with
ECDH-ES+A256KW / A256GCM, runs the code flow with PKCE, decrypts the id token with
JsonWebEncryption and checks the signed token inside (signature against the JWKS, iss, aud,
exp, nonce, at_hash); the refresh grant's id token too. Run by tests/api/oidc.rs with ISSUER,
ADMIN_TOKEN, REDIRECT_URI, EMAIL and PASSWORD; prints "authlib encrypted ok"."""

import base64
import json
import os

# The test's provider is plain HTTP on loopback.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebEncryption, JsonWebKey, jwt  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402
from authlib_rp import Browser  # noqa: E402

env = os.environ
issuer = env["ISSUER"]

meta = requests.get(f"{issuer}/.well-known/openid-configuration").json()
assert "ECDH-ES+A256KW" in meta["id_token_encryption_alg_values_supported"], meta
jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())

key = JsonWebKey.generate_key("EC", "P-256", is_private=True)
public = key.as_dict(is_private=False)
public.update({"use": "enc", "kid": "authlib-enc"})
registered = requests.post(
    f"{issuer}/admin/oauth/clients",
    headers={"authorization": f"Bearer {env['ADMIN_TOKEN']}"},
    json={
        "client_name": "authlib encrypting app",
        "redirect_uris": [env["REDIRECT_URI"]],
        "jwks": {"keys": [public]},
        "id_token_encrypted_response_alg": "ECDH-ES+A256KW",
        "id_token_encrypted_response_enc": "A256GCM",
    },
)
assert registered.status_code == 201, registered.text
client_id = registered.json()["client_id"]

client = OAuth2Session(
    client_id,
    registered.json()["client_secret"],
    scope="openid email profile offline_access",
    redirect_uri=env["REDIRECT_URI"],
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
verifier = generate_token(64)
nonce = generate_token(20)
url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
back = Browser().authorize(url)
token = client.fetch_token(meta["token_endpoint"], authorization_response=back, state=state, code_verifier=verifier)


def id_token_claims(token, nonce):
    encrypted = token["id_token"]
    assert encrypted.count(".") == 4, encrypted
    header = json.loads(base64.urlsafe_b64decode(encrypted.split(".")[0] + "=="))
    assert header["alg"] == "ECDH-ES+A256KW" and header["enc"] == "A256GCM", header
    assert header["cty"] == "JWT" and header["kid"] == "authlib-enc", header
    signed = JsonWebEncryption().deserialize_compact(encrypted, key)["payload"]
    claims = jwt.decode(
        signed,
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


claims = id_token_claims(token, nonce)
assert claims["email"] == env["EMAIL"], claims
assert claims["aud"] == client_id, claims
refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
assert id_token_claims(refreshed, None)["sub"] == claims["sub"]
print("authlib encrypted ok")
