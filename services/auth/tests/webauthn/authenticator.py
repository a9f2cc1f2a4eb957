"""The software authenticator as a command, for the Rust API tests (tests/api/passkeys.rs):
one JSON request on stdin, `{"op": "create" | "get", "options": <publicKey JSON>, "origin":
"...", "device": <state> | null}`, one JSON answer on stdout, `{"credential": <the
credential's JSON>, "device": <state after>}`."""

import json
import sys

from soft_authenticator import VerifyingDevice


def main():
    request = json.load(sys.stdin)
    if request["op"] == "create":
        device = VerifyingDevice()
        credential = device.create_json(request["options"], request["origin"])
    elif request["op"] == "get":
        device = VerifyingDevice.from_state(request["device"])
        credential = device.get_json(request["options"], request["origin"])
    else:
        raise SystemExit(f"unknown op {request['op']!r}")
    json.dump({"credential": credential, "device": device.state()}, sys.stdout)


if __name__ == "__main__":
    main()
