/* spool.c - see spool.h. A run on disk is a sequence of records, each
 * [u32 key_len][u32 payload_len][u64 seq][key][payload] in host order (the
 * file never leaves the process). */
#include "reports/spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_BUDGET  4096u
#define READ_BUFFER (64u * 1024u)

typedef struct {
    size_t off;
    uint32_t key_len, payload_len;
    uint64_t seq;
} Entry;

/* One run being read: its file and its current record. */
typedef struct {
    FILE *fp;
    unsigned char *rec; /* key then payload */
    size_t cap;
    uint32_t key_len, payload_len;
    uint64_t seq;
    int done;
} Run;

struct Spool {
    unsigned char *arena;
    size_t budget, used;
    Entry *entries;
    size_t n, cap;
    uint64_t seq; /* records added */
    FILE **files; /* the runs written */
    size_t n_files, cap_files, runs_written;
    int sorted;
    size_t next;   /* reading from memory: the next entry */
    Run *runs;     /* reading from disk: a heap of runs */
    size_t n_runs; /* in the heap */
    Run *pending;  /* the run whose record was returned last: advance it first */
};

size_t spool_count(const Spool *s)
{
    return (size_t)s->seq;
}

size_t spool_runs(const Spool *s)
{
    return s->runs_written;
}

TlResult spool_new(size_t budget, Spool **out, TlError *err)
{
    *out = NULL;
    Spool *s = calloc(1, sizeof *s);
    if (!s)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    s->budget = budget < MIN_BUDGET ? MIN_BUDGET : budget;
    s->arena = malloc(s->budget);
    if (!s->arena) {
        free(s);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory (a sort budget of %zu bytes)",
                            budget);
    }
    *out = s;
    return TL_OK;
}

void spool_free(Spool *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_files; i++)
        if (s->files[i])
            fclose(s->files[i]);
    for (size_t i = 0; i < s->n_runs; i++) {
        if (s->runs[i].fp)
            fclose(s->runs[i].fp);
        free(s->runs[i].rec);
    }
    free(s->files);
    free(s->runs);
    free(s->entries);
    free(s->arena);
    free(s);
}

static int cmp_bytes(const unsigned char *a, size_t na, uint64_t sa, const unsigned char *b,
                     size_t nb, uint64_t sb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c)
        return c;
    if (na != nb)
        return na < nb ? -1 : 1;
    return (sa > sb) - (sa < sb);
}

static const unsigned char *sort_arena; /* qsort has no context argument */

static int cmp_entry(const void *pa, const void *pb)
{
    const Entry *a = pa, *b = pb;
    return cmp_bytes(sort_arena + a->off, a->key_len, a->seq, sort_arena + b->off, b->key_len,
                     b->seq);
}

static void sort_memory(Spool *s)
{
    sort_arena = s->arena;
    if (s->n > 1)
        qsort(s->entries, s->n, sizeof *s->entries, cmp_entry);
    sort_arena = NULL;
}

/* An unlinked temporary file in $TMPDIR (else /tmp), open for writing and
 * reading back. */
static FILE *temp_file(TlError *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/tierledger-sort-", dir);
    if (len < 0 || (size_t)len + 7 > sizeof path) {
        tl_error_set(err, TL_ERR_IO, "TMPDIR is too long for a sort file");
        return NULL;
    }
    memset(path + len, 'X', 6); /* mkstemp's template */
    path[len + 6] = '\0';
    int fd = mkstemp(path);
    if (fd < 0) {
        tl_error_set(err, TL_ERR_IO, "%s: cannot create a sort file: %s", dir, strerror(errno));
        return NULL;
    }
    unlink(path);
    FILE *fp = fdopen(fd, "w+");
    if (!fp) {
        close(fd);
        tl_error_set(err, TL_ERR_IO, "%s: cannot open a sort file: %s", dir, strerror(errno));
    }
    return fp;
}

