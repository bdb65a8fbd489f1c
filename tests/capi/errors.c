/* Every status code, provoked through the C API against calbridge-sandbox (its fault
 * injection for the HTTP statuses), each with the details the error record must carry. One
 * code cannot be provoked without a bug: CALBRIDGE_EINTERNAL, which "capi: exceptions outside
 * the tree are CALBRIDGE_EINTERNAL..." covers through the mapper itself. */
#define _POSIX_C_SOURCE 200809L

#include "c_store.h"
#include "check.h"
#include "sandbox.h"

#include <calbridge.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int provoked[-CALBRIDGE_EINVALID_SIGNATURE + 1];

/* The numbers of the last provoked error's record (the record itself is reset by the next
 * call, e.g. the admin call that clears a fault). */
static struct {
    int http_status;
    int64_t retry_after_seconds;
} last;

/* Checks `rc` is `want`, and records that `want` was provoked. */
#define PROVOKE(want, call)                                                                   \
    do {                                                                                      \
        int provoke_rc_ = (call);                                                             \
        CHECK_RC(want, provoke_rc_);                                                          \
        last.http_status = calbridge_error_last()->http_status;                               \
        last.retry_after_seconds = calbridge_error_last()->retry_after_seconds;               \
        if (provoke_rc_ == (want) && (want) < 0) provoked[-(want)] = 1;                       \
        if (provoke_rc_ == (want))                                                            \
            printf("%-22s %s\n", calbridge_error_code_name(want), calbridge_error_last()->message); \
    } while (0)

static int user_hook_result;
static int refresh_hook(const calbridge_credentials *credentials, void *userdata) {
    (void)credentials;
    (void)userdata;
    return user_hook_result;
}

static int closed_port(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int port = 9, fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    if (fd >= 0) close(fd);
    return port;
}

struct fixture {
    struct sandbox sb;
    struct c_store store;
    calbridge_token_store callbacks;
    calbridge_client *client;
    calbridge_credentials *credentials;
    calbridge_session *session;
};

static calbridge_credentials *connect_user(struct fixture *f, calbridge_client *client, const char *scope) {
    calbridge_authorization *a = NULL;
    calbridge_credentials *c = NULL;
    char *redirect;
    if (calbridge_authorization_new(&a, client, SANDBOX_REDIRECT_URI, scope, NULL) != CALBRIDGE_OK) return NULL;
    redirect = sandbox_consent(&f->sb, calbridge_authorization_url(a), SANDBOX_USER, "approve");
    if (redirect != NULL) CHECK_OK(calbridge_client_complete_authorization(&c, client, a, redirect, NULL));
    free(redirect);
    calbridge_authorization_free(a);
    return c;
}

/* A fault on every request to `path` (count 20 covers the retries), then the call, then no
 * more faults. */
static void with_fault(struct fixture *f, const char *fault) { CHECK_OK(sandbox_fault(&f->sb, fault)); }

static void account_call(struct fixture *f, int want, const calbridge_call_options *options) {
    char *json = NULL;
    PROVOKE(want, calbridge_session_account(&json, f->session, options));
    CHECK(json == NULL);
    CHECK_OK(sandbox_clear_faults(&f->sb));
}

static void arguments_and_configuration(struct fixture *f) {
    calbridge_client_options o = sandbox_client_options(&f->sb);
    calbridge_client *client = NULL;
    char *json = NULL;
    PROVOKE(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_calendars(NULL, f->session, NULL));
    PROVOKE(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_calendars(&json, NULL, NULL));
    /* An unsigned push (no header): verify it before trusting it. */
    PROVOKE(CALBRIDGE_EINVALID_SIGNATURE, calbridge_push_verify(NULL, "{}", 2, f->sb.client_secret, NULL));
    CHECK(strstr(calbridge_error_last()->message, f->sb.client_secret) == NULL);
    o.data_center = "mars";
    PROVOKE(CALBRIDGE_ECONFIGURATION, calbridge_client_new(&client, "id", "secret", &o));
    CHECK(client == NULL);
}

/* The browser leg, on a client of its own: the code it exchanges (and whose tokens the
 * sandbox revokes when the code is replayed) must not replace the fixture's stored tokens. */
