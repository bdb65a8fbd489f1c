/* Checks for the C tests: report and count, with calbridge_error_last() on a failed call. */
#ifndef CALBRIDGE_TEST_CHECK_H
#define CALBRIDGE_TEST_CHECK_H

#include <calbridge.h>

#include <stdio.h>

extern int check_failures;

void check_report(const char *file, int line, const char *what, int rc, int want);
int check_summary(const char *name);

#define CHECK(cond)                                                  \
    do {                                                             \
        if (!(cond)) check_report(__FILE__, __LINE__, #cond, 0, 0);  \
    } while (0)

#define CHECK_RC(want, call)                                                \
    do {                                                                    \
        int check_rc_ = (call);                                             \
        if (check_rc_ != (want)) check_report(__FILE__, __LINE__, #call, check_rc_, (want)); \
    } while (0)

#define CHECK_OK(call) CHECK_RC(CALBRIDGE_OK, call)

/* For set-up steps the rest of a test depends on: stop at once. */
#define REQUIRE_OK(call)                                                      \
    do {                                                                      \
        int require_rc_ = (call);                                             \
        if (require_rc_ != CALBRIDGE_OK) {                                    \
            check_report(__FILE__, __LINE__, #call, require_rc_, CALBRIDGE_OK); \
            return;                                                           \
        }                                                                     \
    } while (0)

#endif