static TlResult keep_file(Spool *s, FILE *fp, TlError *err)
{
    if (s->n_files == s->cap_files) {
        size_t cap = s->cap_files ? s->cap_files * 2 : 16;
        FILE **grown = realloc(s->files, cap * sizeof *grown);
        if (!grown) {
            fclose(fp);
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        }
        s->files = grown;
        s->cap_files = cap;
    }
    s->files[s->n_files++] = fp;
    s->runs_written++;
    return TL_OK;
}

static int write_record(FILE *fp, const unsigned char *key, uint32_t key_len,
                        const unsigned char *payload, uint32_t payload_len, uint64_t seq)
{
    return fwrite(&key_len, sizeof key_len, 1, fp) == 1 &&
           fwrite(&payload_len, sizeof payload_len, 1, fp) == 1 &&
           fwrite(&seq, sizeof seq, 1, fp) == 1 &&
           (key_len == 0 || fwrite(key, key_len, 1, fp) == 1) &&
           (payload_len == 0 || fwrite(payload, payload_len, 1, fp) == 1);
}

static TlResult write_error(FILE *fp, TlError *err)
{
    int e = errno;
    return tl_error_set(err, TL_ERR_IO, "cannot write a sort file: %s",
                        ferror(fp) && e ? strerror(e) : "short write");
}

/* The records in memory, sorted, as a run on disk. */
static TlResult spill(Spool *s, TlError *err)
{
    sort_memory(s);
    FILE *fp = temp_file(err);
    if (!fp)
        return TL_ERR_IO;
    TlResult rc = keep_file(s, fp, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < s->n; i++) {
        const Entry *e = &s->entries[i];
        const unsigned char *key = s->arena + e->off;
        if (!write_record(fp, key, e->key_len, key + e->key_len, e->payload_len, e->seq))
            return write_error(fp, err);
    }
    if (fflush(fp) != 0)
        return write_error(fp, err);
    s->n = 0;
    s->used = 0;
    return TL_OK;
}

TlResult spool_add(Spool *s, const void *key, size_t key_len, const void *payload,
                   size_t payload_len, TlError *err)
{
    size_t size = key_len + payload_len;
    if (s->sorted)
        return tl_error_set(err, TL_ERR_INTERNAL, "spool_add after spool_sort");
    if (size > s->budget || key_len > UINT32_MAX || payload_len > UINT32_MAX)
        return tl_error_set(err, TL_ERR_INTERNAL, "a sort record of %zu bytes is over the budget",
                            size);
    if (s->used + size > s->budget || (s->n + 1) * sizeof(Entry) > s->budget / 4) {
        TlResult rc = spill(s, err);
        if (rc)
            return rc;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        Entry *grown = realloc(s->entries, cap * sizeof *grown);
        if (!grown)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        s->entries = grown;
        s->cap = cap;
    }
    if (key_len)
        memcpy(s->arena + s->used, key, key_len);
    if (payload_len)
        memcpy(s->arena + s->used + key_len, payload, payload_len);
    s->entries[s->n++] = (Entry){s->used, (uint32_t)key_len, (uint32_t)payload_len, s->seq++};
    s->used += size;
    return TL_OK;
}

/* ---- reading the runs back ------------------------------------------------ */

/* The run's next record, or done at its end. */
static TlResult run_advance(Run *r, TlError *err)
{
    uint32_t lens[2];
    uint64_t seq;
    size_t got = fread(lens, sizeof lens[0], 2, r->fp);
    if (got == 0 && feof(r->fp)) {
        r->done = 1;
        return TL_OK;
    }
    if (got != 2 || fread(&seq, sizeof seq, 1, r->fp) != 1)
        return tl_error_set(err, TL_ERR_IO, "a sort file is truncated");
    size_t size = (size_t)lens[0] + lens[1];
    if (size > r->cap) {
        unsigned char *grown = realloc(r->rec, size);
        if (!grown)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        r->rec = grown;
        r->cap = size;
    }
    if (size && fread(r->rec, size, 1, r->fp) != 1)
        return tl_error_set(err, TL_ERR_IO, "a sort file is truncated");
    r->key_len = lens[0];
    r->payload_len = lens[1];
    r->seq = seq;
    return TL_OK;
}

