/* schema.c - schema version and migrations (see schema.h). */
#include "sql/store/schema.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/store/pg.h"
#include "sql/store/sql_bundle.h"

static bool is_migration(const TlSqlFile *f)
{
    return strncmp(f->path, "sql/migrations/", 15) == 0;
}

static int migration_version(const TlSqlFile *f)
{
    return atoi(f->path + 15);
}

int store_schema_known_version(void)
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

/* Current schema version (0 when none); *exists says whether schema_version does. */
static TlResult current_version(PGconn *conn, int *version, bool *exists, TlError *err)
{
    static const char sql_exists[] = "SELECT to_regclass('schema_version') IS NOT NULL AS present";
    static const char sql[] =
        "SELECT coalesce(max(version), 0)::int AS version FROM schema_version";
    PGresult *res;
    TlResult rc = pg_query(conn, "schema version", sql_exists, 0, NULL, &res, err);
    if (rc)
        return rc;
    *exists = pg_bool(res, 0, 0);
    PQclear(res);
    *version = 0;
    if (!*exists)
        return TL_OK;
    rc = pg_query(conn, "schema version", sql, 0, NULL, &res, err);
    if (rc)
        return rc;
    *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return TL_OK;
}

TlResult store_schema_check(StoreConn *conn, TlError *err)
{
    int version;
    bool exists;
    TlResult rc = current_version(conn, &version, &exists, err);
    if (rc)
        return rc;
    int known = store_schema_known_version();
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

#define ROLES_VERSION 9 /* 0009_roles.sql: tierledger_owner from here on */

/* Apply migration f unless the version recorded (re-read under the lock)
 * already has it; the bootstrap (version 0) runs only while schema_version
 * is missing and records nothing. Later migrations than 0009 run as
 * tierledger_owner. */
static TlResult apply_migration(PGconn *conn, const TlSqlFile *f, bool *applied, TlError *err)
{
    static const char sql_record[] =
        "INSERT INTO schema_version (version, name) VALUES ($1::int, $2)";
    *applied = false;
    int version, mine = migration_version(f);
    bool exists;
    TlResult rc = pg_begin(conn, err);
    if (!rc)
        rc = pg_lock_schema(conn, err);
    if (!rc)
        rc = current_version(conn, &version, &exists, err);
    if (!rc && mine > ROLES_VERSION) /* after 0009, every object is the owner's */
        rc = pg_query(conn, f->path, "SET LOCAL ROLE tierledger_owner", 0, NULL, NULL, err);
    if (rc || (mine == 0 ? exists : version >= mine)) {
        if (rc)
            store_rollback(conn);
        return rc ? rc : store_commit(conn, err);
    }
    rc = pg_exec_script(conn, f->path, f->text, err);
    char vtext[24];
    const char *params[] = {pg_int_param(mine, vtext), strrchr(f->path, '/') + 1};
    if (!rc && mine > 0)
        rc = pg_query(conn, f->path, sql_record, 2, params, NULL, err);
    if (!rc)
        rc = store_commit(conn, err);
    if (rc)
        store_rollback(conn);
    *applied = rc == TL_OK && mine > 0;
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
        rc = pg_lock_schema(conn, err);
    if (!rc) /* the views and their functions are the owner's (0009) */
        rc = pg_query(conn, "views", "SET LOCAL ROLE tierledger_owner", 0, NULL, NULL, err);
    if (!rc)
        rc = pg_query(conn, "views", sql_get, 0, NULL, &res, err);
    if (rc) {
        store_rollback(conn);
        return rc;
    }
    bool same = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), hash) == 0;
    PQclear(res);
    if (same)
        return store_commit(conn, err);
    for (size_t i = 0; i < tl_sql_file_count && !rc; i++)
        if (!is_migration(&tl_sql_files[i]))
            rc = pg_exec_script(conn, tl_sql_files[i].path, tl_sql_files[i].text, err);
    const char *params[] = {hash};
    if (!rc)
        rc = pg_query(conn, "views", sql_set, 1, params, NULL, err);
    if (!rc)
        rc = store_commit(conn, err);
    if (rc)
        store_rollback(conn);
    *applied = rc == TL_OK;
    return rc;
}

TlResult store_schema_migrate(StoreConn *conn, int *applied, bool *views_applied, TlError *err)
{
    *applied = 0;
    *views_applied = false;
    int version;
    bool exists;
    TlResult rc = current_version(conn, &version, &exists, err);
    if (rc)
        return rc;
    if (version > store_schema_known_version())
        return store_schema_check(conn, err);
    for (size_t i = 0; i < tl_sql_file_count; i++) { /* in name order: 0000 first */
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

TlResult store_schema_grant(StoreConn *conn, const char *group, const char *member, TlError *err)
{
    static const char sql_role[] = "SELECT count(*) AS n FROM pg_roles WHERE rolname = $1";
    /* the statement is written by the server's own quoting (%I), never by hand */
    static const char sql_stmt[] = "SELECT format('GRANT %I TO %I', $1::text, $2::text)";
    const char *pr[] = {member}, *ps[] = {group, member};
    PGresult *res = NULL;
    TlResult rc = pg_query(conn, "find the role", sql_role, 1, pr, &res, err);
    if (rc)
        return rc;
    bool exists = atoi(PQgetvalue(res, 0, 0)) > 0;
    PQclear(res);
    if (!exists)
        return tl_error_set(err, TL_ERR_USAGE, "no role '%s' exists (CREATE ROLE it first)",
                            member);
    rc = pg_query(conn, "grant", sql_stmt, 2, ps, &res, err);
    if (rc)
        return rc;
    char stmt[700];
    snprintf(stmt, sizeof stmt, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return pg_query(conn, "grant", stmt, 0, NULL, NULL, err);
}
