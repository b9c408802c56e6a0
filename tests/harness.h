/* harness.h - the one small test harness: titled expectations, counts, and
 * a closing "N passed, N failed" line; the exit status is non-zero on any
 * failure. Failures are reported as "file:line: expected ... got ...". */
#ifndef TIERLEDGER_TESTS_HARNESS_H
#define TIERLEDGER_TESTS_HARNESS_H

#include <stdio.h>

static int harness_passed, harness_failed;

#define EXPECT_AT(file, line, cond, ...)                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            harness_passed++;                                                                      \
        } else {                                                                                   \
            harness_failed++;                                                                      \
            fprintf(stderr, "%s:%d: ", (file), (line));                                            \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define EXPECT(cond, ...) EXPECT_AT(__FILE__, __LINE__, cond, __VA_ARGS__)

static inline int harness_finish(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

#endif
