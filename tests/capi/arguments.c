/* Invalid arguments beyond NULL (the generated test covers NULL for every function): option
 * structs with a wrong version or an unknown enum value, counts without arrays, conflicting
 * options, and who frees userdata when calbridge_client_new() fails. No network: the API is a
 * loopback port nobody listens on. */
#include "check.h"

#include <calbridge.h>

#include <stdio.h>
#include <string.h>

static int freed[4];
static void free_userdata(void *userdata) { ++*(int *)userdata; }
static void log_sink(int level, const char *message, void *userdata) {
    (void)level;
    (void)message;
    (void)userdata;
}
static int load_nothing(calbridge_store_entry *entry, const char *account, void *userdata) {
    (void)entry;
    (void)account;
    (void)userdata;
    return CALBRIDGE_STORE_NOT_FOUND;
}

static calbridge_client_options offline_options(void) {
    calbridge_client_options o = CALBRIDGE_CLIENT_OPTIONS_INIT;
    o.api_url = "http://127.0.0.1:9";
    o.app_url = "http://127.0.0.1:9";
    o.max_retries = -1;
    return o;
}

static void expect_client_fails(int want, const calbridge_client_options *o, const char *what) {
    calbridge_client *client = (calbridge_client *)&freed; /* not NULL: must be reset */
    int rc = calbridge_client_new(&client, "id", "secret", o);
    if (rc != want || client != NULL) {
        fprintf(stderr, "FAIL client options %s: got %d (%s), want %d\n", what, rc, calbridge_error_last()->message,
                want);
        check_failures++;
    }
}

static void userdata_is_freed_once_whatever_client_new_returns(void) {
    calbridge_client_options o = offline_options();
    calbridge_token_store store = CALBRIDGE_TOKEN_STORE_INIT;
    calbridge_client *client = NULL;
    calbridge_session *session = NULL;

    memset(freed, 0, sizeof freed);
    store.userdata = &freed[0];
    store.userdata_free = free_userdata;
    store.load = load_nothing; /* the other four missing: invalid */
    o.token_store = &store;
    o.log = log_sink;
    o.log_userdata = &freed[1];
    o.log_userdata_free = free_userdata;
    o.on_refresh_userdata = &freed[2]; /* no callback: freed as soon as it is not needed */
    o.on_refresh_userdata_free = free_userdata;
    o.on_reauthorization_required_userdata = &freed[3];
    o.on_reauthorization_required_userdata_free = free_userdata;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_new(&client, "id", "secret", &o));
    CHECK(strstr(calbridge_error_last()->message, "five callbacks") != NULL);
    CHECK(freed[0] == 1 && freed[1] == 1 && freed[2] == 1 && freed[3] == 1);

    /* Failing later (a configuration error): the same. */
    memset(freed, 0, sizeof freed);
    o.token_store = NULL;
    o.data_center = "mars";
    CHECK_RC(CALBRIDGE_ECONFIGURATION, calbridge_client_new(&client, "id", "secret", &o));
    CHECK(freed[0] == 0 && freed[1] == 1 && freed[2] == 1 && freed[3] == 1);

    /* NULL out: still adopted, still freed once. */
    memset(freed, 0, sizeof freed);
    o.data_center = NULL;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_new(NULL, "id", "secret", &o));
    CHECK(freed[1] == 1 && freed[2] == 1 && freed[3] == 1);

    /* Success: the log userdata lives until the client and its sessions are gone. */
    memset(freed, 0, sizeof freed);
    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    CHECK(freed[1] == 0 && freed[2] == 1 && freed[3] == 1);
    CHECK_OK(calbridge_session_new(&session, client, "acc"));
    calbridge_client_free(client);
    CHECK(freed[1] == 0);
    calbridge_session_free(session);
    CHECK(freed[1] == 1);

    /* An unsupported version: nothing is read, so nothing is freed. */
    memset(freed, 0, sizeof freed);
    o.version = 0;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_new(&client, "id", "secret", &o));
    CHECK(freed[1] == 0 && freed[2] == 0 && freed[3] == 0);
}

static void client_options_are_checked(void) {
    calbridge_client_options o = offline_options();
    const char *uris[] = {"http://localhost:8080/callback", NULL};
    calbridge_token_store store = CALBRIDGE_TOKEN_STORE_INIT;

    o.version = 0;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "version 0");
    o.version = CALBRIDGE_CLIENT_OPTIONS_VERSION + 1;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "a future version");
    o = offline_options();
    o.data_center = "mars";
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "unknown data center");
    o = offline_options();
    o.api_url = "http://api.example.com"; /* http only to loopback */
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "http to a remote host");
    o = offline_options();
    o.redirect_uri_count = 1;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "redirect_uri_count without redirect_uris");
    o.redirect_uris = uris;
    o.redirect_uri_count = 2;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "a NULL redirect URI");
    o = offline_options();
    o.ca_file = "/nonexistent/ca.pem";
    o.ca_pem = "-----BEGIN CERTIFICATE-----";
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "ca_file and ca_pem");
    o = offline_options();
    o.ca_file = "/nonexistent/ca.pem";
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "an unreadable CA file");
    o = offline_options();
    o.token_encoding = 7;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "token_encoding 7");
    o = offline_options();
    o.client_authentication = -1;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "client_authentication -1");
    o = offline_options();
    o.log_level = 99;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "log_level 99");
    o = offline_options();
    o.token_store = &store;
    o.token_store_directory = "/tmp";
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "token_store and token_store_directory");
    o = offline_options();
    store.version = 0;
    o.token_store = &store;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "token store version 0");
    o = offline_options();
    o.initial_backoff_ms = 1000;
    o.max_backoff_ms = 10;
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "max_backoff_ms below initial_backoff_ms");
}

