/* Cancellation: a call blocked on a silent server returns CALBRIDGE_ECANCELLED within 100 ms
 * of calbridge_cancel_trigger() from another thread. The server is a loopback socket that
 * accepts, reads the whole request and never answers: the cancel comes only once the request
 * has been received, so the call is waiting for a reply when it is cancelled. */
#define _POSIX_C_SOURCE 200809L

#include "check.h"

#include <calbridge.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CANCEL_BUDGET_MS 100.0

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* A listening socket on 127.0.0.1; nothing it accepts is ever answered. */
static int silent_listener(int *port) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

/* Waits until a connection is pending (the client has connected and is writing or waiting). */
static int wait_for_connection(int fd) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 20000) == 1;
}

/* Accepts the pending connection and reads one whole request from it: the head, then as many
 * body bytes as its Content-Length says. Returns the connection (the caller closes it), or -1
 * when no complete request arrived within 20 s. */
static int accept_request(int listener) {
    char buf[8192];
    size_t used = 0;
    const char *head_end = NULL;
    long content_length = 0;
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) return -1;
    for (;;) {
        struct pollfd p;
        ssize_t n;
        if (head_end != NULL && used >= (size_t)(head_end + 4 - buf) + (size_t)content_length) return conn;
        if (used == sizeof buf - 1) break;
        p.fd = conn;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, 20000) != 1) break;
        n = read(conn, buf + used, sizeof buf - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
        buf[used] = '\0';
        if (head_end == NULL && (head_end = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = strstr(buf, "Content-Length: ");
            if (cl == NULL || cl > head_end) cl = strstr(buf, "content-length: ");
            if (cl != NULL && cl < head_end) content_length = strtol(cl + 16, NULL, 10);
        }
    }
    close(conn);
    return -1;
}

/* Accepts and closes whatever is pending, so the next case starts from an empty queue. */
static void drain(int fd) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    while (poll(&p, 1, 0) == 1) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) break;
        close(c);
    }
}

enum call_kind { EXCHANGE_CODE, SESSION_REQUEST, PAGES_NEXT };

struct blocked_call {
    enum call_kind kind;
    calbridge_client *client;
    calbridge_session *session;
    calbridge_pages *pages;
    calbridge_call_options options;
    int rc;
    double returned_at;
    char message[256];
};

static void *run_call(void *arg) {
    struct blocked_call *call = (struct blocked_call *)arg;
    calbridge_credentials *credentials = NULL;
    char *json = NULL;
    switch (call->kind) {
        case EXCHANGE_CODE:
            call->rc = calbridge_client_exchange_code(&credentials, call->client, "code", "http://localhost:8080/cb",
                                                      NULL, &call->options);
            break;
        case SESSION_REQUEST:
            call->rc = calbridge_session_request(&json, call->session, "GET", "/v1/calendars", NULL, 0, NULL,
                                                 &call->options);
            break;
        case PAGES_NEXT:
            call->rc = calbridge_pages_next(&json, call->pages);
            break;
    }
    call->returned_at = now_ms();
    /* The record is thread-local: read it on this thread. */
    snprintf(call->message, sizeof call->message, "%s", calbridge_error_last()->message);
    calbridge_credentials_free(credentials);
    calbridge_free(json);
    return NULL;
}

static void cancel_blocked(int listener, struct blocked_call *call, const char *name) {
    pthread_t thread;
    double triggered_at, elapsed;
    int triggered = 0;
    int conn;
    if (pthread_create(&thread, NULL, run_call, call) != 0) {
        CHECK(!"pthread_create");
        return;
    }
    CHECK(wait_for_connection(listener));
    conn = accept_request(listener); /* the whole request is here: the call now waits for a reply */
    CHECK(conn >= 0);
    CHECK_OK(calbridge_cancel_is_triggered(&triggered, call->options.cancel));
    CHECK(triggered == 0);
    triggered_at = now_ms();
    CHECK_OK(calbridge_cancel_trigger(call->options.cancel));
    pthread_join(thread, NULL);
    elapsed = call->returned_at - triggered_at;
    printf("%s: returned %d (%s) %.1f ms after the cancel: %s\n", name, call->rc,
           calbridge_error_code_name(call->rc), elapsed, call->message);
    CHECK(call->rc == CALBRIDGE_ECANCELLED);
    CHECK(elapsed < CANCEL_BUDGET_MS);
    if (conn >= 0) close(conn);
    drain(listener);
}

