/* Invalid arguments beyond NULL (the generated test covers NULL for every function): option
 * structs with a wrong version or an unknown enum value, counts without arrays, conflicting
 * options, and who frees userdata when calbridge_client_new() fails; structs of version 1 still
 * accepted (allocated exactly as long as version 1 had them: under ASan, a read past their end
 * fails); the lease callbacks all or none; stores opened by name. No network: the API is a
 * loopback port nobody listens on. */
#define _POSIX_C_SOURCE 200809L

#include "check.h"

#include <calbridge.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int lease_claim(calbridge_lease_claim *claim, const char *account, uint64_t expected_version, const char *owner,
                       uint64_t ttl_ms, void *userdata) {
    (void)account, (void)expected_version, (void)owner, (void)ttl_ms, (void)userdata;
    claim->status = CALBRIDGE_LEASE_MISSING;
    return CALBRIDGE_STORE_CLAIMED;
}
static int lease_renew(const char *account, uint64_t epoch, uint64_t ttl_ms, void *userdata) {
    (void)account, (void)epoch, (void)ttl_ms, (void)userdata;
    return CALBRIDGE_STORE_CONFLICT;
}
static int lease_release(const char *account, uint64_t epoch, void *userdata) {
    (void)account, (void)epoch, (void)userdata;
    return CALBRIDGE_STORE_RELEASED;
}
static int lease_mark(const char *account, uint64_t expected_version, void *userdata) {
    (void)account, (void)expected_version, (void)userdata;
    return CALBRIDGE_STORE_CONFLICT;
}
static int lease_wait(const char *account, uint64_t version, uint64_t timeout_ms, void *userdata) {
    (void)account, (void)version, (void)timeout_ms, (void)userdata;
    return CALBRIDGE_STORE_WAITED;
}
static int nothing_written(uint64_t *out_version, const char *account, const char *json, void *userdata) {
    (void)out_version, (void)account, (void)json, (void)userdata;
    return CALBRIDGE_ESTORE;
}
static int nothing_saved(uint64_t *out_version, const char *account, const char *json, uint64_t expected_version,
                         void *userdata) {
    (void)out_version, (void)account, (void)json, (void)expected_version, (void)userdata;
    return CALBRIDGE_ESTORE;
}
static int nothing_removed(const char *account, void *userdata) {
    (void)account, (void)userdata;
    return CALBRIDGE_STORE_NOT_FOUND;
}

/* A store with the five required callbacks and all of the lease's. */
static calbridge_token_store leasing_store(int *freed_counter) {
    calbridge_token_store store = CALBRIDGE_TOKEN_STORE_INIT;
    store.load = load_nothing;
    store.insert = nothing_written;
    store.save = nothing_saved;
    store.replace = nothing_written;
    store.remove = nothing_removed;
    store.claim = lease_claim;
    store.renew = lease_renew;
    store.release = lease_release;
    store.mark_reauthorization_required = lease_mark;
    store.wait_for_change = lease_wait;
    store.userdata = freed_counter;
    store.userdata_free = free_userdata;
    return store;
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

static void lease_callbacks_are_all_or_none(void) {
    calbridge_client_options o = offline_options();
    calbridge_token_store store;
    calbridge_client *client = NULL;
    int store_freed = 0;

    /* All of them, and with wait_for_change left out: a leasing store. */
    store = leasing_store(&store_freed);
    o.token_store = &store;
    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    calbridge_client_free(client);
    store.wait_for_change = NULL;
    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    calbridge_client_free(client);
    CHECK(store_freed == 2);

    /* None: a store of one process, as before. */
    store = leasing_store(&store_freed);
    store.claim = NULL;
    store.renew = NULL;
    store.release = NULL;
    store.mark_reauthorization_required = NULL;
    store.wait_for_change = NULL;
    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    calbridge_client_free(client);

    /* Some: refused, naming the lease, and the userdata freed once. */
    store_freed = 0;
    store = leasing_store(&store_freed);
    store.release = NULL;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "three of the four lease callbacks");
    CHECK(strstr(calbridge_error_last()->message, "not all four") != NULL);
    CHECK(store_freed == 1);
    store = leasing_store(&store_freed);
    store.claim = NULL;
    store.renew = NULL;
    store.release = NULL;
    store.mark_reauthorization_required = NULL;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "wait_for_change without the lease");
    CHECK(strstr(calbridge_error_last()->message, "wait_for_change") != NULL);
    store = leasing_store(&store_freed);
    store.version = CALBRIDGE_TOKEN_STORE_VERSION + 1;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "a token store of a future version");
    CHECK(store_freed == 3);
}

