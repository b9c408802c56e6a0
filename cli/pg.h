/* pg.h - the shared PostgreSQL plumbing: connecting with libpq's defaults or
 * a conninfo, running parameterised SQL with errors mapped to TlResult,
 * transactions, the write lock, and schema migrations from the embedded
 * sql/ bundle. Every PGresult handed out is the caller's to PQclear. */
#ifndef TIERLEDGER_CLI_PG_H
#define TIERLEDGER_CLI_PG_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "result.h"

/* Connect with conninfo (NULL: libpq defaults, PG* variables, service file).
 * A conninfo carrying a password is refused: secrets never go in argv. */
TlResult pg_connect(const char *conninfo, PGconn **out, TlError *err);
void pg_close(PGconn *conn);

/* Run sql with text parameters; on success *out (may be NULL when the
 * caller wants no rows) holds the result for the caller to PQclear. `what`
 * names the step for the error message. A lost connection is UNAVAILABLE;
 * anything else the server refuses is INTERNAL. */
TlResult pg_query(PGconn *conn, const char *what, const char *sql, int nparams,
                  const char *const *params, PGresult **out, TlError *err);

TlResult pg_begin(PGconn *conn, TlError *err);
TlResult pg_commit(PGconn *conn, TlError *err);
void pg_rollback(PGconn *conn); /* best effort, for error paths */

/* Take the transaction-scoped lock that serialises writers (import,
 * collector); waits for a holder to finish. */
TlResult pg_lock_writers(PGconn *conn, TlError *err);

/* Connect (conninfo as for pg_connect), check the schema, begin a
 * transaction and take the writers' lock: how every writing command starts.
 * On failure *out is NULL and nothing is left open. */
TlResult pg_open_writer(const char *conninfo, PGconn **out, TlError *err);

/* The newest migration version the binary carries. */
int pg_known_version(void);

/* Apply the migrations not yet applied, each in its own transaction, then
 * the views when their bundle changed. *applied counts migrations run;
 * *views_applied says whether the views were (re)created. */
TlResult pg_migrate(PGconn *conn, int *applied, bool *views_applied, TlError *err);

/* Fail with TL_ERR_SCHEMA unless the schema is exactly the binary's. */
TlResult pg_schema_check(PGconn *conn, TlError *err);

/* A PostgreSQL array literal built element by element, {"a",NULL,"b"}, to
 * pass whole columns as one parameter ($1::text[]) to set-based statements. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} PgArray;

void pg_array_add(PgArray *a, const char *value); /* NULL adds NULL */
/* The finished literal ("{}" when empty), or NULL when memory ran out. */
const char *pg_array_finish(PgArray *a);
void pg_array_free(PgArray *a);

/* Parse a bigint/int column value; false if empty or not a number. */
bool pg_get_int64(const PGresult *res, int row, int col, long long *out);

#endif
