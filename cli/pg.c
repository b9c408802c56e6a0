/* pg.c - PostgreSQL plumbing shared by every command (see pg.h).
 * Migrations are forward-only files sql/migrations/NNNN_name.sql, applied in
 * order, each in one transaction with a row in schema_version; the views of
 * sql/views are recreated in one transaction when the hash of their text
 * differs from the one recorded in schema_views. */
#include "pg.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_bundle.h"

#define WRITER_LOCK_KEY "7581625011734151"

/* The first line of a libpq message, without the trailing newline. */
static void first_line(const char *msg, char *buf, size_t size)
{
    snprintf(buf, size, "%s", msg ? msg : "");
    buf[strcspn(buf, "\r\n")] = '\0';
}

TlResult pg_connect(const char *conninfo, PGconn **out, TlError *err)
{
    *out = NULL;
    if (conninfo) {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
        if (!opts) {
            char line[512];
            first_line(perr, line, sizeof line);
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
        first_line(PQerrorMessage(conn), line, sizeof line);
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

void pg_close(PGconn *conn)
{
    if (conn)
        PQfinish(conn);
}

TlResult pg_query(PGconn *conn, const char *what, const char *sql, int nparams,
                  const char *const *params, PGresult **out, TlError *err)
{
    if (out)
        *out = NULL;
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (out)
            *out = res;
        else
            PQclear(res);
        return TL_OK;
    }
    char line[512];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(conn), line, sizeof line);
    if (!line[0])
        first_line(PQerrorMessage(conn), line, sizeof line);
    TlResult rc = TL_ERR_INTERNAL;
    if (PQstatus(conn) == CONNECTION_BAD ||
        (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)))
        rc = TL_ERR_UNAVAILABLE;
    PQclear(res);
    return tl_error_set(err, rc, "postgresql: %s: %s", what, line);
}

TlResult pg_begin(PGconn *conn, TlError *err)
{
    return pg_query(conn, "begin", "BEGIN", 0, NULL, NULL, err);
}

TlResult pg_commit(PGconn *conn, TlError *err)
{
    return pg_query(conn, "commit", "COMMIT", 0, NULL, NULL, err);
}

void pg_rollback(PGconn *conn)
{
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}

TlResult pg_lock_writers(PGconn *conn, TlError *err)
{
    static const char sql_lock[] = "SELECT pg_advisory_xact_lock(" WRITER_LOCK_KEY ")";
    return pg_query(conn, "writer lock", sql_lock, 0, NULL, NULL, err);
}

TlResult pg_open_writer(const char *conninfo, PGconn **out, TlError *err)
{
    TlResult rc = pg_connect(conninfo, out, err);
    if (!rc)
        rc = pg_schema_check(*out, err);
    if (!rc)
        rc = pg_begin(*out, err);
    if (!rc)
        rc = pg_lock_writers(*out, err);
    if (rc && *out) {
        pg_close(*out);
        *out = NULL;
    }
    return rc;
}

bool pg_get_int64(const PGresult *res, int row, int col, long long *out)
{
    if (PQgetisnull(res, row, col))
        return false;
    char *end;
    const char *text = PQgetvalue(res, row, col);
    long long v = strtoll(text, &end, 10);
    if (end == text || *end)
        return false;
    *out = v;
    return true;
}

/* ---- migrations ---------------------------------------------------------- */

static bool is_migration(const TlSqlFile *f)
{
    return strncmp(f->path, "sql/migrations/", 15) == 0;
}

static int migration_version(const TlSqlFile *f)
{
    return atoi(f->path + 15);
}

int pg_known_version(void)
{
    int version = 0;
    for (size_t i = 0; i < tl_sql_file_count; i++)
        if (is_migration(&tl_sql_files[i]) && migration_version(&tl_sql_files[i]) > version)
            version = migration_version(&tl_sql_files[i]);
    return version;
}

