#define _POSIX_C_SOURCE 200809L

#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "%s is not set: run this test through run_with_sandbox.py\n", name);
        return NULL;
    }
    return value;
}

calbridge_client_options sandbox_client_options(const struct sandbox *sb) {
    calbridge_client_options o = CALBRIDGE_CLIENT_OPTIONS_INIT;
    o.api_url = sb->api_url;
    o.app_url = sb->app_url;
    o.ca_file = sb->ca_file;
    return o;
}

int sandbox_open(struct sandbox *sb) {
    calbridge_client_options o;
    calbridge_credentials *admin = NULL;
    char json[512];
    int rc;
    memset(sb, 0, sizeof *sb);
    sb->api_url = env("CALBRIDGE_SANDBOX_API_URL");
    sb->app_url = env("CALBRIDGE_SANDBOX_APP_URL");
    sb->ca_file = env("CALBRIDGE_SANDBOX_CA_FILE");
    sb->client_id = env("CALBRIDGE_SANDBOX_CLIENT_ID");
    sb->client_secret = env("CALBRIDGE_SANDBOX_CLIENT_SECRET");
    sb->admin_token = env("CALBRIDGE_SANDBOX_ADMIN_TOKEN");
    if (!sb->api_url || !sb->app_url || !sb->ca_file || !sb->client_id || !sb->client_secret || !sb->admin_token) {
        return -1;
    }
    o = sandbox_client_options(sb);
    o.max_retries = -1;
    rc = calbridge_client_new(&sb->admin_client, sb->client_id, sb->client_secret, &o);
    if (rc == CALBRIDGE_OK) {
        snprintf(json, sizeof json, "{\"access_token\": \"%s\", \"account_id\": \"sandbox-admin\"}", sb->admin_token);
        rc = calbridge_credentials_from_json(&admin, json);
    }
    if (rc == CALBRIDGE_OK) rc = calbridge_session_new_with_credentials(&sb->admin, sb->admin_client, admin);
    calbridge_credentials_free(admin);
    if (rc != CALBRIDGE_OK) fprintf(stderr, "sandbox admin session: %s\n", calbridge_error_last()->message);
    return rc;
}

void sandbox_close(struct sandbox *sb) {
    calbridge_session_free(sb->admin);
    calbridge_client_free(sb->admin_client);
    sb->admin = NULL;
    sb->admin_client = NULL;
}

int sandbox_admin(struct sandbox *sb, const char *method, const char *path, const char *body, char **out_json) {
    char *reply = NULL;
    int rc = calbridge_session_request(&reply, sb->admin, method, path, NULL, 0, body, NULL);
    if (rc != CALBRIDGE_OK) {
        fprintf(stderr, "admin %s %s: %d %s\n", method, path, rc, calbridge_error_last()->message);
    }
    if (out_json != NULL) {
        *out_json = reply;
    } else {
        calbridge_free(reply);
    }
    return rc;
}

char *sandbox_consent(struct sandbox *sb, const char *authorization_url, const char *user, const char *decision) {
    /* URLs are percent-encoded: no quote or backslash to escape. */
    size_t size = strlen(authorization_url) + strlen(user) + strlen(decision) + 64;
    char *body = (char *)malloc(size);
    char *reply = NULL;
    char *redirect = NULL;
    if (body == NULL) return NULL;
    snprintf(body, size, "{\"url\": \"%s\", \"user\": \"%s\", \"decision\": \"%s\"}", authorization_url, user,
             decision);
    if (sandbox_admin(sb, "POST", "/admin/consent", body, &reply) == CALBRIDGE_OK) {
        redirect = json_string_field(reply, "redirect");
    }
    calbridge_free(reply);
    free(body);
    return redirect;
}

int sandbox_fault(struct sandbox *sb, const char *fault_json) {
    return sandbox_admin(sb, "POST", "/admin/faults", fault_json, NULL);
}

int sandbox_clear_faults(struct sandbox *sb) { return sandbox_admin(sb, "DELETE", "/admin/faults", NULL, NULL); }

int sandbox_expire_tokens(struct sandbox *sb, const char *account_id) {
    char body[256];
    snprintf(body, sizeof body, "{\"account_id\": \"%s\"}", account_id);
    return sandbox_admin(sb, "POST", "/admin/tokens/expire", body, NULL);
}

long sandbox_counter(struct sandbox *sb, const char *name) {
    char *reply = NULL;
    char key[128];
    const char *at;
    long value = -1;
    if (sandbox_admin(sb, "GET", "/admin/counters", NULL, &reply) != CALBRIDGE_OK) return -1;
    snprintf(key, sizeof key, "\"%s\":", name);
    at = strstr(reply, key);
    if (at != NULL) value = strtol(at + strlen(key), NULL, 10);
    calbridge_free(reply);
    return value;
}

char *json_string_field(const char *json, const char *key) {
    char pattern[128];
    const char *at;
    char *out;
    size_t n = 0;
    if (json == NULL) return NULL;
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    at = strstr(json, pattern);
    if (at == NULL) return NULL;
    at += strlen(pattern);
    while (*at == ' ' || *at == ':') ++at;
    if (*at != '"') return NULL;
    ++at;
    out = (char *)malloc(strlen(at) + 1);
    if (out == NULL) return NULL;
    while (*at != '\0' && *at != '"') {
        if (*at == '\\' && at[1] != '\0') {
            ++at;
            switch (*at) {
                case 'n': out[n++] = '\n'; break;
                case 't': out[n++] = '\t'; break;
                default: out[n++] = *at; break; /* \" \\ \/ */
            }
            ++at;
        } else {
            out[n++] = *at++;
        }
    }
    out[n] = '\0';
    return out;
}

void date_from_today(char out[11], int days) {
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
