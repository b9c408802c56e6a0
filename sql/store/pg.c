/* pg.c - the libpq plumbing of the store modules (see pg.h). */
#include "sql/store/pg.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/billing.h"

#define WRITER_LOCK_KEY "7581625011734151"

void pg_first_line(const char *msg, char *buf, size_t size)
{
    snprintf(buf, size, "%s", msg ? msg : "");
    buf[strcspn(buf, "\r\n")] = '\0';
}

static TlResult failure(PGconn *conn, PGresult *res, const char *what, TlError *err)
{
    char line[512];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* the server's own words, without the "ERROR:  " severity prefix */
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    pg_first_line(primary ? primary
                  : res   ? PQresultErrorMessage(res)
                          : PQerrorMessage(conn),
                  line, sizeof line);
    if (!line[0])
        pg_first_line(PQerrorMessage(conn), line, sizeof line);
    TlResult rc = TL_ERR_INTERNAL;
    if (PQstatus(conn) == CONNECTION_BAD ||
        (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)))
        rc = TL_ERR_UNAVAILABLE;
    if (state && strcmp(state, "55P03") == 0) /* lock_not_available (NOWAIT, lock_timeout) */
        rc = TL_ERR_LOCKED;
    bool denied = state && strcmp(state, "42501") == 0; /* insufficient_privilege */
    PQclear(res);                                       /* state was res's */
    if (denied) {                                       /* name the role */
        tl_error_set(err, TL_ERR_NOPERM, "postgresql: %s: %s (connected as role %s)", what, line,
                     PQuser(conn));
        tl_error_hint(err, "writing needs tierledger_writer, reading tierledger_reader: "
                           "tierledger init --grant-writer ROLE or --grant-reader ROLE");
        return TL_ERR_NOPERM;
    }
    return tl_error_set(err, rc, "postgresql: %s: %s", what, line);
}

/* A statement's result: into *out (or cleared), or its failure. */
static TlResult outcome(PGconn *conn, PGresult *res, const char *what, PGresult **out, TlError *err)
{
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return failure(conn, res, what, err);
    if (out)
        *out = res;
    else
        PQclear(res);
    return TL_OK;
}

TlResult pg_query(PGconn *conn, const char *what, const char *sql, int nparams,
                  const char *const *params, PGresult **out, TlError *err)
{
    if (out)
        *out = NULL;
    return outcome(conn, PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0), what, out,
                   err);
}

/* Send sql; its result is for pg_receive. */
static TlResult pg_send(PGconn *conn, const char *what, const char *sql, int nparams,
                        const char *const *params, TlError *err)
{
    if (PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0))
        return TL_OK;
    return failure(conn, NULL, what, err);
}

/* The result of what pg_send sent, read to its end (the connection free
 * again whatever the outcome). */
static TlResult pg_receive(PGconn *conn, const char *what, PGresult **out, TlError *err)
{
    if (out)
        *out = NULL;
    PGresult *first = NULL, *res;
    while ((res = PQgetResult(conn))) /* to the end, so the connection is free again */
        if (!first)
            first = res;
        else
            PQclear(res);
    return outcome(conn, first, what, out, err);
}

