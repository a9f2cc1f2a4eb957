"""Both WebAuthn ceremonies over HTTP against a running auth service (AUTH_URL), with
soft-webauthn's software authenticator (see soft_authenticator.py) in the browser's place:
a `webauthn` MFA factor enrolled, registered and verified to `aal2`, then answering an
authentication challenge after a password sign-in; a passkey registered and a passwordless,
usernameless sign-in with it; an answer from the wrong origin refused. Run by
tests/api/passkeys.rs; prints one line per check and `N passed, N failed`."""

import base64
import json
import os
import sys
import urllib.error
import urllib.request
import uuid

from soft_authenticator import VerifyingDevice

BASE = os.environ["AUTH_URL"].rstrip("/")
ORIGIN = os.environ.get("WEBAUTHN_ORIGIN", "http://localhost:3000")
PASSWORD = "correct horse battery"


def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def claims(session):
    payload = session["access_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def expect(status, body, wanted=200):
    if status != wanted:
        raise AssertionError(f"expected {wanted}, got {status}: {body}")
    return body


RP = {"rpId": "localhost", "rpOrigins": [ORIGIN]}


def verify_factor(token, factor_id, device, create):
    challenge = expect(*call("POST", f"/factors/{factor_id}/challenge", {"webauthn": RP}, token))
    kind = challenge["webauthn"]["type"]
    assert kind == ("create" if create else "request"), challenge
    options = challenge["webauthn"]["credential_options"]["publicKey"]
    answer = device.create_json(options, ORIGIN) if create else device.get_json(options, ORIGIN)
    body = {"challenge_id": challenge["id"], "webauthn": dict(RP, type=kind, credential_response=answer)}
    return expect(*call("POST", f"/factors/{factor_id}/verify", body, token))


def main():
    address = f"webauthn-{uuid.uuid4().hex}@example.test"
    state = {}
    checks = []

    def check(name):
        def run(step):
            checks.append((name, step))
            return step
        return run

    @check("a webauthn factor is registered at its first challenge and the session is aal2")
    def _():
        session = expect(*call("POST", "/signup", {"email": address, "password": PASSWORD}))
        factor = expect(*call("POST", "/factors", {"factor_type": "webauthn", "friendly_name": "key"}, session["access_token"]))
        state["factor_id"], state["factor_device"] = factor["id"], VerifyingDevice()
        elevated = verify_factor(session["access_token"], factor["id"], state["factor_device"], True)
        assert claims(elevated)["aal"] == "aal2", claims(elevated)
        state["user_id"] = claims(elevated)["sub"]

    @check("after a password sign-in, the factor's authentication ceremony steps up to aal2")
    def _():
        session = expect(*call("POST", "/token?grant_type=password", {"email": address, "password": PASSWORD}))
        assert claims(session)["aal"] == "aal1"
        elevated = verify_factor(session["access_token"], state["factor_id"], state["factor_device"], False)
        assert claims(elevated)["aal"] == "aal2"
        state["aal2"] = elevated["access_token"]

    @check("a passkey is registered, discoverable, with user verification")
    def _():
        started = expect(*call("POST", "/passkeys/registration/options", {}, state["aal2"]))
        selection = started["options"]["authenticatorSelection"]
        assert selection["residentKey"] == "required" and selection["userVerification"] == "required", selection
        state["passkey_device"] = VerifyingDevice()
        credential = state["passkey_device"].create_json(started["options"], ORIGIN)
        body = {"challenge_id": started["challenge_id"], "credential": credential}
        state["passkey"] = expect(*call("POST", "/passkeys/registration/verify", body, state["aal2"]))

    @check("the passkey signs in without a name or password, at aal2")
    def _():
        started = expect(*call("POST", "/passkeys/authentication/options", {"gotrue_meta_security": {}}))
        credential = state["passkey_device"].get_json(started["options"], ORIGIN)
        body = {"challenge_id": started["challenge_id"], "credential": credential}
        session = expect(*call("POST", "/passkeys/authentication/verify", body))
        assert claims(session)["sub"] == state["user_id"] and claims(session)["aal"] == "aal2", claims(session)
        assert session["user"]["id"] == state["user_id"]

    @check("an answer made for another origin is refused")
    def _():
        started = expect(*call("POST", "/passkeys/authentication/options", {}))
        credential = state["passkey_device"].get_json(started["options"], "https://phish.example")
        body = {"challenge_id": started["challenge_id"], "credential": credential}
        refused = expect(*call("POST", "/passkeys/authentication/verify", body), wanted=422)
        assert refused["error_code"] == "webauthn_verification_failed", refused

    @check("the passkey is listed and the factor unenrolled")
    def _():
        listed = expect(*call("GET", "/passkeys", token=state["aal2"]))
        assert [p["id"] for p in listed] == [state["passkey"]["id"]], listed
        expect(*call("DELETE", f"/factors/{state['factor_id']}", token=state["aal2"]))

    passed = failed = 0
    for name, step in checks:
        try:
            step()
            passed += 1
            print(f"ok - {name}")
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the rest stop
            failed += 1
            print(f"not ok - {name}: {error!r}")
            break
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
