/* Push notifications in C99 against calbridge-sandbox: a loopback HTTP receiver (POSIX sockets,
 * one pthread) records each push's Cronofy-HMAC-SHA256 header and raw body; a channel to it is
 * created, its verification push arrives and is verified and parsed; an event upserted through
 * calbridge brings a change push whose changes_since, used as last_modified, reads the event
 * back; a tampered body and a wrong secret are refused; the channel is listed, then closed.
 * The main thread waits for each push on a condition variable with a generous deadline: no
 * sleeps. The client secret is never printed. */
#define _POSIX_C_SOURCE 200809L

#include "check.h"
#include "sandbox.h"

#include <calbridge.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_SECONDS 30
#define MAX_HEAD 16384
#define MAX_BODY (1024 * 1024)

/* ---- the loopback receiver ------------------------------------------------------------------ */

struct push {
    char *header; /* the Cronofy-HMAC-SHA256 value, or NULL when the request had none */
    char *body;   /* the raw body, NUL-terminated for convenience (body_len bytes) */
    size_t body_len;
    struct push *next;
};

struct receiver {
    int listener;
    unsigned short port;
    char url[64];
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t arrived;
    struct push *first, *last; /* FIFO of received pushes */
    int received;
    int stop;
};

static void push_free(struct push *p) {
    if (p == NULL) return;
    free(p->header);
    free(p->body);
    free(p);
}

static int send_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The value of header `name` in the head (lines after the request line), trimmed; malloc'd. */
static char *header_value(const char *head, const char *name) {
    const char *line = strstr(head, "\r\n");
    size_t name_len = strlen(name);
    while (line != NULL) {
        const char *end, *value;
        line += 2;
        end = strstr(line, "\r\n");
        if (end == NULL || end == line) break;
        if ((size_t)(end - line) > name_len && strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            char *out;
            size_t n;
            value = line + name_len + 1;
            while (value < end && (*value == ' ' || *value == '\t')) ++value;
            while (end > value && (end[-1] == ' ' || end[-1] == '\t')) --end;
            n = (size_t)(end - value);
            out = (char *)malloc(n + 1);
            if (out == NULL) return NULL;
            memcpy(out, value, n);
            out[n] = '\0';
            return out;
        }
        line = end;
    }
    return NULL;
}

/* Reads one HTTP/1.1 request with a Content-Length body; NULL on a malformed or cut request. */
static struct push *read_request(int fd) {
    char *buffer = (char *)malloc(MAX_HEAD + 1);
    size_t have = 0, head_len = 0, content_length;
    char *header_end = NULL, *length_text = NULL;
    struct push *p = NULL;
    char *stop = NULL;

    if (buffer == NULL) return NULL;
    while (header_end == NULL && have < MAX_HEAD) {
        ssize_t n = recv(fd, buffer + have, MAX_HEAD - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) goto fail;
        have += (size_t)n;
        buffer[have] = '\0';
        header_end = strstr(buffer, "\r\n\r\n");
    }
    if (header_end == NULL) goto fail;
    head_len = (size_t)(header_end - buffer) + 4;
    header_end[2] = '\0'; /* the head keeps its last "\r\n"; the body starts at head_len */

    length_text = header_value(buffer, "Content-Length");
    if (length_text == NULL) goto fail;
    content_length = (size_t)strtoul(length_text, &stop, 10);
    if (stop == length_text || *stop != '\0' || content_length > MAX_BODY) goto fail;

    p = (struct push *)calloc(1, sizeof *p);
    if (p == NULL) goto fail;
    p->header = header_value(buffer, CALBRIDGE_PUSH_SIGNATURE_HEADER);
    p->body = (char *)malloc(content_length + 1);
    if (p->body == NULL) goto fail;
    p->body_len = content_length;
    if (have - head_len > content_length) goto fail; /* more than one request: not expected */
    memcpy(p->body, buffer + head_len, have - head_len);
    have -= head_len;
    while (have < content_length) {
        ssize_t n = recv(fd, p->body + have, content_length - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) goto fail;
        have += (size_t)n;
    }
    p->body[content_length] = '\0';
    free(length_text);
    free(buffer);
    return p;

fail:
    push_free(p);
    free(length_text);
    free(buffer);
    return NULL;
}

