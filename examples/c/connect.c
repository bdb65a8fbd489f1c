/* connect.c: the whole Individual Connect flow with calbridge's C API.
 *
 * Against real credentials:
 *     CALBRIDGE_CLIENT_ID=... CALBRIDGE_CLIENT_SECRET=... \
 *     CALBRIDGE_REDIRECT_URI=https://app.example.com/callback ./calbridge-connect
 *   (optional: CALBRIDGE_DATA_CENTER=de, CALBRIDGE_TOKEN_DIR=/path/for/tokens)
 *   It prints the authorization link; open it, consent, then paste the URL the browser was
 *   redirected to (it does not need to load).
 *
 * Against calbridge-sandbox: the variables of its ready file, CALBRIDGE_SANDBOX_API_URL,
 * _APP_URL, _CA_FILE, _CLIENT_ID, _CLIENT_SECRET, and with _ADMIN_TOKEN the consent is given
 * headlessly through the sandbox's admin API (tests/capi/run_with_sandbox.py sets them all).
 *
 * Build: cc connect.c $(pkg-config --cflags --libs calbridge)
 */
#include <calbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints what went wrong (never a secret: calbridge keeps them out of messages). */
static int fail(const char *what) {
    const calbridge_error *e = calbridge_error_last();
    fprintf(stderr, "%s failed: %s (%d): %s\n", what, e->code_name, e->code, e->message);
    if (e->http_status != 0) fprintf(stderr, "  HTTP status %d\n", e->http_status);
    if (e->oauth_error[0] != '\0') fprintf(stderr, "  OAuth error %s: %s\n", e->oauth_error, e->oauth_error_description);
    if (e->code == CALBRIDGE_EINVALID_GRANT) fprintf(stderr, "  the user must authorize again\n");
    return 1;
}

static void log_line(int level, const char *message, void *userdata) {
    (void)userdata;
    if (level >= CALBRIDGE_LOG_INFO) fprintf(stderr, "[calbridge] %s\n", message);
}

