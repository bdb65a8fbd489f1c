/*
 * calbridge.h: the stable C API of calbridge.
 *
 * calbridge connects an application to its users' calendars through a calendar intermediary
 * ("Individual Connect"): it builds the authorization link, checks the redirect back,
 * exchanges the one-time code for tokens, keeps them fresh in a token store, calls the
 * calendar API and revokes access. This header wraps the C++ core; C, and every language that
 * can load a C library, share the core's token logic.
 *
 * The flow, in calls:
 *
 *     calbridge_client *client;            calbridge_client_new()
 *     calbridge_authorization *auth;       calbridge_authorization_new()      -> send the user to
 *                                          calbridge_authorization_url()
 *     calbridge_credentials *credentials;  calbridge_client_complete_authorization(callback URL)
 *     calbridge_session *session;          calbridge_session_new_with_credentials()
 *     char *json;                          calbridge_session_calendars(), ..._events(), ...
 *                                          calbridge_free(json)
 *                                          calbridge_client_revoke()
 *     calbridge_*_free() each handle.
 *
 * Conventions (they hold for every function unless its comment says otherwise):
 *
 *  - Status codes. Functions that can fail return an int: CALBRIDGE_OK (0) on success, a
 *    negative CALBRIDGE_E* code on failure. The codes are ABI: they are never renumbered, and a
 *    new kind of failure gets a new code. calbridge_pages_next() also returns CALBRIDGE_DONE (a
 *    positive value, not an error). Details of a failure are in calbridge_error_last().
 *  - Arguments. Output parameters come first and are named out*. A NULL handle, a NULL
 *    required string or a NULL output pointer gives CALBRIDGE_EINVALID_ARGUMENT, never a
 *    crash. On failure *out is set to NULL (when out itself is not NULL).
 *  - Ownership. What the caller gets through an out pointer it owns: a handle is freed with
 *    its calbridge_<object>_free(), a `char *` with calbridge_free() (never with free(): the
 *    library may use another allocator). Every destructor accepts NULL. A `const char *`
 *    returned by a getter is borrowed: it stays valid until the handle it came from is freed,
 *    and the caller must not free it. Input strings are UTF-8, NUL-terminated, and copied
 *    before the call returns: the caller may free or reuse them at once.
 *  - Options. Option structs start with `unsigned int version`; initialise them with their
 *    ..._INIT macro or ..._init() function, then set fields. A zero field means "the default".
 *    A NULL options pointer means all defaults. Structs only ever grow at the end.
 *  - Threads. Handles are safe to use from several threads at once, except a page iterator
 *    (calbridge_pages), which has one consumer at a time. Calls block the calling thread until
 *    their deadline at most; all I/O runs on the calling thread. calbridge starts two kinds
 *    of thread of its own, both short-lived and neither running your code except as said:
 *    - a name lookup thread (getaddrinfo, which cannot be cancelled), when a call connects to
 *      a host name (the API or app host, a proxy) whose cached addresses are missing or older
 *      than 60 s. Calls waiting for the same host and port share one lookup, so a client has
 *      at most one such thread per host and port at a time. A call that reaches its deadline
 *      stops waiting; the thread ends when getaddrinfo returns (bounded by the system
 *      resolver's own timeouts and attempts, see resolv.conf) and fills the cache. Detached:
 *      it can outlive the call, and the client. IP addresses are never looked up.
 *    - the lease keeper, one per refresh through a leasing token store, from the claim of the
 *      store's refresh lease until its release (while the token request is in flight): it
 *      renews the lease every third of its ttl, so the store's renew callback runs there.
 *  - Callbacks (token store, log sink, hooks) take `void *userdata` last. They run on the
 *    thread that made the calbridge call (a lease's renew callback excepted: the lease keeper),
 *    never while calbridge holds a lock, so they may call
 *    back into calbridge. They may run on several threads at once. Each userdata has an
 *    optional destructor that calbridge calls exactly once, when it no longer needs it.
 *  - Secrets (tokens, the client secret, codes, PKCE verifiers) never appear in error
 *    messages or log lines; calbridge wipes its own copies when it frees them.
 */
#ifndef CALBRIDGE_H
#define CALBRIDGE_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------- */
/* Export macro and version                                                                 */
/* ---------------------------------------------------------------------------------------- */

#if defined(_WIN32)
#  if defined(CALBRIDGE_BUILDING_LIBRARY)
#    define CALBRIDGE_EXTERN __declspec(dllexport)
#  else
#    define CALBRIDGE_EXTERN __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define CALBRIDGE_EXTERN __attribute__((visibility("default")))
#else
#  define CALBRIDGE_EXTERN
#endif

#define CALBRIDGE_VERSION_MAJOR 0
#define CALBRIDGE_VERSION_MINOR 1
#define CALBRIDGE_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, e.g. 10203 for 1.2.3. */
#define CALBRIDGE_VERSION_NUMBER \
    (CALBRIDGE_VERSION_MAJOR * 10000 + CALBRIDGE_VERSION_MINOR * 100 + CALBRIDGE_VERSION_PATCH)
#define CALBRIDGE_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library actually loaded, e.g. "0.1.0" (compare with
 * CALBRIDGE_VERSION_STRING, the header's). Never returns NULL; static storage, do not free. */
CALBRIDGE_EXTERN const char *calbridge_version(void);

/* The loaded library's CALBRIDGE_VERSION_NUMBER. */
CALBRIDGE_EXTERN unsigned int calbridge_version_number(void);

/* ---------------------------------------------------------------------------------------- */
/* Status codes and the last error                                                          */
/* ---------------------------------------------------------------------------------------- */

#define CALBRIDGE_OK 0                      /* success */
#define CALBRIDGE_EINVALID_ARGUMENT (-1)    /* a bad argument: NULL, empty, unknown enum value, bad version */
#define CALBRIDGE_ECONFIGURATION (-2)       /* the client configuration is wrong or incomplete */
#define CALBRIDGE_EINVALID_CLIENT (-3)      /* the server rejected the client id/secret */
#define CALBRIDGE_ESTATE_MISMATCH (-4)      /* callback state missing or not the expected one */
#define CALBRIDGE_EINVALID_CALLBACK (-5)    /* callback URL malformed or without a code */
#define CALBRIDGE_EAUTHORIZATION_DENIED (-6) /* the user or server refused (error=access_denied, ...) */
#define CALBRIDGE_EINVALID_GRANT (-7)       /* code or refresh token no longer valid: reauthorize */
#define CALBRIDGE_EBAD_REQUEST (-8)         /* another OAuth error (invalid_request, invalid_scope, ...) */
#define CALBRIDGE_EAUTHENTICATION (-9)      /* 401: access token not recognised, even after a refresh */
#define CALBRIDGE_EAUTHORIZATION (-10)      /* 403: insufficient scope: authorize again with more */
#define CALBRIDGE_ENOT_FOUND (-11)          /* 404 */
#define CALBRIDGE_EVALIDATION (-12)         /* 422: invalid parameters; field errors in the error record */
#define CALBRIDGE_ELOCKED (-13)             /* 423: account locked */
#define CALBRIDGE_EPAYMENT_REQUIRED (-14)   /* 402: the plan lacks the feature */
#define CALBRIDGE_ERATE_LIMITED (-15)       /* 429; retry_after_seconds when the server gave one */
#define CALBRIDGE_ESERVER (-16)             /* 5xx */
#define CALBRIDGE_ESERVICE_UNAVAILABLE (-17) /* 502, 503, 504 */
#define CALBRIDGE_EHTTP (-18)               /* any other unexpected HTTP status (a redirect is never followed) */
#define CALBRIDGE_ETIMEOUT (-19)            /* the call's deadline passed */
#define CALBRIDGE_ETLS (-20)                /* TLS handshake or certificate verification failed */
#define CALBRIDGE_ECONNECTION (-21)         /* name resolution or connect failed, connection dropped */
#define CALBRIDGE_EPROTOCOL (-22)           /* a malformed, oversized or surprising response or document */
#define CALBRIDGE_ESTORE (-23)              /* the token store failed */
#define CALBRIDGE_ECANCELLED (-24)          /* cancelled (calbridge_cancel_trigger) */
#define CALBRIDGE_EUSER (-25)               /* a user callback asked to abort */
#define CALBRIDGE_EINTERNAL (-26)           /* a bug in calbridge, or out of memory; please report it */
#define CALBRIDGE_EINVALID_SIGNATURE (-27)  /* a push's signature header is missing, malformed or matches no secret */

