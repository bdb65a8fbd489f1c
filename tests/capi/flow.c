/* The whole Individual Connect flow in C99 against calbridge-sandbox, with the token store
 * written in C: authorization link (PKCE), consent, the redirect back, every calendar call,
 * page iteration, an expired token refreshed through the store (under its refresh lease), a
 * direct refresh, JSON in and out, revocation (the grant gone: reauthorization required, the
 * account marked in the store), revocation by sub, a file store, a store of version 1 (no
 * lease), two clients sharing one leasing store (one refresh for both), an SQLite store opened
 * by name, and no secret in any log line. */
#define _POSIX_C_SOURCE 200809L

#include "c_store.h"
#include "check.h"
#include "sandbox.h"

#include <calbridge.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- what the callbacks saw ------------------------------------------------------------- */

struct seen {
    pthread_mutex_t mutex;
    char *log;           /* every log line, newline-separated */
    size_t log_size;
    int log_lines;
    int refreshes;       /* on_refresh calls */
    char reauthorize[64]; /* the last account on_reauthorization_required named */
    int reauthorizations;
    int destroyed;
};

static void log_sink(int level, const char *message, void *userdata) {
    struct seen *s = (struct seen *)userdata;
    size_t n = strlen(message);
    char *grown;
    pthread_mutex_lock(&s->mutex);
    grown = (char *)realloc(s->log, s->log_size + n + 2);
    if (grown != NULL) {
        s->log = grown;
        memcpy(s->log + s->log_size, message, n);
        s->log[s->log_size + n] = '\n';
        s->log[s->log_size + n + 1] = '\0';
        s->log_size += n + 1;
        ++s->log_lines;
    }
    pthread_mutex_unlock(&s->mutex);
    (void)level;
}

static int on_refresh(const calbridge_credentials *credentials, void *userdata) {
    struct seen *s = (struct seen *)userdata;
    pthread_mutex_lock(&s->mutex);
    if (calbridge_credentials_access_token(credentials)[0] != '\0') ++s->refreshes;
    pthread_mutex_unlock(&s->mutex);
    return 0;
}

static void on_reauthorization_required(const char *account, void *userdata) {
    struct seen *s = (struct seen *)userdata;
    pthread_mutex_lock(&s->mutex);
    snprintf(s->reauthorize, sizeof s->reauthorize, "%s", account);
    ++s->reauthorizations;
    pthread_mutex_unlock(&s->mutex);
}

static void destroy_seen(void *userdata) { ++((struct seen *)userdata)->destroyed; }

/* ---- secrets that must never be logged ----------------------------------------------------- */

#define MAX_SECRETS 32
static char *secrets[MAX_SECRETS];
static int secret_count;

static void remember_secrets(const calbridge_credentials *c) {
    const char *tokens[2];
    int i;
    tokens[0] = calbridge_credentials_access_token(c);
    tokens[1] = calbridge_credentials_refresh_token(c);
    for (i = 0; i < 2; ++i) {
        if (tokens[i] != NULL && tokens[i][0] != '\0' && secret_count < MAX_SECRETS) {
            secrets[secret_count++] = strdup(tokens[i]);
        }
    }
}

/* ---- helpers ------------------------------------------------------------------------------ */

static int contains(const char *text, const char *part) { return text != NULL && strstr(text, part) != NULL; }

/* Connects the sandbox user through `client`: link, consent, redirect back. `account`: the
 * application's key for a reply that names no account (NULL: none); the sandbox's replies name
 * one, which wins. */
static calbridge_credentials *connect_user(struct sandbox *sb, calbridge_client *client, const char *scope, int pkce,
                                           const char *account) {
    calbridge_authorization_options ao = CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
    calbridge_authorization *authorization = NULL;
    calbridge_credentials *credentials = NULL;
    char *redirect;
    ao.pkce = pkce;
    CHECK_OK(calbridge_authorization_new(&authorization, client, SANDBOX_REDIRECT_URI, scope, &ao));
    if (authorization == NULL) return NULL;
    redirect = sandbox_consent(sb, calbridge_authorization_url(authorization), SANDBOX_USER, "approve");
    CHECK(redirect != NULL);
    if (redirect != NULL) {
        CHECK(contains(redirect, calbridge_authorization_state(authorization)));
        if (account == NULL) {
            CHECK_OK(calbridge_client_complete_authorization(&credentials, client, authorization, redirect, NULL));
        } else {
            CHECK_OK(calbridge_client_complete_authorization_for_account(&credentials, client, authorization, redirect,
                                                                         account, NULL));
        }
    }
    free(redirect);
    calbridge_authorization_free(authorization);
    if (credentials != NULL) remember_secrets(credentials);
    return credentials;
}