static const char *env(const char *name) {
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

/* The sandbox's headless consent: POST /admin/consent with its admin token, sent with
 * calbridge's own generic request (the admin token is the bearer token of an "admin" session). */
static char *sandbox_consent(calbridge_client *client, const char *admin_token, const char *url) {
    char json[512], *body, *reply = NULL, *redirect = NULL, *start, *end;
    calbridge_credentials *admin = NULL;
    calbridge_session *session = NULL;
    size_t size = strlen(url) + 128;
    snprintf(json, sizeof json, "{\"access_token\": \"%s\", \"account_id\": \"sandbox-admin\"}", admin_token);
    body = (char *)malloc(size);
    if (body == NULL) return NULL;
    snprintf(body, size, "{\"url\": \"%s\", \"user\": \"acc_sandbox_ada\", \"decision\": \"approve\"}", url);
    if (calbridge_credentials_from_json(&admin, json) == CALBRIDGE_OK &&
        calbridge_session_new_with_credentials(&session, client, admin) == CALBRIDGE_OK &&
        calbridge_session_request(&reply, session, "POST", "/admin/consent", NULL, 0, body, NULL) == CALBRIDGE_OK) {
        /* {"redirect": "http://localhost:8080/callback?code=...&state=..."} */
        start = strstr(reply, "\"redirect\":\"");
        if (start != NULL && (end = strchr(start + 12, '"')) != NULL) {
            *end = '\0';
            redirect = (char *)malloc(strlen(start + 12) + 1);
            if (redirect != NULL) strcpy(redirect, start + 12);
        }
    } else {
        fail("sandbox consent");
    }
    calbridge_free(reply);
    calbridge_session_free(session);
    calbridge_credentials_free(admin);
    free(body);
    return redirect;
}

int main(void) {
    const int sandbox = env("CALBRIDGE_SANDBOX_API_URL") != NULL;
    const char *client_id = env(sandbox ? "CALBRIDGE_SANDBOX_CLIENT_ID" : "CALBRIDGE_CLIENT_ID");
    const char *client_secret = env(sandbox ? "CALBRIDGE_SANDBOX_CLIENT_SECRET" : "CALBRIDGE_CLIENT_SECRET");
    const char *redirect_uri = sandbox ? "http://localhost:8080/callback" : env("CALBRIDGE_REDIRECT_URI");
    calbridge_client_options options = CALBRIDGE_CLIENT_OPTIONS_INIT;
    calbridge_authorization_options auth_options = CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
    calbridge_client *client = NULL;
    calbridge_authorization *authorization = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_session *session = NULL;
    calbridge_pages *pages = NULL;
    char callback[4096], *json = NULL, *page = NULL, *redirect = NULL;
    int rc, status = 1, page_count = 0;

    if (client_id == NULL || client_secret == NULL || redirect_uri == NULL) {
        fprintf(stderr, "set CALBRIDGE_CLIENT_ID, CALBRIDGE_CLIENT_SECRET and CALBRIDGE_REDIRECT_URI "
                        "(or run against calbridge-sandbox; see the comment at the top)\n");
        return 2;
    }
    printf("calbridge %s\n", calbridge_version());

    /* 1. One client per application. */
    options.log = log_line;
    options.log_level = CALBRIDGE_LOG_INFO;
    options.token_store_directory = env("CALBRIDGE_TOKEN_DIR"); /* NULL: tokens kept in memory */
    if (sandbox) {
        options.api_url = env("CALBRIDGE_SANDBOX_API_URL");
        options.app_url = env("CALBRIDGE_SANDBOX_APP_URL");
        options.ca_file = env("CALBRIDGE_SANDBOX_CA_FILE");
    } else {
        options.data_center = env("CALBRIDGE_DATA_CENTER");
    }
    if (calbridge_client_new(&client, client_id, client_secret, &options) != CALBRIDGE_OK) return fail("client");

    /* 2. The authorization link, with PKCE. Keep the handle (or its state and verifier) until
     *    the user comes back. */
    auth_options.pkce = 1;
    if (calbridge_authorization_new(&authorization, client, redirect_uri, "read_account list_calendars read_events",
                                    &auth_options) != CALBRIDGE_OK) {
        status = fail("authorization link");
        goto done;
    }
    printf("\nOpen this link and allow access:\n\n  %s\n\n", calbridge_authorization_url(authorization));

    /* 3. The redirect back. */
    if (sandbox && env("CALBRIDGE_SANDBOX_ADMIN_TOKEN") != NULL) {
        redirect = sandbox_consent(client, env("CALBRIDGE_SANDBOX_ADMIN_TOKEN"), calbridge_authorization_url(authorization));
        if (redirect == NULL) goto done;
        printf("(the sandbox consented for its user)\n");
    } else {
        printf("Then paste the URL you were redirected to: ");
        fflush(stdout);
        if (fgets(callback, sizeof callback, stdin) == NULL) goto done;
        callback[strcspn(callback, "\r\n")] = '\0';
    }
    if (calbridge_client_complete_authorization(&credentials, client, authorization, redirect ? redirect : callback,
                                                NULL) != CALBRIDGE_OK) {
        status = fail("completing the authorization");
        goto done;
    }
    printf("connected account %s (scope: %s)\n", calbridge_credentials_account_key(credentials),
           calbridge_credentials_scope(credentials));

    /* 4. A session for the user: the calendar API, tokens refreshed as needed. */
    if (calbridge_session_new(&session, client, calbridge_credentials_account_key(credentials)) != CALBRIDGE_OK) {
        status = fail("session");
        goto done;
    }
    if (calbridge_session_account(&json, session, NULL) != CALBRIDGE_OK) {
        status = fail("account");
        goto done;
    }
    printf("account: %s\n", json);
    calbridge_free(json);
    json = NULL;
    if (calbridge_session_calendars(&json, session, NULL) != CALBRIDGE_OK) {
        status = fail("calendars");
        goto done;
    }
    printf("calendars: %.300s%s\n", json, strlen(json) > 300 ? "..." : "");
    calbridge_free(json);
    json = NULL;

    /* 5. Events, page by page (the next 201 days by default). */
    if (calbridge_session_events(&pages, session, NULL, NULL) != CALBRIDGE_OK) {
        status = fail("events");
        goto done;
    }
    while ((rc = calbridge_pages_next(&page, pages)) == CALBRIDGE_OK) {
        printf("events page %d: %zu bytes of JSON\n", ++page_count, strlen(page));
        calbridge_free(page);
    }
    if (rc != CALBRIDGE_DONE) {
        status = fail("events page");
        goto done;
    }

    /* 6. In the sandbox, clean up: revoke the grant. */
    if (sandbox && calbridge_client_revoke(client, credentials, NULL) != CALBRIDGE_OK) {
        status = fail("revoke");
        goto done;
    }
    printf("done\n");
    status = 0;

done:
    free(redirect);
    calbridge_pages_free(pages);
    calbridge_session_free(session);
    calbridge_credentials_free(credentials);
    calbridge_authorization_free(authorization);
    calbridge_client_free(client);
    return status;
}