static void browser_leg(struct fixture *f) {
    calbridge_authorization *a = NULL;
    calbridge_credentials *c = NULL;
    calbridge_client_options o = sandbox_client_options(&f->sb);
    calbridge_client *client = NULL;
    calbridge_client *wrong_secret = NULL;
    char callback[512];
    char *redirect;

    REQUIRE_OK(calbridge_client_new(&client, f->sb.client_id, f->sb.client_secret, &o));
    if (calbridge_authorization_new(&a, client, SANDBOX_REDIRECT_URI, "read_account", NULL) != CALBRIDGE_OK) {
        calbridge_client_free(client);
        CHECK(!"authorization_new");
        return;
    }
    snprintf(callback, sizeof callback, "%s?code=abc&state=not-the-state", SANDBOX_REDIRECT_URI);
    PROVOKE(CALBRIDGE_ESTATE_MISMATCH, calbridge_client_complete_authorization(&c, client, a, callback, NULL));
    snprintf(callback, sizeof callback, "%s?state=%s", SANDBOX_REDIRECT_URI, calbridge_authorization_state(a));
    PROVOKE(CALBRIDGE_EINVALID_CALLBACK, calbridge_client_complete_authorization(&c, client, a, callback, NULL));
    snprintf(callback, sizeof callback, "?code=a&code=b&state=%s", calbridge_authorization_state(a));
    PROVOKE(CALBRIDGE_EINVALID_CALLBACK, calbridge_client_complete_authorization(&c, client, a, callback, NULL));

    /* The user says no on the consent page. */
    redirect = sandbox_consent(&f->sb, calbridge_authorization_url(a), SANDBOX_USER, "deny");
    CHECK(redirect != NULL);
    if (redirect != NULL) {
        PROVOKE(CALBRIDGE_EAUTHORIZATION_DENIED, calbridge_client_complete_authorization(&c, client, a, redirect, NULL));
        CHECK(strcmp(calbridge_error_last()->oauth_error, "access_denied") == 0);
    }
    free(redirect);

    /* A code is single use: the second exchange is an invalid grant. */
    redirect = sandbox_consent(&f->sb, calbridge_authorization_url(a), SANDBOX_USER, "approve");
    CHECK(redirect != NULL);
    if (redirect != NULL) {
        CHECK_OK(calbridge_client_complete_authorization(&c, client, a, redirect, NULL));
        calbridge_credentials_free(c);
        c = NULL;
        PROVOKE(CALBRIDGE_EINVALID_GRANT, calbridge_client_complete_authorization(&c, client, a, redirect, NULL));
        CHECK(strcmp(calbridge_error_last()->oauth_error, "invalid_grant") == 0);
        CHECK(calbridge_error_last()->http_status == 400);
    }
    free(redirect);

    /* The wrong client secret. */
    CHECK_OK(calbridge_client_new(&wrong_secret, f->sb.client_id, "not-the-secret", &o));
    PROVOKE(CALBRIDGE_EINVALID_CLIENT,
            calbridge_client_exchange_code(&c, wrong_secret, "some-code", SANDBOX_REDIRECT_URI, NULL, NULL));
    CHECK(strcmp(calbridge_error_last()->oauth_error, "invalid_client") == 0);
    calbridge_client_free(wrong_secret);

    /* Another OAuth error from the token endpoint. */
    with_fault(f, "{\"method\": \"POST\", \"path\": \"/oauth/token\", \"kind\": \"status\", \"status\": 400, "
                  "\"body\": \"{\\\"error\\\": \\\"invalid_request\\\", \\\"error_description\\\": \\\"injected\\\"}\"}");
    PROVOKE(CALBRIDGE_EBAD_REQUEST, calbridge_client_exchange_code(&c, client, "code", SANDBOX_REDIRECT_URI, NULL, NULL));
    CHECK(strcmp(calbridge_error_last()->oauth_error, "invalid_request") == 0);
    CHECK(strcmp(calbridge_error_last()->oauth_error_description, "injected") == 0);
    CHECK_OK(sandbox_clear_faults(&f->sb));
    calbridge_authorization_free(a);
    calbridge_client_free(client);
}