static int run_less(const Run *a, const Run *b)
{
    return cmp_bytes(a->rec, a->key_len, a->seq, b->rec, b->key_len, b->seq) < 0;
}

static void heap_down(Run *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && run_less(&h[l], &h[m]))
            m = l;
        if (r < n && run_less(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        Run t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Open files[first..first+count) as runs to merge (the files move to the heap). */
static TlResult open_runs(Spool *s, size_t first, size_t count, TlError *err)
{
    s->runs = calloc(count, sizeof *s->runs);
    if (!s->runs)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        Run *r = &s->runs[s->n_runs++];
        r->fp = s->files[first + i];
        s->files[first + i] = NULL;
        setvbuf(r->fp, NULL, _IOFBF, READ_BUFFER);
        if (fseek(r->fp, 0, SEEK_SET) != 0)
            return tl_error_set(err, TL_ERR_IO, "cannot read a sort file: %s", strerror(errno));
        TlResult rc = run_advance(r, err);
        if (rc)
            return rc;
    }
    /* drop the empty ones, then heapify */
    size_t kept = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        if (s->runs[i].done) {
            fclose(s->runs[i].fp);
            free(s->runs[i].rec);
        } else {
            s->runs[kept++] = s->runs[i];
        }
    }
    s->n_runs = kept;
    for (size_t i = kept / 2; i-- > 0;)
        heap_down(s->runs, s->n_runs, i);
    return TL_OK;
}

static void close_runs(Spool *s)
{
    for (size_t i = 0; i < s->n_runs; i++) {
        fclose(s->runs[i].fp);
        free(s->runs[i].rec);
    }
    free(s->runs);
    s->runs = NULL;
    s->n_runs = 0;
    s->pending = NULL;
}

/* The smallest record of the heap, after advancing the one returned last. */
static TlResult merge_next(Spool *s, Run **out, TlError *err)
{
    *out = NULL;
    if (s->pending) {
        TlResult rc = run_advance(s->pending, err);
        if (rc)
            return rc;
        if (s->pending->done) {
            fclose(s->runs[0].fp);
            free(s->runs[0].rec);
            s->runs[0] = s->runs[--s->n_runs];
        }
        s->pending = NULL;
        heap_down(s->runs, s->n_runs, 0);
    }
    if (s->n_runs == 0)
        return TL_OK;
    *out = s->pending = &s->runs[0];
    return TL_OK;
}

/* Merge files[0..SPOOL_FAN_IN) into one new run, until few enough are left. */
static TlResult merge_passes(Spool *s, TlError *err)
{
    while (s->n_files > SPOOL_FAN_IN) {
        FILE *fp = temp_file(err);
        if (!fp)
            return TL_ERR_IO;
        TlResult rc = keep_file(s, fp, err);
        s->runs_written--; /* a merged run is not a new spill */
        if (!rc)
            rc = open_runs(s, 0, SPOOL_FAN_IN, err);
        Run *r = NULL;
        while (!rc && !(rc = merge_next(s, &r, err)) && r)
            if (!write_record(fp, r->rec, r->key_len, r->rec + r->key_len, r->payload_len, r->seq))
                rc = write_error(fp, err);
        if (!rc && fflush(fp) != 0)
            rc = write_error(fp, err);
        close_runs(s);
        if (rc)
            return rc;
        memmove(s->files, s->files + SPOOL_FAN_IN, (s->n_files - SPOOL_FAN_IN) * sizeof *s->files);
        s->n_files -= SPOOL_FAN_IN;
    }
    return TL_OK;
}

