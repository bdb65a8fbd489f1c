#define _POSIX_C_SOURCE 200809L

#include "c_store.h"

#include <stdlib.h>
#include <string.h>

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
        if (e->account == NULL) {
            --s->count;
            free(copy);
            return CALBRIDGE_ESTORE;
        }
    }
    free(e->json);
    e->json = copy;
    *out_version = ++e->version;
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
        rc = calbridge_store_entry_set(entry, e->json, e->version) == CALBRIDGE_OK ? CALBRIDGE_STORE_FOUND
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
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
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
    return callbacks;
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
    pthread_mutex_destroy(&store->mutex);
}