static int count_items(const char *json_array) {
    /* Items are objects: count the top-level ones. */
    int depth = 0, items = 0, in_string = 0;
    const char *p;
    for (p = json_array; *p != '\0'; ++p) {
        if (in_string) {
            if (*p == '\\' && p[1] != '\0') ++p;
            else if (*p == '"') in_string = 0;
        } else if (*p == '"') {
            in_string = 1;
        } else if (*p == '{') {
            if (depth++ == 1) ++items;
        } else if (*p == '}') {
            --depth;
        } else if (*p == '[' && depth == 0) {
            depth = 1;
        } else if (*p == ']' && depth == 1) {
            depth = 0;
        }
    }
    return items;
}

/* ---- one session, many threads ------------------------------------------------------------ */

#define THREADS 8

struct worker {
    calbridge_session *session;
    pthread_barrier_t *start;
    int rc;
};

static void *call_calendars(void *arg) {
    struct worker *w = (struct worker *)arg;
    char *json = NULL;
    pthread_barrier_wait(w->start);
    w->rc = calbridge_session_calendars(&json, w->session, NULL);
    calbridge_free(json);
    return NULL;
}

/* Eight threads share one session whose token the server no longer accepts: every call
 * succeeds, with exactly one refresh. */
static void one_refresh_for_many_threads(struct sandbox *sb, calbridge_session *session, const char *account) {
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    pthread_barrier_t start;
    long before = sandbox_counter(sb, "refresh_token");
    int i;
    CHECK_OK(sandbox_expire_tokens(sb, account));
    pthread_barrier_init(&start, NULL, THREADS);
    for (i = 0; i < THREADS; ++i) {
        workers[i].session = session;
        workers[i].start = &start;
        workers[i].rc = -1000;
        pthread_create(&threads[i], NULL, call_calendars, &workers[i]);
    }
    for (i = 0; i < THREADS; ++i) {
        pthread_join(threads[i], NULL);
        CHECK_RC(CALBRIDGE_OK, workers[i].rc);
    }
    pthread_barrier_destroy(&start);
    CHECK(sandbox_counter(sb, "refresh_token") == before + 1);
}

static void remove_directory(const char *directory);

/* ---- two clients (as two processes would) on one leasing store ------------------------------ */

struct client_worker {
    calbridge_client *client;
    const char *account;
    pthread_barrier_t *start;
    int rc;
};

static void *client_calls_calendars(void *arg) {
    struct client_worker *w = (struct client_worker *)arg;
    calbridge_session *session = NULL;
    char *json = NULL;
    w->rc = calbridge_session_new(&session, w->client, w->account);
    pthread_barrier_wait(w->start);
    if (w->rc == CALBRIDGE_OK) w->rc = calbridge_session_calendars(&json, session, NULL);
    calbridge_free(json);
    calbridge_session_free(session);
    return NULL;
}

/* Clients share nothing in memory: only the store's lease keeps them from refreshing the same
 * account twice (with rotation, the second refresh would present a spent refresh token). */
