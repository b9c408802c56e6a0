/* record.h - writing what one collector run found into the store: the
 * run's row (collector_runs), the recorded lineages of the listed servers,
 * and each server in one transaction (derive.h decides the transitions,
 * collect.h reads the run in the store's terms). The collector's only file
 * that calls sql/store/; PostgreSQL itself stays in sql/store/. */
#ifndef TIERLEDGER_COLLECTOR_RECORD_H
#define TIERLEDGER_COLLECTOR_RECORD_H

#include <stdbool.h>

#include "collector/collect.h"
#include "sql/store/collector.h"
#include "sql/store/conn.h"

/* One run's bookkeeping; caller-owned, released with record_cleanup. */
typedef struct {
    StoreConn *conn;
    long long run_id;
    TlTime now;
    char host[128];
    /* counts */
    int servers_ok, databases;
    long transitions, facts, drops, usage;
    /* errors, one line each */
    char **errors;
    size_t n_errors;
    StoreCursors cursors; /* Activity Log */
    double deadline;      /* http_now() instant; 0: none */
    bool out_of_time;     /* the deadline ended the run */
} RecordRun;

/* Add one error line (copied) to the run's list. */
void record_error(RecordRun *r, const char *line);

/* Close the run's row with its status and counts (a failure is a warning). */
void record_finish(RecordRun *r, const Collect *c, const HttpStats *st);

/* The Activity Log cursor of a subscription (a CollectLogFrom). */
TlTime record_cursor_of(void *user, const char *subscription);

/* The recorded lineages of every listed server, attached to it (D9). */
TlResult record_known(RecordRun *r, Collect *c, TlError *err);

/* Write every server that answered, each in its own transaction; a server
 * the store refuses is failed like one Azure failed; past r->deadline the
 * rest are failed unwritten. Fails only when PostgreSQL is gone or memory is
 * out. */
TlResult record_servers(RecordRun *r, Collect *c, TlError *err);

/* Move the Activity Log cursors of the subscriptions read in full. */
TlResult record_cursors_save(RecordRun *r, const Collect *c, TlError *err);

void record_cleanup(RecordRun *r);

#endif