static void *receiver_main(void *arg) {
    static const char reply[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    struct receiver *r = (struct receiver *)arg;
    for (;;) {
        struct timeval timeout;
        struct push *p;
        int stop;
        int fd = accept(r->listener, NULL, NULL);
        pthread_mutex_lock(&r->mutex);
        stop = r->stop;
        pthread_mutex_unlock(&r->mutex);
        if (stop) {
            if (fd >= 0) close(fd);
            break;
        }
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            break;
        }
        timeout.tv_sec = 10; /* a stalled sender cannot hold the receiver forever */
        timeout.tv_usec = 0;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        p = read_request(fd);
        if (p != NULL) {
            send_all(fd, reply, sizeof reply - 1);
            pthread_mutex_lock(&r->mutex);
            if (r->last != NULL) r->last->next = p;
            else r->first = p;
            r->last = p;
            ++r->received;
            pthread_cond_broadcast(&r->arrived);
            pthread_mutex_unlock(&r->mutex);
        }
        close(fd);
    }
    return NULL;
}

static int receiver_start(struct receiver *r) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    pthread_condattr_t attributes;

    memset(r, 0, sizeof *r);
    r->listener = socket(AF_INET, SOCK_STREAM, 0);
    if (r->listener < 0) return -1;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (bind(r->listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(r->listener, 16) != 0 ||
        getsockname(r->listener, (struct sockaddr *)&address, &length) != 0) {
        close(r->listener);
        return -1;
    }
    r->port = ntohs(address.sin_port);
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u/push", (unsigned)r->port);
    pthread_mutex_init(&r->mutex, NULL);
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&r->arrived, &attributes);
    pthread_condattr_destroy(&attributes);
    if (pthread_create(&r->thread, NULL, receiver_main, r) != 0) {
        pthread_cond_destroy(&r->arrived);
        pthread_mutex_destroy(&r->mutex);
        close(r->listener);
        return -1;
    }
    return 0;
}

/* Stops the thread (a connection of our own wakes its accept()), frees what was not taken. */
static void receiver_stop(struct receiver *r) {
    struct sockaddr_in address;
    int fd;
    pthread_mutex_lock(&r->mutex);
    r->stop = 1;
    pthread_mutex_unlock(&r->mutex);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(r->port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0) {
        if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) shutdown(r->listener, SHUT_RDWR);
        close(fd);
    } else {
        shutdown(r->listener, SHUT_RDWR);
    }
    pthread_join(r->thread, NULL);
    close(r->listener);
    while (r->first != NULL) {
        struct push *p = r->first;
        r->first = p->next;
        push_free(p);
    }
    pthread_cond_destroy(&r->arrived);
    pthread_mutex_destroy(&r->mutex);
}

/* The next push, waiting until the deadline; NULL when none came in time. */
static struct push *receiver_next(struct receiver *r, const struct timespec *deadline) {
    struct push *p = NULL;
    int rc = 0;
    pthread_mutex_lock(&r->mutex);
    while (r->first == NULL && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&r->arrived, &r->mutex, deadline);
    if (r->first != NULL) {
        p = r->first;
        r->first = p->next;
        if (r->first == NULL) r->last = NULL;
        p->next = NULL;
    }
    pthread_mutex_unlock(&r->mutex);
    return p;
}

/* The next push of `type` that verifies with `secret` (others are skipped, as a receiver would
 * ignore them); its parsed JSON into *parsed. NULL past the deadline. */
