"""GET /oauth/authorize and its consent page, pressed as a browser would; the verified and
unverified redirect rules; the headless consent of the admin API; link tokens."""

from __future__ import annotations

import urllib.parse

import pytest

from sandbox_client import DEFAULT_REDIRECT, ConsentForm, Sandbox, pkce_pair

VERIFIED = {
    "client_id": "verified-app",
    "client_secret": "verified-secret",
    "name": "Verified <Booking> & Co",
    "verified": True,
    "redirect_uris": ["https://app.example.org/oauth/callback", "https://*.tenants.example.com/cb"],
}


@pytest.fixture
def verified(sandbox: Sandbox) -> dict[str, str]:
    sandbox.admin_ok("POST", "/admin/applications", VERIFIED)
    return VERIFIED


def test_consent_page_shows_the_application_the_scopes_and_a_form_that_posts_back(sandbox: Sandbox) -> None:
    r, form = sandbox.open_consent(sandbox.authorize_path(scope="read_account read_events"))
    assert r.status == 200
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Cache-Control") == "no-store"
    assert form is not None
    assert form.app_name == "Sandbox Scheduling App"
    assert form.scopes == ["read_account", "read_events"]
    assert form.method == "post" and form.action == "/oauth/authorize/consent"
    assert set(form.buttons) == {"approve", "deny"}
    assert form.user_options == ["acc_sandbox_ada"]
    assert [name for name, _ in form.hidden] == ["authorization"]


def test_unverified_application_shows_the_not_verified_warning(sandbox: Sandbox) -> None:
    r, form = sandbox.open_consent(sandbox.authorize_path())
    assert form is not None and form.unverified
    assert "This application is not verified" in r.text


def test_approve_redirects_with_a_code_and_the_state_unaltered(sandbox: Sandbox) -> None:
    state = "a b+c&d=é/?#%"
    _, form = sandbox.open_consent(sandbox.authorize_path(state=state))
    assert form is not None
    r = sandbox.press(form, "approve")
    assert r.status == 302
    location = r.header("Location")
    assert location is not None and location.startswith(DEFAULT_REDIRECT + "?code=")
    params = r.redirect_params()
    assert set(params) == {"code", "state"}
    assert params["state"] == state
    assert len(params["code"]) >= 32


def test_deny_redirects_with_access_denied_and_the_state(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path(state="s1"))
    assert form is not None
    r = sandbox.press(form, "deny")
    assert r.status == 302
    params = r.redirect_params()
    assert params["error"] == "access_denied"
    assert params["state"] == "s1"
    assert "code" not in params


def test_without_state_the_redirect_carries_no_state(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path(state=None))
    assert form is not None
    assert set(sandbox.press(form).redirect_params()) == {"code"}


def test_a_redirect_uri_with_a_query_keeps_it_and_gains_the_code(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path(redirect_uri="http://localhost:9000/cb?tenant=x%20y"))
    assert form is not None
    location = sandbox.press(form).header("Location")
    assert location is not None and location.startswith("http://localhost:9000/cb?tenant=x%20y&code=")


def test_unverified_application_may_redirect_anywhere(sandbox: Sandbox) -> None:
    uri = "https://anything.invalid/some/where"
    _, form = sandbox.open_consent(sandbox.authorize_path(redirect_uri=uri))
    assert form is not None
    location = sandbox.press(form).header("Location")
    assert location is not None and location.startswith(uri + "?code=")


def test_verified_application_redirects_to_a_registered_uri_without_the_warning(sandbox: Sandbox, verified) -> None:
    r, form = sandbox.open_consent(
        sandbox.authorize_path(client_id="verified-app", redirect_uri="https://app.example.org/oauth/callback"))
    assert form is not None and not form.unverified
    assert "not verified" not in r.text
    assert form.app_name == "Verified <Booking> & Co"  # escaped in the page, intact for the reader
    assert "Verified &lt;Booking&gt; &amp; Co" in r.text
    assert sandbox.press(form).header("Location").startswith("https://app.example.org/oauth/callback?code=")  # type: ignore[union-attr]