static void two_clients_refresh_once_through_the_lease(struct sandbox *sb) {
    struct c_store store;
    calbridge_token_store callbacks[2];
    calbridge_client_options o = sandbox_client_options(sb);
    calbridge_client *clients[2] = {NULL, NULL};
    calbridge_credentials *credentials = NULL;
    struct client_worker workers[2];
    pthread_t threads[2];
    pthread_barrier_t start;
    char account[64];
    long before;
    int i;

    c_store_init(&store);
    callbacks[0] = c_store_callbacks(&store);
    callbacks[1] = callbacks[0];
    callbacks[1].userdata_free = NULL; /* one userdata, one destructor */
    o.lease_poll_interval_ms = 5;
    for (i = 0; i < 2; ++i) {
        o.token_store = &callbacks[i];
        CHECK_OK(calbridge_client_new(&clients[i], sb->client_id, sb->client_secret, &o));
    }
    if (clients[0] != NULL && clients[1] != NULL) credentials = connect_user(sb, clients[0], "list_calendars", 0, NULL);
    if (credentials != NULL) {
        snprintf(account, sizeof account, "%s", calbridge_credentials_account_key(credentials));
        CHECK_OK(sandbox_expire_tokens(sb, account));
        before = sandbox_counter(sb, "refresh_token");
        pthread_barrier_init(&start, NULL, 2);
        for (i = 0; i < 2; ++i) {
            workers[i].client = clients[i];
            workers[i].account = account;
            workers[i].start = &start;
            workers[i].rc = -1000;
            pthread_create(&threads[i], NULL, client_calls_calendars, &workers[i]);
        }
        for (i = 0; i < 2; ++i) {
            pthread_join(threads[i], NULL);
            CHECK_RC(CALBRIDGE_OK, workers[i].rc);
        }
        pthread_barrier_destroy(&start);
        CHECK(sandbox_counter(sb, "refresh_token") == before + 1);
        CHECK(store.grants == 1 && c_store_epoch(&store, account) == 1);
        CHECK(c_store_version(&store, account) == 2);
    }
    calbridge_credentials_free(credentials);
    for (i = 0; i < 2; ++i) calbridge_client_free(clients[i]);
    CHECK(store.destroyed == 1);
    c_store_clear(&store);
}

/* A store of version 1 works as it always did: no lease callback exists to be called. */
static void version_1_store_refreshes_without_lease(struct sandbox *sb) {
    struct c_store store;
    calbridge_token_store callbacks;
    calbridge_client_options o = sandbox_client_options(sb);
    calbridge_client *client = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_session *session = NULL;
    char *json = NULL;
    long before;

    c_store_init(&store);
    callbacks = c_store_callbacks_v1(&store);
    o.token_store = &callbacks;
    REQUIRE_OK(calbridge_client_new(&client, sb->client_id, sb->client_secret, &o));
    credentials = connect_user(sb, client, "list_calendars", 0, NULL);
    if (credentials != NULL) {
        CHECK_OK(calbridge_session_new(&session, client, calbridge_credentials_account_key(credentials)));
        CHECK_OK(sandbox_expire_tokens(sb, calbridge_credentials_account_key(credentials)));
        before = sandbox_counter(sb, "refresh_token");
        CHECK_OK(calbridge_session_calendars(&json, session, NULL));
        CHECK(sandbox_counter(sb, "refresh_token") == before + 1);
        CHECK(store.saves == 1 && c_store_version(&store, calbridge_credentials_account_key(credentials)) == 2);
        CHECK(store.claims == 0 && store.renews == 0 && store.releases == 0 && store.marks == 0 && store.waits == 0);
    }
    calbridge_free(json);
    calbridge_session_free(session);
    calbridge_credentials_free(credentials);
    calbridge_client_free(client);
    CHECK(store.destroyed == 1);
    c_store_clear(&store);
}

/* token_store_name "sqlite:PATH": the refreshed credentials are in the database for the next
 * client (a next process) that opens it by the same name. */
static void sqlite_store_by_name(struct sandbox *sb) {
    char directory[] = "/tmp/calbridge-capi-sqlite-XXXXXX";
    char name[256];
    calbridge_client_options o = sandbox_client_options(sb);
    calbridge_client *client = NULL, *later = NULL;
    calbridge_credentials *credentials = NULL, *current = NULL, *stored = NULL;
    calbridge_session *session = NULL, *later_session = NULL;
    char *json = NULL;
    long before;

    if (mkdtemp(directory) == NULL) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(name, sizeof name, "sqlite:%s/credentials.db", directory);
    o.token_store_name = name;
    REQUIRE_OK(calbridge_client_new(&client, sb->client_id, sb->client_secret, &o));
    credentials = connect_user(sb, client, "list_calendars", 0, NULL);
    if (credentials != NULL) {
        CHECK_OK(calbridge_session_new(&session, client, calbridge_credentials_account_key(credentials)));
        CHECK_OK(sandbox_expire_tokens(sb, calbridge_credentials_account_key(credentials)));
        before = sandbox_counter(sb, "refresh_token");
        CHECK_OK(calbridge_session_calendars(&json, session, NULL));
        CHECK(sandbox_counter(sb, "refresh_token") == before + 1);
        CHECK_OK(calbridge_session_credentials(&current, session, NULL));

        CHECK_OK(calbridge_client_new(&later, sb->client_id, sb->client_secret, &o));
        CHECK_OK(calbridge_session_new(&later_session, later, calbridge_credentials_account_key(credentials)));
        CHECK_OK(calbridge_session_credentials(&stored, later_session, NULL));
        if (current != NULL && stored != NULL) {
            remember_secrets(current);
            CHECK(strcmp(calbridge_credentials_refresh_token(stored), calbridge_credentials_refresh_token(current)) == 0);
            CHECK(strcmp(calbridge_credentials_refresh_token(stored), calbridge_credentials_refresh_token(credentials)) != 0);
        }
        CHECK(sandbox_counter(sb, "refresh_token") == before + 1);
    }
    calbridge_free(json);
    calbridge_session_free(later_session);
    calbridge_session_free(session);
    calbridge_credentials_free(stored);
    calbridge_credentials_free(current);
    calbridge_credentials_free(credentials);
    calbridge_client_free(later);
    calbridge_client_free(client);
    remove_directory(directory);
}