int main(void) {
    int port = 0;
    int listener = silent_listener(&port);
    char url[64];
    calbridge_client_options options = CALBRIDGE_CLIENT_OPTIONS_INIT;
    calbridge_client *client = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_session *session = NULL;
    struct blocked_call call;
    calbridge_cancel *cancel = NULL;
    calbridge_call_options call_options = CALBRIDGE_CALL_OPTIONS_INIT;
    calbridge_pages *pages = NULL;
    char *json = NULL;
    double started;

    if (listener < 0) {
        perror("silent listener");
        return 2;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    options.api_url = url;
    options.app_url = url;
    options.request_timeout_ms = 60000; /* the cancel, not a timeout, must end the calls */
    CHECK_OK(calbridge_client_new(&client, "client-id", "client-secret", &options));
    CHECK_OK(calbridge_credentials_from_json(&credentials, "{\"access_token\": \"at\", \"account_id\": \"acc\"}"));
    CHECK_OK(calbridge_session_new_with_credentials(&session, client, credentials));

    /* A code exchange (the token endpoint). */
    memset(&call, 0, sizeof call);
    call.kind = EXCHANGE_CODE;
    call.client = client;
    call.options = call_options;
    CHECK_OK(calbridge_cancel_new(&call.options.cancel));
    cancel_blocked(listener, &call, "exchange_code");
    calbridge_cancel_free(call.options.cancel);

    /* A calendar API call through a session. */
    memset(&call, 0, sizeof call);
    call.kind = SESSION_REQUEST;
    call.session = session;
    call.options = call_options;
    CHECK_OK(calbridge_cancel_new(&call.options.cancel));
    cancel_blocked(listener, &call, "session_request");
    calbridge_cancel_free(call.options.cancel);

    /* A page fetch: the iterator keeps its own reference to the cancel handle. */
    memset(&call, 0, sizeof call);
    call.kind = PAGES_NEXT;
    CHECK_OK(calbridge_cancel_new(&cancel));
    call_options.cancel = cancel;
    CHECK_OK(calbridge_session_events(&pages, session, NULL, &call_options));
    call.pages = pages;
    call.options = call_options;
    cancel_blocked(listener, &call, "pages_next");
    calbridge_pages_free(pages);
    calbridge_cancel_free(cancel);

    /* Cancelled before it starts: returns at once, nothing sent. */
    CHECK_OK(calbridge_cancel_new(&cancel));
    CHECK_OK(calbridge_cancel_trigger(cancel));
    CHECK_OK(calbridge_cancel_trigger(cancel)); /* idempotent */
    call_options.cancel = cancel;
    CHECK_RC(CALBRIDGE_ECANCELLED, calbridge_session_calendars(&json, session, &call_options));
    CHECK(json == NULL);
    calbridge_cancel_free(cancel);

    /* Without a cancel, the per-call deadline ends the wait: CALBRIDGE_ETIMEOUT. */
    call_options.cancel = NULL;
    call_options.timeout_ms = 300;
    started = now_ms();
    CHECK_RC(CALBRIDGE_ETIMEOUT, calbridge_session_calendars(&json, session, &call_options));
    printf("timeout: returned after %.1f ms (deadline 300 ms): %s\n", now_ms() - started,
           calbridge_error_last()->message);
    CHECK(now_ms() - started >= 290.0 && now_ms() - started < 2000.0);
    drain(listener);

    calbridge_session_free(session);
    calbridge_credentials_free(credentials);
    calbridge_client_free(client);
    close(listener);
    return check_summary("cancel");
}