@pytest.mark.parametrize("uri", ["https://a.tenants.example.com/cb", "https://x.y.tenants.example.com/cb",
                                 "https://A.Tenants.Example.com/cb"])
def test_verified_wildcard_registration_matches_subdomains(sandbox: Sandbox, verified, uri: str) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path(client_id="verified-app", redirect_uri=uri))
    assert form is not None


@pytest.mark.parametrize("uri", [
    "https://evil.example.net/cb",
    "https://app.example.org/oauth/callback/extra",
    "http://app.example.org/oauth/callback",
    "https://app.example.org:444/oauth/callback",
    "https://tenants.example.com/cb",
    "https://a.tenants.example.com/cb2",
    "https://a.tenants.example.com.evil.net/cb",
    "https://app.example.org/oauth/callback?x=1",
])
def test_verified_application_refuses_an_unregistered_redirect_uri_before_consent(
        sandbox: Sandbox, verified, uri: str) -> None:
    r, _ = sandbox.open_consent(sandbox.authorize_path(client_id="verified-app", redirect_uri=uri))
    assert r.status == 400
    assert r.header("Location") is None
    assert "Redirect URI not registered" in r.text
    assert "<form" not in r.text  # no consent screen at all


@pytest.mark.parametrize(("change", "title"), [
    ({"client_id": "nobody"}, "Unknown application"),
    ({"client_id": ""}, "Invalid authorization request"),
    ({"redirect_uri": ""}, "Invalid authorization request"),
    ({"redirect_uri": "/relative/path"}, "Invalid redirect URI"),
    ({"redirect_uri": "http://localhost:8080/cb#fragment"}, "Invalid redirect URI"),
])
def test_a_request_whose_redirect_cannot_be_trusted_gets_an_error_page(sandbox: Sandbox, change, title) -> None:
    params = {"response_type": "code", "client_id": sandbox.client_id, "redirect_uri": DEFAULT_REDIRECT,
              "scope": "read_events", "state": "s"}
    params.update(change)
    params = {k: v for k, v in params.items() if v != ""}
    r = sandbox.get("/oauth/authorize?" + urllib.parse.urlencode(params))
    assert r.status == 400
    assert r.header("Location") is None
    assert title in r.text


@pytest.mark.parametrize(("extra", "error", "description"), [
    ({"response_type": "token"}, "unsupported_response_type", "response_type must be code"),
    ({"scope": "read_events fly_to_the_moon"}, "invalid_scope", 'unknown scope "fly_to_the_moon"'),
    ({"scope": "   "}, "invalid_scope", "scope is empty"),
    ({"code_challenge": "x" * 43, "code_challenge_method": "S512"}, "invalid_request",
     "code_challenge_method must be S256 or plain"),
    ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request", "code_challenge must be"),
    ({"code_challenge_method": "S256"}, "invalid_request", "code_challenge_method without code_challenge"),
    ({"avoid_linking": "yes"}, "invalid_request", "avoid_linking must be true or false"),
    ({"link_token": "not-a-link-token"}, "invalid_request", "unknown or expired link_token"),
])
def test_an_invalid_request_with_a_good_redirect_uri_redirects_with_the_error(sandbox: Sandbox, extra, error,
                                                                                description) -> None:
    params = {"response_type": "code", "client_id": sandbox.client_id, "redirect_uri": DEFAULT_REDIRECT,
              "scope": "read_events", "state": "keep-me"}
    params.update(extra)
    r = sandbox.get("/oauth/authorize?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
    assert r.status == 302
    got = r.redirect_params()
    assert got["error"] == error
    assert got["error_description"].startswith(description)
    assert got["state"] == "keep-me"


def test_missing_response_type_and_scope_are_invalid_requests(sandbox: Sandbox) -> None:
    base = {"client_id": sandbox.client_id, "redirect_uri": DEFAULT_REDIRECT}
    r = sandbox.get("/oauth/authorize?" + urllib.parse.urlencode({**base, "scope": "read_events"}))
    assert r.redirect_params()["error"] == "invalid_request"
    r = sandbox.get("/oauth/authorize?" + urllib.parse.urlencode({**base, "response_type": "code"}))
    assert r.redirect_params() == {"error": "invalid_request", "error_description": "scope is required"}


def test_pkce_required_setting_refuses_requests_without_a_challenge(sandbox: Sandbox) -> None:
    sandbox.admin_ok("PATCH", "/admin/settings", {"pkce_required": True})
    r = sandbox.get(sandbox.authorize_path())
    assert r.redirect_params()["error_description"] == "code_challenge is required (PKCE)"
    _, challenge = pkce_pair()
    _, form = sandbox.open_consent(sandbox.authorize_path(code_challenge=challenge, code_challenge_method="S256"))
    assert form is not None


def test_every_known_scope_is_accepted(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path())
    assert form is not None
    assert form.scopes == ["read_account", "list_calendars", "read_events", "create_event", "delete_event",
                           "read_free_busy", "create_calendar", "change_participation_status"]


def test_a_consent_form_answers_once(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path())
    assert form is not None
    assert sandbox.press(form).status == 302
    again = sandbox.press(form)
    assert again.status == 400
    assert "expired or was already answered" in again.text
    assert again.header("Location") is None


def test_a_consent_form_expires(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path())
    assert form is not None
    sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 1801})
    assert sandbox.press(form).status == 400


