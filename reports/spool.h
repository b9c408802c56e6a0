/* spool.h - records sorted beyond memory, for the fleet reports that must
 * write in an order the fleet is not read in (warnings worst first, the
 * chargeback by resource id): records go in as (key, payload) byte strings,
 * and come out by key (bytewise, memcmp), equal keys in the order they went
 * in. Up to a memory budget they stay in memory; past it each full budget is
 * sorted and written to an unlinked temporary file ($TMPDIR, else /tmp) as a
 * run, and the runs are merged as they are read (in passes of SPOOL_FAN_IN
 * when there are more). So memory is the budget plus a read buffer per run,
 * whatever the number of records. Keys that sort like strcmp: write the
 * string with its NUL; numbers: big-endian (spool_key_u64). */
#ifndef TIERLEDGER_REPORTS_SPOOL_H
#define TIERLEDGER_REPORTS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/result.h"

#define SPOOL_FAN_IN 64

typedef struct Spool Spool;

/* A spool keeping up to budget bytes of records in memory (at least 4 KB
 * is used). Release with spool_free (also after a failure). */
TlResult spool_new(size_t budget, Spool **out, TlError *err);
void spool_free(Spool *s);

/* Add one record (copied). Not after spool_sort. */
TlResult spool_add(Spool *s, const void *key, size_t key_len, const void *payload,
                   size_t payload_len, TlError *err);

/* Done adding: sort, and get ready to read from the first record. */
TlResult spool_sort(Spool *s, TlError *err);

/* The next record by key; *payload NULL at the end. The pointers stay valid
 * until the next call. */
TlResult spool_next(Spool *s, const void **key, size_t *key_len, const void **payload,
                    size_t *payload_len, TlError *err);

/* How many records were added, and how many runs went to disk (0: all in
 * memory). */
size_t spool_count(const Spool *s);
size_t spool_runs(const Spool *s);

/* A growable byte string to build keys and payloads in. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the contents are incomplete */
} SpoolBuf;

void spool_buf_reset(SpoolBuf *b);
void spool_buf_free(SpoolBuf *b);
void spool_buf_put(SpoolBuf *b, const void *data, size_t len);
void spool_buf_str(SpoolBuf *b, const char *s); /* a payload string: NULL kept apart from "" */
void spool_key_str(SpoolBuf *b, const char *s); /* a key string with its NUL (NULL as "") */
void spool_key_u64(SpoolBuf *b, uint64_t v);    /* big-endian, so it sorts bytewise */

/* Reading back what spool_buf_put and spool_buf_str wrote, in order; a short
 * or malformed record makes `failed` true and yields zeros and NULLs. */
typedef struct {
    const unsigned char *at, *end;
    int failed;
} SpoolReader;

void spool_read(SpoolReader *r, void *data, size_t len);
const char *spool_read_str(SpoolReader *r); /* points into the record; NULL for NULL */

/* A struct as a payload: its bytes, then the strings its const char *
 * fields at str_offsets[0..n) point to (offsetof). Unpacking copies the
 * bytes back and points those fields into the payload, so the struct is
 * valid while the payload is; false when the payload is not such a record
 * of that struct. For records that never leave the process. */
void spool_pack_struct(SpoolBuf *b, const void *s, size_t size, const size_t *str_offsets,
                       size_t n);
bool spool_unpack_struct(const void *payload, size_t len, void *s, size_t size,
                         const size_t *str_offsets, size_t n);

#endif