TlResult pg_run_together(PgStatement *s, int n, TlError *err)
{
    enum { MAX = 8 };
    TlResult rc = n > MAX ? tl_error_set(err, TL_ERR_INTERNAL, "too many statements at once") : 0;
    for (int i = 0; i < n; i++)
        s[i].sent = s[i].done = false;
    for (;;) {
        /* each connection's next statement, once the one before it is in */
        for (int i = 0; i < n; i++) {
            bool ready = !s[i].sent && !s[i].done;
            for (int j = 0; j < i && ready; j++)
                ready = s[j].conn != s[i].conn || s[j].done;
            if (!ready)
                continue;
            if (!rc) /* after a failure, nothing more */
                rc = pg_send(s[i].conn, s[i].what, s[i].sql, s[i].nparams, s[i].params, err);
            s[i].sent = !rc;
            s[i].done = rc != TL_OK;
        }
        /* read what came; the ones whose result is in are taken */
        struct pollfd fds[MAX];
        nfds_t waiting = 0;
        bool progressed = false;
        for (int i = 0; i < n; i++) {
            if (!s[i].sent || s[i].done)
                continue;
            TlError lost;
            if (!PQconsumeInput(s[i].conn) || !PQisBusy(s[i].conn)) {
                /* in (or the connection gone: its end, its error) */
                TlResult got = pg_receive(s[i].conn, s[i].what, s[i].out, rc ? &lost : err);
                rc = rc ? rc : got;
                s[i].done = progressed = true;
            } else {
                fds[waiting++] = (struct pollfd){.fd = PQsocket(s[i].conn), .events = POLLIN};
            }
        }
        if (progressed)
            continue;
        if (waiting == 0)
            return rc;
        if (poll(fds, waiting, -1) < 0 && errno != EINTR) {
            if (!rc)
                rc = tl_error_set(err, TL_ERR_UNAVAILABLE, "postgresql: poll: %s", strerror(errno));
            for (int i = 0; i < n; i++) /* cannot wait: each one in flight the blocking way */
                if (s[i].sent && !s[i].done) {
                    TlError lost;
                    pg_receive(s[i].conn, s[i].what, s[i].out, &lost);
                    s[i].done = true;
                }
            return rc;
        }
    }
}

TlResult pg_query_count(PGconn *conn, const char *what, const char *sql, int nparams,
                        const char *const *params, long *rows, TlError *err)
{
    PGresult *res;
    TlResult rc = pg_query(conn, what, sql, nparams, params, &res, err);
    if (!rc) {
        *rows += atol(PQcmdTuples(res));
        PQclear(res);
    }
    return rc;
}

TlResult pg_exec_script(PGconn *conn, const char *what, const char *script, TlError *err)
{
    PGresult *res = PQexec(conn, script); /* our own files, never input */
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return failure(conn, res, what, err);
    PQclear(res);
    return TL_OK;
}

TlResult pg_begin(PGconn *conn, TlError *err)
{
    return pg_query(conn, "begin", "BEGIN", 0, NULL, NULL, err);
}

TlResult pg_lock_writers(PGconn *conn, TlError *err)
{
    /* a row lock: FOR UPDATE needs UPDATE on tierledger_locks, which only
     * tierledger_writer has, so a reader cannot hold writers off */
    static const char sql_lock[] =
        "SELECT name FROM tierledger_locks WHERE name = 'writers' FOR UPDATE";
    return pg_query(conn, "take the writers' lock", sql_lock, 0, NULL, NULL, err);
}

TlResult pg_lock_schema(PGconn *conn, TlError *err)
{
    static const char sql_lock[] = "SELECT pg_advisory_xact_lock(" WRITER_LOCK_KEY ")";
    return pg_query(conn, "schema lock", sql_lock, 0, NULL, NULL, err);
}

/* ---- parameters ------------------------------------------------------------ */

const char *pg_time_param(TlTime t, char *buf)
{
    if (t == TL_TIME_NONE)
        return NULL;
    snprintf(buf, 24, "%lld", (long long)t);
    return buf;
}

const char *pg_int_param(long long v, char *buf)
{
    snprintf(buf, 24, "%lld", v);
    return buf;
}

/* ---- column readers ---------------------------------------------------------- */

bool pg_get_int64(const PGresult *res, int row, int col, long long *out)
{
    if (col < 0 || PQgetisnull(res, row, col))
        return false;
    char *end;
    const char *text = PQgetvalue(res, row, col);
    long long v = strtoll(text, &end, 10);
    if (end == text || *end)
        return false;
    *out = v;
    return true;
}

TlTime pg_time(const PGresult *res, int row, int col)
{
    long long v;
    return pg_get_int64(res, row, col, &v) ? (TlTime)v : TL_TIME_NONE;
}

int64_t pg_bytes(const PGresult *res, int row, int col)
{
    long long v;
    return pg_get_int64(res, row, col, &v) ? (int64_t)v : TL_BYTES_UNKNOWN;
}

