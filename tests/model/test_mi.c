/* test_mi.c - runs the Managed Instance case files (tests/model/mi/NAME.txt):
 * an MI database's events in, its segments, windows and statuses out
 * (domain-mi.md MI-B*, worked examples E1, E3, E4). Directives are in
 * tests/model/mi/README. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/billing.h"
#include "model/mi.h"
#include "model/mi_billing.h"
#include "model/mi_warnings.h"
#include "model/tltime.h"
#include "tests/harness.h"

#define MAX_EV    64
#define MAX_WORDS 16
#define ID_MAX    300

typedef struct {
    const char *file;
    int line;
    char name[128];
    char db[ID_MAX];
    TlMiEvent ev[MAX_EV];
    char ids[MAX_EV][ID_MAX], details[MAX_EV][ID_MAX];
    char words[MAX_EV][7][64]; /* source, server, redundancy, format, LTR weekly, monthly, yearly */
    size_t n;
    TlTime as_of;
    bool evaluated, failed;
    TlMiLineage lin;
    TlError err;
    bool warned;
    TlAlerts alerts;
    /* billing */
    TlTime month_start, month_end;
    TlMiLevel levels[MAX_EV];
    char level_db[MAX_EV][64], level_red[MAX_EV][16];
    size_t n_levels;
    TlMiAllowance allow[16];
    size_t n_allow;
    TlMiStop stops[16];
    char stop_db[16][64];
    size_t n_stops;
    bool billed;
    TlMiBill bill;
} Case;

static void reset(Case *c)
{
    mi_lineage_cleanup(&c->lin);
    warnings_cleanup(&c->alerts);
    mi_billing_cleanup(&c->bill);
    memset(c, 0, sizeof *c);
    c->as_of = TL_TIME_NONE;
}

static TlTime T(const Case *c, const char *text)
{
    TlTime t;
    if (strcmp(text, "-") == 0)
        return TL_TIME_NONE;
    if (!tl_time_parse(text, true, &t)) {
        fprintf(stderr, "%s:%d: bad time '%s' in the case file\n", c->file, c->line, text);
        exit(2);
    }
    return t;
}

static const char *fmt(TlTime t, char *buf)
{
    if (t == TL_TIME_NONE)
        return strcpy(buf, "-");
    return tl_time_format(t, buf);
}

/* The instance part of the case's database id (for instance events). */
static void instance_of(const char *db, char *out)
{
    size_t len = mi_instance_prefix(db);
    snprintf(out, ID_MAX, "%.*s", (int)len, db);
}

static double gb(const char *text);

static void add_event(Case *c, char **w, int nw)
{
    if (nw < 3 || c->n == MAX_EV) {
        fprintf(stderr, "%s:%d: ev TIME EVENT [options]\n", c->file, c->line);
        exit(2);
    }
    TlMiEvent *e = &c->ev[c->n];
    *e = mi_event_blank(TL_MI_EV_CREATED, T(c, w[1]));
    if (!mi_event_parse(w[2], &e->kind)) {
        fprintf(stderr, "%s:%d: unknown event '%s'\n", c->file, c->line, w[2]);
        exit(2);
    }
    const char *v;
    if ((v = harness_opt(w, nw, "db")))
        snprintf(c->ids[c->n], ID_MAX, "%s", v);
    else if (mi_event_is_instance(e->kind))
        instance_of(c->db, c->ids[c->n]);
    else
        snprintf(c->ids[c->n], ID_MAX, "%s", c->db);
    e->resource_id = c->ids[c->n];
    if ((v = harness_opt(w, nw, "origin")) && !mi_origin_parse(v, &e->origin)) {
        fprintf(stderr, "%s:%d: unknown origin '%s'\n", c->file, c->line, v);
        exit(2);
    }
    if ((v = harness_opt(w, nw, "erp")))
        e->restore_point = T(c, v);
    if ((v = harness_opt(w, nw, "after"))) { /* the collector's bound: in (after, at] */
        e->bounded = true;
        e->not_before = T(c, v);
    }
    if ((v = harness_opt(w, nw, "retention")))
        e->retention_days = atoi(v);
    if ((v = harness_opt(w, nw, "data")))
        e->data_bytes = (long long)(gb(v) * 1073741824.0);
    if ((v = harness_opt(w, nw, "log")))
        e->log_bytes_per_day = (long long)(gb(v) * 1073741824.0);
    char(*keep)[64] = c->words[c->n];
    if ((v = harness_opt(w, nw, "source")))
        e->source_database = strncpy(keep[0], v, 63);
    if ((v = harness_opt(w, nw, "server")))
        e->source_server = strncpy(keep[1], v, 63);
    if ((v = harness_opt(w, nw, "tde")))
        e->tde_protected = strcmp(v, "yes") == 0;
    if ((v = harness_opt(w, nw, "compat")))
        e->compatibility_level = atoi(v);
    if ((v = harness_opt(w, nw, "redundancy")))
        e->redundancy = strncpy(keep[2], v, 63);
    if ((v = harness_opt(w, nw, "format")))
        e->database_format = strncpy(keep[3], v, 63);
    if ((v = harness_opt(w, nw, "weekly")))
        e->ltr_weekly = strncpy(keep[4], v, 63);
    if ((v = harness_opt(w, nw, "monthly")))
        e->ltr_monthly = strncpy(keep[5], v, 63);
    if ((v = harness_opt(w, nw, "yearly")))
        e->ltr_yearly = strncpy(keep[6], v, 63);
    if ((v = harness_opt(w, nw, "week")))
        e->ltr_week_of_year = atoi(v);
    if ((v = harness_opt(w, nw, "detail"))) {
        snprintf(c->details[c->n], ID_MAX, "%s", v);
        e->detail = harness_untilde(c->details[c->n]);
    }
    c->n++;
}

