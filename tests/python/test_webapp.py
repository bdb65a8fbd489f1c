"""examples/python/webapp.py, driven through real HTTP by urllib, with the sandbox approving."""

from __future__ import annotations

import http.cookiejar
import importlib.util
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from calbridge.sandbox import Sandbox

WEBAPP = Path(__file__).resolve().parents[2] / "examples" / "python" / "webapp.py"


def _load_webapp() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calbridge_example_webapp", WEBAPP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # let the test see each 302


@pytest.fixture
def webapp(calbridge_sandbox: Sandbox) -> Iterator[str]:
    module = _load_webapp()
    app = module.App(calbridge_sandbox.client())
    server = module.serve(app, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield str(app.base_url)
    finally:
        server.shutdown()
        server.server_close()


def test_the_web_app_connects_a_calendar_and_shows_it(webapp: str, calbridge_sandbox: Sandbox) -> None:
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)

    def get(url: str) -> tuple[int, str, str]:
        try:
            with browser.open(url, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.headers.get("Location", ""), e.read().decode()

    status, _, page = get(webapp + "/")
    assert status == 200 and 'href="/connect"' in page

    status, authorization_url, _ = get(webapp + "/connect")
    assert status == 302 and authorization_url.startswith(calbridge_sandbox.app_url + "/oauth/authorize?")

    # The user approves on the consent page; the browser is sent back to the app.
    callback = calbridge_sandbox.consent(authorization_url)
    assert callback.startswith(webapp + "/callback?")
    status, location, _ = get(callback)
    assert (status, location) == (302, "/")

    status, _, page = get(webapp + "/")
    assert status == 200
    assert "Connected as Ada Lovelace &lt;ada@example.com&gt;" in page
    assert "Holidays (google)" in page

    # Replaying the callback (the code is single use, the pending request is gone) fails cleanly.
    status, _, page = get(callback)
    assert status == 400 and "No connection was started" in page

    status, location, _ = get(webapp + "/disconnect")
    assert (status, location) == (302, "/")
    assert [g["revoked"] for g in calbridge_sandbox.grants()] == [True]


def test_a_denied_consent_shows_a_typed_error(webapp: str, calbridge_sandbox: Sandbox) -> None:
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:  # the 302, not followed
        browser.open(webapp + "/connect", timeout=30)
    with redirected.value as response:
        authorization_url = response.headers["Location"]
    callback = calbridge_sandbox.deny(authorization_url)
    with pytest.raises(urllib.error.HTTPError) as caught:
        browser.open(callback, timeout=30)
    with caught.value as page:
        assert page.code == 400
        assert "AuthorizationDeniedError" in page.read().decode()