/* Returned by calbridge_pages_next() after the last page: not an error. */
#define CALBRIDGE_DONE 1

/* Details of the last failure on the calling thread. */
typedef struct calbridge_error {
    /* The status the failing call returned (CALBRIDGE_E*), or CALBRIDGE_OK after a success. */
    int code;
    /* The code's stable name: "ok", "invalid_grant", "rate_limited", ... Never NULL. */
    const char *code_name;
    /* What went wrong, in English, without secrets. Never NULL ("" after a success). */
    const char *message;
    /* The HTTP status of the reply that caused it; 0 when no reply was involved. */
    int http_status;
    /* RFC 6749 section 5.2 "error", "error_description" and "error_uri" (token endpoint and the
     * authorization callback); "" when absent, never NULL. */
    const char *oauth_error;
    const char *oauth_error_description;
    const char *oauth_error_uri;
    /* Seconds the server asked to wait (429, 503 with Retry-After); -1 when it did not say. */
    int64_t retry_after_seconds;
    /* The field errors of a 422 reply, as a JSON array of
     * {"field": "...", "key": "...", "description": "..."} objects; "[]" when none. */
    const char *field_errors_json;
} calbridge_error;

/* The details of the last call on this thread that returned a status code: every such call
 * resets the record, to CALBRIDGE_OK on success. Never returns NULL. The record and its strings
 * belong to the library and stay valid until the next calbridge call on the same thread; copy
 * what you want to keep. Thread-local: another thread's calls never change it. */
CALBRIDGE_EXTERN const calbridge_error *calbridge_error_last(void);

/* The stable name of a status code ("ok", "invalid_grant", ...; "done" for CALBRIDGE_DONE;
 * "unknown" for a value that is no code). Never returns NULL; static storage. */
CALBRIDGE_EXTERN const char *calbridge_error_code_name(int code);

/* ---------------------------------------------------------------------------------------- */
/* Memory                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* Frees a string that calbridge returned through a `char **out`, overwriting it with zeros
 * first (credentials JSON holds tokens). NULL is fine. Use it instead of free(): the
 * library's allocator may not be the caller's. */
CALBRIDGE_EXTERN void calbridge_free(void *ptr);

/* ---------------------------------------------------------------------------------------- */
/* Handles                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* One application (client id). Makes authorization links, talks to the token endpoint, and
 * makes sessions. Thread-safe; share one per application. */
typedef struct calbridge_client calbridge_client;

/* One authorization request: the URL to send the user to, and what to keep until the redirect
 * back (state, redirect URI, PKCE verifier). Immutable, thread-safe. */
typedef struct calbridge_authorization calbridge_authorization;

/* One user's tokens (a copy: nothing changes them behind the caller's back). Immutable,
 * thread-safe. */
typedef struct calbridge_credentials calbridge_credentials;

/* One user's live connection: keeps the access token fresh (refreshing it through the token
 * store) and calls the calendar API. Thread-safe; sessions of one client for the same account
 * share that account's token state, so concurrent calls refresh once. */
typedef struct calbridge_session calbridge_session;

/* The pages of a paged result (events, free/busy), fetched one at a time. One consumer at a
 * time (not thread-safe). */
typedef struct calbridge_pages calbridge_pages;

/* Cancels calls from another thread. Thread-safe. */
typedef struct calbridge_cancel calbridge_cancel;

/* Handed to a token store's load callback (and, as calbridge_lease_claim.stored, to its claim
 * callback), to fill with calbridge_store_entry_set(). Valid only during that callback. */
typedef struct calbridge_store_entry calbridge_store_entry;

/* Destroys a callback's userdata. */
typedef void (*calbridge_userdata_free_cb)(void *userdata);

/* ---------------------------------------------------------------------------------------- */
/* Cancellation and per-call options                                                        */
/* ---------------------------------------------------------------------------------------- */

/* Makes a cancellation handle. Pass it in calbridge_call_options to any number of calls;
 * calbridge_cancel_trigger() then ends them all. The caller owns *out: free it with
 * calbridge_cancel_free(). */
CALBRIDGE_EXTERN int calbridge_cancel_new(calbridge_cancel **out);

/* Cancels every call that has this handle in its options, now and from now on: a blocked call
 * returns CALBRIDGE_ECANCELLED at once (waits and network I/O wake up). May be called from any
 * thread, any number of times; a triggered handle stays triggered. */
CALBRIDGE_EXTERN int calbridge_cancel_trigger(calbridge_cancel *cancel);

/* Sets *out to 1 when the handle has been triggered, 0 otherwise. */
CALBRIDGE_EXTERN int calbridge_cancel_is_triggered(int *out, const calbridge_cancel *cancel);

/* Frees the handle. Calls (and page iterators) that were given it keep what they need, so it
 * may be freed while they run; they can no longer be cancelled through it then. NULL is fine. */
CALBRIDGE_EXTERN void calbridge_cancel_free(calbridge_cancel *cancel);

#define CALBRIDGE_CALL_OPTIONS_VERSION 1

/* Options of one call (NULL: the defaults). Everything the call does (a refresh, the retry
 * after a 401, transport retries, Retry-After waits) happens within one deadline. */
typedef struct calbridge_call_options {
    unsigned int version;      /* CALBRIDGE_CALL_OPTIONS_VERSION */
    /* The call's deadline, in milliseconds from its start; 0: the client's request timeout.
     * For a page iterator: the deadline of each page's fetch. */
    unsigned int timeout_ms;
    /* Cancels the call from another thread; NULL: not cancellable. Borrowed for the duration
     * of the call (a page iterator keeps its own reference). */
    calbridge_cancel *cancel;
} calbridge_call_options;

#define CALBRIDGE_CALL_OPTIONS_INIT { CALBRIDGE_CALL_OPTIONS_VERSION, 0, NULL }

/* Initialises *options to the defaults. `version` must be CALBRIDGE_CALL_OPTIONS_VERSION. */
CALBRIDGE_EXTERN int calbridge_call_options_init(calbridge_call_options *options, unsigned int version);

/* ---------------------------------------------------------------------------------------- */
/* Callbacks: token store, log sink, hooks                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Results of token store callbacks. Any other return value (use CALBRIDGE_ESTORE) means the
 * store failed: the calbridge call that needed it returns CALBRIDGE_ESTORE, its message naming
 * the callback and the value returned, and when that was a write after a refresh the new
 * credentials are kept in memory and written first by the account's next call, so no token is
 * lost. (A store callback cannot end a call with another code: that guarantee rests on store
 * failures being reported as such.) */
#define CALBRIDGE_STORE_FOUND 0      /* load: found, entry filled with calbridge_store_entry_set() */
#define CALBRIDGE_STORE_SAVED 0      /* insert, save, replace: written, *out_version set */
#define CALBRIDGE_STORE_REMOVED 0    /* remove: removed */
#define CALBRIDGE_STORE_NOT_FOUND 1  /* load: no credentials for the account; remove: nothing to remove */
#define CALBRIDGE_STORE_CONFLICT 2   /* insert: the account already has credentials;
                                        save: the stored version is not expected_version;
                                        renew: the lease's epoch is no longer `epoch`;
                                        mark_reauthorization_required: the version moved */
#define CALBRIDGE_STORE_CLAIMED 0    /* claim: claim->status set (whatever it says) */
#define CALBRIDGE_STORE_RENEWED 0    /* renew: the lease runs on */
#define CALBRIDGE_STORE_RELEASED 0   /* release: done (also when the epoch was no longer current) */
#define CALBRIDGE_STORE_MARKED 0     /* mark_reauthorization_required: marked */
#define CALBRIDGE_STORE_WAITED 0     /* wait_for_change: the version may have moved, or the time is up */

/* Loads an account's credentials. On CALBRIDGE_STORE_FOUND, the callback must have called
 * calbridge_store_entry_set(entry, json, version) with the stored JSON text and its version,
 * and, for a leasing store whose account is marked, calbridge_store_entry_set_reauthorization_required().
 * `entry` and `account` are valid only for the duration of the callback. */
typedef int (*calbridge_store_load_cb)(calbridge_store_entry *entry, const char *account, void *userdata);

/* Stores `credentials_json` only if `account` has no credentials: sets *out_version to 1 and
 * returns CALBRIDGE_STORE_SAVED, or returns CALBRIDGE_STORE_CONFLICT. */
typedef int (*calbridge_store_insert_cb)(uint64_t *out_version, const char *account,
                                         const char *credentials_json, void *userdata);