/* ---- the flow ---------------------------------------------------------------------------- */

/* PKCE: on with NULL options and with `pkce` unset, off only with CALBRIDGE_FALSE; a version 1
 * struct keeps version 1's meaning (0: off). */
static int link_has_pkce(calbridge_client *client, const calbridge_authorization_options *ao) {
    calbridge_authorization *a = NULL;
    int with;
    CHECK_OK(calbridge_authorization_new(&a, client, SANDBOX_REDIRECT_URI, "read_account", ao));
    if (a == NULL) return -1; /* neither answer: every CHECK on it fails */
    with = calbridge_authorization_code_verifier(a) != NULL;
    CHECK(with == contains(calbridge_authorization_url(a), "code_challenge_method=S256"));
    calbridge_authorization_free(a);
    return with;
}

static void pkce_defaults(calbridge_client *client) {
    calbridge_authorization_options ao = CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
    calbridge_authorization *bad = NULL;
    CHECK(link_has_pkce(client, NULL) == 1);
    CHECK(link_has_pkce(client, &ao) == 1);
    ao.pkce = CALBRIDGE_TRUE;
    CHECK(link_has_pkce(client, &ao) == 1);
    ao.pkce = CALBRIDGE_FALSE;
    CHECK(link_has_pkce(client, &ao) == 0);
    ao.pkce = 7;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_authorization_new(&bad, client, SANDBOX_REDIRECT_URI, "read_account", &ao));
    CHECK(bad == NULL);
    REQUIRE_OK(calbridge_authorization_options_init(&ao, 1));
    CHECK(ao.version == 1);
    CHECK(link_has_pkce(client, &ao) == 0);
    ao.pkce = 1;
    CHECK(link_has_pkce(client, &ao) == 1);
}

static void authorization_link(calbridge_client *client, const struct sandbox *sb) {
    calbridge_authorization_options ao = CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
    calbridge_authorization *a = NULL;
    ao.pkce = 1;
    ao.avoid_linking = CALBRIDGE_TRUE;
    ao.provider_name = "google";
    REQUIRE_OK(calbridge_authorization_new(&a, client, SANDBOX_REDIRECT_URI, "read_account list_calendars", &ao));
    CHECK(strncmp(calbridge_authorization_url(a), sb->app_url, strlen(sb->app_url)) == 0);
    CHECK(contains(calbridge_authorization_url(a), "/oauth/authorize?"));
    CHECK(contains(calbridge_authorization_url(a), "scope=read_account%20list_calendars"));
    CHECK(contains(calbridge_authorization_url(a), "code_challenge_method=S256"));
    CHECK(contains(calbridge_authorization_url(a), "avoid_linking=true"));
    CHECK(contains(calbridge_authorization_url(a), "provider_name=google"));
    CHECK(strlen(calbridge_authorization_state(a)) >= 22);
    CHECK(strcmp(calbridge_authorization_redirect_uri(a), SANDBOX_REDIRECT_URI) == 0);
    CHECK(calbridge_authorization_code_verifier(a) != NULL && strlen(calbridge_authorization_code_verifier(a)) >= 43);
    CHECK(!contains(calbridge_authorization_url(a), calbridge_authorization_code_verifier(a)));
    calbridge_authorization_free(a);
}

