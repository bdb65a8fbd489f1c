#define _POSIX_C_SOURCE 200809L

#include "c_store.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static struct c_store_entry *find(struct c_store *s, const char *account) {
    int i;
    for (i = 0; i < s->count; ++i) {
        if (strcmp(s->entries[i].account, account) == 0) return &s->entries[i];
    }
    return NULL;
}

static int put(struct c_store *s, struct c_store_entry *e, const char *account, const char *json, uint64_t *out_version) {
    char *copy = strdup(json);
    if (copy == NULL) return CALBRIDGE_ESTORE;
    if (e == NULL) {
        if (s->count == C_STORE_CAPACITY) {
            free(copy);
            return CALBRIDGE_ESTORE;
        }
        e = &s->entries[s->count++];
        e->account = strdup(account);
        e->json = NULL;
        e->version = 0;
        e->epoch = 0;
        if (e->account == NULL) {
            --s->count;
            free(copy);
            return CALBRIDGE_ESTORE;
        }
    }
    free(e->json);
    e->json = copy;
    *out_version = ++e->version;
    /* A write ends any lease and clears the mark; the epoch stays. */
    e->leased = 0;
    e->marked = 0;
    pthread_cond_broadcast(&s->changed);
    return CALBRIDGE_STORE_SAVED;
}

