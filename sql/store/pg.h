/* pg.h - the libpq plumbing the store modules share; never included outside
 * sql/store/ (the public headers there expose StoreConn, not libpq).
 * Statements are parameterised text; every PGresult handed out is the
 * caller's to PQclear. Timestamps cross in one form, epoch seconds:
 * extract(epoch FROM x)::bigint read with pg_time, and to_timestamp($n)
 * (or to_timestamp(x) over a bigint[] array) written with pg_time_param /
 * pg_array_add_time. The session time zone is UTC (store_connect). */
#ifndef TIERLEDGER_SQL_STORE_PG_H
#define TIERLEDGER_SQL_STORE_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/lineage.h"
#include "model/result.h"
#include "sql/store/conn.h"

/* Run sql with text parameters; on success *out (may be NULL when the
 * caller wants no rows) holds the result for the caller to PQclear. `what`
 * names the step for the error message. A lost connection is UNAVAILABLE;
 * anything else the server refuses is INTERNAL. */
TlResult pg_query(PGconn *conn, const char *what, const char *sql, int nparams,
                  const char *const *params, PGresult **out, TlError *err);

/* A statement for pg_run_together: sql with its parameters on conn, its
 * result into *out (NULL: not kept). */
typedef struct {
    PGconn *conn;
    const char *what, *sql;
    int nparams;
    const char *const *params;
    PGresult **out;
    bool sent, done; /* pg_run_together's own */
} PgStatement;

/* Run s[0..n) (at most 8) at once on their connections: each connection's
 * statements in array order, the next sent as soon as the one before it is
 * in, every connection's rows read as they come (so that no server waits
 * for the client to read another's: a socket's buffer holds a fraction of
 * a page). After the first failure nothing more is sent, every statement
 * sent is read to its end (its connection free again), and that failure is
 * the one returned. */
TlResult pg_run_together(PgStatement *s, int n, TlError *err);

/* pg_query for a statement whose effect is counted: *rows += the rows it
 * inserted or updated (PQcmdTuples). */
TlResult pg_query_count(PGconn *conn, const char *what, const char *sql, int nparams,
                        const char *const *params, long *rows, TlError *err);

/* Run a script of our own (a migration, the views): no parameters. */
TlResult pg_exec_script(PGconn *conn, const char *what, const char *script, TlError *err);

TlResult pg_begin(PGconn *conn, TlError *err);

/* Take the transaction-scoped lock that serialises writers (import,
 * collector, refresh): the 'writers' row of tierledger_locks, which only
 * tierledger_writer may lock; waits for a holder to finish. */
TlResult pg_lock_writers(PGconn *conn, TlError *err);

/* The lock that serialises `init` runs (an advisory transaction lock: the
 * schema, and so tierledger_locks, may not exist yet). */
TlResult pg_lock_schema(PGconn *conn, TlError *err);

/* The first line of a libpq message, without the trailing newline. */
void pg_first_line(const char *msg, char *buf, size_t size);

/* A PostgreSQL array literal built element by element, {"a",NULL,"b"}, to
 * pass whole columns as one parameter ($1::text[]) to set-based statements. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} PgArray;

void pg_array_add(PgArray *a, const char *value); /* NULL adds NULL */
void pg_array_add_int(PgArray *a, long long v);
void pg_array_add_time(PgArray *a, TlTime t); /* TL_TIME_NONE adds NULL */
void pg_array_add_bool(PgArray *a, bool v);
/* The finished literal ("{}" when empty), or NULL when memory ran out. */
const char *pg_array_finish(PgArray *a);
void pg_array_cleanup(PgArray *a);

/* Finish n arrays into params[0..n); TL_ERR_NOMEM when one ran out. */
TlResult pg_arrays_finish(PgArray *a, int n, const char **params, TlError *err);
void pg_arrays_cleanup(PgArray *a, int n);

/* A COPY ... FROM STDIN (text format) fed a row at a time: fields are
 * escaped into a buffer sent in chunks of PG_COPY_CHUNK bytes, so memory
 * stays bounded whatever the number of rows. Nothing else may run on the
 * connection until pg_copy_finish or pg_copy_abort. */