static struct push *next_of_type(struct receiver *r, const char *secret, const char *type, char **parsed) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += DEADLINE_SECONDS;
    *parsed = NULL;
    for (;;) {
        char *json = NULL, *got = NULL;
        struct push *p = receiver_next(r, &deadline);
        if (p == NULL) {
            fprintf(stderr, "no %s push within %d s\n", type, DEADLINE_SECONDS);
            return NULL;
        }
        CHECK(p->header != NULL);
        CHECK_OK(calbridge_push_verify(p->header, p->body, p->body_len, secret, NULL));
        CHECK_OK(calbridge_push_parse(&json, p->body, p->body_len));
        got = json_string_field(json, "type");
        if (got != NULL && strcmp(got, type) == 0) {
            free(got);
            *parsed = json;
            return p;
        }
        printf("skipped a %s push while waiting for %s\n", got != NULL ? got : "(unparsed)", type);
        free(got);
        calbridge_free(json);
        push_free(p);
    }
}

/* ---- the steps ------------------------------------------------------------------------------ */

static int contains(const char *text, const char *part) { return text != NULL && strstr(text, part) != NULL; }

/* Whether reading events modified since `since` (managed ones included) shows `event_id`. */
static int event_modified_since(calbridge_session *session, const char *event_id, const char *since) {
    calbridge_events_query query = CALBRIDGE_EVENTS_QUERY_INIT;
    calbridge_pages *pages = NULL;
    char from[11], to[11];
    char *page = NULL;
    char needle[128];
    int found = 0, rc;
    date_from_today(from, -1);
    date_from_today(to, 30);
    query.from = from;
    query.to = to;
    query.last_modified = since;
    query.include_managed = CALBRIDGE_TRUE; /* the events this application wrote are "managed" */
    snprintf(needle, sizeof needle, "\"event_id\":\"%s\"", event_id);
    if (calbridge_session_events(&pages, session, &query, NULL) != CALBRIDGE_OK) return -1;
    while ((rc = calbridge_pages_next(&page, pages)) == CALBRIDGE_OK) {
        found |= contains(page, needle);
        calbridge_free(page);
        page = NULL;
    }
    CHECK_RC(CALBRIDGE_DONE, rc);
    calbridge_pages_free(pages);
    return found;
}

/* A tampered body and a wrong secret are refused. */
static void refused(const struct push *p, const char *secret) {
    static const char wrong[] = "wrong-secret-0123456789-wrong";
    char *tampered = (char *)malloc(p->body_len + 1);
    CHECK(tampered != NULL);
    if (tampered != NULL) {
        memcpy(tampered, p->body, p->body_len + 1);
        tampered[p->body_len / 2] ^= 0x01;
        CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, calbridge_push_verify(p->header, tampered, p->body_len, secret, NULL));
        CHECK(strcmp(calbridge_error_last()->code_name, "invalid_signature") == 0);
        free(tampered);
    }
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, calbridge_push_verify(p->header, p->body, p->body_len - 1, secret, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, calbridge_push_verify(p->header, p->body, p->body_len, wrong, NULL));
    CHECK(!contains(calbridge_error_last()->message, secret));
    CHECK(!contains(calbridge_error_last()->message, wrong));
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, calbridge_push_verify(NULL, p->body, p->body_len, secret, NULL));
    /* The wrong secret as the current one and the right one as the previous: accepted. */
    CHECK_OK(calbridge_push_verify(p->header, p->body, p->body_len, wrong, secret));
}