static int load(calbridge_store_entry *entry, const char *account, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    int rc = CALBRIDGE_STORE_NOT_FOUND;
    pthread_mutex_lock(&s->mutex);
    ++s->loads;
    if (s->fail_next_load) {
        s->fail_next_load = 0;
        rc = CALBRIDGE_ESTORE;
    } else if ((e = find(s, account)) != NULL) {
        /* calbridge copies the entry: the lock can go once the call returns. */
        rc = calbridge_store_entry_set(entry, e->json, e->version) == CALBRIDGE_OK &&
                     calbridge_store_entry_set_reauthorization_required(entry, e->marked) == CALBRIDGE_OK
                 ? CALBRIDGE_STORE_FOUND
                 : CALBRIDGE_ESTORE;
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int insert(uint64_t *out_version, const char *account, const char *json, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    int rc;
    pthread_mutex_lock(&s->mutex);
    ++s->inserts;
    if (find(s, account) != NULL) {
        ++s->conflicts;
        rc = CALBRIDGE_STORE_CONFLICT;
    } else {
        rc = put(s, NULL, account, json, out_version);
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int save(uint64_t *out_version, const char *account, const char *json, uint64_t expected_version,
                void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    int rc;
    pthread_mutex_lock(&s->mutex);
    ++s->saves;
    e = find(s, account);
    if (s->fail_next_save) {
        s->fail_next_save = 0;
        rc = CALBRIDGE_ESTORE;
    } else if (e == NULL || e->version != expected_version) {
        ++s->conflicts;
        rc = CALBRIDGE_STORE_CONFLICT;
    } else {
        rc = put(s, e, account, json, out_version);
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int replace(uint64_t *out_version, const char *account, const char *json, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    int rc;
    pthread_mutex_lock(&s->mutex);
    ++s->replaces;
    rc = put(s, find(s, account), account, json, out_version);
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int remove_account(const char *account, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    int rc = CALBRIDGE_STORE_NOT_FOUND;
    pthread_mutex_lock(&s->mutex);
    ++s->removes;
    e = find(s, account);
    if (e != NULL) {
        free(e->account);
        free(e->json);
        *e = s->entries[--s->count];
        rc = CALBRIDGE_STORE_REMOVED;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int claim(calbridge_lease_claim *claim, const char *account, uint64_t expected_version, const char *owner,
                 uint64_t ttl_ms, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    int64_t now = monotonic_ms();
    int rc = CALBRIDGE_STORE_CLAIMED;
    pthread_mutex_lock(&s->mutex);
    ++s->claims;
    e = find(s, account);
    if (e == NULL) {
        claim->status = CALBRIDGE_LEASE_MISSING;
    } else {
        if (e->marked) {
            claim->status = CALBRIDGE_LEASE_REAUTHORIZATION_REQUIRED;
        } else if (e->version != expected_version) {
            claim->status = CALBRIDGE_LEASE_VERSION_MOVED;
        } else if (e->leased && e->lease_until_ms > now) {
            claim->status = CALBRIDGE_LEASE_HELD;
            claim->remaining_ms = (uint64_t)(e->lease_until_ms - now);
        } else {
            e->leased = 1;
            e->lease_until_ms = now + (int64_t)ttl_ms;
            snprintf(e->owner, sizeof e->owner, "%s", owner);
            claim->status = CALBRIDGE_LEASE_GRANTED;
            claim->epoch = ++e->epoch;
            ++s->grants;
        }
        /* The credentials as read in this same step. */
        if (calbridge_store_entry_set(claim->stored, e->json, e->version) != CALBRIDGE_OK ||
            calbridge_store_entry_set_reauthorization_required(claim->stored, e->marked) != CALBRIDGE_OK) {
            rc = CALBRIDGE_ESTORE;
        }
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int renew(const char *account, uint64_t epoch, uint64_t ttl_ms, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    int rc = CALBRIDGE_STORE_CONFLICT;
    pthread_mutex_lock(&s->mutex);
    ++s->renews;
    e = find(s, account);
    if (e != NULL && e->leased && e->epoch == epoch) {
        e->lease_until_ms = monotonic_ms() + (int64_t)ttl_ms;
        rc = CALBRIDGE_STORE_RENEWED;
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int release(const char *account, uint64_t epoch, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    pthread_mutex_lock(&s->mutex);
    ++s->releases;
    e = find(s, account);
    if (e != NULL && e->epoch == epoch) e->leased = 0;
    pthread_mutex_unlock(&s->mutex);
    return CALBRIDGE_STORE_RELEASED;
}

static int mark(const char *account, uint64_t expected_version, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    int rc = CALBRIDGE_STORE_CONFLICT;
    pthread_mutex_lock(&s->mutex);
    ++s->marks;
    e = find(s, account);
    if (e != NULL && e->version == expected_version) {
        e->marked = 1;
        e->leased = 0;
        rc = CALBRIDGE_STORE_MARKED;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static int wait_for_change(const char *account, uint64_t version, uint64_t timeout_ms, void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    struct c_store_entry *e;
    struct timespec deadline;
    int waited = 0;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(timeout_ms / 1000);
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        ++deadline.tv_sec;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mutex);
    ++s->waits;
    while ((e = find(s, account)) != NULL && e->version == version && !e->marked && waited != ETIMEDOUT) {
        waited = pthread_cond_timedwait(&s->changed, &s->mutex, &deadline);
    }
    pthread_mutex_unlock(&s->mutex);
    return CALBRIDGE_STORE_WAITED;
}

static void destroy(void *userdata) {
    struct c_store *s = (struct c_store *)userdata;
    pthread_mutex_lock(&s->mutex);
    ++s->destroyed;
    pthread_mutex_unlock(&s->mutex);
}

void c_store_init(struct c_store *store) {
    memset(store, 0, sizeof *store);
    pthread_mutex_init(&store->mutex, NULL);
    pthread_cond_init(&store->changed, NULL);
}

calbridge_token_store c_store_callbacks(struct c_store *store) {
    calbridge_token_store callbacks = CALBRIDGE_TOKEN_STORE_INIT;
    callbacks.load = load;
    callbacks.insert = insert;
    callbacks.save = save;
    callbacks.replace = replace;
    callbacks.remove = remove_account;
    callbacks.userdata = store;
    callbacks.userdata_free = destroy;
    callbacks.claim = claim;
    callbacks.renew = renew;
    callbacks.release = release;
    callbacks.mark_reauthorization_required = mark;
    callbacks.wait_for_change = wait_for_change;
    return callbacks;
}

calbridge_token_store c_store_callbacks_v1(struct c_store *store) {
    calbridge_token_store callbacks = c_store_callbacks(store);
    calbridge_token_store v1;
    calbridge_token_store_init(&v1, 1); /* the lease fields are not version 1's: left as they are */
    v1.load = callbacks.load;
    v1.insert = callbacks.insert;
    v1.save = callbacks.save;
    v1.replace = callbacks.replace;
    v1.remove = callbacks.remove;
    v1.userdata = store;
    v1.userdata_free = callbacks.userdata_free;
    /* Garbage where version 2 has its lease: calbridge must not read it for a version 1 struct. */
    memset(&v1.claim, 0xA5, sizeof v1 - offsetof(calbridge_token_store, claim));
    return v1;
}

uint64_t c_store_epoch(struct c_store *store, const char *account) {
    struct c_store_entry *e;
    uint64_t epoch = 0;
    pthread_mutex_lock(&store->mutex);
    e = find(store, account);
    if (e != NULL) epoch = e->epoch;
    pthread_mutex_unlock(&store->mutex);
    return epoch;
}

int c_store_marked(struct c_store *store, const char *account) {
    struct c_store_entry *e;
    int marked = 0;
    pthread_mutex_lock(&store->mutex);
    e = find(store, account);
    if (e != NULL) marked = e->marked;
    pthread_mutex_unlock(&store->mutex);
    return marked;
}

uint64_t c_store_version(struct c_store *store, const char *account) {
    struct c_store_entry *e;
    uint64_t version = 0;
    pthread_mutex_lock(&store->mutex);
    e = find(store, account);
    if (e != NULL) version = e->version;
    pthread_mutex_unlock(&store->mutex);
    return version;
}

void c_store_clear(struct c_store *store) {
    int i;
    for (i = 0; i < store->count; ++i) {
        free(store->entries[i].account);
        free(store->entries[i].json);
    }
    store->count = 0;
    pthread_cond_destroy(&store->changed);
    pthread_mutex_destroy(&store->mutex);
}