/* Compare-and-swap: writes only if the account's stored version is still `expected_version`;
 * sets *out_version to the new version (expected_version + 1) and returns
 * CALBRIDGE_STORE_SAVED, or returns CALBRIDGE_STORE_CONFLICT (someone else wrote first, or
 * the account was removed). Must be atomic with respect to the store's other writers. */
typedef int (*calbridge_store_save_cb)(uint64_t *out_version, const char *account, const char *credentials_json,
                                       uint64_t expected_version, void *userdata);

/* Unconditional write (after a fresh authorization): sets *out_version to the new version (1
 * for a new account, the old version + 1 otherwise) and returns CALBRIDGE_STORE_SAVED. */
typedef int (*calbridge_store_replace_cb)(uint64_t *out_version, const char *account,
                                          const char *credentials_json, void *userdata);

/* Removes an account's credentials: CALBRIDGE_STORE_REMOVED, or CALBRIDGE_STORE_NOT_FOUND
 * when there were none. */
typedef int (*calbridge_store_remove_cb)(const char *account, void *userdata);

/* The refresh lease (since CALBRIDGE_TOKEN_STORE_VERSION 2). A store that several processes
 * or hosts share gives each account a lease, so that one owner at a time refreshes it: the
 * others wait for the version to move and then use the stored credentials. With refresh-token
 * rotation this matters: two processes refreshing one account at once each send the same
 * refresh token, and the intermediary may then revoke the grant. Each callback is one short
 * atomic step on the store (no transaction or lock held between calls), so a holder that dies
 * leaves a lease that simply expires. Times are on the store's clock where it has one. Per
 * account the store keeps: the lease's owner, its expiry, an epoch that only ever grows (+1
 * per granted claim, kept across saves and replaces), and the "reauthorization required" mark.
 * save and replace also end any lease and clear the mark; insert creates an account unmarked
 * without a lease; no lease callback changes the version. */

/* What a claim found (calbridge_lease_claim.status). Stable numbers; 0 is "not set". */
#define CALBRIDGE_LEASE_GRANTED 1                  /* the caller holds the lease now */
#define CALBRIDGE_LEASE_VERSION_MOVED 2            /* the version is not expected_version: stored is newer */
#define CALBRIDGE_LEASE_HELD 3                     /* another owner's lease is live */
#define CALBRIDGE_LEASE_REAUTHORIZATION_REQUIRED 4 /* the account is marked: nobody may refresh it */
#define CALBRIDGE_LEASE_MISSING 5                  /* the store has no credentials for the account */

#define CALBRIDGE_LEASE_CLAIM_VERSION 1

/* The result of a claim, handed to the claim callback to fill (calbridge owns it; valid only
 * during the callback). */
typedef struct calbridge_lease_claim {
    /* CALBRIDGE_LEASE_CLAIM_VERSION of the library that calls: set by calbridge. A callback
     * built with a later header writes the fields of later versions only when it is that high. */
    unsigned int version;
    /* CALBRIDGE_LEASE_*: set by the callback. */
    int status;
    /* The account's stored credentials as the claim read them, in the same atomic step: fill
     * it with calbridge_store_entry_set() for every status but CALBRIDGE_LEASE_MISSING (for
     * CALBRIDGE_LEASE_GRANTED it holds the refresh token calbridge will use). Set by calbridge. */
    calbridge_store_entry *stored;
    /* CALBRIDGE_LEASE_GRANTED: the lease's new epoch (the old one + 1, so at least 1). */
    uint64_t epoch;
    /* CALBRIDGE_LEASE_HELD: how long the other owner's lease still runs, in milliseconds. */
    uint64_t remaining_ms;
} calbridge_lease_claim;

#define CALBRIDGE_LEASE_CLAIM_INIT { CALBRIDGE_LEASE_CLAIM_VERSION, 0, NULL, 0, 0 }

/* In one atomic step: no credentials for `account`: CALBRIDGE_LEASE_MISSING. Marked
 * "reauthorization required": CALBRIDGE_LEASE_REAUTHORIZATION_REQUIRED. Stored version is not
 * `expected_version`: CALBRIDGE_LEASE_VERSION_MOVED. Another lease is live (its expiry is
 * after now): CALBRIDGE_LEASE_HELD with remaining_ms. Otherwise (no lease, or an expired one,
 * which is taken over): set the owner to `owner`, the expiry to now + `ttl_ms`, the epoch to
 * epoch + 1, and CALBRIDGE_LEASE_GRANTED with that epoch. Fill claim->stored as it says, then
 * return CALBRIDGE_STORE_CLAIMED. */
typedef int (*calbridge_store_claim_cb)(calbridge_lease_claim *claim, const char *account, uint64_t expected_version,
                                        const char *owner, uint64_t ttl_ms, void *userdata);

/* Extends the lease to now + `ttl_ms` if its epoch is still `epoch` and it has not been ended
 * (released, saved or replaced over): CALBRIDGE_STORE_RENEWED, else CALBRIDGE_STORE_CONFLICT.
 * Runs on a thread of calbridge's own while the holder's token request is in flight. */
typedef int (*calbridge_store_renew_cb)(const char *account, uint64_t epoch, uint64_t ttl_ms, void *userdata);

/* Ends the lease (clears its owner and expiry) if its epoch is still `epoch`; otherwise does
 * nothing. CALBRIDGE_STORE_RELEASED either way. The epoch is kept. */
typedef int (*calbridge_store_release_cb)(const char *account, uint64_t epoch, void *userdata);

/* If the stored version is still `expected_version`: marks the account "reauthorization
 * required", ends any lease, and returns CALBRIDGE_STORE_MARKED; otherwise (a newer rotation
 * was stored: the refusal was a lost race) CALBRIDGE_STORE_CONFLICT. */
typedef int (*calbridge_store_mark_reauthorization_required_cb)(const char *account, uint64_t expected_version,
                                                                void *userdata);

/* Optional, for a store that can be told of a write (a notification): blocks for at most
 * `timeout_ms`, or until the account's version may have moved past `version`, then returns
 * CALBRIDGE_STORE_WAITED. NULL: calbridge polls (claim_cb's read, with jitter) instead. */
typedef int (*calbridge_store_wait_for_change_cb)(const char *account, uint64_t version, uint64_t timeout_ms,
                                                  void *userdata);

#define CALBRIDGE_TOKEN_STORE_VERSION 2

/* A token store implemented by the application (a database, a secrets manager, ...). The
 * credentials are the JSON text of calbridge_credentials_to_json(): it contains the tokens,
 * so store it as the secret it is. Every account's credentials carry a version (1, 2, ...)
 * that only the store's successful writes increment; it is what lets concurrent refreshes
 * never overwrite each other's rotation.
 *
 * The callbacks run on the thread of the calbridge call that needs them (renew excepted),
 * never under a calbridge lock (they may call calbridge), and from several threads at once:
 * they must be thread-safe. Strings they receive are borrowed for the duration of the
 * callback. */
typedef struct calbridge_token_store {
    unsigned int version;  /* CALBRIDGE_TOKEN_STORE_VERSION (1 is still accepted: no lease) */
    calbridge_store_load_cb load;        /* all five are required */
    calbridge_store_insert_cb insert;
    calbridge_store_save_cb save;
    calbridge_store_replace_cb replace;
    calbridge_store_remove_cb remove;
    void *userdata;                          /* passed to every callback */
    calbridge_userdata_free_cb userdata_free; /* optional; see calbridge_client_new() */

    /* Since version 2: the refresh lease. All four set: a leasing store, safe to share between
     * processes and hosts. All four NULL (or a version 1 struct): a store without a lease,
     * which coordinates nothing across processes and is safe for ONE PROCESS ONLY (two
     * processes could refresh one account at once and, with rotation, lose the grant). Some
     * set and not others: CALBRIDGE_EINVALID_ARGUMENT from calbridge_client_new(). */
    calbridge_store_claim_cb claim;
    calbridge_store_renew_cb renew;
    calbridge_store_release_cb release;
    calbridge_store_mark_reauthorization_required_cb mark_reauthorization_required;
    calbridge_store_wait_for_change_cb wait_for_change; /* optional, with the four only */
} calbridge_token_store;

