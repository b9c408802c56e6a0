/* subject.h - loading one database lineage for `lineage` and `check`:
 * resolve the DATABASE argument, read its transitions and facts, validate
 * the history, and fill the ReportSubject the reports print. */
#ifndef TIERLEDGER_CLI_SUBJECT_H
#define TIERLEDGER_CLI_SUBJECT_H

#include "cli/args.h"
#include "reports/report.h"
#include "sql/store/conn.h"
#include "sql/store/facts.h"
#include "sql/store/lineages.h"

typedef struct {
    StoreConn *conn;
    StoreDatabase db;
    StoreHistory history;
    StoreFacts facts;
    ReportSubject subject;
} Subject;

/* Connect (--db), check the schema, and load DATABASE (ctx->args[0],
 * --created) as of as_of. Release with subject_cleanup on every path. */
TlResult subject_load(const CliContext *ctx, TlTime as_of, Subject *out, TlError *err);
void subject_cleanup(Subject *s);

#endif
