/* A token store written in C for the tests: in memory, thread-safe, counting every call, and
 * able to fail on request (to provoke CALBRIDGE_ESTORE). */
#ifndef CALBRIDGE_TEST_C_STORE_H
#define CALBRIDGE_TEST_C_STORE_H

#include <calbridge.h>

#include <pthread.h>

#define C_STORE_CAPACITY 16

struct c_store_entry {
    char *account;
    char *json;
    uint64_t version;
};

struct c_store {
    pthread_mutex_t mutex;
    struct c_store_entry entries[C_STORE_CAPACITY];
    int count;
    /* calls made, by callback */
    int loads, inserts, saves, replaces, removes, conflicts;
    /* fail the next call of that callback with CALBRIDGE_ESTORE */
    int fail_next_load, fail_next_save;
    /* set by the userdata destructor */
    int destroyed;
};

void c_store_init(struct c_store *store);
/* The callbacks for calbridge_client_options.token_store; the destructor sets `destroyed`. */
calbridge_token_store c_store_callbacks(struct c_store *store);
/* The stored version of an account; 0 when none. */
uint64_t c_store_version(struct c_store *store, const char *account);
/* Frees the entries (after the client is gone). */
void c_store_clear(struct c_store *store);

#endif