static void channel_push_verify_then_read_the_change(struct sandbox *sb, calbridge_session *session,
                                                     struct receiver *r) {
    calbridge_channel_options channel_options = CALBRIDGE_CHANNEL_OPTIONS_INIT;
    char *channel = NULL, *channel_id = NULL, *list = NULL, *parsed = NULL, *since = NULL, *pushed_channel = NULL;
    char day[11], event[512];
    struct push *p;

    /* 1. A channel to the receiver: listed, and its verification push arrives. */
    REQUIRE_OK(calbridge_session_create_channel(&channel, session, r->url, &channel_options, NULL));
    channel_id = json_string_field(channel, "channel_id");
    CHECK(channel_id != NULL && strncmp(channel_id, "chn_", 4) == 0);
    CHECK(contains(channel, r->url));
    calbridge_free(channel);
    if (channel_id == NULL) return;
    CHECK_OK(calbridge_session_list_channels(&list, session, NULL));
    CHECK(list != NULL && list[0] == '[' && contains(list, channel_id));
    calbridge_free(list);
    list = NULL;

    p = next_of_type(r, sb->client_secret, "verification", &parsed);
    CHECK(p != NULL);
    if (p != NULL) {
        pushed_channel = json_string_field(parsed, "channel_id");
        CHECK(pushed_channel != NULL && strcmp(pushed_channel, channel_id) == 0);
        free(pushed_channel);
        pushed_channel = NULL;
        refused(p, sb->client_secret);
        push_free(p);
        calbridge_free(parsed);
        parsed = NULL;
    }

    /* 2. An event upserted through calbridge: a change push, verified, with changes_since. */
    date_from_today(day, 2);
    snprintf(event, sizeof event,
             "{\"event_id\": \"capi-push-1\", \"summary\": \"Pushed from C\", \"description\": \"calbridge C API\", "
             "\"start\": \"%sT09:00:00Z\", \"end\": \"%sT10:00:00Z\"}",
             day, day);
    CHECK_OK(calbridge_session_upsert_event(session, "cal_sandbox_primary", event, NULL));
    p = next_of_type(r, sb->client_secret, "change", &parsed);
    CHECK(p != NULL);
    if (p != NULL) {
        pushed_channel = json_string_field(parsed, "channel_id");
        CHECK(pushed_channel != NULL && strcmp(pushed_channel, channel_id) == 0);
        since = json_string_field(parsed, "changes_since");
        CHECK(since != NULL && strlen(since) >= 20);
        refused(p, sb->client_secret);

        /* 3. Events modified since then (managed included) show the event. */
        if (since != NULL) CHECK(event_modified_since(session, "capi-push-1", since) == 1);
        push_free(p);
    }

    /* 4. Closed: the list is empty. */
    CHECK_OK(calbridge_session_close_channel(session, channel_id, NULL));
    CHECK_OK(calbridge_session_list_channels(&list, session, NULL));
    CHECK(list != NULL && list[0] == '[' && !contains(list, "chn_"));
    printf("push: %d pushes received on %s; channels after closing: %s\n", r->received, r->url,
           list != NULL ? list : "(none)");

    calbridge_free(list);
    calbridge_free(parsed);
    free(since);
    free(pushed_channel);
    free(channel_id);
}

int main(void) {
    struct sandbox sb;
    struct receiver receiver;
    calbridge_client_options o;
    calbridge_client *client = NULL;
    calbridge_authorization *auth = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_session *session = NULL;
    char *callback = NULL;

    signal(SIGPIPE, SIG_IGN);
    if (sandbox_open(&sb) != 0) return 2;
    if (receiver_start(&receiver) != 0) {
        fprintf(stderr, "the loopback receiver did not start\n");
        sandbox_close(&sb);
        return 2;
    }
    o = sandbox_client_options(&sb);
    if (calbridge_client_new(&client, sb.client_id, sb.client_secret, &o) != CALBRIDGE_OK) return 2;

    if (calbridge_authorization_new(&auth, client, SANDBOX_REDIRECT_URI, SANDBOX_ALL_SCOPES, NULL) == CALBRIDGE_OK &&
        (callback = sandbox_consent(&sb, calbridge_authorization_url(auth), SANDBOX_USER, "approve")) != NULL &&
        calbridge_client_complete_authorization(&credentials, client, auth, callback, NULL) == CALBRIDGE_OK &&
        calbridge_session_new(&session, client, SANDBOX_USER) == CALBRIDGE_OK) {
        channel_push_verify_then_read_the_change(&sb, session, &receiver);
    } else {
        CHECK(!"connecting the sandbox user failed");
    }

    receiver_stop(&receiver);
    free(callback);
    calbridge_session_free(session);
    calbridge_credentials_free(credentials);
    calbridge_authorization_free(auth);
    calbridge_client_free(client);
    sandbox_close(&sb);
    return check_summary("push against the sandbox");
}