/* FNV-1a over the views' paths and text: changes when any view changes. */
static void views_hash(char *buf, size_t size)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < tl_sql_file_count; i++) {
        if (is_migration(&tl_sql_files[i]))
            continue;
        for (int part = 0; part < 2; part++)
            for (const char *p = part ? tl_sql_files[i].text : tl_sql_files[i].path; *p; p++)
                h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
    }
    snprintf(buf, size, "%016llx", (unsigned long long)h);
}

static const char sql_version_table[] = "CREATE TABLE IF NOT EXISTS schema_version ("
                                        " version integer PRIMARY KEY, name text NOT NULL,"
                                        " applied_at timestamptz NOT NULL DEFAULT now())";
static const char sql_version_comment[] =
    "COMMENT ON TABLE schema_version IS "
    " 'Migrations of sql/migrations applied by tierledger init, one row per file'";

/* Current schema version (0 when none): expects one integer column. */
static TlResult current_version(PGconn *conn, int *version, TlError *err)
{
    static const char sql[] = "SELECT coalesce(max(version), 0)::int FROM schema_version";
    static const char sql_exists[] = "SELECT to_regclass('schema_version') IS NOT NULL";
    PGresult *res;
    TlResult rc = pg_query(conn, "schema version", sql_exists, 0, NULL, &res, err);
    if (rc)
        return rc;
    bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    *version = 0;
    if (!exists)
        return TL_OK;
    rc = pg_query(conn, "schema version", sql, 0, NULL, &res, err);
    if (rc)
        return rc;
    *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return TL_OK;
}

TlResult pg_schema_check(PGconn *conn, TlError *err)
{
    int version;
    TlResult rc = current_version(conn, &version, err);
    if (rc)
        return rc;
    int known = pg_known_version();
    if (version == known)
        return TL_OK;
    if (version == 0) {
        tl_error_set(err, TL_ERR_SCHEMA, "postgresql: the database has no tierledger schema");
        tl_error_hint(err, "run 'tierledger init' first");
    } else if (version < known) {
        tl_error_set(err, TL_ERR_SCHEMA,
                     "postgresql: the schema is at version %d, this binary needs %d", version,
                     known);
        tl_error_hint(err, "run 'tierledger init' to apply the newer migrations");
    } else {
        tl_error_set(err, TL_ERR_SCHEMA,
                     "postgresql: the schema is at version %d, newer than this binary knows (%d)",
                     version, known);
        tl_error_hint(err, "upgrade tierledger; an older binary must not write to a newer schema");
    }
    return TL_ERR_SCHEMA;
}

static TlResult apply_migration(PGconn *conn, const TlSqlFile *f, bool *applied, TlError *err)
{
    static const char sql_record[] =
        "INSERT INTO schema_version (version, name) VALUES ($1::int, $2)";
    *applied = false;
    int version;
    TlResult rc = pg_begin(conn, err);
    if (!rc)
        rc = pg_lock_writers(conn, err);
    if (!rc)
        rc = current_version(conn, &version, err); /* re-read under the lock */
    if (rc || version >= migration_version(f))
        goto out;
    PGresult *res = PQexec(conn, f->text); /* migration files are ours, never input */
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char line[512];
        first_line(PQresultErrorMessage(res), line, sizeof line);
        PQclear(res);
        rc = tl_error_set(err, TL_ERR_INTERNAL, "postgresql: %s: %s", f->path, line);
        goto out;
    }
    PQclear(res);
    char vtext[16];
    snprintf(vtext, sizeof vtext, "%d", migration_version(f));
    const char *name = strrchr(f->path, '/') + 1;
    const char *params[] = {vtext, name};
    rc = pg_query(conn, f->path, sql_record, 2, params, NULL, err);
    if (!rc)
        rc = pg_commit(conn, err);
    *applied = rc == TL_OK;