static bool evaluate(Case *c)
{
    if (c->evaluated)
        return !c->failed;
    c->evaluated = true;
    c->failed = mi_lineage_evaluate(c->ev, c->n, c->as_of, &c->lin, &c->err) != TL_OK;
    EXPECT_AT(c->file, c->line, !c->failed, "[%s] evaluation failed: %s", c->name, c->err.msg);
    return !c->failed;
}

static void expect_time(Case *c, const char *what, const char *want, TlTime got)
{
    char a[TL_TIME_TEXT_MAX];
    TlTime t = T(c, want);
    EXPECT_AT(c->file, c->line, t == got, "[%s] %s: expected %s got %s", c->name, what, want,
              fmt(got, a));
}

static void expect_segment(Case *c, char **w, int nw)
{
    if (!evaluate(c))
        return;
    int seq = nw > 1 ? atoi(w[1]) : 0;
    if (seq < 1 || (size_t)seq > c->lin.n_segments) {
        EXPECT_AT(c->file, c->line, 0, "[%s] no segment %d (%zu segments)", c->name, seq,
                  c->lin.n_segments);
        return;
    }
    const TlMiSegment *s = &c->lin.segments[seq - 1];
    if (nw > 2)
        EXPECT_AT(c->file, c->line, strcmp(mi_status_str(s->status), w[2]) == 0,
                  "[%s] S%d status: expected %s got %s", c->name, seq, w[2],
                  mi_status_str(s->status));
    const char *v;
    if ((v = harness_opt(w, nw, "origin")))
        EXPECT_AT(c->file, c->line, strcmp(mi_origin_str(s->origin), v) == 0,
                  "[%s] S%d origin: expected %s got %s", c->name, seq, v, mi_origin_str(s->origin));
    if ((v = harness_opt(w, nw, "db")))
        EXPECT_AT(c->file, c->line, strcmp(s->resource_id, v) == 0,
                  "[%s] S%d database: expected %s got %s", c->name, seq, v, s->resource_id);
    if ((v = harness_opt(w, nw, "opened")))
        expect_time(c, "opened", v, s->opened_at);
    if ((v = harness_opt(w, nw, "started")))
        expect_time(c, "started", v, s->started_at);
    if ((v = harness_opt(w, nw, "F")))
        expect_time(c, "first restore point", v, s->first_restore_point);
    if ((v = harness_opt(w, nw, "estimated")))
        EXPECT_AT(c->file, c->line, s->first_restore_point_estimated == (strcmp(v, "yes") == 0),
                  "[%s] S%d F estimated: expected %s", c->name, seq, v);
    if ((v = harness_opt(w, nw, "at")))
        expect_time(c, "status since", v, s->status_at);
    if ((v = harness_opt(w, nw, "ended")))
        expect_time(c, "ended", v, s->ended_at);
    if ((v = harness_opt(w, nw, "expires")))
        expect_time(c, "expires", v, s->expires_at);
    if ((v = harness_opt(w, nw, "cause")))
        EXPECT_AT(c->file, c->line, strcmp(mi_lost_cause_str(s->lost_cause), v) == 0,
                  "[%s] S%d cause: expected %s got '%s'", c->name, seq, v,
                  mi_lost_cause_str(s->lost_cause));
    if ((v = harness_opt(w, nw, "window"))) {
        char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], from[64] = "-", to[64] = "-";
        const char *slash = strchr(v, '/');
        if (slash) {
            snprintf(from, sizeof from, "%.*s", (int)(slash - v), v);
            snprintf(to, sizeof to, "%s", slash + 1);
        }
        EXPECT_AT(c->file, c->line, s->window_from == T(c, from) && s->window_to == T(c, to),
                  "[%s] S%d window: expected %s got %s/%s", c->name, seq, v, fmt(s->window_from, a),
                  fmt(s->window_to, b));
    }
    if ((v = harness_opt(w, nw, "retention")))
        EXPECT_AT(c->file, c->line, s->retention_days == atoi(v),
                  "[%s] S%d retention: expected %s got %d", c->name, seq, v, s->retention_days);
    if ((v = harness_opt(w, nw, "known")))
        EXPECT_AT(c->file, c->line, s->retention_known == (strcmp(v, "yes") == 0),
                  "[%s] S%d retention known: expected %s", c->name, seq, v);
    if ((v = harness_opt(w, nw, "changes")))
        EXPECT_AT(c->file, c->line, s->n_changes == (size_t)atoi(v),
                  "[%s] S%d attribute changes: expected %s got %zu", c->name, seq, v, s->n_changes);
    if ((v = harness_opt(w, nw, "inwindow")))
        EXPECT_AT(c->file, c->line, s->n_changes_in_window == (size_t)atoi(v),
                  "[%s] S%d attribute changes in the window: expected %s got %zu", c->name, seq, v,
                  s->n_changes_in_window);
}

