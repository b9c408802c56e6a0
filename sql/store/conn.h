/* conn.h - a connection to tierledger's PostgreSQL database, for the
 * commands: open it as a reader or as a writer (one transaction under the
 * writers' lock), commit, roll back, close. StoreConn is libpq's connection,
 * opaque outside sql/store/ so no other layer can send SQL. */
#ifndef TIERLEDGER_SQL_STORE_CONN_H
#define TIERLEDGER_SQL_STORE_CONN_H

#include <stdbool.h>

#include "model/result.h"

typedef struct pg_conn StoreConn; /* libpq's PGconn */

/* Connect with conninfo (NULL: libpq defaults, PG* variables, service
 * file); the session runs in UTC. A conninfo carrying a password is
 * refused: secrets never go in argv. */
TlResult store_connect(const char *conninfo, StoreConn **out, TlError *err);

/* Connect and check the schema is exactly the binary's: how every reading
 * command starts. On failure *out is NULL and nothing is left open. */
TlResult store_open_reader(const char *conninfo, StoreConn **out, TlError *err);

/* As store_open_reader, then begin a transaction and take the writers' lock
 * (waits for another writer to finish): how every writing command starts.
 * origin names the run or file the transaction's rows come from ("import
 * fleet.csv", "collect run 42"): the server records it in recorded_via. */
TlResult store_open_writer(const char *conninfo, const char *origin, StoreConn **out, TlError *err);

/* Begin a transaction under the writers' lock on an open connection, its
 * rows recorded as coming from origin. */
TlResult store_begin_write(StoreConn *conn, const char *origin, TlError *err);
/* Begin a read-only transaction on one snapshot (REPEATABLE READ), so a
 * report read in many queries (pages of the fleet) sees one state. */
TlResult store_begin_snapshot(StoreConn *conn, TlError *err);
/* A second connection to the same database as conn's (same parameters),
 * in a read-only transaction on the snapshot of conn's open transaction
 * (pg_export_snapshot): what it reads is what conn reads, for reading two
 * results at once. conn must be in a transaction that has not written
 * what the second connection reads. Close it with store_close. A role
 * without EXECUTE on pg_export_snapshot, or a refused connection, leaves
 * conn as it was; when the export itself fails, conn's transaction is
 * aborted with it (PQTRANS_INERROR). */
TlResult store_twin(StoreConn *conn, StoreConn **out, TlError *err);
TlResult store_commit(StoreConn *conn, TlError *err);
void store_rollback(StoreConn *conn); /* best effort, for error paths; no-op when idle */

/* A named savepoint inside the open transaction, and going back to it. */
TlResult store_savepoint(StoreConn *conn, const char *name, TlError *err);
TlResult store_rollback_to(StoreConn *conn, const char *name, TlError *err);

/* true while the connection is usable */
bool store_connected(const StoreConn *conn);
void store_close(StoreConn *conn); /* NULL is a no-op */

#endif
