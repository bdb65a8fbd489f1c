/* Links against the installed library: the header's version is the library's, and a client
 * can be made and freed without any network. */
#include <calbridge.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    calbridge_client_options options = CALBRIDGE_CLIENT_OPTIONS_INIT;
    calbridge_client *client = NULL;
    int rc;
    if (strcmp(calbridge_version(), CALBRIDGE_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s, library %s\n", CALBRIDGE_VERSION_STRING, calbridge_version());
        return 1;
    }
    options.data_center = "de";
    rc = calbridge_client_new(&client, "client-id", "client-secret", &options);
    calbridge_client_free(client);
    printf("calbridge %s: client_new returned %d\n", calbridge_version(), rc);
    return rc == CALBRIDGE_OK ? 0 : 1;
}
