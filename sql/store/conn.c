/* conn.c - connections and transactions (see conn.h). */
#include "sql/store/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/store/pg.h"
#include "sql/store/schema.h"

/* The server's notices, as libpq prints them, but for a FATAL that came
 * while the connection was idle (its server terminated): the connection's
 * next statement fails and its error says so, in one line. */
static void notice(void *arg, const PGresult *res)
{
    (void)arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
        return;
    fputs(PQresultErrorMessage(res), stderr);
}

/* A new connection, reached (else closed, and why in err) and set up for
 * the session: UTC. */
static TlResult session(PGconn *conn, StoreConn **out, TlError *err)
{
    if (!conn)
        return tl_error_set(err, TL_ERR_NOMEM, "postgresql: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        char line[512];
        pg_first_line(PQerrorMessage(conn), line, sizeof line);
        PQfinish(conn);
        return tl_error_set(err, TL_ERR_UNAVAILABLE, "postgresql: cannot connect: %s", line);
    }
    PQsetNoticeReceiver(conn, notice, NULL);
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
    TlResult rc = session(PQconnectdb(conninfo ? conninfo : ""), out, err);
    if (rc == TL_ERR_UNAVAILABLE)
        tl_error_hint(err,
                      "set PGHOST/PGDATABASE/PGUSER (or a service file), or pass --db CONNINFO");
    return rc;
}

TlResult store_twin(StoreConn *conn, StoreConn **out, TlError *err)
{
    *out = NULL;
    if (PQtransactionStatus(conn) != PQTRANS_INTRANS)
        return tl_error_set(err, TL_ERR_INTERNAL, "a second connection needs a transaction");
    /* asked only when allowed: a refusal would abort conn's transaction (the
     * privilege is checked when the statement starts, so in a query of its own) */
    static const char sql_allowed[] =
        "SELECT has_function_privilege('pg_catalog.pg_export_snapshot()', 'EXECUTE')";
    PGresult *res;
    TlResult rc = pg_query(conn, "export the snapshot", sql_allowed, 0, NULL, &res, err);
    bool allowed = !rc && PQgetvalue(res, 0, 0)[0] == 't';
    if (!rc)
        PQclear(res);
    if (!rc && !allowed)
        rc = tl_error_set(err, TL_ERR_NOPERM, "postgresql: no privilege to export a snapshot");
    if (!rc)
        rc = pg_query(conn, "export the snapshot", "SELECT pg_catalog.pg_export_snapshot()", 0,
                      NULL, &res, err);
    if (rc)
        return rc;
    /* the server's name for it, as in "00000003-0000001B-1" */
    char snapshot[64];
    snprintf(snapshot, sizeof snapshot, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (!snapshot[0] || strspn(snapshot, "0123456789ABCDEFabcdef-") != strlen(snapshot))
        return tl_error_set(err, TL_ERR_INTERNAL, "postgresql: an unexpected snapshot name");
    /* the same database, role and options (the password, if any, from
     * where libpq found it: it stays in memory), on the very server conn
     * reached: of a list of hosts, the one it is connected to */
    PQconninfoOption *opts = PQconninfo(conn);
    if (!opts)
        return tl_error_set(err, TL_ERR_NOMEM, "postgresql: out of memory");
    size_t n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n++;
    const char **keys = calloc(n + 1, sizeof *keys), **vals = calloc(n + 1, sizeof *vals);
    size_t k = 0;
    for (PQconninfoOption *o = opts; keys && vals && o->keyword; o++) {
        const char *v = o->val;
        if (v && v[0] && strcmp(o->keyword, "host") == 0)
            v = PQhost(conn);
        else if (v && v[0] && strcmp(o->keyword, "hostaddr") == 0)
            v = PQhostaddr(conn);
        else if (v && v[0] && strcmp(o->keyword, "port") == 0)
            v = PQport(conn);
        if (v && v[0]) {
            keys[k] = o->keyword;
            vals[k++] = v;
        }
    }
    PGconn *twin = keys && vals ? PQconnectdbParams(keys, vals, 0) : NULL;
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    rc = session(twin, out, err);
    /* its statements are a page's, whose bounds the statement itself finds,
     * so the planner guesses its rows: at 1M databases a month of usage was
     * costed at 150,000 rows for 30,000, over jit_above_cost, and JIT's
     * compilation took 320 of a page's 450 ms (59 ms without) */
    if (!rc)
        rc = pg_query(*out, "session setup", "SET jit = off", 0, NULL, NULL, err);
    char sql[128]; /* SET TRANSACTION SNAPSHOT takes no parameter: the name checked above */
    snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", snapshot);
    if (!rc)
        rc = store_begin_snapshot(*out, err);
    if (!rc)
        rc = pg_query(*out, "share the snapshot", sql, 0, NULL, NULL, err);
    if (rc && *out) {
        store_close(*out);
        *out = NULL;
    }
    return rc;
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
