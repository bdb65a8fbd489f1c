"""The consent page without a mouse, and what assistive technology reads of it: a language,
a label for every control, the user choice as a named group, the focus where the choice is
made, a visible focus ring, and the whole flow done with the keyboard alone."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from calbridge._receiver import RedirectReceiver
from calbridge._types import JSON
from calbridge.sandbox import Sandbox

from pages import App, active_id, came_back, open_page, start_flow, wait

ADA = "Ada Lovelace <ada@example.com>"
GRACE = "Grace Hopper <grace@example.com>"


def press(driver: WebDriver, *keys: str) -> None:
    """Keys typed into whatever has the focus, as a user would."""
    ActionChains(driver).send_keys(*keys).perform()


def shift_tab(driver: WebDriver) -> None:
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()


def focused(driver: WebDriver, element_id: str) -> None:
    wait(driver).until(lambda d: active_id(d) == element_id)


def labelled_controls(driver: WebDriver) -> list[list[str]]:
    """[id, the text of its labels] for every control a user fills in."""
    value = driver.execute_script(
        "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".map(e => [e.id, [...e.labels].map(l => l.textContent.trim()).join(' ')]);"
    )
    assert isinstance(value, list)
    return [[str(v) for v in pair] for pair in value]


def focus_ring(driver: WebDriver) -> tuple[str, str]:
    value = driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth];"
    )
    return str(value[0]), str(value[1])


def add_users(sandbox: Sandbox, count: int) -> None:
    users: list[JSON] = [
        {"email": f"user{i:03}@example.com", "name": f"User {i:03}"} for i in range(count)
    ]
    sandbox.admin("POST", "users", {"users": users})


def test_every_control_has_a_label_and_a_name_and_the_user_choice_is_a_group_with_the_focus(
        browser: WebDriver, calbridge_sandbox: Sandbox, make_app: Callable[..., App],
        receiver: RedirectReceiver) -> None:
    calbridge_sandbox.add_user(email="grace@example.com", name="Grace Hopper")
    auth = start_flow(make_app(), receiver)
    form = open_page(browser, auth.url, "form#consent")

    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert labelled_controls(browser) == [["user-0", ADA], ["user-1", GRACE]]
    radios = form.find_elements(By.CSS_SELECTOR, "input[name=user]")
    assert [r.get_attribute("type") for r in radios] == ["radio", "radio"]
    assert [r.accessible_name for r in radios] == [ADA, GRACE]
    group = form.find_element(By.CSS_SELECTOR, "fieldset#users")
    assert group.find_element(By.TAG_NAME, "legend").text == "Sign in as"
    assert group.find_elements(By.CSS_SELECTOR, "input[name=user]") == radios
    buttons = form.find_elements(By.TAG_NAME, "button")
    assert [b.accessible_name for b in buttons] == ["Allow access", "Deny"]
    # The form is named by the heading and described by the warning.
    assert form.accessible_name == browser.find_element(By.TAG_NAME, "h1").text
    assert form.get_attribute("aria-describedby") == "unverified"
    # The first user is chosen and has the focus when the page opens.
    assert radios[0].is_selected()
    focused(browser, "user-0")


def test_allow_without_a_mouse_arrows_choose_the_user_tab_reaches_allow_enter_presses_it(
        browser: WebDriver, calbridge_sandbox: Sandbox, make_app: Callable[..., App],
        receiver: RedirectReceiver) -> None:
    grace = calbridge_sandbox.add_user(email="grace@example.com", name="Grace Hopper")
    app = make_app()
    auth = start_flow(app, receiver)
    form = open_page(browser, auth.url, "form#consent")
    allow = form.find_element(By.CSS_SELECTOR, "button[value=approve]")
    deny = form.find_element(By.CSS_SELECTOR, "button[value=deny]")
    browser.execute_script("arguments[0].id = 'allow'; arguments[1].id = 'deny';", allow, deny)

    focused(browser, "user-0")
    press(browser, Keys.ARROW_DOWN)
    focused(browser, "user-1")
    assert form.find_element(By.ID, "user-1").is_selected()
    assert not form.find_element(By.ID, "user-0").is_selected()
    press(browser, Keys.TAB)
    focused(browser, "allow")
    assert focus_ring(browser) == ("solid", "3px")
    press(browser, Keys.TAB)
    focused(browser, "deny")
    shift_tab(browser)
    focused(browser, "allow")
    shift_tab(browser)
    focused(browser, "user-1")  # back into the group, on the chosen user
    assert focus_ring(browser) == ("solid", "3px")
    press(browser, Keys.TAB)
    focused(browser, "allow")
    press(browser, Keys.ENTER)

    callback = came_back(browser, receiver)
    credentials = app.client.complete_authorization(callback, auth)
    assert credentials.account_id == grace["account_id"]
    assert [c.calendar_name for c in app.client.session(credentials).calendars()] == ["Grace Hopper"]


def test_with_many_users_the_focused_labelled_text_field_takes_an_address_and_enter_allows(
        browser: WebDriver, calbridge_sandbox: Sandbox, make_app: Callable[..., App],
        receiver: RedirectReceiver) -> None:
    add_users(calbridge_sandbox, 100)  # with Ada, more than the page lists
    grace = calbridge_sandbox.add_user(email="grace@example.com", name="Grace Hopper")
    app = make_app()
    auth = start_flow(app, receiver)
    open_page(browser, auth.url, "form#consent")

    assert labelled_controls(browser) == [["user", "Sign in as (account id or e-mail address)"]]
    focused(browser, "user")
    press(browser, "nobody@example.com", Keys.ENTER)  # Enter in the field submits: Allow
    message = wait(browser).until(lambda d: d.find_elements(By.ID, "message"))[0]
    assert message.get_attribute("role") == "alert"
    assert message.text == 'There is no user "nobody@example.com" in this sandbox.'
    focused(browser, "user")  # the same page again, the focus back on the field

    press(browser, "grace@example.com", Keys.TAB)
    assert active_id(browser) == ""  # the Allow button
    assert browser.switch_to.active_element.accessible_name == "Allow access"
    press(browser, Keys.ENTER)
    callback = came_back(browser, receiver)
    assert app.client.complete_authorization(callback, auth).account_id == grace["account_id"]


def test_deny_goes_through_with_the_required_user_field_empty(
        browser: WebDriver, calbridge_sandbox: Sandbox, make_app: Callable[..., App],
        receiver: RedirectReceiver) -> None:
    add_users(calbridge_sandbox, 100)
    app = make_app()
    auth = start_flow(app, receiver)
    open_page(browser, auth.url, "form#consent input#user[required]")

    focused(browser, "user")
    press(browser, Keys.TAB, Keys.TAB)  # past Allow, to Deny
    assert browser.switch_to.active_element.accessible_name == "Deny"
    press(browser, Keys.ENTER)
    callback = came_back(browser, receiver)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["error"] == ["access_denied"]