static void calendar_calls(calbridge_session *session) {
    char *json = NULL;
    calbridge_query_param params[2];

    CHECK_OK(calbridge_session_calendars(&json, session, NULL));
    CHECK(json != NULL && json[0] == '[' && contains(json, "\"cal_sandbox_primary\""));
    calbridge_free(json);
    json = NULL;

    CHECK_OK(calbridge_session_account(&json, session, NULL));
    CHECK(json != NULL && json[0] == '{' && contains(json, "\"account_id\":\"" SANDBOX_USER "\""));
    calbridge_free(json);
    json = NULL;

    CHECK_OK(calbridge_session_userinfo(&json, session, NULL));
    CHECK(contains(json, "\"sub\""));
    calbridge_free(json);
    json = NULL;

    CHECK_OK(calbridge_session_profiles(&json, session, NULL));
    CHECK(json != NULL && json[0] == '[' && contains(json, "\"profile_id\""));
    calbridge_free(json);
    json = NULL;

    /* The generic request: a path with query parameters, and an absolute URL on the API host. */
    params[0].key = "tzid";
    params[0].value = "Etc/UTC";
    params[1].key = "calendar_ids[]";
    params[1].value = "cal_sandbox_primary";
    CHECK_OK(calbridge_session_request(&json, session, "GET", "/v1/events", params, 2, NULL, NULL));
    CHECK(contains(json, "\"events\""));
    calbridge_free(json);
    json = NULL;

    CHECK_OK(calbridge_session_create_link_token(&json, session, NULL));
    CHECK(json != NULL && strlen(json) > 8);
    calbridge_free(json);
}

static void pages_of_events_and_free_busy(calbridge_session *session) {
    calbridge_events_query query = CALBRIDGE_EVENTS_QUERY_INIT;
    calbridge_pages *pages = NULL;
    char from[11], to[11];
    char *page = NULL;
    int rc, page_count = 0, items = 0, current = -1, total = -1;

    date_from_today(from, -1);
    date_from_today(to, 60);
    query.from = from;
    query.to = to;
    query.include_managed = CALBRIDGE_TRUE;
    REQUIRE_OK(calbridge_session_events(&pages, session, &query, NULL));
    CHECK_OK(calbridge_pages_position(&current, &total, pages));
    CHECK(current == 0 && total == 0);
    while ((rc = calbridge_pages_next(&page, pages)) == CALBRIDGE_OK) {
        ++page_count;
        CHECK(page[0] == '[');
        items += count_items(page);
        calbridge_free(page);
        page = NULL;
        CHECK_OK(calbridge_pages_position(&current, NULL, pages));
        CHECK(current == page_count);
    }
    CHECK_RC(CALBRIDGE_DONE, rc);
    CHECK(page == NULL);
    CHECK_RC(CALBRIDGE_DONE, calbridge_pages_next(&page, pages)); /* stays done */
    CHECK_OK(calbridge_pages_position(NULL, &total, pages));
    printf("events: %d items on %d pages (the sandbox said %d)\n", items, page_count, total);
    CHECK(page_count >= 2 && total == page_count);
    CHECK(items > 4);
    calbridge_pages_free(pages);

    pages = NULL;
    page_count = 0;
    REQUIRE_OK(calbridge_session_free_busy(&pages, session, &query, NULL));
    while ((rc = calbridge_pages_next(&page, pages)) == CALBRIDGE_OK) {
        ++page_count;
        CHECK(contains(page, "\"free_busy_status\""));
        calbridge_free(page);
    }
    CHECK_RC(CALBRIDGE_DONE, rc);
    CHECK(page_count >= 1);
    calbridge_pages_free(pages);
}

static int event_listed(calbridge_session *session, const char *event_id, const char *from, const char *to) {
    calbridge_events_query query = CALBRIDGE_EVENTS_QUERY_INIT;
    const char *calendars[1];
    calbridge_pages *pages = NULL;
    char *page = NULL;
    char needle[128];
    int found = 0;
    calendars[0] = "cal_sandbox_primary";
    query.from = from;
    query.to = to;
    query.calendar_ids = calendars;
    query.calendar_id_count = 1;
    query.only_managed = CALBRIDGE_TRUE;
    snprintf(needle, sizeof needle, "\"event_id\":\"%s\"", event_id);
    if (calbridge_session_events(&pages, session, &query, NULL) != CALBRIDGE_OK) return -1;
    while (calbridge_pages_next(&page, pages) == CALBRIDGE_OK) {
        found |= contains(page, needle);
        calbridge_free(page);
    }
    calbridge_pages_free(pages);
    return found;
}

