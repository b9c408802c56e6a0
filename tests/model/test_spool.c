/* test_spool.c - reports/spool.c: records come back by key, equal keys in
 * the order they went in, whether they stayed in memory, went to one or
 * many runs on disk, or needed more than one merge pass; and the record
 * helpers read back what they wrote. Compared with a reference sort. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/spool.h"
#include "tests/harness.h"

typedef struct {
    char key[24];
    size_t key_len;
    uint64_t value; /* the order it went in */
    size_t pad;     /* payload bytes after the value */
} Ref;

static int cmp_ref(const void *pa, const void *pb)
{
    const Ref *a = pa, *b = pb;
    int c = memcmp(a->key, b->key, a->key_len < b->key_len ? a->key_len : b->key_len);
    if (!c && a->key_len != b->key_len)
        c = a->key_len < b->key_len ? -1 : 1;
    return c ? c : (a->value > b->value) - (a->value < b->value);
}

/* n records with keys drawn from `distinct` values (so many are equal) and
 * payloads of varying length, through a spool of `budget` bytes. */
static void run_case(size_t n, unsigned distinct, size_t budget, size_t want_runs_min,
                     const char *what)
{
    Ref *ref = calloc(n ? n : 1, sizeof *ref);
    Spool *s = NULL;
    TlError err = {0};
    unsigned long long x = 88172645463325252ull;
    EXPECT(spool_new(budget, &s, &err) == TL_OK, "%s: spool_new: %s", what, err.msg);
    unsigned char payload[8 + 300];
    for (size_t i = 0; i < n && s; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        Ref *r = &ref[i];
        r->key_len = (size_t)snprintf(r->key, sizeof r->key, "k%u", (unsigned)(x % distinct)) + 1;
        r->value = i;
        r->pad = (size_t)(x >> 20) % 300;
        memcpy(payload, &r->value, 8);
        memset(payload + 8, (int)(i & 0xff), r->pad);
        if (spool_add(s, r->key, r->key_len, payload, 8 + r->pad, &err) != TL_OK) {
            EXPECT(0, "%s: spool_add %zu: %s", what, i, err.msg);
            break;
        }
    }
    qsort(ref, n, sizeof *ref, cmp_ref);
    size_t got = 0, wrong = 0;
    if (s && spool_sort(s, &err) == TL_OK) {
        for (;;) {
            const void *key, *pl;
            size_t kl, pll;
            if (spool_next(s, &key, &kl, &pl, &pll, &err) != TL_OK) {
                EXPECT(0, "%s: spool_next: %s", what, err.msg);
                break;
            }
            if (!pl)
                break;
            uint64_t value;
            memcpy(&value, pl, 8);
            const Ref *r = got < n ? &ref[got] : NULL;
            if (!r || kl != r->key_len || memcmp(key, r->key, kl) != 0 || value != r->value ||
                pll != 8 + r->pad ||
                (r->pad && ((const unsigned char *)pl)[8 + r->pad - 1] != (value & 0xff)))
                wrong++;
            got++;
        }
    }
    EXPECT(got == n, "%s: %zu records back, expected %zu", what, got, n);
    EXPECT(wrong == 0, "%s: %zu records out of order or changed", what, wrong);
    EXPECT(s && spool_count(s) == n, "%s: counted %zu", what, s ? spool_count(s) : 0);
    EXPECT(s && spool_runs(s) >= want_runs_min && (want_runs_min > 0 || spool_runs(s) == 0),
           "%s: %zu runs on disk, expected %s%zu", what, s ? spool_runs(s) : 0,
           want_runs_min ? "at least " : "", want_runs_min);
    spool_free(s);
    free(ref);
}

static void helpers(void)
{
    SpoolBuf b = {0};
    spool_key_u64(&b, 0x0102030405060708ull);
    EXPECT(b.len == 8 && b.data[0] == 1 && b.data[7] == 8, "spool_key_u64 is big-endian");
    spool_buf_reset(&b);
    spool_buf_str(&b, "abc");
    spool_buf_str(&b, NULL);
    spool_buf_str(&b, "");
    int v = 42;
    spool_buf_put(&b, &v, sizeof v);
    SpoolReader r = {b.data, b.data + b.len, 0};
    const char *a = spool_read_str(&r), *n = spool_read_str(&r), *e = spool_read_str(&r);
    int back = 0;
    spool_read(&r, &back, sizeof back);
    EXPECT(a && strcmp(a, "abc") == 0 && !n && e && !e[0] && back == 42 && !r.failed,
           "a record reads back as written");
    SpoolReader shortr = {b.data, b.data + 3, 0};
    spool_read_str(&shortr);
    EXPECT(shortr.failed, "a string without its NUL is a failed read");
    spool_buf_free(&b);

    SpoolBuf k1 = {0}, k2 = {0};
    spool_key_str(&k1, "abc");
    spool_key_str(&k2, "abcd");
    EXPECT(memcmp(k1.data, k2.data, 4) < 0, "a key string sorts before its extensions (strcmp)");
    spool_buf_free(&k1);
    spool_buf_free(&k2);

    Spool *s = NULL;
    TlError err = {0};
    EXPECT(spool_new(0, &s, &err) == TL_OK, "a spool with the smallest budget");
    char big[70000] = {0};
    EXPECT(spool_add(s, "k", 1, big, sizeof big, &err) == TL_ERR_INTERNAL,
           "a record over the budget is refused");
    EXPECT(spool_sort(s, &err) == TL_OK && spool_count(s) == 0, "an empty spool sorts");
    const void *key, *pl;
    size_t kl, pll;
    EXPECT(spool_next(s, &key, &kl, &pl, &pll, &err) == TL_OK && !pl, "and reads nothing");
    EXPECT(spool_add(s, "k", 1, "p", 1, &err) == TL_ERR_INTERNAL, "no add after the sort");
    spool_free(s);
}

typedef struct {
    int a;
    const char *name, *none;
    double b;
    const char *empty;
} Packed;

static void packing(void)
{
    static const size_t strs[] = {offsetof(Packed, name), offsetof(Packed, none),
                                  offsetof(Packed, empty)};
    char name[] = "orders";
    Packed in = {7, name, NULL, 2.5, ""}, out;
    SpoolBuf b = {0};
    spool_pack_struct(&b, &in, sizeof in, strs, 3);
    name[0] = 'X'; /* the record has its own copy */
    bool ok = spool_unpack_struct(b.data, b.len, &out, sizeof out, strs, 3);
    EXPECT(ok && out.a == 7 && out.b == 2.5 && out.name && strcmp(out.name, "orders") == 0 &&
               !out.none && out.empty && !out.empty[0],
           "a struct and its strings come back from a record");
    EXPECT(!spool_unpack_struct(b.data, b.len - 1, &out, sizeof out, strs, 3) && !out.empty,
           "a short record is refused, its strings NULL");
    EXPECT(!spool_unpack_struct(b.data, b.len, &out, sizeof out, strs, 2),
           "a record with more than the struct's strings is refused");
    spool_buf_free(&b);
}

int main(void)
{
    packing();
    helpers();
    run_case(0, 1, 1 << 20, 0, "empty");
    run_case(5000, 300, 1 << 20, 0, "in memory");
    run_case(5000, 1, 1 << 20, 0, "one key: the order they went in");
    run_case(20000, 4000, 65536, 10, "runs on disk");
    run_case(40000, 500, 65536, SPOOL_FAN_IN + 1, "more runs than one merge pass takes");
    return harness_finish("spool");
}