/* The lineage's alerts and its instance's (the case db's) as of asof. */
static bool warn(Case *c)
{
    if (c->warned)
        return true;
    if (!evaluate(c))
        return false;
    c->warned = true;
    TlError err = {0};
    char instance[ID_MAX];
    instance_of(c->db, instance);
    TlMiEvent inst[MAX_EV];
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (mi_event_is_instance(c->ev[i].kind) && strcmp(c->ev[i].resource_id, instance) == 0)
            inst[n++] = c->ev[i];
    bool ok = mi_warnings_database(c->ev, c->n, &c->lin, TL_MI_LRS_WARN_DAYS, &c->alerts, &err) ==
                  TL_OK &&
              mi_warnings_instance(inst, n, c->as_of, &c->alerts, &err) == TL_OK;
    EXPECT_AT(c->file, c->line, ok, "[%s] warnings failed: %s", c->name, err.msg);
    mi_warnings_sort(&c->alerts);
    return ok;
}

static const TlAlert *find_alert(const Case *c, const char *code)
{
    for (size_t i = 0; i < c->alerts.n; i++)
        if (strcmp(c->alerts.alerts[i].code, code) == 0)
            return &c->alerts.alerts[i];
    return NULL;
}

static void expect_alert(Case *c, char **w, int nw)
{
    if (!warn(c) || nw < 3)
        return;
    const TlAlert *a = find_alert(c, w[1]);
    EXPECT_AT(c->file, c->line, a && strcmp(warnings_level_str(a->level), w[2]) == 0,
              "[%s] alert %s: expected at %s, got %s", c->name, w[1], w[2],
              a ? warnings_level_str(a->level) : "none");
    const char *v;
    if (a && (v = harness_opt(w, nw, "at")))
        expect_time(c, "alert instant", v, a->at);
    if (a && (v = harness_opt(w, nw, "text"))) {
        char words[256];
        snprintf(words, sizeof words, "%s", v);
        harness_untilde(words);
        EXPECT_AT(c->file, c->line, strstr(a->message, words) != NULL,
                  "[%s] alert %s: '%s' not in: %s", c->name, w[1], words, a->message);
    }
}