static void upsert_and_delete(calbridge_session *session) {
    char from[11], day[11], to[11], event[512];
    date_from_today(from, 1);
    date_from_today(day, 2);
    date_from_today(to, 4);
    snprintf(event, sizeof event,
             "{\"event_id\": \"capi-flow-1\", \"summary\": \"Planned from C\", \"description\": \"calbridge C API\", "
             "\"start\": \"%sT10:00:00Z\", \"end\": \"%sT11:00:00Z\", \"location\": {\"description\": \"Room 1\"}}",
             day, day);
    CHECK_OK(calbridge_session_upsert_event(session, "cal_sandbox_primary", event, NULL));
    CHECK(event_listed(session, "capi-flow-1", from, to) == 1);
    CHECK_OK(calbridge_session_delete_event(session, "cal_sandbox_primary", "capi-flow-1", NULL));
    CHECK(event_listed(session, "capi-flow-1", from, to) == 0);
}

static void credentials_json_round_trip(const calbridge_credentials *credentials) {
    char *json = NULL, *again = NULL, *summary = NULL;
    calbridge_credentials *copy = NULL, *read = NULL;
    int64_t expires_at = 0;
    REQUIRE_OK(calbridge_credentials_to_json(&json, credentials));
    CHECK(contains(json, "\"format\":1"));
    REQUIRE_OK(calbridge_credentials_from_json(&read, json));
    CHECK(strcmp(calbridge_credentials_access_token(read), calbridge_credentials_access_token(credentials)) == 0);
    CHECK(strcmp(calbridge_credentials_refresh_token(read), calbridge_credentials_refresh_token(credentials)) == 0);
    CHECK(strcmp(calbridge_credentials_account_key(read), SANDBOX_USER) == 0);
    CHECK(strcmp(calbridge_credentials_scope(read), calbridge_credentials_scope(credentials)) == 0);
    CHECK_OK(calbridge_credentials_copy(&copy, read));
    CHECK_OK(calbridge_credentials_to_json(&again, copy));
    CHECK(again != NULL && strcmp(json, again) == 0);
    CHECK_OK(calbridge_credentials_expires_at(&expires_at, copy));
    CHECK(expires_at > (int64_t)time(NULL) && expires_at <= (int64_t)time(NULL) + 3600);
    CHECK_OK(calbridge_credentials_describe(&summary, copy));
    CHECK(contains(summary, SANDBOX_USER));
    CHECK(!contains(summary, calbridge_credentials_access_token(copy)));
    CHECK(!contains(summary, calbridge_credentials_refresh_token(copy)));
    calbridge_free(json);
    calbridge_free(again);
    calbridge_free(summary);
    calbridge_credentials_free(copy);
    calbridge_credentials_free(read);
}

/* The one credentials file (*.json) in `directory` (its full path into `out`); 0 when there is
 * not exactly one. The file store also keeps a .lock file per account. */
static int only_json_file(const char *directory, char *out, size_t size) {
    DIR *dir = opendir(directory);
    struct dirent *e;
    int files = 0;
    size_t n;
    if (dir == NULL) return 0;
    while ((e = readdir(dir)) != NULL) {
        n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
            snprintf(out, size, "%s/%s", directory, e->d_name);
            ++files;
        }
    }
    closedir(dir);
    return files == 1;
}

static void remove_directory(const char *directory) {
    DIR *dir = opendir(directory);
    struct dirent *e;
    char path[512];
    if (dir == NULL) return;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", directory, e->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(directory);
}

