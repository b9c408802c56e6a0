/* schema.h - the schema's version and its migrations. Migrations are the
 * forward-only files sql/migrations/NNNN_name.sql embedded in the binary
 * (sql/store/sql_bundle.h), applied in order, each in one transaction with
 * a row in schema_version (0000 creates that table); the views of sql/views
 * are recreated in one transaction when the hash of their text differs
 * from the one recorded in schema_views. */
#ifndef TIERLEDGER_SQL_STORE_SCHEMA_H
#define TIERLEDGER_SQL_STORE_SCHEMA_H

#include <stdbool.h>

#include "model/result.h"
#include "sql/store/conn.h"

/* The newest migration version the binary carries. */
int store_schema_known_version(void);

/* Apply the migrations not yet applied, each in its own transaction, then
 * the views when their bundle changed. *applied counts migrations run;
 * *views_applied says whether the views were (re)created. */
TlResult store_schema_migrate(StoreConn *conn, int *applied, bool *views_applied, TlError *err);

/* Make the existing role `member` a member of `group` (tierledger_writer or
 * tierledger_reader); an unknown role is TL_ERR_USAGE. */
TlResult store_schema_grant(StoreConn *conn, const char *group, const char *member, TlError *err);

/* Fail with TL_ERR_SCHEMA unless the schema is exactly the binary's. */
TlResult store_schema_check(StoreConn *conn, TlError *err);

#endif