TlResult spool_sort(Spool *s, TlError *err)
{
    if (s->sorted)
        return TL_OK;
    s->sorted = 1;
    if (s->n_files == 0) {
        sort_memory(s);
        s->next = 0;
        return TL_OK;
    }
    TlResult rc = s->n ? spill(s, err) : TL_OK;
    if (!rc)
        rc = merge_passes(s, err);
    if (!rc) {
        size_t count = s->n_files;
        rc = open_runs(s, 0, count, err);
        s->n_files = 0;
    }
    free(s->arena); /* what was in memory is on disk now */
    s->arena = NULL;
    free(s->entries);
    s->entries = NULL;
    s->n = s->cap = 0;
    return rc;
}

TlResult spool_next(Spool *s, const void **key, size_t *key_len, const void **payload,
                    size_t *payload_len, TlError *err)
{
    *key = *payload = NULL;
    *key_len = *payload_len = 0;
    if (!s->sorted)
        return tl_error_set(err, TL_ERR_INTERNAL, "spool_next before spool_sort");
    if (!s->runs) {
        if (s->next >= s->n)
            return TL_OK;
        const Entry *e = &s->entries[s->next++];
        *key = s->arena + e->off;
        *key_len = e->key_len;
        *payload = s->arena + e->off + e->key_len;
        *payload_len = e->payload_len;
        return TL_OK;
    }
    Run *r;
    TlResult rc = merge_next(s, &r, err);
    if (rc || !r)
        return rc;
    *key = r->rec;
    *key_len = r->key_len;
    *payload = r->rec + r->key_len;
    *payload_len = r->payload_len;
    return TL_OK;
}

/* ---- building and reading records ------------------------------------------ */

void spool_buf_reset(SpoolBuf *b)
{
    b->len = 0;
    b->failed = 0;
}

void spool_buf_free(SpoolBuf *b)
{
    free(b->data);
    *b = (SpoolBuf){0};
}

void spool_buf_put(SpoolBuf *b, const void *data, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

void spool_buf_str(SpoolBuf *b, const char *s)
{
    unsigned char present = s != NULL;
    spool_buf_put(b, &present, 1);
    if (s)
        spool_buf_put(b, s, strlen(s) + 1);
}

void spool_key_str(SpoolBuf *b, const char *s)
{
    spool_buf_put(b, s ? s : "", s ? strlen(s) + 1 : 1);
}

void spool_key_u64(SpoolBuf *b, uint64_t v)
{
    unsigned char be[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        be[i] = (unsigned char)(v & 0xff);
    spool_buf_put(b, be, sizeof be);
}

void spool_read(SpoolReader *r, void *data, size_t len)
{
    if (r->failed || (size_t)(r->end - r->at) < len) {
        r->failed = 1;
        memset(data, 0, len);
        return;
    }
    memcpy(data, r->at, len);
    r->at += len;
}

const char *spool_read_str(SpoolReader *r)
{
    unsigned char present = 0;
    spool_read(r, &present, 1);
    if (!present)
        return NULL;
    const unsigned char *nul = memchr(r->at, '\0', (size_t)(r->end - r->at));
    if (!nul) {
        r->failed = 1;
        return NULL;
    }
    const char *s = (const char *)r->at;
    r->at = nul + 1;
    return s;
}

void spool_pack_struct(SpoolBuf *b, const void *s, size_t size, const size_t *str_offsets, size_t n)
{
    spool_buf_put(b, s, size);
    for (size_t i = 0; i < n; i++) {
        const char *str;
        memcpy(&str, (const char *)s + str_offsets[i], sizeof str);
        spool_buf_str(b, str);
    }
}

bool spool_unpack_struct(const void *payload, size_t len, void *s, size_t size,
                         const size_t *str_offsets, size_t n)
{
    SpoolReader r = {payload, (const unsigned char *)payload + len, 0};
    spool_read(&r, s, size);
    for (size_t i = 0; i < n; i++) {
        const char *str = spool_read_str(&r);
        memcpy((char *)s + str_offsets[i], &str, sizeof str);
    }
    return !r.failed && r.at == r.end;
}