static void expect_alerts(Case *c, char **w, int nw)
{
    if (!warn(c))
        return;
    char want[512] = "", got[512] = "";
    for (int i = 1; i < nw; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i > 1 ? " " : "",
                 strcmp(w[i], "none") == 0 ? "" : w[i]);
    for (size_t i = 0; i < c->alerts.n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "",
                 c->alerts.alerts[i].code);
    EXPECT_AT(c->file, c->line, strcmp(want, got) == 0, "[%s] alerts: expected '%s' got '%s'",
              c->name, want, got);
}

static double gb(const char *text)
{
    return atof(text);
}

static bool bill(Case *c)
{
    if (c->billed)
        return true;
    TlError err = {0};
    c->billed = mi_billing_month(c->levels, c->n_levels, c->allow, c->n_allow, c->stops, c->n_stops,
                                 c->month_start, c->month_end,
                                 c->as_of == TL_TIME_NONE ? c->month_end : c->as_of, &c->bill,
                                 &err) == TL_OK;
    EXPECT_AT(c->file, c->line, c->billed, "[%s] billing failed: %s", c->name, err.msg);
    return c->billed;
}

static bool near(double a, double b)
{
    return a - b < 5e-7 && b - a < 5e-7;
}

static void billing_directive(Case *c, char **w, int nw)
{
    const char *d = w[0], *v;
    if (strcmp(d, "month") == 0 && nw > 1) {
        if (!billing_month_parse(w[1], &c->month_start, &c->month_end)) {
            fprintf(stderr, "%s:%d: bad month '%s'\n", c->file, c->line, w[1]);
            exit(2);
        }
    } else if (strcmp(d, "allowance") == 0 && nw > 2) {
        c->allow[c->n_allow++] = (TlMiAllowance){T(c, w[1]), gb(w[2])};
    } else if (strcmp(d, "level") == 0 && nw > 3) {
        size_t k = c->n_levels++;
        snprintf(c->level_db[k], sizeof c->level_db[k], "%s", w[1]);
        snprintf(c->level_red[k], sizeof c->level_red[k], "%s",
                 (v = harness_opt(w, nw, "redundancy")) ? v : "Local");
        c->levels[k] = (TlMiLevel){c->level_db[k], T(c, w[2]), (int64_t)(gb(w[3]) * 1073741824.0),
                                   c->level_red[k], harness_opt(w, nw, "estimate") != NULL};
    } else if (strcmp(d, "stop") == 0 && nw > 2) {
        size_t k = c->n_stops++;
        snprintf(c->stop_db[k], sizeof c->stop_db[k], "%s", w[1]);
        c->stops[k] = (TlMiStop){c->stop_db[k], T(c, w[2])};
    } else if (strcmp(d, "instance_bill") == 0) {
        if (!bill(c))
            return;
        if ((v = harness_opt(w, nw, "billable")))
            EXPECT_AT(c->file, c->line, near(c->bill.billable_gb_month, gb(v)),
                      "[%s] billable: expected %s GB-month got %.9f", c->name, v,
                      c->bill.billable_gb_month);
        if ((v = harness_opt(w, nw, "consumed")))
            EXPECT_AT(c->file, c->line, near(c->bill.consumed_gb_month, gb(v)),
                      "[%s] consumed: expected %s GB-month got %.9f", c->name, v,
                      c->bill.consumed_gb_month);
        if ((v = harness_opt(w, nw, "lines")))
            EXPECT_AT(c->file, c->line, c->bill.n_lines == (size_t)atoi(v),
                      "[%s] lines: expected %s got %zu", c->name, v, c->bill.n_lines);
    } else if (strcmp(d, "mi_line") == 0 && nw > 3) {
        if (!bill(c))
            return;
        const TlMiBillLine *l = NULL;
        for (size_t k = 0; k < c->bill.n_lines && !l; k++)
            if (strcmp(c->bill.lines[k].database, w[1]) == 0 &&
                strcmp(c->bill.lines[k].redundancy, w[2]) == 0)
                l = &c->bill.lines[k];
        EXPECT_AT(c->file, c->line, l && near(l->gb_month, gb(w[3])),
                  "[%s] %s %s: expected %s GB-month got %.9f", c->name, w[1], w[2], w[3],
                  l ? l->gb_month : -1.0);
        if (l && (v = harness_opt(w, nw, "consumed")))
            EXPECT_AT(c->file, c->line, near(l->consumed_gb_month, gb(v)),
                      "[%s] %s %s consumed: expected %s got %.9f", c->name, w[1], w[2], v,
                      l->consumed_gb_month);
        if (l && (v = harness_opt(w, nw, "to")))
            expect_time(c, "charged until", v, l->charge_end);
        if (l && harness_opt(w, nw, "estimate"))
            EXPECT_AT(c->file, c->line, l->estimate, "[%s] %s: expected an estimate", c->name,
                      w[1]);
    } else if (strcmp(d, "estimate") == 0 && nw > 6) {
        /* estimate OPEN WINDOW_FROM|- T FULL_GB LOG_GB_PER_DAY STORED_GB (to 0.01 GB) */
        double got = mi_estimate_stored(T(c, w[1]), T(c, w[2]), T(c, w[3]), gb(w[4]) * 1073741824.0,
                                        gb(w[5]) * 1073741824.0) /
                     1073741824.0;
        EXPECT_AT(c->file, c->line, got - gb(w[6]) < 0.005 && gb(w[6]) - got < 0.005,
                  "[%s] estimated stored: expected %s GB got %.4f", c->name, w[6], got);
    } else if (strcmp(d, "estimated") == 0 && nw > 2) {
        /* estimated AT GB | estimated none: mi_estimate_levels of the case's events and db */
        TlMiLevel *lv = NULL;
        size_t n = 0;
        TlError err = {0};
        TlTime as_of = c->as_of == TL_TIME_NONE ? c->month_end : c->as_of;
        bool ok = mi_estimate_levels(c->ev, c->n, c->db, c->month_start, c->month_end, as_of, &lv,
                                     &n, &err) == TL_OK;
        EXPECT_AT(c->file, c->line, ok, "[%s] estimate failed: %s", c->name, err.msg);
        TlTime t = T(c, w[1]);
        const TlMiLevel *l = NULL;
        for (size_t k = 0; k < n; k++)
            if (lv[k].at == t && lv[k].estimate && strcmp(lv[k].database, c->db) == 0)
                l = &lv[k];
        double got = l ? (double)l->bytes / 1073741824.0 : -1;
        EXPECT_AT(c->file, c->line, l && got - gb(w[2]) < 0.005 && gb(w[2]) - got < 0.005,
                  "[%s] estimated level at %s: expected %s GB got %.4f (%zu levels)", c->name, w[1],
                  w[2], got, n);
        free(lv);
    } else if (strcmp(d, "factor") == 0 && nw > 3) {
        double f = mi_redundancy_factor(w[1], T(c, w[2]));
        EXPECT_AT(c->file, c->line, near(f, gb(w[3])), "[%s] factor %s at %s: expected %s got %g",
                  c->name, w[1], w[2], w[3], f);
    } else {
        fprintf(stderr, "%s:%d: unknown directive '%s'\n", c->file, c->line, d);
        exit(2);
    }
}

