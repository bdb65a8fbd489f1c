#include "check.h"

int check_failures;

void check_report(const char *file, int line, const char *what, int rc, int want) {
    const calbridge_error *e = calbridge_error_last();
    ++check_failures;
    if (rc == want) {
        fprintf(stderr, "%s:%d: FAIL: %s\n", file, line, what);
    } else {
        fprintf(stderr, "%s:%d: FAIL: %s\n  returned %d (%s), want %d (%s)\n  last error: %d %s: %s\n", file, line, what,
                rc, calbridge_error_code_name(rc), want, calbridge_error_code_name(want), e->code, e->code_name,
                e->message);
    }
}

int check_summary(const char *name) {
    if (check_failures == 0) {
        printf("%s: all checks passed\n", name);
        return 0;
    }
    printf("%s: %d check(s) failed\n", name, check_failures);
    return 1;
}