static void api_statuses(struct fixture *f) {
    calbridge_client_options o = sandbox_client_options(&f->sb);
    calbridge_client *client = NULL;
    calbridge_credentials *narrow = NULL;
    calbridge_session *session = NULL;
    calbridge_call_options quick = CALBRIDGE_CALL_OPTIONS_INIT;
    char *json = NULL;

    /* 401 twice: refreshed once in between, then given up. */
    with_fault(f, "{\"method\": \"GET\", \"path\": \"/v1/account\", \"kind\": \"status\", \"status\": 401, \"count\": 2}");
    account_call(f, CALBRIDGE_EAUTHENTICATION, NULL);
    CHECK(last.http_status == 401);

    /* 403: a user who granted less scope than the call needs. */
    CHECK_OK(calbridge_client_new(&client, f->sb.client_id, f->sb.client_secret, &o));
    narrow = connect_user(f, client, "read_account");
    if (narrow != NULL) {
        CHECK_OK(calbridge_session_new_with_credentials(&session, client, narrow));
        PROVOKE(CALBRIDGE_EAUTHORIZATION, calbridge_session_calendars(&json, session, NULL));
        CHECK(calbridge_error_last()->http_status == 403);
    }
    calbridge_session_free(session);
    calbridge_credentials_free(narrow);
    calbridge_client_free(client);

    PROVOKE(CALBRIDGE_ENOT_FOUND, calbridge_session_request(&json, f->session, "GET", "/v1/no_such_thing", NULL, 0, NULL, NULL));
    CHECK(calbridge_error_last()->http_status == 404);

    PROVOKE(CALBRIDGE_EVALIDATION,
            calbridge_session_upsert_event(f->session, "cal_sandbox_primary", "{\"event_id\": \"capi-invalid\"}", NULL));
    CHECK(calbridge_error_last()->http_status == 422);
    CHECK(strstr(calbridge_error_last()->field_errors_json, "\"field\":\"summary\"") != NULL);
    CHECK(strstr(calbridge_error_last()->field_errors_json, "\"key\":\"errors.required\"") != NULL);

    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"status\", \"status\": 423, \"count\": 20}");
    account_call(f, CALBRIDGE_ELOCKED, NULL);
    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"status\", \"status\": 402, \"count\": 20}");
    account_call(f, CALBRIDGE_EPAYMENT_REQUIRED, NULL);
    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"status\", \"status\": 429, \"count\": 20, "
                  "\"headers\": {\"Retry-After\": \"3600\"}}");
    account_call(f, CALBRIDGE_ERATE_LIMITED, NULL);
    CHECK(last.retry_after_seconds == 3600);
    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"status\", \"status\": 500, \"count\": 20}");
    account_call(f, CALBRIDGE_ESERVER, NULL);
    CHECK(last.http_status == 500);
    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"status\", \"status\": 503, \"count\": 20}");
    account_call(f, CALBRIDGE_ESERVICE_UNAVAILABLE, NULL);
    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"status\", \"status\": 418, \"count\": 20}");
    account_call(f, CALBRIDGE_EHTTP, NULL);
    CHECK(last.http_status == 418);
    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"malformed_json\", \"count\": 20}");
    account_call(f, CALBRIDGE_EPROTOCOL, NULL);

    quick.timeout_ms = 300;
    with_fault(f, "{\"path\": \"/v1/account\", \"kind\": \"delay\", \"delay_ms\": 3000, \"count\": 20}");
    account_call(f, CALBRIDGE_ETIMEOUT, &quick);
}

static void transport_failures(struct fixture *f) {
    calbridge_client_options o = sandbox_client_options(&f->sb);
    calbridge_client *client = NULL;
    calbridge_credentials *c = NULL;
    char url[64];

    /* The sandbox's certificate is not in the system trust store. */
    o.ca_file = NULL;
    CHECK_OK(calbridge_client_new(&client, f->sb.client_id, f->sb.client_secret, &o));
    PROVOKE(CALBRIDGE_ETLS, calbridge_client_exchange_code(&c, client, "code", SANDBOX_REDIRECT_URI, NULL, NULL));
    calbridge_client_free(client);

    /* Nobody listens there. */
    o = sandbox_client_options(&f->sb);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    o.api_url = url;
    o.max_retries = -1;
    client = NULL;
    CHECK_OK(calbridge_client_new(&client, f->sb.client_id, f->sb.client_secret, &o));
    PROVOKE(CALBRIDGE_ECONNECTION, calbridge_client_revoke_sub(client, "acc_nobody", NULL));
    calbridge_client_free(client);

    /* Unreadable credentials are a protocol error too. */
    PROVOKE(CALBRIDGE_EPROTOCOL, calbridge_credentials_from_json(&c, "{\"access_token\": 42}"));
}

