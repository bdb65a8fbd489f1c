/* The C tests' side of calbridge-sandbox: its address and secrets from the environment (set
 * by run_with_sandbox.py from the sandbox's ready file), and its admin API, driven through
 * calbridge's own generic request with the admin token as the bearer token. */
#ifndef CALBRIDGE_TEST_SANDBOX_H
#define CALBRIDGE_TEST_SANDBOX_H

#include <calbridge.h>

struct sandbox {
    const char *api_url;
    const char *app_url;
    const char *ca_file;
    const char *client_id;
    const char *client_secret;
    const char *admin_token;
    calbridge_client *admin_client;
    calbridge_session *admin;
};

#define SANDBOX_REDIRECT_URI "http://localhost:8080/callback"
#define SANDBOX_USER "acc_sandbox_ada"
#define SANDBOX_ALL_SCOPES \
    "read_account list_calendars read_events create_event delete_event read_free_busy create_calendar"

/* Reads the environment and makes the admin session; 0 on success. */
int sandbox_open(struct sandbox *sb);
void sandbox_close(struct sandbox *sb);

/* Client options pointing at the sandbox (hosts and CA). */
calbridge_client_options sandbox_client_options(const struct sandbox *sb);

/* An admin API call; *out_json (may be NULL) gets the reply. Returns the calbridge status. */
int sandbox_admin(struct sandbox *sb, const char *method, const char *path, const char *body, char **out_json);

/* Headless consent for `authorization_url`: "approve" or "deny" as `user`. Returns the redirect
 * back (malloc'd, free()), or NULL. */
char *sandbox_consent(struct sandbox *sb, const char *authorization_url, const char *user, const char *decision);

/* POST /admin/faults with this fault (JSON object); DELETE /admin/faults. */
int sandbox_fault(struct sandbox *sb, const char *fault_json);
int sandbox_clear_faults(struct sandbox *sb);

/* The access tokens of an account expire now (the next API call gets a 401). */
int sandbox_expire_tokens(struct sandbox *sb, const char *account_id);

/* A counter from GET /admin/counters, e.g. "refresh_token" inside "token_requests"; -1 on error. */
long sandbox_counter(struct sandbox *sb, const char *name);

/* The string value of the first "key": "..." in a JSON text (malloc'd, free()); NULL if none.
 * Enough for the sandbox's replies; not a general JSON reader. */
char *json_string_field(const char *json, const char *key);

/* An ISO date (YYYY-MM-DD) `days` from today, UTC. */
void date_from_today(char out[11], int days);

#endif
