/* harness.h - the one small test harness: titled expectations, counts, and
 * a closing "N passed, N failed" line; the exit status is non-zero on any
 * failure. Failures are reported as "file:line: expected ... got ...". */
#ifndef TIERLEDGER_TESTS_HARNESS_H
#define TIERLEDGER_TESTS_HARNESS_H

#include <stdio.h>
#include <string.h>

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

/* Case files: the value of word KEY=VALUE among w[0..nw), or NULL. */
static inline const char *harness_opt(char **w, int nw, const char *key)
{
    size_t len = strlen(key);
    for (int i = 0; i < nw; i++)
        if (strncmp(w[i], key, len) == 0 && w[i][len] == '=')
            return w[i] + len + 1;
    return NULL;
}

/* Case files write spaces inside one word as '~': put them back. */
static inline char *harness_untilde(char *text)
{
    for (char *p = text; *p; p++)
        if (*p == '~')
            *p = ' ';
    return text;
}

static inline int harness_finish(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

#endif