const char *pg_text(const PGresult *res, int row, int col)
{
    return col < 0 || PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

bool pg_bool(const PGresult *res, int row, int col)
{
    return col >= 0 && !PQgetisnull(res, row, col) && strcmp(PQgetvalue(res, row, col), "t") == 0;
}

TlResult pg_columns(const PGresult *res, const char *what, const char *const *names, int n,
                    int *cols, TlError *err)
{
    for (int i = 0; i < n; i++)
        if ((cols[i] = PQfnumber(res, names[i])) < 0)
            return tl_error_set(err, TL_ERR_INTERNAL, "postgresql: %s: no column '%s'", what,
                                names[i]);
    return TL_OK;
}

TlResult pg_transition_columns(const PGresult *res, PgTransitionColumns *c, TlError *err)
{
    static const char *const names[] = {"started",        "ended",        "state",
                                        "from_objective", "to_objective", "operation_id",
                                        "initiated_by"};
    int cols[7];
    TlResult rc = pg_columns(res, "transitions", names, 7, cols, err);
    if (!rc)
        *c = (PgTransitionColumns){cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6]};
    return rc;
}

TlResult pg_transition_decode(const PGresult *res, int row, const PgTransitionColumns *c,
                              TlTransition *t, TlError *err)
{
    t->started_at = pg_time(res, row, c->started);
    t->ended_at = pg_time(res, row, c->ended);
    if (!history_state_parse(PQgetvalue(res, row, c->state), &t->state))
        return tl_error_set(err, TL_ERR_INTERNAL, "postgresql: unknown state in transitions");
    t->from_objective = PQgetvalue(res, row, c->from);
    t->to_objective = PQgetvalue(res, row, c->to);
    t->operation_id = pg_text(res, row, c->operation_id);
    t->initiated_by = pg_text(res, row, c->initiated_by);
    return TL_OK;
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

void pg_array_add_int(PgArray *a, long long v)
{
    char buf[24];
    pg_array_add(a, pg_int_param(v, buf));
}

void pg_array_add_time(PgArray *a, TlTime t)
{
    char buf[24];
    pg_array_add(a, pg_time_param(t, buf));
}

void pg_array_add_bool(PgArray *a, bool v)
{
    pg_array_add(a, v ? "true" : "false");
}

const char *pg_array_finish(PgArray *a)
{
    array_put(a, a->len == 0 ? "{}" : "}", a->len == 0 ? 2 : 1);
    array_put(a, "", 1); /* NUL */
    return a->failed ? NULL : a->buf;
}

void pg_array_cleanup(PgArray *a)
{
    if (!a)
        return;
    free(a->buf);
    memset(a, 0, sizeof *a);
}

TlResult pg_arrays_finish(PgArray *a, int n, const char **params, TlError *err)
{
    for (int i = 0; i < n; i++)
        if (!(params[i] = pg_array_finish(&a[i])))
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    return TL_OK;
}

void pg_arrays_cleanup(PgArray *a, int n)
{
    for (int i = 0; i < n; i++)
        pg_array_cleanup(&a[i]);
}

/* ---- COPY FROM STDIN -------------------------------------------------------- */

TlResult pg_copy_begin(PGconn *conn, const char *what, const char *sql, PgCopy *c, TlError *err)
{
    *c = (PgCopy){.conn = conn, .what = what};
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return failure(conn, res, what, err);
    PQclear(res);
    c->open = true;
    c->cap = PG_COPY_CHUNK + 8192;
    if (!(c->buf = malloc(c->cap))) {
        pg_copy_abort(c);
        return tl_error_set(err, TL_ERR_NOMEM, "%s: out of memory", what);
    }
    return TL_OK;
}

TlResult pg_stage_begin(PGconn *conn, const char *what, const char *create_sql,
                        const char *copy_sql, PgCopy *c, TlError *err)
{
    TlResult rc = pg_query(conn, what, create_sql, 0, NULL, NULL, err);
    return rc ? rc : pg_copy_begin(conn, what, copy_sql, c, err);
}

TlResult pg_ascii_lower(PGconn *conn, bool *out, TlError *err)
{
    PGresult *res = NULL;
    TlResult rc =
        pg_query(conn, "ask how the database lowers ASCII",
                 "SELECT lower('ABCDEFGHIJKLMNOPQRSTUVWXYZ') = 'abcdefghijklmnopqrstuvwxyz'", 0,
                 NULL, &res, err);
    *out = !rc && pg_bool(res, 0, 0);
    PQclear(res);
    return rc;
}

bool pg_copy_key(PgCopy *c, bool ascii_lower, const char *id)
{
    char key[1024];
    size_t n = 0;
    for (; ascii_lower && id && id[n]; n++) {
        unsigned char ch = (unsigned char)id[n];
        if (ch >= 0x80 || n + 1 >= sizeof key)
            break;
        key[n] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
    }
    bool keyed = ascii_lower && id && !id[n];
    key[keyed ? n : 0] = 0;
    pg_copy_field(c, keyed ? key : NULL);
    return keyed;
}

static void copy_send(PgCopy *c)
{
    if (c->len && !c->failed && PQputCopyData(c->conn, c->buf, (int)c->len) != 1)
        c->failed = true;
    c->len = 0;
}

/* Room for n more bytes (a field is at most 2 x its length escaped). */
static bool copy_room(PgCopy *c, size_t n)
{
    if (c->len + n <= c->cap)
        return true;
    copy_send(c);
    if (n > c->cap) {
        char *grown = realloc(c->buf, n);
        if (!grown) {
            c->failed = true;
            return false;
        }
        c->buf = grown;
        c->cap = n;
    }
    return true;
}

static void copy_sep(PgCopy *c)
{
    if (c->fields++ > 0)
        c->buf[c->len++] = '\t';
}

void pg_copy_field(PgCopy *c, const char *text)
{
    /* the common field has nothing to escape: its length and that in one
     * scan, and one copy */
    size_t plain = text ? strcspn(text, "\\\t\n\r") : 0;
    size_t n = text && text[plain] ? plain + strlen(text + plain) : plain;
    if (c->failed || !copy_room(c, 2 * n + 4))
        return;
    copy_sep(c);
    if (!text) {
        memcpy(c->buf + c->len, "\\N", 2);
        c->len += 2;
        return;
    }
    memcpy(c->buf + c->len, text, plain);
    c->len += plain;
    for (const char *p = text + plain; *p; p++) {
        char e = *p == '\\' ? '\\' : *p == '\t' ? 't' : *p == '\n' ? 'n' : *p == '\r' ? 'r' : 0;
        if (e) {
            c->buf[c->len++] = '\\';
            c->buf[c->len++] = e;
        } else {
            c->buf[c->len++] = *p;
        }
    }
}

void pg_copy_int(PgCopy *c, long long v)
{
    char buf[24], *p = buf + sizeof buf;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    *--p = 0;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    pg_copy_field(c, p); /* not snprintf: a field of every staged row */
}

void pg_copy_end_row(PgCopy *c)
{
    if (c->failed || !copy_room(c, 2))
        return;
    c->buf[c->len++] = '\n';
    c->fields = 0;
    c->rows++;
    if (c->len >= PG_COPY_CHUNK)
        copy_send(c);
}

TlResult pg_copy_finish(PgCopy *c, TlError *err)
{
    copy_send(c);
    bool failed = c->failed;
    free(c->buf);
    c->buf = NULL;
    c->open = false;
    if (PQputCopyEnd(c->conn, failed ? "tierledger: the rows could not be sent" : NULL) != 1)
        failed = true;
    PGresult *res = PQgetResult(c->conn);
    TlResult rc = TL_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = failure(c->conn, res, c->what, err);
    else
        PQclear(res);
    while ((res = PQgetResult(c->conn)))
        PQclear(res);
    if (!rc && failed)
        rc = tl_error_set(err, TL_ERR_UNAVAILABLE, "postgresql: %s: the rows could not be sent",
                          c->what);
    return rc;
}

void pg_copy_abort(PgCopy *c)
{
    free(c->buf);
    c->buf = NULL;
    if (!c->open)
        return;
    c->open = false;
    if (PQputCopyEnd(c->conn, "tierledger: aborted") == 1) {
        PGresult *res;
        while ((res = PQgetResult(c->conn)))
            PQclear(res);
    }
}