static void file_store_and_revoke_by_sub(struct sandbox *sb) {
    char directory[] = "/tmp/calbridge-capi-flow-XXXXXX";
    char file[512];
    calbridge_client_options o = sandbox_client_options(sb);
    calbridge_client *client = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_session *session = NULL;
    char *json = NULL;
    struct stat st;
    int removed = -1;

    if (mkdtemp(directory) == NULL) {
        CHECK(!"mkdtemp");
        return;
    }
    o.token_store_directory = directory;
    REQUIRE_OK(calbridge_client_new(&client, sb->client_id, sb->client_secret, &o));
    credentials = connect_user(sb, client, "read_account", 0, NULL);
    if (credentials != NULL) {
        /* The file store wrote one file, readable by its owner only. */
        CHECK(only_json_file(directory, file, sizeof file) && stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);
        CHECK_OK(calbridge_session_new(&session, client, calbridge_credentials_account_key(credentials)));
        CHECK_OK(calbridge_session_account(&json, session, NULL));
        calbridge_free(json);
        json = NULL;

        /* Revoking by sub ends the grant: the session's next call finds reauthorization required. */
        CHECK_OK(calbridge_client_revoke_sub(client, calbridge_credentials_sub(credentials), NULL));
        CHECK_OK(sandbox_expire_tokens(sb, calbridge_credentials_account_key(credentials)));
        CHECK_RC(CALBRIDGE_EINVALID_GRANT, calbridge_session_account(&json, session, NULL));
        CHECK_OK(calbridge_client_forget_account(&removed, client, calbridge_credentials_account_key(credentials)));
        CHECK(removed == 1);
        CHECK(!only_json_file(directory, file, sizeof file));
    }
    calbridge_session_free(session);
    calbridge_credentials_free(credentials);
    calbridge_client_free(client);
    remove_directory(directory);
}

