/* conn.c - connections and transactions (see conn.h). */
#include "sql/store/conn.h"

#include <stdio.h>
#include <string.h>

#include "sql/store/pg.h"
#include "sql/store/schema.h"

TlResult store_connect(const char *conninfo, StoreConn **out, TlError *err)
{
    *out = NULL;
    if (conninfo) {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
        if (!opts) {
            char line[512];
            pg_first_line(perr, line, sizeof line);
            PQfreemem(perr);
            return tl_error_set(err, TL_ERR_USAGE, "--db: not a valid connection string: %s", line);
        }
        bool has_password = false;
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
                has_password = true;
        PQconninfoFree(opts);
        if (has_password) {
            tl_error_set(err, TL_ERR_USAGE, "--db: a password on the command line is refused");
            tl_error_hint(err, "use PGPASSWORD, a ~/.pgpass file (PGPASSFILE) or a service file");
            return TL_ERR_USAGE;
        }
    }
    PGconn *conn = PQconnectdb(conninfo ? conninfo : "");
    if (!conn)
        return tl_error_set(err, TL_ERR_NOMEM, "postgresql: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        char line[512];
        pg_first_line(PQerrorMessage(conn), line, sizeof line);
        PQfinish(conn);
        tl_error_set(err, TL_ERR_UNAVAILABLE, "postgresql: cannot connect: %s", line);
        tl_error_hint(err,
                      "set PGHOST/PGDATABASE/PGUSER (or a service file), or pass --db CONNINFO");
        return TL_ERR_UNAVAILABLE;
    }
    PGresult *res = PQexec(conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        PQfinish(conn);
        return tl_error_set(err, TL_ERR_UNAVAILABLE, "postgresql: session setup failed");
    }
    *out = conn;
    return TL_OK;
}

TlResult store_open_reader(const char *conninfo, StoreConn **out, TlError *err)
{
    TlResult rc = store_connect(conninfo, out, err);
    if (!rc)
        rc = store_schema_check(*out, err);
    if (rc && *out) {
        store_close(*out);
        *out = NULL;
    }
    return rc;
}

TlResult store_open_writer(const char *conninfo, const char *origin, StoreConn **out, TlError *err)
{
    TlResult rc = store_open_reader(conninfo, out, err);
    if (!rc)
        rc = store_begin_write(*out, origin, err);
    if (rc && *out) {
        store_close(*out);
        *out = NULL;
    }
    return rc;
}

TlResult store_begin_snapshot(StoreConn *conn, TlError *err)
{
    return pg_query(conn, "begin a read-only snapshot",
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, err);
}

TlResult store_begin_write(StoreConn *conn, const char *origin, TlError *err)
{
    static const char sql_origin[] = "SELECT set_config('tierledger.recorded_via', $1, true)";
    const char *params[] = {origin};
    TlResult rc = pg_begin(conn, err);
    if (!rc)
        rc = pg_lock_writers(conn, err);
    if (!rc)
        rc = pg_query(conn, "record the origin", sql_origin, 1, params, NULL, err);
    return rc;
}

TlResult store_commit(StoreConn *conn, TlError *err)
{
    return pg_query(conn, "commit", "COMMIT", 0, NULL, NULL, err);
}

void store_rollback(StoreConn *conn)
{
    if (conn && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}

TlResult store_savepoint(StoreConn *conn, const char *name, TlError *err)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SAVEPOINT %s", name); /* our own identifiers, never input */
    return pg_query(conn, "savepoint", sql, 0, NULL, NULL, err);
}

TlResult store_rollback_to(StoreConn *conn, const char *name, TlError *err)
{
    char sql[96];
    snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", name);
    return pg_query(conn, "roll back to a savepoint", sql, 0, NULL, NULL, err);
}

bool store_connected(const StoreConn *conn)
{
    return conn && PQstatus(conn) == CONNECTION_OK;
}

void store_close(StoreConn *conn)
{
    if (conn)
        PQfinish(conn);
}
