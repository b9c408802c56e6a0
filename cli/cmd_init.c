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
    static const struct {
        const char *option, *group;
    } grants[] = {{"grant-writer", "tierledger_writer"}, {"grant-reader", "tierledger_reader"}};
    for (size_t g = 0; g < 2 && !rc; g++) {
        const char *members[CLI_MAX_GIVEN];
        int n = cli_opt_all(ctx, grants[g].option, members, CLI_MAX_GIVEN);
        for (int i = 0; i < n && !rc; i++) {
            rc = store_schema_grant(conn, grants[g].group, members[i], err);
            if (!rc)
                fprintf(stderr, "tierledger init: %s is a member of %s\n", members[i],
                        grants[g].group);
        }
    }
    store_close(conn);
    return rc;
}

static const CliOption init_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"grant-writer", "ROLE",
     "make ROLE a member of tierledger_writer: collect, the imports, refresh (repeatable)", 0},
    {"grant-reader", "ROLE",
     "make ROLE a member of tierledger_reader: lineage, check, the reports, the views "
     "(repeatable)",
     0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_init = {
    .name = "init",
    .summary = "create or upgrade the tierledger schema (idempotent)",
    .usage = "[options]",
    .description = "Applies sql/migrations/NNNN_*.sql in order, each in one transaction, recorded\n"
                   "in schema_version, then the audit views of sql/views. Creates three roles:\n"
                   "tierledger_owner owns the schema (only init needs it), tierledger_writer\n"
                   "appends history and keeps the bookkeeping (collect, the imports, refresh;\n"
                   "it cannot alter a table or change a row of history), tierledger_reader reads.\n"
                   "Run it as a superuser (or a role that may create roles and owns the schema).",
    .options = init_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_init,
};