#define CALBRIDGE_TOKEN_STORE_INIT \
    { CALBRIDGE_TOKEN_STORE_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/* Initialises *store (no callbacks) as a struct of `version` (1 to CALBRIDGE_TOKEN_STORE_VERSION;
 * only the fields of that version are written). */
CALBRIDGE_EXTERN int calbridge_token_store_init(calbridge_token_store *store, unsigned int version);

/* Fills the entry a load callback received: the stored JSON text (copied) and its version
 * (at least 1). CALBRIDGE_EPROTOCOL when the text is not readable credentials (the load then
 * fails with CALBRIDGE_ESTORE whatever the callback returns); CALBRIDGE_EINVALID_ARGUMENT for
 * a NULL argument or version 0. Call it only during the load callback that got `entry`. */
CALBRIDGE_EXTERN int calbridge_store_entry_set(calbridge_store_entry *entry, const char *credentials_json,
                                               uint64_t version);

/* Says whether the account of the entry is marked "reauthorization required" (`required`
 * non-zero) or not (0, the default): from a leasing store's load callback, for a marked
 * account. calbridge then fails the account's calls at once with CALBRIDGE_EINVALID_GRANT
 * until a new authorization replaces its credentials. Read only from a store of version 2 or
 * later. CALBRIDGE_EINVALID_ARGUMENT for a NULL entry. Call it only during the callback that
 * got `entry`. */
CALBRIDGE_EXTERN int calbridge_store_entry_set_reauthorization_required(calbridge_store_entry *entry, int required);

/* Log levels, least to most severe. Log lines never contain secrets, at any level. */
#define CALBRIDGE_LOG_TRACE 1    /* every request and reply line, every wait */
#define CALBRIDGE_LOG_DEBUG 2    /* token lifecycle decisions */
#define CALBRIDGE_LOG_INFO 3     /* a code exchanged, a token refreshed, a grant revoked, reauthorization required */
#define CALBRIDGE_LOG_WARNING 4  /* retries, a failed store write, a conflicting concurrent write */
#define CALBRIDGE_LOG_ERROR 5    /* nothing today: every failure is also returned to the caller */
#define CALBRIDGE_LOG_OFF 6      /* as a threshold: nothing */

/* Receives one log line (no trailing newline). `message` is borrowed for the duration of the
 * call. Runs on the calling thread, possibly on several threads at once. */
typedef void (*calbridge_log_cb)(int level, const char *message, void *userdata);

/* After a session refreshed an account's tokens and wrote them to the token store.
 * `credentials` is borrowed for the duration of the callback (copy it with
 * calbridge_credentials_copy() to keep it). Return 0 to go on; any other value aborts the call
 * with CALBRIDGE_EUSER (the new credentials stay stored). */
typedef int (*calbridge_refresh_cb)(const calbridge_credentials *credentials, void *userdata);

/* When an account's grant is gone for good (invalid_grant confirmed against the store, or no
 * credentials at all): the user must authorize again. Called once per discovery, before the
 * call returns CALBRIDGE_EINVALID_GRANT. `account` is borrowed for the duration of the call. */
typedef void (*calbridge_reauthorization_cb)(const char *account, void *userdata);

/* ---------------------------------------------------------------------------------------- */
/* Client                                                                                   */
/* ---------------------------------------------------------------------------------------- */

#define CALBRIDGE_TOKEN_ENCODING_FORM 0  /* application/x-www-form-urlencoded (RFC 6749; default) */
#define CALBRIDGE_TOKEN_ENCODING_JSON 1  /* application/json */

#define CALBRIDGE_CLIENT_AUTH_REQUEST_BODY 0  /* client_id/client_secret in the body (default) */
#define CALBRIDGE_CLIENT_AUTH_HTTP_BASIC 1    /* HTTP Basic authentication */

#define CALBRIDGE_CLIENT_OPTIONS_VERSION 2

/* How a client is set up (NULL: all defaults). Strings are copied by calbridge_client_new(). */
typedef struct calbridge_client_options {
    unsigned int version;  /* CALBRIDGE_CLIENT_OPTIONS_VERSION (1 is still accepted) */

    /* "us" (NULL: the default), "uk", "de", "au", "ca" or "sg", case-insensitive. Anything
     * else is CALBRIDGE_ECONFIGURATION. */
    const char *data_center;
    /* Override the data center's API and app hosts (a sandbox, a proxy): "https://host[:port]".
     * http:// only to loopback addresses. NULL: the data center's. */
    const char *api_url;
    const char *app_url;

    /* The registered redirect URIs (an array of redirect_uri_count strings; "*." wildcard
     * subdomains allowed). None: any redirect URI is accepted (an unverified application). */
    const char *const *redirect_uris;
    size_t redirect_uri_count;
    /* Non-zero: accept redirect URIs that are neither https nor http to loopback. */
    int allow_insecure_redirect_uris;

    /* Resolve + connect + TLS handshake; 0: 10000. */
    unsigned int connect_timeout_ms;
    /* One logical call, refreshes and retries included, unless the call sets its own; 0: 30000. */
    unsigned int request_timeout_ms;

    /* TLS trust: a CA file, or PEM text with one or more certificates; both NULL: the system
     * trust store. Peer and host name verification are always on. */
    const char *ca_file;
    const char *ca_pem;

    /* Refresh this long before the access token expires (for a token this client refreshed,
     * at most half its lifetime); 0: 60; negative: only once expired. */
    int leeway_seconds;
    /* NULL: "calbridge/<version>". */
    const char *user_agent;
    /* CALBRIDGE_TOKEN_ENCODING_* and CALBRIDGE_CLIENT_AUTH_*: how the token endpoint is called. */
    int token_encoding;
    int client_authentication;

    /* Retries of one call (transport failures, 429/503, the retry after a 401); 0: 3;
     * negative: none. Waits start at initial_backoff_ms (0: 200), doubled up to max_backoff_ms
     * (0: 5000), unless the server gives a Retry-After. */
    int max_retries;
    unsigned int initial_backoff_ms;
    unsigned int max_backoff_ms;

    /* Where credentials live: the application's store (copied), or a directory for calbridge's
     * file store (one 0600 file per account, atomic writes, the lease of one host), or (since
     * version 2) token_store_name below, or none: an in-memory store that lives as long as the
     * client. Setting more than one is CALBRIDGE_EINVALID_ARGUMENT. */
    const calbridge_token_store *token_store;
    const char *token_store_directory;

    /* A log sink (NULL: no logging) and its threshold (0: CALBRIDGE_LOG_INFO). */
    calbridge_log_cb log;
    int log_level;
    void *log_userdata;
    calbridge_userdata_free_cb log_userdata_free;

    /* Hooks (NULL: none). */
    calbridge_refresh_cb on_refresh;
    void *on_refresh_userdata;
    calbridge_userdata_free_cb on_refresh_userdata_free;
    calbridge_reauthorization_cb on_reauthorization_required;
    void *on_reauthorization_required_userdata;
    calbridge_userdata_free_cb on_reauthorization_required_userdata_free;

    /* Since version 2. */

    /* A store opened by name (the name is copied):
     *   "memory:"            in memory, this client only
     *   "file:DIR"           calbridge's file store in DIR (processes of one host)
     *   "sqlite:PATH"        an SQLite database file (processes of one host; on a local disk)
     *   "postgresql://..."   a PostgreSQL database, the name being a libpq connection URI
     *                        (also "postgres://"; processes on several hosts)
     * A relative path is taken from the current directory. The stores other than memory: hold
     * the refresh lease. An unknown scheme is CALBRIDGE_ECONFIGURATION naming the scheme only
     * (the rest may hold a password, which no message or log line ever shows); a store that
     * cannot be opened is CALBRIDGE_ESTORE. */
    const char *token_store_name;

    /* The refresh lease of a leasing store. The holder's lease lives lease_ttl_ms unless
     * renewed (0: 30000; 10 to 3600000): a holder that dies blocks the account's refresh that
     * long at most. Its token request has the deadline lease_request_timeout_ms (0:
     * lease_ttl_ms / 3). Waiters look at the store every lease_poll_interval_ms (0: 50; plus
     * jitter) unless the store notifies them. lease_owner: who holds a lease, as stored, for
     * diagnosis (NULL: "<host>:<pid>:<random>"; at most 200 characters, no whitespace).
     * CALBRIDGE_ECONFIGURATION for a value out of range. */
    unsigned int lease_ttl_ms;
    unsigned int lease_request_timeout_ms;
    unsigned int lease_poll_interval_ms;
    const char *lease_owner;
} calbridge_client_options;

#define CALBRIDGE_CLIENT_OPTIONS_INIT                                                              \
    { CALBRIDGE_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0, NULL, 0, 0, \
      0, 0, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }

/* Initialises *options to the defaults, as a struct of `version` (1 to
 * CALBRIDGE_CLIENT_OPTIONS_VERSION; only the fields of that version are written). */
CALBRIDGE_EXTERN int calbridge_client_options_init(calbridge_client_options *options, unsigned int version);

/* Makes a client for the application `client_id` / `client_secret` (both required). Checks the
 * whole configuration (CALBRIDGE_ECONFIGURATION naming the offending option, never a secret's
 * value); no I/O. The caller owns *out: free it with calbridge_client_free().
 *
 * Userdata: from this call on, calbridge owns the userdata of the token store, the log sink and
 * the hooks given in `options`. Each non-NULL ..._userdata_free is called exactly once, on the
 * thread that lets go last: when the client and every session and page iterator made from it
 * have been freed; or before this function returns, if it fails or if that userdata's
 * callback is NULL. (If options->version is unsupported, nothing is read and nothing is
 * freed.) Do not give one userdata to two destructors. */
CALBRIDGE_EXTERN int calbridge_client_new(calbridge_client **out, const char *client_id, const char *client_secret,
                                          const calbridge_client_options *options);

/* Frees the client handle. Sessions and page iterators made from it stay usable (they keep the
 * client's shared state alive). NULL is fine. */
CALBRIDGE_EXTERN void calbridge_client_free(calbridge_client *client);

/* Removes an account's credentials from the client's token store (e.g. after revoking them).
 * Sets *out_removed (when not NULL) to 1 if there were credentials, 0 otherwise. */
CALBRIDGE_EXTERN int calbridge_client_forget_account(int *out_removed, calbridge_client *client, const char *account);

/* ---------------------------------------------------------------------------------------- */
/* Authorization: the link, and the redirect back                                           */
/* ---------------------------------------------------------------------------------------- */

/* Tri-state options: not sent, "true", "false". */
#define CALBRIDGE_UNSET 0
#define CALBRIDGE_TRUE 1
#define CALBRIDGE_FALSE 2

#define CALBRIDGE_AUTHORIZATION_OPTIONS_VERSION 2

/* Optional parts of an authorization URL (NULL: the defaults). Unset parameters are not sent.
 * PKCE is on by default since version 2: `pkce` is CALBRIDGE_UNSET (on, the default),
 * CALBRIDGE_TRUE (on) or CALBRIDGE_FALSE (off: no challenge, no verifier). A version 1 struct
 * keeps its meaning: non-zero on, 0 off. */
typedef struct calbridge_authorization_options {
    unsigned int version;      /* CALBRIDGE_AUTHORIZATION_OPTIONS_VERSION */
    const char *state;         /* NULL: 128 random bits (recommended) */
    int pkce;                  /* PKCE with an S256 challenge unless CALBRIDGE_FALSE (keep the verifier server-side) */
    int avoid_linking;         /* CALBRIDGE_UNSET, CALBRIDGE_TRUE or CALBRIDGE_FALSE */
    const char *link_token;    /* from calbridge_session_create_link_token(): add an account to a user */
    const char *provider_name; /* pre-select: "google", "office365", "apple", "exchange", ... */
    const char *delegated_scope; /* "free_busy" or "read_only" (enterprise) */
} calbridge_authorization_options;

#define CALBRIDGE_AUTHORIZATION_OPTIONS_INIT \
    { CALBRIDGE_AUTHORIZATION_OPTIONS_VERSION, NULL, 0, CALBRIDGE_UNSET, NULL, NULL, NULL }

/* Initialises *options to the defaults. `version` must be CALBRIDGE_AUTHORIZATION_OPTIONS_VERSION. */
CALBRIDGE_EXTERN int calbridge_authorization_options_init(calbridge_authorization_options *options,
                                                          unsigned int version);

/* Builds the authorization link for `redirect_uri` (checked against the client's registered
 * redirect URIs: CALBRIDGE_ECONFIGURATION) and `scope`, a space-separated list such as
 * "read_account list_calendars read_events" (CALBRIDGE_EINVALID_ARGUMENT when empty). No I/O.
 * The caller owns *out: free it with calbridge_authorization_free(). Keep it (or its state,
 * redirect URI and code verifier) until the redirect back. */
CALBRIDGE_EXTERN int calbridge_authorization_new(calbridge_authorization **out, calbridge_client *client,
                                                 const char *redirect_uri, const char *scope,
                                                 const calbridge_authorization_options *options);

/* The URL to send the user's browser to. Borrowed until `authorization` is freed; NULL when
 * `authorization` is NULL. */
CALBRIDGE_EXTERN const char *calbridge_authorization_url(const calbridge_authorization *authorization);

/* The state sent in the URL, to compare with the redirect back. Borrowed until
 * `authorization` is freed; NULL when `authorization` is NULL. */
CALBRIDGE_EXTERN const char *calbridge_authorization_state(const calbridge_authorization *authorization);

/* The redirect URI, to send again byte-identical at the code exchange. Borrowed until
 * `authorization` is freed; NULL when `authorization` is NULL. */
CALBRIDGE_EXTERN const char *calbridge_authorization_redirect_uri(const calbridge_authorization *authorization);

/* The PKCE code verifier (a secret: keep it server-side, never in the state or a log); NULL
 * without PKCE or when `authorization` is NULL. Borrowed until `authorization` is freed. */
CALBRIDGE_EXTERN const char *calbridge_authorization_code_verifier(const calbridge_authorization *authorization);

/* Frees the handle (wiping the verifier). NULL is fine. */
CALBRIDGE_EXTERN void calbridge_authorization_free(calbridge_authorization *authorization);

/* Completes the redirect back: reads `callback_url` (the full URL the browser came back to, or
 * its query string), checks its state against `authorization`'s, exchanges the code (with the
 * PKCE verifier when there is one) and writes the credentials to the token store (replacing
 * any that account had). The caller owns *out: free it with calbridge_credentials_free().
 *
 * Errors: CALBRIDGE_ESTATE_MISMATCH (also for error replies with a wrong state),
 * CALBRIDGE_EAUTHORIZATION_DENIED (error=access_denied etc., oauth_error set),
 * CALBRIDGE_EINVALID_CALLBACK, CALBRIDGE_EINVALID_GRANT (code used, expired, or for another
 * redirect URI), CALBRIDGE_EINVALID_CLIENT, transport errors, CALBRIDGE_ESTORE. */
CALBRIDGE_EXTERN int calbridge_client_complete_authorization(calbridge_credentials **out, calbridge_client *client,
                                                             const calbridge_authorization *authorization,
                                                             const char *callback_url,
                                                             const calbridge_call_options *options);

/* The same, for applications that keep the request's parts themselves (e.g. across
 * processes): `expected_state` and `redirect_uri` are required, `code_verifier` is NULL
 * without PKCE. */
CALBRIDGE_EXTERN int calbridge_client_complete_authorization_with_state(
    calbridge_credentials **out, calbridge_client *client, const char *callback_url, const char *expected_state,
    const char *redirect_uri, const char *code_verifier, const calbridge_call_options *options);

/* The same two, for token endpoints whose reply names no account (neither `account_id` nor
 * `sub`, as a plain RFC 6749 server): `account` is the key the application chose for this
 * grant (at most 255 characters, no whitespace or control characters); the credentials are
 * stored under it and it becomes their account_id. A reply that names an account wins over it.
 * NULL (or "") `account`: none, exactly as the functions above. CALBRIDGE_EPROTOCOL when
 * neither the reply nor `account` names one (the code is spent by then);
 * CALBRIDGE_EINVALID_ARGUMENT for an invalid `account`, before anything is sent. */
CALBRIDGE_EXTERN int calbridge_client_complete_authorization_for_account(calbridge_credentials **out,
                                                                         calbridge_client *client,
                                                                         const calbridge_authorization *authorization,
                                                                         const char *callback_url, const char *account,
                                                                         const calbridge_call_options *options);

CALBRIDGE_EXTERN int calbridge_client_complete_authorization_with_state_for_account(
    calbridge_credentials **out, calbridge_client *client, const char *callback_url, const char *expected_state,
    const char *redirect_uri, const char *code_verifier, const char *account, const calbridge_call_options *options);

/* ---------------------------------------------------------------------------------------- */
/* The token endpoint alone (nothing is read from or written to the token store)           */
/* ---------------------------------------------------------------------------------------- */

/* Exchanges an authorization code for credentials. `code_verifier` is NULL without PKCE. A
 * code exchange is sent again only after a failure that kept it from leaving this machine. The
 * caller owns *out: free it with calbridge_credentials_free(). */
CALBRIDGE_EXTERN int calbridge_client_exchange_code(calbridge_credentials **out, calbridge_client *client,
                                                    const char *code, const char *redirect_uri,
                                                    const char *code_verifier, const calbridge_call_options *options);

/* The same, with the account key the application chose for a reply that names no account (see
 * calbridge_client_complete_authorization_for_account); NULL (or "") `account`: none. Here
 * an unnamed account is not an error: calbridge_credentials_account_key() of the result is
 * then "". */
CALBRIDGE_EXTERN int calbridge_client_exchange_code_for_account(calbridge_credentials **out, calbridge_client *client,
                                                                const char *code, const char *redirect_uri,
                                                                const char *code_verifier, const char *account,
                                                                const calbridge_call_options *options);

/* Refreshes `credentials` (their refresh token, account and scope are kept when the reply has
 * none). CALBRIDGE_EINVALID_GRANT: the user must authorize again. The caller owns *out: free
 * it with calbridge_credentials_free(). Prefer sessions, which refresh through the store. */
CALBRIDGE_EXTERN int calbridge_client_refresh(calbridge_credentials **out, calbridge_client *client,
                                              const calbridge_credentials *credentials,
                                              const calbridge_call_options *options);

/* Revokes the grant of `credentials` (with their refresh token, else the access token). The
 * token store is left as it is: see calbridge_client_forget_account(). */
CALBRIDGE_EXTERN int calbridge_client_revoke(calbridge_client *client, const calbridge_credentials *credentials,
                                             const calbridge_call_options *options);

/* Revokes every grant of the account with this `sub`. */
CALBRIDGE_EXTERN int calbridge_client_revoke_sub(calbridge_client *client, const char *sub,
                                                 const calbridge_call_options *options);

/* ---------------------------------------------------------------------------------------- */
/* Credentials                                                                              */
/* ---------------------------------------------------------------------------------------- */

/* Reads credentials from their stored JSON form (any format any calbridge version wrote).
 * CALBRIDGE_EPROTOCOL when unreadable. The caller owns *out: free it with
 * calbridge_credentials_free(). */
CALBRIDGE_EXTERN int calbridge_credentials_from_json(calbridge_credentials **out, const char *json);

/* The stored JSON form (it contains the tokens: keep it secret). The caller owns *out: free it
 * with calbridge_free(). */
CALBRIDGE_EXTERN int calbridge_credentials_to_json(char **out, const calbridge_credentials *credentials);

/* A one-line summary safe for logs (account, scope, expiry, redacted tokens). The caller owns
 * *out: free it with calbridge_free(). */
CALBRIDGE_EXTERN int calbridge_credentials_describe(char **out, const calbridge_credentials *credentials);

/* A copy. The caller owns *out: free it with calbridge_credentials_free(). */
CALBRIDGE_EXTERN int calbridge_credentials_copy(calbridge_credentials **out, const calbridge_credentials *credentials);

/* Getters. Each returns a string borrowed until `credentials` is freed ("" when the value is
 * absent), or NULL when `credentials` is NULL. */
CALBRIDGE_EXTERN const char *calbridge_credentials_access_token(const calbridge_credentials *credentials);  /* secret */
CALBRIDGE_EXTERN const char *calbridge_credentials_refresh_token(const calbridge_credentials *credentials); /* secret */
CALBRIDGE_EXTERN const char *calbridge_credentials_token_type(const calbridge_credentials *credentials);
/* The granted scope, space-separated. */
CALBRIDGE_EXTERN const char *calbridge_credentials_scope(const calbridge_credentials *credentials);
CALBRIDGE_EXTERN const char *calbridge_credentials_account_id(const calbridge_credentials *credentials);
CALBRIDGE_EXTERN const char *calbridge_credentials_sub(const calbridge_credentials *credentials);
/* The key a token store files these credentials under: the account id, else the sub. */
CALBRIDGE_EXTERN const char *calbridge_credentials_account_key(const calbridge_credentials *credentials);
/* The profile linked by this authorization ("linking_profile"); "" when the reply had none. */
CALBRIDGE_EXTERN const char *calbridge_credentials_provider_name(const calbridge_credentials *credentials);
CALBRIDGE_EXTERN const char *calbridge_credentials_profile_id(const calbridge_credentials *credentials);
CALBRIDGE_EXTERN const char *calbridge_credentials_profile_name(const calbridge_credentials *credentials);
/* Reply fields calbridge does not know (e.g. "userinfo"), as the text of one JSON object; "". */
CALBRIDGE_EXTERN const char *calbridge_credentials_extra_json(const calbridge_credentials *credentials);

/* Sets *out to the access token's expiry in Unix seconds, or 0 when the server gave none. */
CALBRIDGE_EXTERN int calbridge_credentials_expires_at(int64_t *out, const calbridge_credentials *credentials);

/* Frees the handle, wiping the tokens. NULL is fine. */
CALBRIDGE_EXTERN void calbridge_credentials_free(calbridge_credentials *credentials);

/* ---------------------------------------------------------------------------------------- */
/* Sessions: one user's calendar API                                                        */
/* ---------------------------------------------------------------------------------------- */

/* A session for an account whose credentials are in the client's token store (loaded on first
 * use; none there gives CALBRIDGE_EINVALID_GRANT then). No I/O. The caller owns *out: free it
 * with calbridge_session_free(). */
CALBRIDGE_EXTERN int calbridge_session_new(calbridge_session **out, calbridge_client *client, const char *account);

/* A session for these credentials (copied): they are inserted into the store on first use if
 * the account has none there; if it has, the store's win (they may be a newer rotation). No
 * I/O. The caller owns *out: free it with calbridge_session_free(). */
CALBRIDGE_EXTERN int calbridge_session_new_with_credentials(calbridge_session **out, calbridge_client *client,
                                                            const calbridge_credentials *credentials);

/* The key the account's credentials are stored under. Borrowed until `session` is freed; NULL
 * when `session` is NULL. */
CALBRIDGE_EXTERN const char *calbridge_session_account_key(const calbridge_session *session);

/* The current credentials (loaded from the store on first use, refreshed when about to
 * expire). The caller owns *out: free it with calbridge_credentials_free(). */
CALBRIDGE_EXTERN int calbridge_session_credentials(calbridge_credentials **out, calbridge_session *session,
                                                   const calbridge_call_options *options);

/* Calendar calls. Each returning JSON sets *out_json to a NUL-terminated UTF-8 JSON text that
 * the caller owns and frees with calbridge_free(). Objects are passed through as the server
 * sent them, unknown fields included. */

/* GET /v1/calendars: a JSON array of calendar objects. Needs scope list_calendars. */
CALBRIDGE_EXTERN int calbridge_session_calendars(char **out_json, calbridge_session *session,
                                                 const calbridge_call_options *options);

/* GET /v1/account: the account object. Needs scope read_account. */
CALBRIDGE_EXTERN int calbridge_session_account(char **out_json, calbridge_session *session,
                                               const calbridge_call_options *options);

/* GET /v1/userinfo: the userinfo object. Needs scope read_account. */
CALBRIDGE_EXTERN int calbridge_session_userinfo(char **out_json, calbridge_session *session,
                                                const calbridge_call_options *options);

/* GET /v1/profiles: a JSON array of profile objects. A profile with "profile_connected":
 * false needs the user to relink it at its "profile_relink_url". Needs scope read_account. */
CALBRIDGE_EXTERN int calbridge_session_profiles(char **out_json, calbridge_session *session,
                                                const calbridge_call_options *options);

#define CALBRIDGE_EVENTS_QUERY_VERSION 1

/* The query of events and free/busy (NULL: the defaults). Unset parts are not sent. */
typedef struct calbridge_events_query {
    unsigned int version;       /* CALBRIDGE_EVENTS_QUERY_VERSION */
    const char *tzid;           /* NULL: "Etc/UTC" */
    const char *from;           /* "YYYY-MM-DD", inclusive; NULL: the server's default */
    const char *to;             /* "YYYY-MM-DD", exclusive; NULL: the server's default */
    const char *const *calendar_ids;  /* calendar_id_count ids, sent as repeated calendar_ids[] */
    size_t calendar_id_count;
    const char *last_modified;  /* RFC 3339, sent in UTC floored to the second */
    /* CALBRIDGE_UNSET, CALBRIDGE_TRUE or CALBRIDGE_FALSE (free/busy ignores what it does not know). */
    int include_managed;
    int only_managed;
    int include_deleted;
    int include_moved;
    int localized_times;
} calbridge_events_query;

#define CALBRIDGE_EVENTS_QUERY_INIT \
    { CALBRIDGE_EVENTS_QUERY_VERSION, NULL, NULL, NULL, NULL, 0, NULL, 0, 0, 0, 0, 0 }

/* Initialises *query to the defaults. `version` must be CALBRIDGE_EVENTS_QUERY_VERSION. */
CALBRIDGE_EXTERN int calbridge_events_query_init(calbridge_events_query *query, unsigned int version);

/* GET /v1/events, page by page: nothing is fetched until calbridge_pages_next(), which yields
 * each page's events as a JSON array of event objects. Needs scope read_events. The caller
 * owns *out: free it with calbridge_pages_free(). */
CALBRIDGE_EXTERN int calbridge_session_events(calbridge_pages **out, calbridge_session *session,
                                              const calbridge_events_query *query,
                                              const calbridge_call_options *options);

/* GET /v1/free_busy, page by page: each page a JSON array of free/busy periods
 * ({"calendar_id", "start", "end", "free_busy_status"}). Needs read_events or read_free_busy.
 * The caller owns *out: free it with calbridge_pages_free(). */
CALBRIDGE_EXTERN int calbridge_session_free_busy(calbridge_pages **out, calbridge_session *session,
                                                 const calbridge_events_query *query,
                                                 const calbridge_call_options *options);

/* Creates or updates an event: `event_json` is a JSON object with an "event_id" (the
 * application's id, which makes the call idempotent) and "summary", "description", "start",
 * "end", ... as the API documents; sent as given. CALBRIDGE_EVALIDATION with field errors when
 * the server rejects it. Needs scope create_event. */
CALBRIDGE_EXTERN int calbridge_session_upsert_event(calbridge_session *session, const char *calendar_id,
                                                    const char *event_json, const calbridge_call_options *options);

/* Deletes the application's event `event_id`. Needs scope delete_event. */
CALBRIDGE_EXTERN int calbridge_session_delete_event(calbridge_session *session, const char *calendar_id,
                                                    const char *event_id, const calbridge_call_options *options);

/* Deletes an event the application does not manage, by its provider's `event_uid`. */
CALBRIDGE_EXTERN int calbridge_session_delete_external_event(calbridge_session *session, const char *calendar_id,
                                                             const char *event_uid,
                                                             const calbridge_call_options *options);

/* POST /v1/profiles/{profile_id}/revoke: disconnects one calendar profile. */
CALBRIDGE_EXTERN int calbridge_session_revoke_profile(calbridge_session *session, const char *profile_id,
                                                      const calbridge_call_options *options);

/* POST /v1/link_tokens: a link token (a secret) to pass as
 * calbridge_authorization_options.link_token to add another calendar account to this user.
 * The caller owns *out: free it with calbridge_free(). */
CALBRIDGE_EXTERN int calbridge_session_create_link_token(char **out, calbridge_session *session,
                                                         const calbridge_call_options *options);

/* One query parameter of a generic request, given decoded (calbridge percent-encodes it). */
typedef struct calbridge_query_param {
    const char *key;
    const char *value;
} calbridge_query_param;

/* Any API call. `method`: "GET", "POST", "PUT", "DELETE", ... `path_or_url`: a path on the API
 * host ("/v1/calendars") or an absolute URL on its origin; anything else is
 * CALBRIDGE_EINVALID_ARGUMENT (the bearer token never leaves the API host). `query`: an array
 * of `query_count` parameters (NULL when 0; repeated keys allowed). `json_body`: sent as
 * application/json, or NULL for none. *out_json: the reply's body, JSON or "" when empty; the
 * caller owns it and frees it with calbridge_free(). Only GET, HEAD, PUT and DELETE are
 * retried; a POST is sent again only when it never left this machine. */
CALBRIDGE_EXTERN int calbridge_session_request(char **out_json, calbridge_session *session, const char *method,
                                               const char *path_or_url, const calbridge_query_param *query,
                                               size_t query_count, const char *json_body,
                                               const calbridge_call_options *options);

/* Frees the session handle. Page iterators made from it stay usable. NULL is fine. */
CALBRIDGE_EXTERN void calbridge_session_free(calbridge_session *session);

/* ---------------------------------------------------------------------------------------- */
/* Page iteration                                                                           */
/* ---------------------------------------------------------------------------------------- */

/* Fetches the next page: CALBRIDGE_OK with *out_json set to that page's items (a JSON array
 * the caller frees with calbridge_free()), or CALBRIDGE_DONE with *out_json NULL once the last
 * page has been returned, or an error (then calling again retries the same page). Follows the
 * server's next_page links only on the API host's origin (CALBRIDGE_EPROTOCOL otherwise).
 *
 *     char *page;
 *     int rc;
 *     while ((rc = calbridge_pages_next(&page, pages)) == CALBRIDGE_OK) {
 *         use(page);
 *         calbridge_free(page);
 *     }
 *     if (rc != CALBRIDGE_DONE) fail(calbridge_error_last());
 */
CALBRIDGE_EXTERN int calbridge_pages_next(char **out_json, calbridge_pages *pages);

/* The position of the last page fetched, from the server's "pages": {"current", "total"}; both
 * 0 before the first fetch or when the server does not say. Either out pointer may be NULL,
 * not both. */
CALBRIDGE_EXTERN int calbridge_pages_position(int *out_current, int *out_total, const calbridge_pages *pages);

/* Frees the iterator. NULL is fine. */
CALBRIDGE_EXTERN void calbridge_pages_free(calbridge_pages *pages);

/* ---------------------------------------------------------------------------------------- */
/* Calls authenticated with the application's client secret                                */
/* ---------------------------------------------------------------------------------------- */

/* These send the client secret as the bearer (never a user's token), to the API host's origin
 * only. A 401 means the secret was refused: CALBRIDGE_EINVALID_CLIENT. */

/* Any such call (real-time scheduling, smart invites, ...), as calbridge_session_request():
 * `path_or_url` a path on the API host or an absolute URL on its origin (anything else is
 * CALBRIDGE_EINVALID_ARGUMENT and nothing is sent); `query` an array of `query_count`
 * parameters (NULL when 0); `json_body` sent as application/json, or NULL for none. *out_json:
 * the reply's body, JSON or "" when empty; the caller frees it with calbridge_free(). GET,
 * HEAD, PUT and DELETE are retried; a POST only when it never left this machine. */
CALBRIDGE_EXTERN int calbridge_client_request(char **out_json, calbridge_client *client, const char *method,
                                              const char *path_or_url, const calbridge_query_param *query,
                                              size_t query_count, const char *json_body,
                                              const calbridge_call_options *options);

/* POST /v1/availability across the application's accounts. `query_json`: the query as the
 * API takes it, e.g.
 *     {"participants": [{"members": [{"sub": "acc_1"}], "required": "all"}],
 *      "required_duration": {"minutes": 60},
 *      "available_periods": [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T17:00:00Z"}],
 *      "buffer": {"before": {"minutes": 15}}, "start_interval": {"minutes": 30},
 *      "max_results": 20, "response_format": "periods"}
 * ("slots" or "overlapping_slots" for slots). It is checked before anything is sent
 * (CALBRIDGE_EINVALID_ARGUMENT naming the field). *out_json: the reply, an object with
 * "available_periods" or "available_slots" (each {"start", "end", "participants": [{"sub"}]});
 * the caller frees it with calbridge_free(). CALBRIDGE_EVALIDATION with field errors when the
 * server rejects the query. */
CALBRIDGE_EXTERN int calbridge_client_availability(char **out_json, calbridge_client *client, const char *query_json,
                                                   const calbridge_call_options *options);

/* POST /v1/application_calendars: creates (or finds) the application calendar with this id and
 * stores its credentials in the client's token store like a new authorization (replacing what
 * was there), so that calbridge_session_new(client, calbridge_credentials_account_key(*out))
 * works and refreshes like any account. The caller owns *out: free it with
 * calbridge_credentials_free(). */
CALBRIDGE_EXTERN int calbridge_client_create_application_calendar(calbridge_credentials **out,
                                                                  calbridge_client *client,
                                                                  const char *application_calendar_id,
                                                                  const calbridge_call_options *options);

/* ---------------------------------------------------------------------------------------- */
/* Scheduling and the other account calls (the account's token)                             */
/* ---------------------------------------------------------------------------------------- */

/* POST /v1/availability with this account's token: `query_json` and *out_json as for
 * calbridge_client_availability(). */
CALBRIDGE_EXTERN int calbridge_session_availability(char **out_json, calbridge_session *session,
                                                    const char *query_json, const calbridge_call_options *options);

/* Participation statuses. */
#define CALBRIDGE_PARTICIPATION_ACCEPTED 1
#define CALBRIDGE_PARTICIPATION_TENTATIVE 2
#define CALBRIDGE_PARTICIPATION_DECLINED 3

/* POST /v1/calendars/{calendar_id}/events/{event_uid}/participation_status. `status`: one of
 * CALBRIDGE_PARTICIPATION_* (anything else is CALBRIDGE_EINVALID_ARGUMENT). */
CALBRIDGE_EXTERN int calbridge_session_change_participation_status(calbridge_session *session,
                                                                   const char *calendar_id, const char *event_uid,
                                                                   int status, const calbridge_call_options *options);

/* POST /v1/calendars {"profile_id", "name"}: *out_json is the new calendar object; the caller
 * frees it with calbridge_free(). Needs scope create_calendar. Not sent again once it may have
 * left this machine. */
CALBRIDGE_EXTERN int calbridge_session_create_calendar(char **out_json, calbridge_session *session,
                                                       const char *profile_id, const char *name,
                                                       const calbridge_call_options *options);

/* DELETE /v1/events {"delete_all": true}: every event the application manages, in every
 * calendar of the account. */
CALBRIDGE_EXTERN int calbridge_session_delete_all_events(calbridge_session *session,
                                                         const calbridge_call_options *options);

/* DELETE /v1/events {"calendar_ids": [...]}: the events the application manages in these
 * `calendar_id_count` calendars (at least one: 0 is CALBRIDGE_EINVALID_ARGUMENT, never "all"). */
CALBRIDGE_EXTERN int calbridge_session_delete_events_in_calendars(calbridge_session *session,
                                                                  const char *const *calendar_ids,
                                                                  size_t calendar_id_count,
                                                                  const calbridge_call_options *options);

/* POST /v1/availability_rules: creates or updates the rule `rule_json`, an object
 * {"availability_rule_id", "tzid", "calendar_ids": [...], "weekly_periods": [{"day":
 * "monday", "start_time": "09:00", "end_time": "17:00"}]}. *out_json: the rule as stored; the
 * caller frees it with calbridge_free(). Idempotent by availability_rule_id, so retried. */
CALBRIDGE_EXTERN int calbridge_session_upsert_availability_rule(char **out_json, calbridge_session *session,
                                                                const char *rule_json,
                                                                const calbridge_call_options *options);

/* GET /v1/availability_rules: *out_json is a JSON array of rule objects; the caller frees it
 * with calbridge_free(). */
CALBRIDGE_EXTERN int calbridge_session_availability_rules(char **out_json, calbridge_session *session,
                                                          const calbridge_call_options *options);

/* GET /v1/availability_rules/{availability_rule_id}: *out_json is the rule object; the caller
 * frees it with calbridge_free(). */
CALBRIDGE_EXTERN int calbridge_session_availability_rule(char **out_json, calbridge_session *session,
                                                         const char *availability_rule_id,
                                                         const calbridge_call_options *options);

/* DELETE /v1/availability_rules/{availability_rule_id}. */
CALBRIDGE_EXTERN int calbridge_session_delete_availability_rule(calbridge_session *session,
                                                                const char *availability_rule_id,
                                                                const calbridge_call_options *options);

/* One calendar of an elevated permissions request. */
typedef struct calbridge_calendar_permission {
    const char *calendar_id;
    const char *permission_level; /* "unrestricted" or "sandbox" */
} calbridge_calendar_permission;

/* POST /v1/permissions for `permission_count` (at least one) calendars. `redirect_uri`: where
 * the user comes back after approving, or NULL for none. *out_json: the reply's
 * "permissions_request" object ({"accepted": true} or {"url": ...}: send the user to the url);
 * the caller frees it with calbridge_free(). */
CALBRIDGE_EXTERN int calbridge_session_request_elevated_permissions(char **out_json, calbridge_session *session,
                                                                    const calbridge_calendar_permission *permissions,
                                                                    size_t permission_count,
                                                                    const char *redirect_uri,
                                                                    const calbridge_call_options *options);
/* Push notifications: channels and verifying the pushes                                     */
/* ---------------------------------------------------------------------------------------- */

/* The header the intermediary signs each push with: base64 of HMAC-SHA256 over the raw request
 * body, keyed with the client secret; several comma-separated values while a secret is being
 * rotated. */
#define CALBRIDGE_PUSH_SIGNATURE_HEADER "Cronofy-HMAC-SHA256"

/* Verifies a push: `signature_header` is the header's value as received (NULL when the
 * request had none), `body` the raw request body (`body_len` bytes, as received: never
 * re-serialized JSON; not NULL, "" with 0 for an empty body). CALBRIDGE_OK when any value of the header matches
 * base64(HMAC-SHA256(secret, body)) for `secret` or, when not NULL, `previous_secret` (the one
 * being rotated out). CALBRIDGE_EINVALID_SIGNATURE when the header is NULL, empty, longer than
 * 4096 bytes, holds no well-formed value among its first 16, or matches neither secret.
 * Comparisons take constant time; no message names a secret. */
CALBRIDGE_EXTERN int calbridge_push_verify(const char *signature_header, const char *body, size_t body_len,
                                           const char *secret, const char *previous_secret);

/* Reads a push body (`body_len` bytes; verify it first) into *out_json, a JSON object the
 * caller frees with calbridge_free():
 *   {"type": "verification" | "change" | "profile_disconnected" |
 *            "profile_initial_sync_required" | "unknown",
 *    "type_name": the type as sent (an unknown type is kept here),
 *    "changes_since": "2026-12-01T09:00:00Z" or null,
 *    "channel": {"channel_id", "callback_url", "filters": {...}} or null,
 *    "body": the body itself}
 * For "change", read events with last_modified = changes_since; treat "unknown" as "something
 * changed". CALBRIDGE_EPROTOCOL when the body is not JSON or has no "notification" with a
 * string "type". */
CALBRIDGE_EXTERN int calbridge_push_parse(char **out_json, const char *body, size_t body_len);

#define CALBRIDGE_CHANNEL_OPTIONS_VERSION 1

/* The filters of a new channel (NULL: none, every change of the account). */
typedef struct calbridge_channel_options {
    unsigned int version;               /* CALBRIDGE_CHANNEL_OPTIONS_VERSION */
    const char *const *calendar_ids;    /* calendar_id_count ids: only changes to these calendars */
    size_t calendar_id_count;
    int only_managed;                   /* CALBRIDGE_UNSET, CALBRIDGE_TRUE or CALBRIDGE_FALSE */
} calbridge_channel_options;

#define CALBRIDGE_CHANNEL_OPTIONS_INIT { CALBRIDGE_CHANNEL_OPTIONS_VERSION, NULL, 0, CALBRIDGE_UNSET }

/* Initialises *options to the defaults. `version` must be CALBRIDGE_CHANNEL_OPTIONS_VERSION. */
CALBRIDGE_EXTERN int calbridge_channel_options_init(calbridge_channel_options *options, unsigned int version);

/* POST /v1/channels: the intermediary will POST signed notifications to `callback_url` (at most
 * 128 characters; https, or http to a loopback address: CALBRIDGE_EINVALID_ARGUMENT otherwise,
 * before anything is sent). *out_json: the channel object ({"channel_id", "callback_url",
 * "filters"}); the caller frees it with calbridge_free(). Sent again only when the request
 * never left this machine. */
CALBRIDGE_EXTERN int calbridge_session_create_channel(char **out_json, calbridge_session *session,
                                                      const char *callback_url,
                                                      const calbridge_channel_options *channel_options,
                                                      const calbridge_call_options *options);

/* GET /v1/channels: a JSON array of channel objects; the caller frees it with calbridge_free(). */
CALBRIDGE_EXTERN int calbridge_session_list_channels(char **out_json, calbridge_session *session,
                                                     const calbridge_call_options *options);

/* DELETE /v1/channels/{channel_id}: no more pushes to that channel. */
CALBRIDGE_EXTERN int calbridge_session_close_channel(calbridge_session *session, const char *channel_id,
                                                     const calbridge_call_options *options);

#ifdef __cplusplus
}
#endif

#endif /* CALBRIDGE_H */