out:
    if (rc)
        pg_rollback(conn);
    else if (!*applied)
        rc = pg_commit(conn, err);
    return rc;
}

static TlResult apply_views(PGconn *conn, bool *applied, TlError *err)
{
    static const char sql_get[] = "SELECT bundle_hash FROM schema_views WHERE id = 1";
    static const char sql_set[] =
        "INSERT INTO schema_views (id, bundle_hash) VALUES (1, $1) "
        "ON CONFLICT (id) DO UPDATE SET bundle_hash = EXCLUDED.bundle_hash, applied_at = now()";
    char hash[32];
    views_hash(hash, sizeof hash);
    *applied = false;
    PGresult *res = NULL;
    TlResult rc = pg_begin(conn, err);
    if (!rc)
        rc = pg_lock_writers(conn, err);
    if (!rc)
        rc = pg_query(conn, "views", sql_get, 0, NULL, &res, err);
    if (rc)
        goto out;
    bool same = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), hash) == 0;
    PQclear(res);
    if (same)
        return pg_commit(conn, err);
    for (size_t i = 0; i < tl_sql_file_count && !rc; i++) {
        if (is_migration(&tl_sql_files[i]))
            continue;
        res = PQexec(conn, tl_sql_files[i].text);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            char line[512];
            first_line(PQresultErrorMessage(res), line, sizeof line);
            rc = tl_error_set(err, TL_ERR_INTERNAL, "postgresql: %s: %s", tl_sql_files[i].path,
                              line);
        }
        PQclear(res);
    }
    const char *params[] = {hash};
    if (!rc)
        rc = pg_query(conn, "views", sql_set, 1, params, NULL, err);
    if (!rc)
        rc = pg_commit(conn, err);
    *applied = rc == TL_OK;
out:
    if (rc)
        pg_rollback(conn);
    return rc;
}

TlResult pg_migrate(PGconn *conn, int *applied, bool *views_applied, TlError *err)
{
    *applied = 0;
    *views_applied = false;
    int version;
    TlResult rc = current_version(conn, &version, err);
    if (!rc && version == 0) {
        rc = pg_query(conn, "schema_version", sql_version_table, 0, NULL, NULL, err);
        if (!rc)
            rc = pg_query(conn, "schema_version", sql_version_comment, 0, NULL, NULL, err);
    }
    if (rc)
        return rc;
    if (version > pg_known_version())
        return pg_schema_check(conn, err);
    for (size_t i = 0; i < tl_sql_file_count; i++) {
        if (!is_migration(&tl_sql_files[i]))
            continue;
        bool done;
        rc = apply_migration(conn, &tl_sql_files[i], &done, err);
        if (rc)
            return rc;
        *applied += done;
    }
    return apply_views(conn, views_applied, err);
}

/* ---- array literals ---------------------------------------------------------- */

static void array_put(PgArray *a, const char *text, size_t n)
{
    if (a->failed)
        return;
    if (a->len + n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4096;
        while (cap < a->len + n + 2)
            cap *= 2;
        char *grown = realloc(a->buf, cap);
        if (!grown) {
            a->failed = true;
            return;
        }
        a->buf = grown;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, text, n);
    a->len += n;
}

void pg_array_add(PgArray *a, const char *value)
{
    array_put(a, a->len == 0 ? "{" : ",", 1);
    if (!value) {
        array_put(a, "NULL", 4);
        return;
    }
    array_put(a, "\"", 1);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            array_put(a, "\\", 1);
        array_put(a, p, 1);
    }
    array_put(a, "\"", 1);
}

const char *pg_array_finish(PgArray *a)
{
    array_put(a, a->len == 0 ? "{}" : "}", a->len == 0 ? 2 : 1);
    array_put(a, "", 1); /* NUL */
    return a->failed ? NULL : a->buf;
}

void pg_array_free(PgArray *a)
{
    if (!a)
        return;
    free(a->buf);
    memset(a, 0, sizeof *a);
}
