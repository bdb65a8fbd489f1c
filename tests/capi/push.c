/* Push notifications through the C API: verifying the signature header with a known vector
 * (computed independently with Python's hmac module while writing this test:
 * base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())), bad headers, parsing,
 * and the channel calls' checks made before anything is sent. */
#include "check.h"

#include <calbridge.h>

#include <stdlib.h>
#include <string.h>

static const char body[] =
    "{\"notification\":{\"type\":\"change\",\"changes_since\":\"2026-12-01T09:00:00Z\"},"
    "\"channel\":{\"channel_id\":\"chn_1\",\"callback_url\":\"https://example.com/push\",\"filters\":{}}}";
static const char current[] = "cs-current-secret";
static const char previous[] = "cs-previous-secret";
static const char current_signature[] = "2nqhijdNFN7JDc8GGhtr27UBnwfsAKHwxp962CYaMwU=";
static const char previous_signature[] = "aMbpzhXcrLR4fKGb9UTEqWS2BjKqwBarqr6pPcSR/+U=";

static int verify(const char *header, const char *data, size_t len, const char *secret, const char *old) {
    return calbridge_push_verify(header, data, len, secret, old);
}

static void signatures(void) {
    const size_t len = strlen(body);
    char header[200];
    char *big;
    char *commas;
    size_t big_len = (size_t)10 * 1024 * 1024;

    CHECK_OK(verify(current_signature, body, len, current, NULL));
    CHECK_OK(verify(previous_signature, body, len, current, previous));
    /* Two values, only the second matches. */
    strcpy(header, previous_signature);
    strcat(header, " , ");
    strcat(header, current_signature);
    CHECK_OK(verify(header, body, len, current, NULL));

    /* Tampered body (one byte fewer), wrong secret. */
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, verify(current_signature, body, len - 1, current, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, verify(current_signature, body, len, previous, NULL));
    CHECK(strstr(calbridge_error_last()->message, previous) == NULL);
    CHECK(strcmp(calbridge_error_last()->code_name, "invalid_signature") == 0);

    /* Missing, empty, malformed. */
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, verify(NULL, body, len, current, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, verify("", body, len, current, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, verify("not base64!", body, len, current, NULL));

    /* 10,000 commas. */
    commas = malloc(10001);
    CHECK(commas != NULL);
    if (commas != NULL) {
        memset(commas, ',', 10000);
        commas[10000] = '\0';
        CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, verify(commas, body, len, current, NULL));
        free(commas);
    }

    /* 10 MiB of 'x' (hmac.new(b"cs-current-secret", b"x" * 10485760, sha256)). */
    big = malloc(big_len);
    CHECK(big != NULL);
    if (big != NULL) {
        memset(big, 'x', big_len);
        CHECK_OK(verify("06xjRgZwnlPW4GwNVRKCrpTnvu20iK41vmmo2+a2HG4=", big, big_len, current, NULL));
        CHECK_RC(CALBRIDGE_EINVALID_SIGNATURE, verify(current_signature, big, big_len, current, NULL));
        free(big);
    }

    /* Bad arguments are argument errors, not signature errors. */
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, verify(current_signature, NULL, 0, current, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, verify(current_signature, body, len, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, verify(current_signature, body, len, "", NULL));
}

static void parsing(void) {
    char *json = NULL;
    static const char unknown[] = "{\"notification\":{\"type\":\"calendar_moved\"}}";
    CHECK_OK(calbridge_push_parse(&json, body, strlen(body)));
    CHECK(json != NULL);
    if (json != NULL) {
        CHECK(strstr(json, "\"type\":\"change\"") != NULL);
        CHECK(strstr(json, "\"changes_since\":\"2026-12-01T09:00:00Z\"") != NULL);
        CHECK(strstr(json, "\"channel_id\":\"chn_1\"") != NULL);
        CHECK(strstr(json, body) != NULL); /* the body as received */
        calbridge_free(json);
        json = NULL;
    }
    CHECK_OK(calbridge_push_parse(&json, unknown, strlen(unknown)));
    if (json != NULL) {
        CHECK(strstr(json, "\"type\":\"unknown\"") != NULL);
        CHECK(strstr(json, "\"type_name\":\"calendar_moved\"") != NULL);
        CHECK(strstr(json, "\"changes_since\":null") != NULL);
        calbridge_free(json);
        json = NULL;
    }
    CHECK_RC(CALBRIDGE_EPROTOCOL, calbridge_push_parse(&json, "{", 1));
    CHECK(json == NULL);
    CHECK_RC(CALBRIDGE_EPROTOCOL, calbridge_push_parse(&json, "{}", 2));
}

static void channels(void) {
    calbridge_client_options client_options = CALBRIDGE_CLIENT_OPTIONS_INIT;
    calbridge_channel_options channel_options = CALBRIDGE_CHANNEL_OPTIONS_INIT;
    calbridge_client *client = NULL;
    calbridge_session *session = NULL;
    char *json = NULL;
    const char *ids[1] = {NULL};

    /* Nothing may leave this machine: the API is a loopback port nobody listens on. */
    client_options.api_url = "http://127.0.0.1:9";
    client_options.app_url = "http://127.0.0.1:9";
    client_options.max_retries = -1;
    REQUIRE_OK(calbridge_client_new(&client, "client-id", "client-secret", &client_options));
    REQUIRE_OK(calbridge_session_new(&session, client, "acc"));

    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_create_channel(&json, session, "http://example.com/push", NULL, NULL));
    CHECK(json == NULL);
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_create_channel(
                 &json, session,
                 "https://example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 NULL, NULL));
    channel_options.calendar_id_count = 1;
    channel_options.calendar_ids = ids;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_create_channel(&json, session, "https://example.com/push", &channel_options, NULL));
    channel_options.calendar_id_count = 0;
    channel_options.only_managed = 7;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_create_channel(&json, session, "https://example.com/push", &channel_options, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_close_channel(session, "", NULL));
    /* An options struct of a version this library does not know. */
    CHECK_OK(calbridge_channel_options_init(&channel_options, CALBRIDGE_CHANNEL_OPTIONS_VERSION));
    channel_options.version = CALBRIDGE_CHANNEL_OPTIONS_VERSION + 1;
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_create_channel(&json, session, "https://example.com/push", &channel_options, NULL));
    CHECK(strstr(calbridge_error_last()->message, "channel_options") != NULL);

    calbridge_session_free(session);
    calbridge_client_free(client);
}

int main(void) {
    signatures();
    parsing();
    channels();
    return check_summary("push");
}