/* The structs as calbridge.h version 0.1.0 declared them (version 1): what an application
 * built then still hands in. */
typedef struct token_store_v1 {
    unsigned int version;
    calbridge_store_load_cb load;
    calbridge_store_insert_cb insert;
    calbridge_store_save_cb save;
    calbridge_store_replace_cb replace;
    calbridge_store_remove_cb remove;
    void *userdata;
    calbridge_userdata_free_cb userdata_free;
} token_store_v1;

typedef struct client_options_v1 {
    unsigned int version;
    const char *data_center;
    const char *api_url;
    const char *app_url;
    const char *const *redirect_uris;
    size_t redirect_uri_count;
    int allow_insecure_redirect_uris;
    unsigned int connect_timeout_ms;
    unsigned int request_timeout_ms;
    const char *ca_file;
    const char *ca_pem;
    int leeway_seconds;
    const char *user_agent;
    int token_encoding;
    int client_authentication;
    int max_retries;
    unsigned int initial_backoff_ms;
    unsigned int max_backoff_ms;
    const token_store_v1 *token_store;
    const char *token_store_directory;
    calbridge_log_cb log;
    int log_level;
    void *log_userdata;
    calbridge_userdata_free_cb log_userdata_free;
    calbridge_refresh_cb on_refresh;
    void *on_refresh_userdata;
    calbridge_userdata_free_cb on_refresh_userdata_free;
    calbridge_reauthorization_cb on_reauthorization_required;
    void *on_reauthorization_required_userdata;
    calbridge_userdata_free_cb on_reauthorization_required_userdata_free;
} client_options_v1;

/* Version 1's structs, allocated on the heap exactly as long as they were (so that ASan sees
 * any read past their end). */