/* drop_source VERDICT CODE... | tier TIER VERDICT CODE...: check's verdict and findings */
static void expect_check(Case *c, char **w, int nw)
{
    if (!evaluate(c))
        return;
    TlMiCheck chk;
    bool tier = strcmp(w[0], "tier") == 0;
    int first = tier ? 3 : 2;
    if (nw < first) {
        fprintf(stderr, "%s:%d: %s needs a verdict\n", c->file, c->line, w[0]);
        exit(2);
    }
    if (tier)
        mi_check_tier(c->ev, c->n, &c->lin, w[1], &chk);
    else
        mi_check_drop_source(&c->lin, &chk);
    const char *want = w[first - 1];
    EXPECT_AT(c->file, c->line, strcmp(check_verdict_str(chk.verdict), want) == 0,
              "[%s] %s verdict: expected %s got %s", c->name, w[0], want,
              check_verdict_str(chk.verdict));
    char codes[256] = "", got[256] = "";
    for (int i = first; i < nw; i++)
        snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s%s", i > first ? " " : "",
                 w[i]);
    for (size_t i = 0; i < chk.n_findings; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "",
                 chk.findings[i].code);
    EXPECT_AT(c->file, c->line, strcmp(codes, got) == 0, "[%s] %s findings: expected '%s' got '%s'",
              c->name, w[0], codes, got);
}

