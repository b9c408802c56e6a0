/* record.h - writing what one collector run found into the store: the
 * run's row (collector_runs), the recorded lineages of the listed servers,
 * each server in one transaction, and the run's summary (derive.h decides
 * the transitions, collect.h reads the run in the store's terms). The collector's only file
 * that calls sql/store/; PostgreSQL itself stays in sql/store/. */
#ifndef TIERLEDGER_COLLECTOR_RECORD_H
#define TIERLEDGER_COLLECTOR_RECORD_H

#include <stdbool.h>
#include <stdio.h>

#include "collector/collect.h"
#include "sql/store/collector.h"
#include "sql/store/conn.h"

/* One run's bookkeeping; caller-owned, released with record_cleanup. */
typedef struct {
    StoreConn *conn;
    StoreConn *lock; /* holds the run's subscription locks (store_collector_claim) */
    long long run_id;
    long abandoned; /* runs found dead and closed when the locks were taken */
    TlTime now;
    char host[128];
    /* counts */
    int servers_ok, databases;
    long transitions, facts, drops, usage;
    int mi_ok, mi_databases; /* managed instances written, their databases */
    long mi_events;          /* MI events added */
    /* errors, one line each */
    char **errors;
    size_t n_errors;
    StoreCursors cursors; /* Activity Log */
    double deadline;      /* http_now() instant; 0: none */
    bool out_of_time;     /* the deadline ended the run */
    /* called after each server is written or failed: done of total; NULL: none */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
} RecordRun;

/* Add one error line (copied) to the run's list. */
void record_error(RecordRun *r, const char *line);

/* The run's status: "succeeded", "partial" (some servers failed), "failed"
 * (none was written) or "deadline". */
const char *record_status(const RecordRun *r);

/* Close the run's row with its status and counts (a failure is a warning). */
void record_finish(RecordRun *r, const Collect *c, const HttpStats *st);

/* Lock the run's subscriptions (a CollectClaim): TL_ERR_LOCKED when
 * another collector holds one. */
TlResult record_claim(void *user, const CollectSub *subs, size_t n, TlError *err);

/* The Activity Log cursor of a subscription (a CollectLogFrom). */
TlTime record_cursor_of(void *user, const char *subscription);

/* The recorded lineages of listed servers [lo, hi), attached to each (D9). */
TlResult record_known(RecordRun *r, Collect *c, size_t lo, size_t hi, TlError *err);

/* Write every server of [lo, hi) that answered, each in its own transaction; a server
 * the store refuses is failed like one Azure failed; past r->deadline the
 * rest are failed unwritten. Fails only when PostgreSQL is gone or memory is
 * out. */
TlResult record_servers(RecordRun *r, Collect *c, size_t lo, size_t hi, TlError *err);

/* The Managed Instance part of the run (collector/mi.h): read every
 * instance of the subscriptions, ask for recorded ones the lists no longer
 * name, and write each instance that answered in its own transaction, with
 * the events mi_derive adds; failures are named as for servers. Not with
 * --server. Fails only when PostgreSQL is gone or memory is out. */
TlResult record_mi(RecordRun *r, Collect *c, TlError *err);

/* Move the Activity Log cursors of the subscriptions read and written in
 * full (every server and instance of theirs, the run not narrowed by
 * --resource-group or --server), and
 * record every listed subscription's name and state (subscriptions). */
TlResult record_cursors_save(RecordRun *r, const Collect *c, TlError *err);

/* The run's summary: two lines of text, or (json) one JSON object with
 * run_id, status, subscriptions, servers, servers_written, databases,
 * seconds, requests, retried, throttled, transitions, facts, drops,
 * usage_days, managed_instances, mi_databases, mi_events, deadline_passed
 * and failures. */
TlResult record_summary(FILE *out, const RecordRun *r, const Collect *c, const HttpStats *st,
                        double secs, bool json, TlError *err);

/* Progress of a run: the phase and what is done of what is known, one
 * line rewritten in place on a terminal (tty), else a line every 5 s; set
 * phase as the run moves on. Pass it as HttpOptions.progress_user with
 * record_progress_requests, and as RecordRun.progress_user with
 * record_progress_servers. */
typedef struct {
    FILE *out;
    bool tty;
    const char *phase; /* "listing", "listing databases", "reading details", "writing" */
    const Collect *c;
    double last;
} RecordProgress;
void record_progress_requests(void *progress, long finished, long added);
void record_progress_servers(void *progress, size_t done, size_t total);

/* Every discovered server, a batch at a time (collect.h): list, match with
 * the store (record_known), read details, write (record_servers), release.
 * Past r->deadline no batch is started: the rest are failed unwritten.
 * prog (may be NULL) is told the phase. */
TlResult record_batches(RecordRun *r, Collect *c, RecordProgress *prog, TlError *err);

void record_cleanup(RecordRun *r);

#endif
