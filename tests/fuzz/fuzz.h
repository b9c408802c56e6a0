/* fuzz.h - what every fuzz target shares. Each tests/fuzz/fuzz_<name>.c
 * defines LLVMFuzzerTestOneInput; `make fuzz` links it with libFuzzer
 * (clang -fsanitize=fuzzer), `make test` with replay.c, which runs it once
 * over every seed and regression input (gcc, ASan and UBSan). A property a
 * target checks that does not hold aborts, like a crash. */
#ifndef TIERLEDGER_TESTS_FUZZ_H
#define TIERLEDGER_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (cut at its first NUL); the caller
 * frees it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__, #cond);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A failure's message is one line: printable, no line break. */
#define FUZZ_ONE_LINE(err)                                                                         \
    do {                                                                                           \
        if (strpbrk((err)->msg, "\r\n") != NULL) {                                                 \
            fprintf(stderr, "message on more than one line: [%s]\n", (err)->msg);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
