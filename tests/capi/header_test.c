/* The header alone, compiled by the test "capi: header ..." as strict C (C99, C11) and as C++
 * (C++11, C++20) with every warning an error: it must need nothing but itself and the
 * standard headers it includes, and every _INIT macro must initialise every field (no
 * -Wmissing-field-initializers in the user's -Wextra build). */
#include <calbridge.h>

#include <stddef.h>

int calbridge_header_test(void);

int calbridge_header_test(void) {
    calbridge_call_options call = CALBRIDGE_CALL_OPTIONS_INIT;
    calbridge_token_store store = CALBRIDGE_TOKEN_STORE_INIT;
    calbridge_client_options client = CALBRIDGE_CLIENT_OPTIONS_INIT;
    calbridge_authorization_options authorization = CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
    calbridge_events_query query = CALBRIDGE_EVENTS_QUERY_INIT;
    calbridge_lease_claim claim = CALBRIDGE_LEASE_CLAIM_INIT;
    calbridge_query_param param = {"key", "value"};
    const int codes[] = {
        CALBRIDGE_OK, CALBRIDGE_EINVALID_ARGUMENT, CALBRIDGE_ECONFIGURATION, CALBRIDGE_EINVALID_CLIENT,
        CALBRIDGE_ESTATE_MISMATCH, CALBRIDGE_EINVALID_CALLBACK, CALBRIDGE_EAUTHORIZATION_DENIED,
        CALBRIDGE_EINVALID_GRANT, CALBRIDGE_EBAD_REQUEST, CALBRIDGE_EAUTHENTICATION, CALBRIDGE_EAUTHORIZATION,
        CALBRIDGE_ENOT_FOUND, CALBRIDGE_EVALIDATION, CALBRIDGE_ELOCKED, CALBRIDGE_EPAYMENT_REQUIRED,
        CALBRIDGE_ERATE_LIMITED, CALBRIDGE_ESERVER, CALBRIDGE_ESERVICE_UNAVAILABLE, CALBRIDGE_EHTTP,
        CALBRIDGE_ETIMEOUT, CALBRIDGE_ETLS, CALBRIDGE_ECONNECTION, CALBRIDGE_EPROTOCOL, CALBRIDGE_ESTORE,
        CALBRIDGE_ECANCELLED, CALBRIDGE_EUSER, CALBRIDGE_EINTERNAL, CALBRIDGE_EINVALID_SIGNATURE, CALBRIDGE_DONE,
        CALBRIDGE_STORE_FOUND, CALBRIDGE_STORE_SAVED, CALBRIDGE_STORE_REMOVED, CALBRIDGE_STORE_NOT_FOUND,
        CALBRIDGE_STORE_CONFLICT, CALBRIDGE_STORE_CLAIMED, CALBRIDGE_STORE_RENEWED, CALBRIDGE_STORE_RELEASED,
        CALBRIDGE_STORE_MARKED, CALBRIDGE_STORE_WAITED, CALBRIDGE_LEASE_GRANTED, CALBRIDGE_LEASE_VERSION_MOVED,
        CALBRIDGE_LEASE_HELD, CALBRIDGE_LEASE_REAUTHORIZATION_REQUIRED, CALBRIDGE_LEASE_MISSING, CALBRIDGE_LOG_TRACE, CALBRIDGE_LOG_DEBUG, CALBRIDGE_LOG_INFO,
        CALBRIDGE_LOG_WARNING, CALBRIDGE_LOG_ERROR, CALBRIDGE_LOG_OFF, CALBRIDGE_TOKEN_ENCODING_FORM,
        CALBRIDGE_TOKEN_ENCODING_JSON, CALBRIDGE_CLIENT_AUTH_REQUEST_BODY, CALBRIDGE_CLIENT_AUTH_HTTP_BASIC,
        CALBRIDGE_UNSET, CALBRIDGE_TRUE, CALBRIDGE_FALSE, CALBRIDGE_VERSION_NUMBER};
    const char *version = CALBRIDGE_VERSION_STRING;
    const unsigned int versions =
        call.version + store.version + client.version + authorization.version + query.version + claim.version;
    int sum = 0;
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; ++i) sum += codes[i];
    return sum + (versions != 0) + (param.key != NULL) + (version[0] == '0');
}
