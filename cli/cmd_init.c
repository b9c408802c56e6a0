/* cmd_init.c - `tierledger init`: apply the schema migrations and views.
 * Running it again is a no-op. */
#include <stdio.h>

#include "cli/commands.h"
#include "sql/store/schema.h"

static TlResult run_init(CliContext *ctx, TlError *err)
{
    StoreConn *conn;
    int applied = 0;
    bool views = false;
    TlResult rc = store_connect(cli_opt(ctx, "db"), &conn, err);
    if (rc)
        return rc;
    rc = store_schema_migrate(conn, &applied, &views, err);
    if (!rc)
        fprintf(stderr, "tierledger init: schema at version %d (%d migration%s applied%s)\n",
                store_schema_known_version(), applied, applied == 1 ? "" : "s",
                views ? ", views updated" : "");
    store_close(conn);
    return rc;
}

static const CliOption init_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_init = {
    .name = "init",
    .summary = "create or upgrade the tierledger schema (idempotent)",
    .usage = "[options]",
    .description = "Applies sql/migrations/NNNN_*.sql in order, each in one transaction, recorded\n"
                   "in schema_version, then the audit views of sql/views. Creates the read-only\n"
                   "role tierledger_reader.",
    .options = init_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_init,
};