def test_an_unknown_user_shows_the_form_again_which_still_works(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path())
    assert form is not None
    r = sandbox.press(form, "approve", user="nobody@example.com")
    assert r.status == 400
    again = ConsentForm.parse(r.text)
    assert again.message == 'There is no user "nobody@example.com" in this sandbox.'
    assert sandbox.press(again, "approve", user="ada@example.com").status == 302


def test_a_forged_or_missing_authorization_id_is_refused(sandbox: Sandbox) -> None:
    r = sandbox.request("POST", "/oauth/authorize/consent",
                        form={"authorization": "forged", "user": "acc_sandbox_ada", "decision": "approve"})
    assert r.status == 400 and r.header("Location") is None
    r = sandbox.request("POST", "/oauth/authorize/consent", form={"decision": "approve"})
    assert r.status == 400


def test_a_bad_decision_is_refused(sandbox: Sandbox) -> None:
    _, form = sandbox.open_consent(sandbox.authorize_path())
    assert form is not None
    fields = form.hidden + [("user", "acc_sandbox_ada"), ("decision", "maybe")]
    assert sandbox.request("POST", form.action, form=fields).status == 400


def test_with_many_users_the_page_asks_for_an_account_instead_of_listing_them(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/users", {"users": [{"email": f"u{i}@example.com"} for i in range(150)]})
    _, form = sandbox.open_consent(sandbox.authorize_path())
    assert form is not None
    assert form.user_text and form.user_select is None
    r = sandbox.press(form, "approve", user="u77@example.com")
    tokens = sandbox.exchange(r.redirect_params()["code"]).json()
    assert sandbox.get("/v1/account", token=tokens["access_token"]).json()["account"]["email"] == "u77@example.com"


def test_provider_name_preselects_the_linking_profile(sandbox: Sandbox) -> None:
    code = sandbox.code_for(provider_name="office365")
    tokens = sandbox.exchange(code).json()
    assert tokens["linking_profile"] == {"provider_name": "office365", "profile_id": "pro_sandbox_office365",
                                         "profile_name": "ada@work.example.com"}


def test_a_link_token_fixes_the_user_on_the_consent_page(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/users", {"account_id": "acc_bob", "email": "bob@example.com", "name": "Bob"})
    tokens = sandbox.connect(user="acc_bob")
    link = sandbox.request("POST", "/v1/link_tokens", token=tokens["access_token"])
    assert link.status == 200
    link_token = link.json()["link_token"]
    r, form = sandbox.open_consent(sandbox.authorize_path(link_token=link_token))
    assert form is not None
    assert form.user_select is None and ("user", "acc_bob") in form.hidden
    assert "Adding a calendar account to <strong>Bob &lt;bob@example.com&gt;</strong>" in r.text
    # Pressing approve without choosing anything links to Bob.
    fields = form.hidden + [("decision", "approve")]
    done = sandbox.request("POST", form.action, form=fields)
    second = sandbox.exchange(done.redirect_params()["code"]).json()
    assert second["account_id"] == "acc_bob"


def test_a_link_token_belongs_to_the_application_that_asked_for_it(sandbox: Sandbox, verified) -> None:
    tokens = sandbox.connect()
    link_token = sandbox.request("POST", "/v1/link_tokens", token=tokens["access_token"]).json()["link_token"]
    r = sandbox.get(sandbox.authorize_path(client_id="verified-app", redirect_uri="https://app.example.org/oauth/callback",
                                           link_token=link_token))
    assert r.redirect_params()["error_description"] == "unknown or expired link_token"


class TestHeadlessConsent:
    def test_approve_returns_the_same_redirect_as_the_consent_page(self, sandbox: Sandbox) -> None:
        url = sandbox.url + sandbox.authorize_path(state="hs")
        out = sandbox.admin_ok("POST", "/admin/consent", {"url": url, "user": "ada@example.com", "decision": "approve"})
        split = urllib.parse.urlsplit(out["redirect"])
        assert f"{split.scheme}://{split.netloc}{split.path}" == DEFAULT_REDIRECT
        params = dict(urllib.parse.parse_qsl(split.query))
        assert params["state"] == "hs"
        assert sandbox.exchange(params["code"]).status == 200

    def test_deny_needs_no_user(self, sandbox: Sandbox) -> None:
        out = sandbox.admin_ok("POST", "/admin/consent", {"url": sandbox.authorize_path(), "decision": "deny"})
        assert "error=access_denied" in out["redirect"]

    def test_query_object_instead_of_url(self, sandbox: Sandbox) -> None:
        query = {"response_type": "code", "client_id": sandbox.client_id, "redirect_uri": DEFAULT_REDIRECT,
                 "scope": "read_events"}
        out = sandbox.admin_ok("POST", "/admin/consent", {"query": query, "user": "acc_sandbox_ada"})
        assert out["redirect"].startswith(DEFAULT_REDIRECT + "?code=")

    def test_an_error_page_becomes_a_400_and_never_a_redirect(self, sandbox: Sandbox, verified) -> None:
        url = sandbox.authorize_path(client_id="verified-app", redirect_uri="https://evil.example.net/cb")
        r = sandbox.admin("POST", "/admin/consent", {"url": url, "user": "ada@example.com"})
        assert r.status == 400
        assert r.json()["error"] == "authorization_page_error"
        assert "redirect" not in r.json()

    def test_an_error_redirect_is_returned_as_the_redirect(self, sandbox: Sandbox) -> None:
        out = sandbox.admin_ok("POST", "/admin/consent",
                               {"url": sandbox.authorize_path(scope="nope"), "user": "ada@example.com"})
        assert "error=invalid_scope" in out["redirect"]

    def test_an_unknown_user_is_a_validation_error(self, sandbox: Sandbox) -> None:
        r = sandbox.admin("POST", "/admin/consent", {"url": sandbox.authorize_path(), "user": "ghost"})
        assert r.status == 422
        assert r.json()["errors"]["user"][0]["key"] == "errors.invalid"

    def test_approve_without_a_user_is_a_validation_error(self, sandbox: Sandbox) -> None:
        r = sandbox.admin("POST", "/admin/consent", {"url": sandbox.authorize_path()})
        assert r.status == 422
        assert r.json() == {"errors": {"user": [{"key": "errors.required", "description": "is required"}]}}