static void version_1_structs_are_still_accepted(void) {
    client_options_v1 *o = (client_options_v1 *)malloc(sizeof *o);
    token_store_v1 *store = (token_store_v1 *)malloc(sizeof *store);
    calbridge_client *client = NULL;
    int removed = -1;

    /* Version 2 only ever added fields at the end. */
    CHECK(sizeof(client_options_v1) == offsetof(calbridge_client_options, token_store_name));
    CHECK(sizeof(token_store_v1) == offsetof(calbridge_token_store, claim));
    if (o == NULL || store == NULL) {
        CHECK(!"out of memory");
        free(o);
        free(store);
        return;
    }
    /* The init functions write version 1's fields only. */
    CHECK_OK(calbridge_client_options_init((calbridge_client_options *)o, 1));
    CHECK(o->version == 1 && o->api_url == NULL && o->on_reauthorization_required_userdata_free == NULL);
    CHECK_OK(calbridge_token_store_init((calbridge_token_store *)store, 1));
    CHECK(store->version == 1 && store->load == NULL && store->userdata_free == NULL);

    o->api_url = "http://127.0.0.1:9";
    o->app_url = "http://127.0.0.1:9";
    o->max_retries = -1;
    CHECK_OK(calbridge_client_new(&client, "id", "secret", (const calbridge_client_options *)o));
    calbridge_client_free(client);

    /* A version 1 store: no lease (a store of one process, as before). */
    store->load = load_nothing;
    store->insert = nothing_written;
    store->save = nothing_saved;
    store->replace = nothing_written;
    store->remove = nothing_removed;
    o->token_store = store;
    CHECK_OK(calbridge_client_new(&client, "id", "secret", (const calbridge_client_options *)o));
    CHECK_OK(calbridge_client_forget_account(&removed, client, "acc"));
    CHECK(removed == 0);
    calbridge_client_free(client);
    free(o);
    free(store);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void stores_are_opened_by_name(void) {
    calbridge_client_options o = offline_options();
    calbridge_client *client = NULL;
    char directory[] = "/tmp/calbridge-capi-names-XXXXXX";
    char database[128];
    char companion[160];
    const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char name[160];
    size_t i;
    int removed = -1;

    if (mkdtemp(directory) == NULL) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(database, sizeof database, "%s/credentials.db", directory);
    snprintf(name, sizeof name, "sqlite:%s", database);

    /* sqlite:PATH: the database file is there once the client is. */
    o.token_store_name = name;
    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    CHECK(file_exists(database));
    CHECK_OK(calbridge_client_forget_account(&removed, client, "acc"));
    CHECK(removed == 0);
    calbridge_client_free(client);

    o.token_store_name = "memory:";
    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    calbridge_client_free(client);

    /* An unknown scheme: a configuration error naming the scheme, never the rest. */
    o.token_store_name = "bogus://user:hunter2@host";
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "an unknown store scheme");
    CHECK(strstr(calbridge_error_last()->message, "bogus:") != NULL);
    CHECK(strstr(calbridge_error_last()->message, "hunter2") == NULL);
    o.token_store_name = "credentials.db";
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "a store name without a scheme");
    o.token_store_name = "sqlite:";
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "sqlite: without a path");

    /* One store at most. */
    o.token_store_name = name;
    o.token_store_directory = directory;
    expect_client_fails(CALBRIDGE_EINVALID_ARGUMENT, &o, "token_store_name and token_store_directory");
    CHECK(strstr(calbridge_error_last()->message, "token_store_name") != NULL);

    for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; ++i) {
        snprintf(companion, sizeof companion, "%s%s", database, suffixes[i]);
        (void)unlink(companion);
    }
    CHECK(rmdir(directory) == 0);
}

static void lease_options_are_checked(void) {
    calbridge_client_options o = offline_options();
    calbridge_client *client = NULL;

    o.lease_ttl_ms = 60000;
    o.lease_request_timeout_ms = 20000;
    o.lease_poll_interval_ms = 20;
    o.lease_owner = "worker-7";
    CHECK_OK(calbridge_client_new(&client, "id", "secret", &o));
    calbridge_client_free(client);

    o = offline_options();
    o.lease_ttl_ms = 5;
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "lease_ttl_ms 5");
    CHECK(strstr(calbridge_error_last()->message, "ttl") != NULL);
    o = offline_options();
    o.lease_poll_interval_ms = 3600000;
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "lease_poll_interval_ms of an hour");
    o = offline_options();
    o.lease_owner = "two words";
    expect_client_fails(CALBRIDGE_ECONFIGURATION, &o, "a lease owner with a space");
    CHECK(strstr(calbridge_error_last()->message, "owner") != NULL);
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
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_authorization_options_init(&ao, CALBRIDGE_AUTHORIZATION_OPTIONS_VERSION + 1));

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
    query.calendar_id_count = 0;
    query.from = "2026-02-30"; /* dates and times are checked before anything is sent */
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_events(&pages, session, &query, NULL));
    CHECK(strstr(calbridge_error_last()->message, "query->from") != NULL);
    query.from = NULL;
    query.to = "2026-12-11T00:00:00Z";
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_free_busy(&pages, session, &query, NULL));
    CHECK(strstr(calbridge_error_last()->message, "query->to") != NULL);
    query.to = NULL;
    query.last_modified = "2026-12-04T09:00:00";
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_events(&pages, session, &query, NULL));
    CHECK(strstr(calbridge_error_last()->message, "query->last_modified") != NULL);
    query.last_modified = NULL;
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
    lease_callbacks_are_all_or_none();
    version_1_structs_are_still_accepted();
    stores_are_opened_by_name();
    lease_options_are_checked();
    call_level_arguments_are_checked();
    return check_summary("arguments");
}
