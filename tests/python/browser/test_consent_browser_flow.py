"""The connect flow with the sandbox's consent page in headless Chromium: the page shows the
application, the scopes and the warning; Allow and Deny come back to the app's loopback
receiver and calbridge completes (or refuses) the authorization; a verified application's
unregistered redirect URI gets an error page and no redirect; only the sandbox's key is trusted,
and a missing Chromium fails the suite."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

import calbridge
from calbridge._receiver import RedirectReceiver
from calbridge.sandbox import Sandbox

import chromium as chromium_module
from chromium import ChromiumMissing, chromium
from pages import SCOPES, App, came_back, open_page, start_flow, wait
from recorder import LoopbackRecorder


def test_the_page_shows_the_application_the_scopes_and_the_warning_and_allow_completes_the_flow(
        browser: WebDriver, calbridge_sandbox: Sandbox, make_app: Callable[..., App],
        receiver: RedirectReceiver) -> None:
    grace = calbridge_sandbox.add_user(email="grace@example.com", name="Grace Hopper")
    app = make_app()
    auth = start_flow(app, receiver)

    form = open_page(browser, auth.url, "form#consent")
    assert browser.current_url.startswith(calbridge_sandbox.app_url + "/oauth/authorize?")
    assert browser.find_element(By.ID, "app-name").text == app.name  # shown as text, not markup
    assert browser.find_element(By.TAG_NAME, "h1").text == f"{app.name} wants to access your calendar"
    items = browser.find_elements(By.CSS_SELECTOR, "#scopes li")
    assert [li.get_attribute("data-scope") for li in items] == SCOPES
    assert items[0].text == "Read your account details (name, e-mail address, time zone) read_account"
    assert all(li.is_displayed() for li in items)
    warning = browser.find_element(By.ID, "unverified")
    assert warning.is_displayed() and warning.text.startswith("This application is not verified")
    assert browser.find_element(By.ID, "redirect-uri").text == receiver.redirect_uri

    # Choose Grace (the second user) by her label, then press Allow.
    label = form.find_element(By.XPATH, ".//label[contains(., 'grace@example.com')]")
    choice = browser.find_element(By.ID, str(label.get_attribute("for")))
    assert not choice.is_selected()
    label.click()
    assert choice.is_selected()
    form.find_element(By.CSS_SELECTOR, "button[value=approve]").click()

    callback = came_back(browser, receiver)
    assert "code" in urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Connected"
    credentials = app.client.complete_authorization(callback, auth)
    assert credentials.account_id == grace["account_id"]
    assert list(credentials.scope) == SCOPES
    calendars = list(app.client.session(credentials).calendars())
    assert [c.calendar_name for c in calendars] == ["Grace Hopper"]


def test_deny_comes_back_with_access_denied_and_completing_raises_the_typed_error(
        browser: WebDriver, make_app: Callable[..., App], receiver: RedirectReceiver) -> None:
    app = make_app()
    auth = start_flow(app, receiver)
    form = open_page(browser, auth.url, "form#consent")
    form.find_element(By.CSS_SELECTOR, "button[value=deny]").click()

    callback = came_back(browser, receiver)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not connected"
    with pytest.raises(calbridge.AuthorizationDeniedError) as denied:
        app.client.complete_authorization(callback, auth)
    assert denied.value.oauth_error == "access_denied"


def test_a_verified_application_with_an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect(
        browser: WebDriver, calbridge_sandbox: Sandbox, make_app: Callable[..., App],
        recorder: LoopbackRecorder) -> None:
    app = make_app(verified=True, redirect_uris=(recorder.uri("/registered"),))

    unregistered = app.client.authorization_url(recorder.uri("/unregistered"), " ".join(SCOPES))
    heading = open_page(browser, unregistered.url, "h1")
    wait(browser).until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert heading.text == "Redirect URI not registered"
    assert recorder.uri("/unregistered") in browser.find_element(By.ID, "message").text
    assert browser.current_url == unregistered.url  # still on the sandbox
    # Nothing on the page can lead back: no form, link or refresh (and the CSP allows no script).
    assert browser.find_elements(By.CSS_SELECTOR, "form, a, meta[http-equiv], button, input") == []
    assert recorder.paths() == []

    # The control: the same application with its registered URI reaches the recorder, and
    # being verified, shows no warning.
    registered = app.client.authorization_url(recorder.uri("/registered"), " ".join(SCOPES))
    form = open_page(browser, registered.url, "form#consent")
    assert browser.find_elements(By.ID, "unverified") == []
    form.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    wait(browser).until(lambda d: recorder.arrived.is_set())
    # The redirect comes first (the browser may ask for a favicon after it).
    assert recorder.paths()[0] == "/registered"
    assert "code" in urllib.parse.parse_qs(urllib.parse.urlsplit(recorder.recorded()[0]).query)
    assert browser.current_url.startswith(recorder.uri("/registered?"))


def test_a_browser_that_does_not_trust_the_sandbox_key_never_gets_to_the_consent_page(
        calbridge_sandbox: Sandbox, make_app: Callable[..., App], receiver: RedirectReceiver) -> None:
    # What makes the other tests' browser accept the sandbox is the pin of its key: without it
    # Chromium stops at its certificate error page.
    app = make_app()
    auth = start_flow(app, receiver)
    with chromium() as untrusting:
        untrusting.get(auth.url)
        wait(untrusting).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert untrusting.find_elements(By.ID, "consent") == []
        assert "Your connection is not private" in untrusting.find_element(By.TAG_NAME, "body").text


def test_a_missing_chromium_is_an_error_not_a_skip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(chromium_module, "CHROMIUM", str(tmp_path / "chromium"))
    with pytest.raises(ChromiumMissing, match="install Debian's chromium"):
        with chromium():
            pass