int main(void) {
    struct sandbox sb;
    struct c_store store;
    struct seen seen;
    calbridge_token_store callbacks;
    calbridge_client_options o;
    calbridge_client *client = NULL;
    calbridge_credentials *credentials = NULL, *current = NULL, *refreshed = NULL;
    calbridge_session *session = NULL;
    const char *redirect_uris[1];
    char *json = NULL;
    char account[64];
    long refresh_requests;
    int removed = -1, i;

    if (sandbox_open(&sb) != 0) return 2;
    if (sandbox_admin(&sb, "POST", "/admin/reset", NULL, NULL) != CALBRIDGE_OK ||
        sandbox_admin(&sb, "PATCH", "/admin/settings", "{\"page_size\": 4}", NULL) != CALBRIDGE_OK) {
        return 2;
    }

    c_store_init(&store);
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.mutex, NULL);
    callbacks = c_store_callbacks(&store);
    redirect_uris[0] = SANDBOX_REDIRECT_URI;
    o = sandbox_client_options(&sb);
    o.redirect_uris = redirect_uris;
    o.redirect_uri_count = 1;
    o.token_store = &callbacks;
    o.log = log_sink;
    o.log_level = CALBRIDGE_LOG_TRACE;
    o.log_userdata = &seen;
    o.log_userdata_free = destroy_seen;
    o.on_refresh = on_refresh;
    o.on_refresh_userdata = &seen;
    o.on_reauthorization_required = on_reauthorization_required;
    o.on_reauthorization_required_userdata = &seen;
    o.initial_backoff_ms = 10;
    o.max_backoff_ms = 50;
    if (calbridge_client_new(&client, sb.client_id, sb.client_secret, &o) != CALBRIDGE_OK) {
        fprintf(stderr, "client: %s\n", calbridge_error_last()->message);
        return 1;
    }

    /* 1. The link, the consent, the redirect back: credentials, written to the C store. */
    authorization_link(client, &sb);
    pkce_defaults(client);
    /* The application's key is ignored: the sandbox's reply names the account, and that wins. */
    credentials = connect_user(&sb, client, SANDBOX_ALL_SCOPES, 1, "application-chosen-key");
    if (credentials == NULL) return check_summary("flow");
    snprintf(account, sizeof account, "%s", calbridge_credentials_account_key(credentials));
    CHECK(strcmp(account, SANDBOX_USER) == 0);
    CHECK(strcmp(calbridge_credentials_account_id(credentials), SANDBOX_USER) == 0);
    CHECK(strcmp(calbridge_credentials_token_type(credentials), "bearer") == 0);
    CHECK(contains(calbridge_credentials_scope(credentials), "list_calendars"));
    CHECK(calbridge_credentials_profile_id(credentials) != NULL);
    CHECK(calbridge_credentials_extra_json(credentials) != NULL);
    CHECK(store.replaces == 1 && c_store_version(&store, account) == 1);

    /* 2. A session for the account: its credentials come from the C store. */
    if (calbridge_session_new(&session, client, account) != CALBRIDGE_OK) return check_summary("flow");
    CHECK(strcmp(calbridge_session_account_key(session), account) == 0);
    calendar_calls(session);
    CHECK(store.loads >= 1);
    pages_of_events_and_free_busy(session);
    upsert_and_delete(session);
    credentials_json_round_trip(credentials);

    /* 3. The access token expires: the next call refreshes once, saves to the store first. */
    refresh_requests = sandbox_counter(&sb, "refresh_token");
    CHECK_OK(sandbox_expire_tokens(&sb, account));
    CHECK_OK(calbridge_session_calendars(&json, session, NULL));
    calbridge_free(json);
    json = NULL;
    CHECK(sandbox_counter(&sb, "refresh_token") == refresh_requests + 1);
    CHECK(store.saves == 1 && c_store_version(&store, account) == 2);
    /* Under the store's lease: claimed once, and ended by the save (the epoch stays). */
    CHECK(store.grants == 1 && c_store_epoch(&store, account) == 1);
    CHECK(seen.refreshes == 1);
    one_refresh_for_many_threads(&sb, session, account);
    CHECK(store.saves == 2 && c_store_version(&store, account) == 3);
    CHECK_OK(calbridge_session_credentials(&current, session, NULL));
    if (current != NULL) {
        remember_secrets(current);
        CHECK(strcmp(calbridge_credentials_access_token(current), calbridge_credentials_access_token(credentials)) != 0);

        /* 4. The token endpoint alone: a refresh that touches no store, then revoke. */
        CHECK_OK(calbridge_client_refresh(&refreshed, client, current, NULL));
        if (refreshed != NULL) {
            remember_secrets(refreshed);
            CHECK(strcmp(calbridge_credentials_account_key(refreshed), account) == 0);
            CHECK(c_store_version(&store, account) == 3);
            CHECK_OK(calbridge_client_revoke(client, refreshed, NULL));
        }
    }

    /* 5. The grant is gone: reauthorization required, the hook told, the store kept. */
    CHECK_OK(sandbox_expire_tokens(&sb, account));
    CHECK_RC(CALBRIDGE_EINVALID_GRANT, calbridge_session_calendars(&json, session, NULL));
    CHECK(strcmp(calbridge_error_last()->oauth_error, "invalid_grant") == 0 || calbridge_error_last()->oauth_error[0] == '\0');
    CHECK(seen.reauthorizations == 1 && strcmp(seen.reauthorize, account) == 0);
    /* The store marks the account, so that every process fails fast. */
    CHECK(store.marks >= 1 && c_store_marked(&store, account) == 1);
    CHECK_OK(calbridge_client_forget_account(&removed, client, account));
    CHECK(removed == 1);
    CHECK_OK(calbridge_client_forget_account(NULL, client, account));

    /* 6. Another client with the file store; revoke by sub. */
    file_store_and_revoke_by_sub(&sb);

    /* 7. Stores: two clients on one leasing store, a store of version 1, SQLite by name. */
    two_clients_refresh_once_through_the_lease(&sb);
    version_1_store_refreshes_without_lease(&sb);
    sqlite_store_by_name(&sb);

    /* 8. Userdata lives until the client and the session are both gone. */
    calbridge_client_free(client);
    CHECK(store.destroyed == 0 && seen.destroyed == 0);
    calbridge_session_free(session);
    CHECK(store.destroyed == 1 && seen.destroyed == 1);

    /* 9. Nothing secret reached the log. */
    printf("flow: %d log lines, %d secrets checked\n", seen.log_lines, secret_count);
    CHECK(seen.log_lines > 10);
    for (i = 0; i < secret_count; ++i) {
        if (contains(seen.log, secrets[i])) {
            fprintf(stderr, "a token appears in the log\n");
            CHECK(!"no secret in the log");
        }
        free(secrets[i]);
    }

    calbridge_credentials_free(refreshed);
    calbridge_credentials_free(current);
    calbridge_credentials_free(credentials);
    free(seen.log);
    pthread_mutex_destroy(&seen.mutex);
    c_store_clear(&store);
    sandbox_close(&sb);
    return check_summary("flow");
}