/* (smaller than a socket's send buffer, about 208 KB on Linux, so that a
 * send seldom waits for the server and the client goes on reading while the
 * server copies: 256 KB chunks made a 3M-row stage 21 s, 64 KB 15 s) */
#define PG_COPY_CHUNK (64 * 1024)
typedef struct {
    PGconn *conn;
    const char *what;
    char *buf;
    size_t len, cap;
    bool open;   /* between pg_copy_begin and pg_copy_finish or pg_copy_abort */
    bool failed; /* out of memory or a send failed: pg_copy_finish says so */
    int fields;  /* of the row being written */
    long long rows;
} PgCopy;

TlResult pg_copy_begin(PGconn *conn, const char *what, const char *sql, PgCopy *c, TlError *err);
/* Create a staging table of the transaction (create_sql: CREATE TEMP
 * TABLE ... ON COMMIT DROP), then pg_copy_begin into it (copy_sql). */
TlResult pg_stage_begin(PGconn *conn, const char *what, const char *create_sql,
                        const char *copy_sql, PgCopy *c, TlError *err);
void pg_copy_field(PgCopy *c, const char *text); /* NULL sends SQL NULL */
/* A resource key, lower(id), staged by the client: pg_ascii_lower tells
 * (before the COPY) whether the database's lower() maps A-Z to a-z and
 * leaves the rest of ASCII alone (not so in a Turkish locale);
 * pg_copy_key then sends id in lower case when that holds and id is ASCII,
 * else NULL, for the server to fill with lower(id) after the COPY (false).
 * The server's lower() goes through wide characters: a generated key column
 * cost half of a staging COPY. */
TlResult pg_ascii_lower(PGconn *conn, bool *out, TlError *err);
bool pg_copy_key(PgCopy *c, bool ascii_lower, const char *id);
void pg_copy_int(PgCopy *c, long long v);
void pg_copy_end_row(PgCopy *c);
/* End the COPY: TL_OK when the server took every row. */
TlResult pg_copy_finish(PgCopy *c, TlError *err);
/* End it with an error (the server discards the rows); a no-op when it is
 * not open (also on a zeroed PgCopy). */
void pg_copy_abort(PgCopy *c);

/* Epoch seconds as a parameter: buf holds at least 24 bytes. */
const char *pg_time_param(TlTime t, char *buf);
const char *pg_int_param(long long v, char *buf);

/* Column readers: NULL or malformed gives the stated default. */
bool pg_get_int64(const PGresult *res, int row, int col, long long *out);
TlTime pg_time(const PGresult *res, int row, int col);      /* epoch bigint, else NONE */
int64_t pg_bytes(const PGresult *res, int row, int col);    /* else TL_BYTES_UNKNOWN */
const char *pg_text(const PGresult *res, int row, int col); /* NULL for SQL NULL */
bool pg_bool(const PGresult *res, int row, int col);        /* 't' */

/* One column index per name of a result, looked up once (PQfnumber):
 * names[i] -> cols[i]; TL_ERR_INTERNAL naming the column when missing. */
TlResult pg_columns(const PGresult *res, const char *what, const char *const *names, int n,
                    int *cols, TlError *err);

/* The transition columns every history query selects, by these names:
 * started, ended (epoch), state, from_objective ('' for a creation),
 * to_objective, operation_id, initiated_by. */
#define PG_TRANSITION_COLUMNS                                                                      \
    "extract(epoch FROM t.started_at)::bigint AS started,"                                         \
    " extract(epoch FROM t.ended_at)::bigint AS ended, t.state,"                                   \
    " coalesce(t.from_objective, '') AS from_objective, t.to_objective, t.operation_id,"           \
    " t.initiated_by"

typedef struct {
    int started, ended, state, from, to, operation_id, initiated_by;
} PgTransitionColumns;

TlResult pg_transition_columns(const PGresult *res, PgTransitionColumns *c, TlError *err);
/* Decode one row into *t; its strings point into res. */
TlResult pg_transition_decode(const PGresult *res, int row, const PgTransitionColumns *c,
                              TlTransition *t, TlError *err);

#endif
