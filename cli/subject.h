/* subject.h - loading one database lineage for `lineage` and `check`:
 * resolve the DATABASE argument, read its transitions and facts, validate
 * the history, and fill the ReportSubject the reports print. */
#ifndef TIERLEDGER_CLI_SUBJECT_H
#define TIERLEDGER_CLI_SUBJECT_H

#include "args.h"
#include "report.h"
#include "store.h"

typedef struct {
    PGconn *conn;
    StoreDatabase db;
    StoreHistory history;
    StoreFacts facts;
    ReportSubject subject;
} Subject;

/* Connect (--db), check the schema, and load DATABASE (ctx->args[0],
 * --created) as of as_of. Release with subject_free on every path. */
TlResult subject_load(const CliContext *ctx, TlTime as_of, Subject *out, TlError *err);
void subject_free(Subject *s);

#endif
