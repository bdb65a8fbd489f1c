/* The client-secret and scheduling calls in C99 against calbridge-sandbox (needs the sandbox
 * side of issue 12 item 5): an application calendar created, refreshed after its token
 * expires, and written to; availability with the secret and with the account's token; a 422
 * for an invalid query; a wrong secret refused and never quoted. */
#include "check.h"
#include "sandbox.h"

#include <calbridge.h>

#include <stdlib.h>
#include <string.h>

static const char *const query =
    "{\"participants\": [{\"members\": [{\"sub\": \"acc_sandbox_ada\"}], \"required\": \"all\"}],"
    " \"required_duration\": {\"minutes\": 30},"
    " \"available_periods\": [{\"start\": \"2026-12-07T09:00:00Z\", \"end\": \"2026-12-07T17:00:00Z\"}],"
    " \"response_format\": \"periods\"}";

static void application_calendar(struct sandbox *sb, calbridge_client *client) {
    calbridge_credentials *created = NULL;
    calbridge_session *session = NULL;
    char *json = NULL;
    char *calendar_id = NULL;

    REQUIRE_OK(calbridge_client_create_application_calendar(&created, client, "bookings", NULL));
    REQUIRE_OK(calbridge_session_new(&session, client, calbridge_credentials_account_key(created)));
    CHECK_OK(sandbox_expire_tokens(sb, calbridge_credentials_account_key(created)));
    CHECK_OK(calbridge_session_calendars(&json, session, NULL)); /* refreshes first */
    calendar_id = json ? json_string_field(json, "calendar_id") : NULL;
    CHECK(calendar_id != NULL);
    calbridge_free(json);
    if (calendar_id != NULL) {
        CHECK_OK(calbridge_session_upsert_event(
            session, calendar_id,
            "{\"event_id\": \"booking-1\", \"summary\": \"Booked\", \"description\": \"-\","
            " \"start\": \"2026-12-07T09:00:00Z\", \"end\": \"2026-12-07T10:00:00Z\"}",
            NULL));
    }
    CHECK(sandbox_counter(sb, "refresh_token") >= 1);
    free(calendar_id);
    calbridge_session_free(session);
    calbridge_credentials_free(created);
}

static void availability(calbridge_client *client, calbridge_session *session) {
    char *json = NULL;
    CHECK_OK(calbridge_client_availability(&json, client, query, NULL));
    CHECK(json != NULL && strstr(json, "\"available_periods\"") != NULL);
    calbridge_free(json);
    CHECK_OK(calbridge_session_availability(&json, session, query, NULL));
    CHECK(json != NULL && strstr(json, "\"available_periods\"") != NULL);
    calbridge_free(json);
    CHECK_RC(CALBRIDGE_EVALIDATION, calbridge_client_request(&json, client, "POST", "/v1/availability", NULL, 0,
                                                             "{\"participants\": []}", NULL));
    CHECK(calbridge_error_last()->field_errors_json != NULL &&
          strcmp(calbridge_error_last()->field_errors_json, "[]") != 0);
}

int main(void) {
    struct sandbox sb;
    calbridge_client_options o;
    calbridge_client *client = NULL;
    calbridge_client *wrong = NULL;
    calbridge_authorization *auth = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_credentials *refused = NULL;
    calbridge_session *session = NULL;
    char *callback = NULL;

    if (sandbox_open(&sb) != 0) return 2;
    o = sandbox_client_options(&sb);
    if (calbridge_client_new(&client, sb.client_id, sb.client_secret, &o) != CALBRIDGE_OK) return 2;

    application_calendar(&sb, client);

    if (calbridge_authorization_new(&auth, client, SANDBOX_REDIRECT_URI, SANDBOX_ALL_SCOPES, NULL) == CALBRIDGE_OK &&
        (callback = sandbox_consent(&sb, calbridge_authorization_url(auth), SANDBOX_USER, "approve")) != NULL &&
        calbridge_client_complete_authorization(&credentials, client, auth, callback, NULL) == CALBRIDGE_OK &&
        calbridge_session_new(&session, client, SANDBOX_USER) == CALBRIDGE_OK) {
        availability(client, session);
    } else {
        CHECK(!"connecting the sandbox user failed");
    }

    CHECK_OK(calbridge_client_new(&wrong, sb.client_id, "wrong-secret-0123456789-wrong", &o));
    CHECK_RC(CALBRIDGE_EINVALID_CLIENT, calbridge_client_create_application_calendar(&refused, wrong, "x", NULL));
    CHECK(refused == NULL);
    CHECK(strstr(calbridge_error_last()->message, "wrong-secret-0123456789-wrong") == NULL);

    free(callback);
    calbridge_session_free(session);
    calbridge_credentials_free(credentials);
    calbridge_authorization_free(auth);
    calbridge_client_free(wrong);
    calbridge_client_free(client);
    sandbox_close(&sb);
    return check_summary("scheduling against the sandbox");
}
