"""What the consent page tests share: waits on the page, the focused element, the names."""

from __future__ import annotations

from dataclasses import dataclass

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

import calbridge
from calbridge._receiver import RedirectReceiver

from chromium import PAGE_TIMEOUT

#: The scopes the tests ask for, in order.
SCOPES = ["read_account", "list_calendars", "read_events"]
#: An application name that needs escaping, to see it shown as text.
APP_NAME = 'Planner & <Co> "Calendars"'


@dataclass
class App:
    """An application registered in the sandbox for one test, and a client of it."""

    client_id: str
    name: str
    client: calbridge.Client


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, PAGE_TIMEOUT)


def open_page(driver: WebDriver, url: str, selector: str) -> WebElement:
    """Loads ``url`` and waits for ``selector`` to be on the page."""
    driver.get(url)
    found: WebElement = wait(driver).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector)))
    return found


def active_id(driver: WebDriver) -> str:
    """The id of the focused element ("" for one without an id, "BODY" for none)."""
    value = driver.execute_script(
        "const e = document.activeElement; return e === null || e === document.body ? 'BODY' : e.id;"
    )
    return str(value)


def start_flow(app: App, receiver: RedirectReceiver) -> calbridge.AuthorizationRequest:
    auth = app.client.authorization_url(receiver.redirect_uri, " ".join(SCOPES), pkce=True)
    receiver.start(auth.state)
    return auth


def came_back(driver: WebDriver, receiver: RedirectReceiver) -> str:
    """Waits for the browser to reach the receiver; the URL the receiver got."""
    wait(driver).until(lambda d: d.current_url.startswith(receiver.redirect_uri + "?"))
    callback = receiver.wait(PAGE_TIMEOUT)
    assert callback is not None, "the browser is on the redirect URI but the receiver has nothing"
    return callback