static void call_level_arguments_are_checked(void) {
    calbridge_client_options o = offline_options();
    calbridge_client *client = NULL;
    calbridge_authorization *authorization = NULL;
    calbridge_authorization_options ao = CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
    calbridge_call_options call = CALBRIDGE_CALL_OPTIONS_INIT;
    calbridge_events_query query = CALBRIDGE_EVENTS_QUERY_INIT;
    calbridge_query_param param = {"key", NULL};
    calbridge_session *session = NULL;
    calbridge_pages *pages = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_client *no_secret = NULL;
    char *json = NULL;

    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_new(&no_secret, "id", NULL, &o));

    /* Authorization options. */
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_authorization_new(&authorization, client, "http://localhost:8080/cb", "", NULL));
    CHECK(authorization == NULL);
    ao.avoid_linking = 7;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_authorization_new(&authorization, client, "http://localhost:8080/cb", "read_account", &ao));
    CHECK(strstr(calbridge_error_last()->message, "avoid_linking") != NULL);
    ao.avoid_linking = CALBRIDGE_UNSET;
    ao.version = 0;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_authorization_new(&authorization, client, "http://localhost:8080/cb", "read_account", &ao));
    CHECK_RC(CALBRIDGE_ECONFIGURATION,
             calbridge_authorization_new(&authorization, client, "ftp://example.com/cb", "read_account", NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_authorization_options_init(&ao, 2));

    /* Per-call options and queries. */
    CHECK_OK(calbridge_session_new(&session, client, "acc"));
    call.version = 0;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_calendars(&json, session, &call));
    CHECK(json == NULL);
    query.version = 0;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_events(&pages, session, &query, NULL));
    query.version = CALBRIDGE_EVENTS_QUERY_VERSION;
    query.include_deleted = 3;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_free_busy(&pages, session, &query, NULL));
    CHECK(strstr(calbridge_error_last()->message, "include_deleted") != NULL);
    query.include_deleted = CALBRIDGE_UNSET;
    query.calendar_id_count = 1;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_events(&pages, session, &query, NULL));
    CHECK(pages == NULL);

    /* Generic requests: counts without arrays, NULL values, bad methods, foreign hosts, bad JSON. */
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_request(&json, session, "GET", "/v1/calendars", NULL, 1, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_request(&json, session, "GET", "/v1/calendars", &param, 1, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_request(&json, session, "get", "/v1/calendars", NULL, 0, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_request(&json, session, "GET", "https://evil.example.com/v1/calendars", NULL, 0, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_request(&json, session, "POST", "/v1/calendars", NULL, 0, "{not json", NULL));
    CHECK(json == NULL);

    /* Credentials and store entries. */
    CHECK_RC(CALBRIDGE_EPROTOCOL, calbridge_credentials_from_json(&credentials, "{"));
    CHECK_RC(CALBRIDGE_EPROTOCOL, calbridge_credentials_from_json(&credentials, "{\"format\": 99}"));
    CHECK(credentials == NULL);
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_pages_position(NULL, NULL, NULL));

    /* Init functions refuse versions they do not know, and set the current one. */
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_call_options_init(&call, 0));
    CHECK_OK(calbridge_call_options_init(&call, CALBRIDGE_CALL_OPTIONS_VERSION));
    CHECK(call.version == CALBRIDGE_CALL_OPTIONS_VERSION && call.timeout_ms == 0 && call.cancel == NULL);
    CHECK_OK(calbridge_client_options_init(&o, CALBRIDGE_CLIENT_OPTIONS_VERSION));
    CHECK(o.version == CALBRIDGE_CLIENT_OPTIONS_VERSION && o.api_url == NULL && o.max_retries == 0);

    calbridge_session_free(session);
    calbridge_client_free(client);
}

static void version_and_names(void) {
    CHECK(strcmp(calbridge_version(), CALBRIDGE_VERSION_STRING) == 0);
    CHECK(calbridge_version_number() == CALBRIDGE_VERSION_NUMBER);
    CHECK(strcmp(calbridge_error_code_name(CALBRIDGE_EINVALID_GRANT), "invalid_grant") == 0);
    CHECK(strcmp(calbridge_error_code_name(CALBRIDGE_EUSER), "user_callback") == 0);
    CHECK(strcmp(calbridge_error_code_name(CALBRIDGE_DONE), "done") == 0);
    CHECK(strcmp(calbridge_error_code_name(-999), "unknown") == 0);
    calbridge_free(NULL);
}

int main(void) {
    version_and_names();
    userdata_is_freed_once_whatever_client_new_returns();
    client_options_are_checked();
    call_level_arguments_are_checked();
    return check_summary("arguments");
}