/* ltr N STATUS [expires=T|-] [kept=KIND] [assumed=yes|no] [at=T]: the N-th LTR backup */
static void expect_ltr(Case *c, char **w, int nw)
{
    if (!evaluate(c))
        return;
    size_t k = (size_t)atoi(w[1]);
    EXPECT_AT(c->file, c->line, k >= 1 && k <= c->lin.n_ltr, "[%s] ltr %s: %zu backups", c->name,
              w[1], c->lin.n_ltr);
    if (k < 1 || k > c->lin.n_ltr)
        return;
    const TlMiLtrBackup *b = &c->lin.ltr[k - 1];
    EXPECT_AT(c->file, c->line, strcmp(mi_ltr_status_str(b->status), w[2]) == 0,
              "[%s] ltr %s: expected %s got %s", c->name, w[1], w[2], mi_ltr_status_str(b->status));
    const char *v;
    if ((v = harness_opt(w, nw, "expires")))
        expect_time(c, "ltr expires", v, b->expires_at);
    if ((v = harness_opt(w, nw, "at")))
        expect_time(c, "ltr status since", v, b->status_at);
    if ((v = harness_opt(w, nw, "kept")))
        EXPECT_AT(c->file, c->line, b->kept_as && strcmp(b->kept_as, v) == 0,
                  "[%s] ltr %s kept as: expected %s got %s", c->name, w[1], v,
                  b->kept_as ? b->kept_as : "-");
    if ((v = harness_opt(w, nw, "assumed")))
        EXPECT_AT(c->file, c->line, b->expiry_assumed == (strcmp(v, "yes") == 0),
                  "[%s] ltr %s expiry assumed: expected %s", c->name, w[1], v);
}

static void directive(Case *c, char **w, int nw)
{
    const char *d = w[0];
    if (strcmp(d, "case") == 0) {
        reset(c);
        snprintf(c->name, sizeof c->name, "%s", nw > 1 ? w[1] : "?");
    } else if (strcmp(d, "db") == 0 && nw > 1) {
        snprintf(c->db, sizeof c->db, "%s", w[1]);
    } else if (strcmp(d, "ev") == 0) {
        add_event(c, w, nw);
    } else if (strcmp(d, "asof") == 0 && nw > 1) {
        mi_lineage_cleanup(&c->lin);
        warnings_cleanup(&c->alerts);
        c->as_of = T(c, w[1]);
        c->evaluated = c->failed = c->warned = false;
        mi_billing_cleanup(&c->bill);
        c->billed = false;
    } else if (strcmp(d, "drop_source") == 0 || strcmp(d, "tier") == 0) {
        expect_check(c, w, nw);
    } else if (strcmp(d, "alert") == 0) {
        expect_alert(c, w, nw);
    } else if (strcmp(d, "alerts") == 0) {
        expect_alerts(c, w, nw);
    } else if (strcmp(d, "segments") == 0 && nw > 1) {
        if (evaluate(c))
            EXPECT_AT(c->file, c->line, c->lin.n_segments == (size_t)atoi(w[1]),
                      "[%s] segments: expected %s got %zu", c->name, w[1], c->lin.n_segments);
    } else if (strcmp(d, "seg") == 0) {
        expect_segment(c, w, nw);
    } else if (strcmp(d, "ltr") == 0 && nw > 2) {
        expect_ltr(c, w, nw);
    } else if (strcmp(d, "ltrs") == 0 && nw > 1) {
        if (evaluate(c))
            EXPECT_AT(c->file, c->line, c->lin.n_ltr == (size_t)atoi(w[1]),
                      "[%s] ltrs: expected %s got %zu", c->name, w[1], c->lin.n_ltr);
    } else if (strcmp(d, "cancelled") == 0 && nw > 1) {
        if (evaluate(c)) {
            expect_time(c, "cancelled", w[1], c->lin.cancelled_at);
            bool limit = nw > 2 && strcmp(w[2], "limit") == 0;
            EXPECT_AT(c->file, c->line, c->lin.cancelled_by_limit == limit,
                      "[%s] cancelled by the 30-day limit: expected %s", c->name,
                      limit ? "yes" : "no");
        }
    } else if (strcmp(d, "deadline") == 0 && nw > 1) {
        if (evaluate(c))
            expect_time(c, "migration deadline", w[1], c->lin.migration_deadline);
    } else if (strcmp(d, "deleted") == 0 && nw > 1) {
        if (evaluate(c))
            expect_time(c, "instance deleted", w[1], c->lin.instance_deleted_at);
    } else if (strcmp(d, "invalid") == 0 && nw > 1) {
        mi_lineage_cleanup(&c->lin);
        TlError err = {0};
        TlResult rc = mi_lineage_evaluate(c->ev, c->n, c->as_of, &c->lin, &err);
        char want[32];
        snprintf(want, sizeof want, "event %s: ", w[1]);
        const char *text = harness_opt(w, nw, "text");
        char words_buf[256];
        snprintf(words_buf, sizeof words_buf, "%s", text ? text : "");
        const char *words = text ? harness_untilde(words_buf) : NULL;
        EXPECT_AT(c->file, c->line,
                  rc == TL_ERR_DATA && strncmp(err.msg, want, strlen(want)) == 0 &&
                      (!words || strstr(err.msg, words)),
                  "[%s] expected the history refused at event %s%s%s, got %s", c->name, w[1],
                  words ? " saying " : "", words ? words : "", rc ? err.msg : "success");
        c->evaluated = true;
        c->failed = true;
    } else {
        billing_directive(c, w, nw);
    }
}

