"""Signs a user in on the reference PDS's own OAuth provider, through its HTTP API, the way its
web UI does: open the authorization page (CSRF and device cookies), POST sign-in, POST consent,
and follow the redirect URL it answers with. No part of the provider is mocked."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

import httpx

API = "/@atproto/oauth-provider/~api"


class ProviderError(RuntimeError):
    """The provider refused a step (the message names it and the status)."""


class Browser:
    """A minimal cookie-keeping user agent. The provider's cookies are ``Secure``, which a
    browser honours on ``http://localhost`` but Python's cookie jar does not, hence by hand."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.http = httpx.Client(timeout=30)

    def close(self) -> None:
        self.http.close()

    def _keep(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def open_authorize_page(self, url: str) -> None:
        response = self.http.get(
            url,
            headers={
                "sec-fetch-mode": "navigate",
                "sec-fetch-dest": "document",
                "sec-fetch-site": "cross-site",
                "accept": "text/html",
                "cookie": self._cookie_header(),
            },
        )
        self._keep(response)
        if response.status_code != 200:
            raise ProviderError(f"authorization page: HTTP {response.status_code}")

    def follow_redirect_page(self, authorize_url: str, url: str) -> str:
        """What the page does once consent is given: navigate to the provider's redirect
        endpoint, which answers with a redirect to the client (its Location)."""
        parts = urlsplit(authorize_url)
        response = self.http.get(
            url,
            headers={
                "sec-fetch-mode": "navigate",
                "sec-fetch-dest": "document",
                "sec-fetch-site": "same-origin",
                "origin": f"{parts.scheme}://{parts.netloc}",
                "referer": authorize_url,
                "cookie": self._cookie_header(),
            },
        )
        location = response.headers.get("location")
        if not response.is_redirect or location is None:
            raise ProviderError(f"redirect endpoint: HTTP {response.status_code}")
        return location

    def api(self, authorize_url: str, endpoint: str, body: dict[str, object]) -> dict[str, object]:
        parts = urlsplit(authorize_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        response = self.http.post(
            f"{origin}{API}{endpoint}",
            json=body,
            headers={
                "sec-fetch-mode": "same-origin",
                "sec-fetch-site": "same-origin",
                "sec-fetch-dest": "empty",
                "origin": origin,
                "referer": authorize_url,
                "x-csrf-token": self.cookies.get("csrf-token", ""),
                "cookie": self._cookie_header(),
            },
        )
        self._keep(response)
        if response.status_code != 200:
            raise ProviderError(f"{endpoint}: HTTP {response.status_code}: {response.text[:300]}")
        answer = response.json()
        assert isinstance(answer, dict)
        return answer  # type: ignore[return-value]


def sign_in_and_consent(authorize_url: str, username: str, password: str) -> str:
    """The URL the provider redirects the user's browser to (the client's redirect_uri with
    ``code``, ``state`` and ``iss``)."""
    browser = Browser()
    try:
        browser.open_authorize_page(authorize_url)
        signed_in = browser.api(
            authorize_url,
            "/sign-in",
            {"locale": "en", "username": username, "password": password, "remember": True},
        )
        account = signed_in["account"]
        assert isinstance(account, dict)
        did = account.get("sub") or account.get("did")  # type: ignore[union-attr]
        assert isinstance(did, str), f"sign-in answered an account without a DID: {sorted(account)}"
        consent = browser.api(authorize_url, "/consent", {"did": did})
        url = consent.get("url")
        if not isinstance(url, str):
            raise ProviderError(f"/consent gave no redirect URL: {sorted(consent)}")
        return browser.follow_redirect_page(authorize_url, url)
    finally:
        browser.close()


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
