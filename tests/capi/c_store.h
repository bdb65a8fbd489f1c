/* A token store written in C for the tests: in memory, thread-safe, counting every call, and
 * able to fail on request (to provoke CALBRIDGE_ESTORE). It holds the refresh lease as
 * calbridge.h describes it (owner, expiry on the monotonic clock, epoch, the reauthorization
 * mark), and wakes wait_for_change on every write. */
#ifndef CALBRIDGE_TEST_C_STORE_H
#define CALBRIDGE_TEST_C_STORE_H

#include <calbridge.h>

#include <pthread.h>

#define C_STORE_CAPACITY 16

struct c_store_entry {
    char *account;
    char *json;
    uint64_t version;
    /* the lease: live while leased and lease_until_ms (monotonic) is in the future */
    int leased;
    int64_t lease_until_ms;
    uint64_t epoch;
    char owner[128];
    int marked; /* reauthorization required */
};

struct c_store {
    pthread_mutex_t mutex;
    pthread_cond_t changed; /* signalled on every write */
    struct c_store_entry entries[C_STORE_CAPACITY];
    int count;
    /* calls made, by callback */
    int loads, inserts, saves, replaces, removes, conflicts;
    int claims, grants, renews, releases, marks, waits;
    /* fail the next call of that callback with CALBRIDGE_ESTORE */
    int fail_next_load, fail_next_save;
    /* set by the userdata destructor */
    int destroyed;
};

void c_store_init(struct c_store *store);
/* The callbacks for calbridge_client_options.token_store, with the lease; the destructor sets
 * `destroyed`. */
calbridge_token_store c_store_callbacks(struct c_store *store);
/* The same as a version 1 struct: no lease. */
calbridge_token_store c_store_callbacks_v1(struct c_store *store);
/* The account's lease epoch and mark; 0 when none. */
uint64_t c_store_epoch(struct c_store *store, const char *account);
int c_store_marked(struct c_store *store, const char *account);
/* The stored version of an account; 0 when none. */
uint64_t c_store_version(struct c_store *store, const char *account);
/* Frees the entries (after the client is gone). */
void c_store_clear(struct c_store *store);

#endif