static void store_cancel_and_hooks(struct fixture *f) {
    calbridge_session *session = NULL;
    calbridge_cancel *cancel = NULL;
    calbridge_call_options options = CALBRIDGE_CALL_OPTIONS_INIT;
    calbridge_client_options o = sandbox_client_options(&f->sb);
    calbridge_client *client = NULL;
    calbridge_credentials *c = NULL;
    const char *account = calbridge_credentials_account_key(f->credentials);
    char *json = NULL;
    long refreshes;
    uint64_t version;

    /* The store fails to load (an account this client has not loaded yet: sessions of one
     * client share an account's state once loaded). */
    CHECK_OK(calbridge_session_new(&session, f->client, "acc_not_loaded_yet"));
    f->store.fail_next_load = 1;
    PROVOKE(CALBRIDGE_ESTORE, calbridge_session_calendars(&json, session, NULL));
    CHECK(strstr(calbridge_error_last()->message, "load") != NULL);
    CHECK(f->store.fail_next_load == 0);
    calbridge_session_free(session);

    /* The file store cannot have its directory. */
    o.token_store_directory = "/proc/calbridge-cannot-be-here";
    PROVOKE(CALBRIDGE_ESTORE, calbridge_client_new(&client, f->sb.client_id, f->sb.client_secret, &o));
    CHECK(client == NULL);
    o.token_store_directory = NULL;

    /* The store fails to save a refresh: the call fails, the new tokens are kept in memory and
     * written by the next call, which does not refresh again. */
    CHECK_OK(calbridge_session_calendars(&json, f->session, NULL));
    calbridge_free(json);
    json = NULL;
    version = c_store_version(&f->store, account);
    refreshes = sandbox_counter(&f->sb, "refresh_token");
    CHECK_OK(sandbox_expire_tokens(&f->sb, account));
    f->store.fail_next_save = 1;
    PROVOKE(CALBRIDGE_ESTORE, calbridge_session_calendars(&json, f->session, NULL));
    CHECK(c_store_version(&f->store, account) == version);
    CHECK_OK(calbridge_session_calendars(&json, f->session, NULL));
    calbridge_free(json);
    json = NULL;
    CHECK(c_store_version(&f->store, account) == version + 1);
    CHECK(sandbox_counter(&f->sb, "refresh_token") == refreshes + 1);

    /* Cancelled before it starts. */
    CHECK_OK(calbridge_cancel_new(&cancel));
    CHECK_OK(calbridge_cancel_trigger(cancel));
    options.cancel = cancel;
    PROVOKE(CALBRIDGE_ECANCELLED, calbridge_session_calendars(&json, f->session, &options));
    calbridge_cancel_free(cancel);

    /* A hook asks to abort: CALBRIDGE_EUSER, and the refreshed tokens stay stored. */
    o.on_refresh = refresh_hook;
    user_hook_result = 1;
    CHECK_OK(calbridge_client_new(&client, f->sb.client_id, f->sb.client_secret, &o));
    c = connect_user(f, client, "read_account");
    session = NULL;
    if (c != NULL) {
        CHECK_OK(calbridge_session_new_with_credentials(&session, client, c));
        CHECK_OK(calbridge_session_account(&json, session, NULL));
        calbridge_free(json);
        json = NULL;
        CHECK_OK(sandbox_expire_tokens(&f->sb, calbridge_credentials_account_key(c)));
        PROVOKE(CALBRIDGE_EUSER, calbridge_session_account(&json, session, NULL));
        CHECK(strstr(calbridge_error_last()->message, "on_refresh") != NULL);
        user_hook_result = 0;
        CHECK_OK(calbridge_session_account(&json, session, NULL));
        calbridge_free(json);
    }
    calbridge_session_free(session);
    calbridge_credentials_free(c);
    calbridge_client_free(client);
}

int main(void) {
    struct fixture f;
    calbridge_client_options o;
    int code, missing = 0;

    memset(&f, 0, sizeof f);
    if (sandbox_open(&f.sb) != 0) return 2;
    if (sandbox_admin(&f.sb, "POST", "/admin/reset", NULL, NULL) != CALBRIDGE_OK) return 2;
    c_store_init(&f.store);
    f.callbacks = c_store_callbacks(&f.store);
    o = sandbox_client_options(&f.sb);
    o.token_store = &f.callbacks;
    o.max_retries = 2;
    o.initial_backoff_ms = 5;
    o.max_backoff_ms = 20;
    if (calbridge_client_new(&f.client, f.sb.client_id, f.sb.client_secret, &o) != CALBRIDGE_OK) return 1;
    f.credentials = connect_user(&f, f.client, SANDBOX_ALL_SCOPES);
    if (f.credentials == NULL ||
        calbridge_session_new(&f.session, f.client, calbridge_credentials_account_key(f.credentials)) != CALBRIDGE_OK) {
        return check_summary("errors");
    }

    arguments_and_configuration(&f);
    browser_leg(&f);
    api_statuses(&f);
    transport_failures(&f);
    store_cancel_and_hooks(&f);

    for (code = CALBRIDGE_EINVALID_ARGUMENT; code >= CALBRIDGE_EINVALID_SIGNATURE; --code) {
        if (code != CALBRIDGE_EINTERNAL && !provoked[-code]) {
            fprintf(stderr, "not provoked: %d %s\n", code, calbridge_error_code_name(code));
            ++missing;
        }
    }
    CHECK(missing == 0);
    printf("provoked every code from %d to %d but %d (%s is the mapper test's)\n", CALBRIDGE_EINVALID_ARGUMENT,
           CALBRIDGE_EINVALID_SIGNATURE, CALBRIDGE_EINTERNAL, calbridge_error_code_name(CALBRIDGE_EINTERNAL));

    calbridge_session_free(f.session);
    calbridge_credentials_free(f.credentials);
    calbridge_client_free(f.client);
    c_store_clear(&f.store);
    sandbox_close(&f.sb);
    return check_summary("errors");
}
