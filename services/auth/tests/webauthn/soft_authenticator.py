"""A software authenticator for the auth service's WebAuthn tests: soft-webauthn's
SoftWebauthnDevice (PyPI `soft-webauthn`, built on Yubico's `fido2`), with the WebAuthn JSON
(base64url) a browser's `PublicKeyCredential.toJSON()` gives on either side, and user
verification: soft-webauthn's device only reports user presence, while Posey's passkey
ceremonies require a verified user (a PIN or biometric). The flag is set on the authenticator
data through fido2's own types and the assertion signed again over it, nothing hand-encoded.

A device's state (its one credential) round-trips through `state()` / `from_state()`, so a
test can keep it between calls, or copy it to make a clone."""

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.utils import sha256, websafe_decode, websafe_encode
from fido2.webauthn import AttestationObject, AuthenticatorData
from soft_webauthn import SoftWebauthnDevice


def _b64(data):
    return websafe_encode(bytes(data))


class VerifyingDevice(SoftWebauthnDevice):
    """soft-webauthn's device, answering with the UV flag as a passkey with a PIN would."""

    def create(self, options, origin):
        made = super().create(options, origin)
        attestation = AttestationObject(made["response"]["attestationObject"])
        auth = attestation.auth_data
        verified = AuthenticatorData.create(
            auth.rp_id_hash,
            auth.flags | AuthenticatorData.FLAG.UV,
            auth.counter,
            bytes(auth.credential_data),
        )
        made["response"]["attestationObject"] = bytes(
            AttestationObject.create("none", verified, {})
        )
        return made

    def get(self, options, origin):
        answer = super().get(options, origin)
        auth = AuthenticatorData(answer["response"]["authenticatorData"])
        verified = AuthenticatorData.create(
            auth.rp_id_hash, auth.flags | AuthenticatorData.FLAG.UV, auth.counter
        )
        client_data = answer["response"]["clientDataJSON"]
        answer["response"]["authenticatorData"] = bytes(verified)
        answer["response"]["signature"] = self.private_key.sign(
            bytes(verified) + sha256(client_data), ec.ECDSA(hashes.SHA256())
        )
        return answer

    # The WebAuthn JSON the server speaks, both ways.

    def create_json(self, public_key, origin):
        """`navigator.credentials.create({publicKey})` with the server's JSON options."""
        options = dict(public_key)
        options["challenge"] = websafe_decode(public_key["challenge"])
        options["user"] = dict(public_key["user"], id=websafe_decode(public_key["user"]["id"]))
        made = self.create({"publicKey": options}, origin)
        return {
            "id": _b64(made["rawId"]),
            "rawId": _b64(made["rawId"]),
            "type": "public-key",
            "response": {
                "clientDataJSON": _b64(made["response"]["clientDataJSON"]),
                "attestationObject": _b64(made["response"]["attestationObject"]),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get_json(self, public_key, origin):
        """`navigator.credentials.get({publicKey})` with the server's JSON options."""
        options = dict(public_key, challenge=websafe_decode(public_key["challenge"]))
        answer = self.get({"publicKey": options}, origin)
        return {
            "id": _b64(answer["rawId"]),
            "rawId": _b64(answer["rawId"]),
            "type": "public-key",
            "response": {
                "authenticatorData": _b64(answer["response"]["authenticatorData"]),
                "clientDataJSON": _b64(answer["response"]["clientDataJSON"]),
                "signature": _b64(answer["response"]["signature"]),
                "userHandle": _b64(answer["response"]["userHandle"]),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def state(self):
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "credential_id": _b64(self.credential_id),
            "private_key": pem.decode("ascii"),
            "rp_id": self.rp_id,
            "user_handle": _b64(self.user_handle),
            "sign_count": self.sign_count,
        }

    @classmethod
    def from_state(cls, state):
        device = cls()
        device.credential_id = websafe_decode(state["credential_id"])
        device.private_key = serialization.load_pem_private_key(
            state["private_key"].encode("ascii"), password=None
        )
        device.rp_id = state["rp_id"]
        device.user_handle = websafe_decode(state["user_handle"])
        device.sign_count = state["sign_count"]
        return device
