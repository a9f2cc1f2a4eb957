"""What the authlib scripts share: a browser that signs in and consents on Posey's pages."""

import html
import os
import re

import requests

env = os.environ
issuer = env["ISSUER"]


def hidden(page, name):
    match = re.search(f'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} in {page}"
    return html.unescape(match.group(1))


class Browser:
    """No redirects followed; the provider's cookie kept."""

    def __init__(self):
        self.cookie = None

    def go(self, method, url, data=None):
        headers = {"cookie": self.cookie} if self.cookie else {}
        r = requests.request(method, url, data=data, headers=headers, allow_redirects=False)
        set_cookie = r.headers.get("set-cookie")
        if set_cookie:
            pair = set_cookie.split(";")[0]
            self.cookie = None if pair.endswith("=") else pair
        return r

    def authorize(self, url):
        page = self.go("GET", url)
        assert page.status_code == 200, page.text
        if 'name="password"' in page.text:
            fields = {"request": hidden(page.text, "request"), "email": env["EMAIL"], "password": env["PASSWORD"]}
            page = self.go("POST", f"{issuer}/oauth/login", fields)
        if page.status_code == 200 and 'name="csrf"' in page.text:
            fields = {
                "request": hidden(page.text, "request"),
                "csrf": hidden(page.text, "csrf"),
                "decision": "allow",
            }
            page = self.go("POST", f"{issuer}/oauth/consent", fields)
        assert page.status_code in (302, 303), (page.status_code, page.text)
        return page.headers["location"]