static void run_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        exit(2);
    }
    static Case c;
    reset(&c);
    char buf[2048];
    int line = 0;
    while (fgets(buf, sizeof buf, fp)) {
        line++;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *w[MAX_WORDS];
        int nw = 0;
        for (char *tok = strtok(buf, " \t\r\n"); tok && nw < MAX_WORDS;
             tok = strtok(NULL, " \t\r\n"))
            w[nw++] = tok;
        if (nw == 0)
            continue;
        c.file = path;
        c.line = line;
        directive(&c, w, nw);
    }
    fclose(fp);
    reset(&c);
}

static void names(void)
{
    TlMiOrigin o;
    TlMiEventKind k;
    EXPECT(mi_origin_parse("mi_link", &o) && o == TL_MI_ORIGIN_MI_LINK, "origin mi_link parses");
    EXPECT(!mi_origin_parse("MI_LINK", &o) && !mi_origin_parse("", &o), "origins are exact");
    for (int i = 0; i < TL_MI_EV_COUNT; i++)
        EXPECT(mi_event_parse(mi_event_str((TlMiEventKind)i), &k) && (int)k == i,
               "event %d round-trips", i);
    EXPECT(!mi_event_parse("deleted", &k), "an unknown event is refused");
    const char *db = "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Sql/"
                     "managedInstances/mi-a/databases/sales";
    EXPECT(mi_instance_prefix(db) == strlen(db) - strlen("/databases/sales"),
           "the instance of an MI database id");
    EXPECT(mi_instance_prefix("/subscriptions/S/resourceGroups/rg/providers/microsoft.sql/"
                              "MANAGEDINSTANCES/mi-a") > 0,
           "an instance id, in any case");
    EXPECT(mi_instance_prefix("/subscriptions/S/resourceGroups/rg/providers/Microsoft.Sql/"
                              "servers/s1/databases/d") == 0,
           "a SQL Database id is not an MI one");
    EXPECT(mi_instance_prefix("/subscriptions/S/resourceGroups/rg/providers/Microsoft.Sql/"
                              "managedInstances/") == 0,
           "an id without an instance name");
}

int main(int argc, char **argv)
{
    names();
    if (argc < 2) {
        fprintf(stderr, "usage: test_mi CASES.txt...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        run_file(argv[i]);
    return harness_finish("model/mi");
}
