/* test_lineage.c - runs the model case files (tests/model/cases/NAME.txt):
 * a timeline in, the expected segments, windows, losses and check verdicts
 * out. The directives are described in tests/model/cases/README. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/billing.h"
#include "model/check.h"
#include "model/lineage.h"
#include "model/objective.h"
#include "model/tltime.h"
#include "model/warnings.h"
#include "tests/harness.h"

#define MAX_TR    64
#define MAX_WORDS 16

typedef struct {
    const char *file;
    int line;
    char name[128];
    TlTransition tr[MAX_TR];
    char strings[MAX_TR][2][TL_OBJECTIVE_MAX];
    size_t n;
    int retention;
    TlTime as_of;
    bool evaluated;
    TlLineage lin;
    TlFacts facts;
    bool checked;
    TlCheck check;
    TlTime month_start, month_end;
    TlLevel levels[64];
    size_t n_levels;
    TlUsageDay usage[128];
    char pools[128][32], redundancy[128][16];
    bool other_db[128]; /* usage of another database (pool member) */
    size_t n_usage;
    bool billed;
    TlBill bill;
    bool reads_before; /* billing_reads_before of the case's month */
    bool warned;
    TlAlerts alerts;
    TlTime dropped_at;
} Case;

static void reset(Case *c)
{
    lineage_cleanup(&c->lin);
    check_cleanup(&c->check);
    billing_cleanup(&c->bill);
    warnings_cleanup(&c->alerts);
    memset(c, 0, sizeof *c);
    c->retention = 7;
    c->as_of = TL_TIME_NONE;
    c->dropped_at = TL_TIME_NONE;
    c->facts = (TlFacts){.retention_known = true,
                         .pool_known = true,
                         .geo_known = true,
                         .replicas_known = true,
                         .allocated_known = true,
                         .allocated_bytes = INT64_C(10) << 30,
                         .geo_secondaries = -1};
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

static bool span_holds(const TlSegment *seg, TlTime t)
{
    TlSpan spans[MAX_TR];
    size_t n = lineage_assumed_spans(seg, spans);
    for (size_t i = 0; i < n; i++)
        if (spans[i].from <= t && (spans[i].until == TL_TIME_NONE || t < spans[i].until))
            return true;
    return false;
}

/* The as-of-independent form (the issue "Auditors can rely on it"): the
 * segments computed from all that is recorded, read at as_of the way the
 * audit views read them (sql/views/audit.sql), give what lineage_evaluate
 * gives at as_of. Checked for every evaluation of every case. */
static void expect_as_of_form(Case *c)
{
    char a[TL_TIME_TEXT_MAX];
    TlLineage full;
    TlError err;
    if (lineage_evaluate(c->tr, c->n, TL_TIME_LAST, c->retention, TL_READING_SEGMENT, &full,
                         &err) != TL_OK) {
        EXPECT_AT(c->file, c->line, false, "[%s] evaluating all that is recorded: %s", c->name,
                  err.msg);
        return;
    }
    const TlTime t = c->as_of, r = (TlTime)c->retention * TL_SECONDS_PER_DAY;
    size_t k = 0;
    while (k < full.n_segments && full.segments[k].start <= t)
        k++;
    EXPECT_AT(c->file, c->line, k == c->lin.n_segments,
              "[%s] as-of form at %s: %zu segments had started, the model has %zu", c->name,
              fmt(t, a), k, c->lin.n_segments);
    for (size_t i = 0; i < k && i < c->lin.n_segments; i++) {
        const TlSegment *f = &full.segments[i], *s = &c->lin.segments[i];
        bool current = f->end == TL_TIME_NONE || f->end > t;
        bool lost = f->lost_at != TL_TIME_NONE && f->lost_at <= t;
        TlSegmentStatus status = current                           ? TL_SEG_CURRENT
                                 : lost && f->lost_at < f->end + r ? TL_SEG_LOST
                                 : f->end <= t - r || lost         ? TL_SEG_EXPIRED
                                                                   : TL_SEG_RESTORABLE;
        TlTime from = f->start > t - r ? f->start : t - r;
        EXPECT_AT(c->file, c->line,
                  status == s->status && f->start == s->start &&
                      (current ? TL_TIME_NONE : f->end) == s->end,
                  "[%s] as-of form at %s, segment %zu: %s, the model says %s", c->name, fmt(t, a),
                  i + 1, lineage_status_str(status), lineage_status_str(s->status));
        if (status == TL_SEG_CURRENT || status == TL_SEG_RESTORABLE)
            EXPECT_AT(c->file, c->line,
                      s->restore_from == from && s->restore_to == (current ? t : f->end),
                      "[%s] as-of form at %s, segment %zu: another restore window", c->name,
                      fmt(t, a), i + 1);
        if (lost)
            EXPECT_AT(c->file, c->line,
                      s->lost_at == f->lost_at && s->lost_by == f->lost_by &&
                          strcmp(s->lost_rule, f->lost_rule) == 0 &&
                          s->loss_assumed == span_holds(f, t),
                      "[%s] as-of form at %s, segment %zu: another loss (assumed %d, spans %d)",
                      c->name, fmt(t, a), i + 1, s->loss_assumed, span_holds(f, t));
    }
    lineage_cleanup(&full);
}

static bool evaluate(Case *c)
{
    if (c->evaluated)
        return true;
    TlError err;
    size_t bad;
    history_sort(c->tr, c->n);
    TlResult rc = history_validate(c->tr, c->n, &bad, &err);
    EXPECT_AT(c->file, c->line, rc == TL_OK, "[%s] history invalid at transition %zu: %s", c->name,
              bad + 1, err.msg);
    if (rc != TL_OK)
        return false;
    rc = lineage_evaluate(c->tr, c->n, c->as_of, c->retention, TL_READING_SEGMENT, &c->lin, &err);
    EXPECT_AT(c->file, c->line, rc == TL_OK, "[%s] lineage_evaluate failed: %s", c->name, err.msg);
    c->evaluated = rc == TL_OK;
    if (c->evaluated)
        expect_as_of_form(c);
    return c->evaluated;
}

static void expect_segment(Case *c, char **w, int nw)
{
    /* seg N ARCH STATUS START END [window=F/T|-] [lost=TIME/RULE] [objectives=a,b] */
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    if (nw < 6 || !evaluate(c)) {
        EXPECT_AT(c->file, c->line, nw >= 6, "seg needs N ARCH STATUS START END");
        return;
    }
    size_t i = (size_t)atoi(w[1]) - 1;
    EXPECT_AT(c->file, c->line, i < c->lin.n_segments, "[%s] expected segment %s, got %zu segments",
              c->name, w[1], c->lin.n_segments);
    if (i >= c->lin.n_segments)
        return;
    const TlSegment *s = &c->lin.segments[i];
    EXPECT_AT(c->file, c->line, strcmp(objective_architecture_str(s->arch), w[2]) == 0,
              "[%s] S%zu: expected architecture %s got %s", c->name, i + 1, w[2],
              objective_architecture_str(s->arch));
    EXPECT_AT(c->file, c->line, strcmp(lineage_status_str(s->status), w[3]) == 0,
              "[%s] S%zu: expected status %s got %s", c->name, i + 1, w[3],
              lineage_status_str(s->status));
    EXPECT_AT(c->file, c->line, s->start == T(c, w[4]), "[%s] S%zu: expected start %s got %s",
              c->name, i + 1, w[4], fmt(s->start, a));
    EXPECT_AT(c->file, c->line, s->end == T(c, w[5]), "[%s] S%zu: expected end %s got %s", c->name,
              i + 1, w[5], fmt(s->end, a));
    const char *window = harness_opt(w, nw, "window");
    if (window) {
        char want[80];
        snprintf(want, sizeof want, "%s", window);
        char got[80];
        if (s->restore_from == TL_TIME_NONE)
            strcpy(got, "-");
        else
            snprintf(got, sizeof got, "%s/%s", fmt(s->restore_from, a), fmt(s->restore_to, b));
        char *slash = strchr(want, '/');
        bool same = strcmp(want, "-") == 0
                        ? strcmp(got, "-") == 0
                        : slash && (*slash = '\0', s->restore_from == T(c, want) &&
                                                       s->restore_to == T(c, slash + 1));
        EXPECT_AT(c->file, c->line, same, "[%s] S%zu: expected window %s got %s", c->name, i + 1,
                  window, got);
    }
    const char *lost = harness_opt(w, nw, "lost");
    if (lost) {
        char want[80];
        snprintf(want, sizeof want, "%s", lost);
        char *slash = strchr(want, '/');
        if (slash)
            *slash = '\0';
        bool same = s->lost_at == T(c, want) &&
                    (!slash || (s->lost_rule && strcmp(s->lost_rule, slash + 1) == 0));
        EXPECT_AT(c->file, c->line, same, "[%s] S%zu: expected lost %s got %s/%s", c->name, i + 1,
                  lost, fmt(s->lost_at, a), s->lost_rule ? s->lost_rule : "-");
    }
    const char *assumed = harness_opt(w, nw, "assumed");
    if (assumed)
        EXPECT_AT(c->file, c->line, (strcmp(assumed, "yes") == 0) == s->loss_assumed,
                  "[%s] S%zu: expected loss assumed %s got %s", c->name, i + 1, assumed,
                  s->loss_assumed ? "yes" : "no");
    const char *objectives = harness_opt(w, nw, "objectives");
    if (objectives) {
        char got[256] = "";
        for (size_t k = 0; k < s->n_objectives; k++) {
            if (k)
                strcat(got, ",");
            strncat(got, s->objectives[k], sizeof got - strlen(got) - 1);
        }
        EXPECT_AT(c->file, c->line, strcmp(got, objectives) == 0,
                  "[%s] S%zu: expected objectives %s got %s", c->name, i + 1, objectives, got);
    }
    const char *billable = harness_opt(w, nw, "billable");
    if (billable)
        EXPECT_AT(c->file, c->line, (strcmp(billable, "yes") == 0) == s->billable,
                  "[%s] S%zu: expected billable %s got %s", c->name, i + 1, billable,
                  s->billable ? "yes" : "no");
}

static void set_facts(Case *c, char **w, int nw)
{
    const char *v;
    if ((v = harness_opt(w, nw, "pool"))) {
        c->facts.pool_known = strcmp(v, "?") != 0;
        c->facts.in_pool = strcmp(v, "yes") == 0;
    }
    if ((v = harness_opt(w, nw, "geo"))) {
        c->facts.geo_known = strcmp(v, "?") != 0;
        c->facts.has_geo_link = strcmp(v, "yes") == 0;
    }
    if ((v = harness_opt(w, nw, "georole")) && !check_geo_role_parse(v, &c->facts.geo_role))
        c->facts.geo_role = TL_GEO_UNKNOWN; /* "?" */
    if ((v = harness_opt(w, nw, "secondaries")))
        c->facts.geo_secondaries = strcmp(v, "?") == 0 ? -1 : atoi(v);
    if ((v = harness_opt(w, nw, "replicas"))) {
        c->facts.replicas_known = strcmp(v, "?") != 0;
        c->facts.named_replicas = atoi(v);
    }
    if ((v = harness_opt(w, nw, "allocated"))) {
        c->facts.allocated_known = strcmp(v, "?") != 0;
        c->facts.allocated_bytes = (int64_t)(atof(v) * (double)(INT64_C(1) << 30));
    }
    if ((v = harness_opt(w, nw, "retention")))
        c->facts.retention_known = strcmp(v, "known") == 0;
    if ((v = harness_opt(w, nw, "requested"))) { /* requested=OBJECTIVE@SINCE (W6) */
        const char *at = strchr(v, '@');
        size_t len = at ? (size_t)(at - v) : strlen(v);
        snprintf(c->facts.requested_objective, sizeof c->facts.requested_objective, "%.*s",
                 (int)len, v);
        c->facts.requested_since = at ? T(c, at + 1) : TL_TIME_NONE;
    }
}

static const TlFinding *find(const Case *c, const char *code, const char *rule)
{
    for (size_t i = 0; i < c->check.n_findings; i++)
        if (strcmp(c->check.findings[i].code, code) == 0 &&
            (!rule || strcmp(c->check.findings[i].rule, rule) == 0))
            return &c->check.findings[i];
    return NULL;
}

static void run_check(Case *c, char **w, int nw)
{
    TlError err;
    size_t bad;
    check_cleanup(&c->check);
    history_sort(c->tr, c->n);
    if (history_validate(c->tr, c->n, &bad, &err) != TL_OK) {
        EXPECT_AT(c->file, c->line, false, "[%s] history invalid: %s", c->name, err.msg);
        return;
    }
    const char *max = harness_opt(w, nw, "maxsize");
    TlProposal p = {.target = w[1],
                    .max_size_bytes = max ? (int64_t)(atof(max) * (double)(INT64_C(1) << 30)) : 0};
    TlResult rc =
        check_evaluate(c->tr, c->n, c->as_of, c->retention, &c->facts, &p, &c->check, &err);
    EXPECT_AT(c->file, c->line, rc == TL_OK, "[%s] check_evaluate failed: %s", c->name, err.msg);
    c->checked = rc == TL_OK;
}

static int64_t gb_bytes(const char *text)
{
    return strcmp(text, "-") == 0 ? TL_BYTES_UNKNOWN : (int64_t)(atof(text) * TL_GB);
}

static void run_bill(Case *c)
{
    TlError err;
    size_t bad;
    if (c->billed)
        return;
    history_sort(c->tr, c->n);
    if (history_validate(c->tr, c->n, &bad, &err) != TL_OK) {
        EXPECT_AT(c->file, c->line, false, "[%s] history invalid: %s", c->name, err.msg);
        return;
    }
    TlResult rc = billing_pool_allowance(c->usage, c->n_usage, &err);
    TlUsageDay mine[128];
    size_t n_mine = 0;
    for (size_t i = 0; i < c->n_usage; i++)
        if (!c->other_db[i])
            mine[n_mine++] = c->usage[i];
    if (!rc)
        rc = billing_month(c->tr, c->n, c->retention, mine, n_mine, c->month_start, c->month_end,
                           c->as_of == TL_TIME_NONE ? c->month_end : c->as_of, c->dropped_at,
                           &c->bill, &err);
    EXPECT_AT(c->file, c->line, rc == TL_OK, "[%s] billing_month failed: %s", c->name, err.msg);
    c->billed = rc == TL_OK;
    /* the fleet reads skip the days before the month when billing_reads_before
     * says so: the bill from the month's rows alone must be the same, line for line */
    size_t first = 0;
    while (first < n_mine && mine[first].day < c->month_start)
        first++;
    c->reads_before = billing_reads_before(c->tr, c->n, first < n_mine ? &mine[first] : NULL,
                                           c->month_start, c->dropped_at);
    if (!c->billed || c->reads_before)
        return;
    TlBill alone;
    rc = billing_month(c->tr, c->n, c->retention, mine + first, n_mine - first, c->month_start,
                       c->month_end, c->as_of == TL_TIME_NONE ? c->month_end : c->as_of,
                       c->dropped_at, &alone, &err);
    EXPECT_AT(c->file, c->line, rc == TL_OK && alone.n_lines == c->bill.n_lines,
              "[%s] without the days before the month: %zu bill lines, expected %zu", c->name,
              rc == TL_OK ? alone.n_lines : 0, c->bill.n_lines);
    for (size_t i = 0; rc == TL_OK && i < alone.n_lines && i < c->bill.n_lines; i++) {
        const TlBillLine *a = &alone.lines[i], *b = &c->bill.lines[i];
        EXPECT_AT(
            c->file, c->line,
            a->seq == b->seq && a->gb_month == b->gb_month &&
                a->consumed_gb_month == b->consumed_gb_month &&
                a->charge_start == b->charge_start && a->charge_end == b->charge_end &&
                a->carried_forward == b->carried_forward && a->no_usage == b->no_usage &&
                a->decaying_estimate == b->decaying_estimate &&
                a->dtu_included == b->dtu_included && a->dropped == b->dropped &&
                (a->redundancy == b->redundancy ||
                 (a->redundancy && b->redundancy && strcmp(a->redundancy, b->redundancy) == 0)),
            "[%s] without the days before the month: line %zu differs (%.9f GB-month, "
            "expected %.9f)",
            c->name, i + 1, a->gb_month, b->gb_month);
    }
    billing_cleanup(&alone);
}

/* bill SEQ KIND GB_MONTH [consumed=X] [from=T] [to=T] [estimate] [dtu] [carried] */
static void expect_bill(Case *c, char **w, int nw)
{
    char a[TL_TIME_TEXT_MAX];
    run_bill(c);
    if (!c->billed)
        return;
    const TlBillLine *line = NULL;
    for (size_t i = 0; i < c->bill.n_lines; i++)
        if (c->bill.lines[i].seq == atoi(w[1]))
            line = &c->bill.lines[i];
    EXPECT_AT(c->file, c->line, line != NULL, "[%s] expected a bill line for S%s", c->name, w[1]);
    if (!line)
        return;
    EXPECT_AT(c->file, c->line, strcmp(billing_kind_str(line->kind), w[2]) == 0,
              "[%s] S%s: expected kind %s got %s", c->name, w[1], w[2],
              billing_kind_str(line->kind));
    double want = atof(w[3]);
    EXPECT_AT(c->file, c->line, line->gb_month > want - 1e-6 && line->gb_month < want + 1e-6,
              "[%s] S%s: expected %s GB-month got %.9f", c->name, w[1], w[3], line->gb_month);
    const char *v;
    if ((v = harness_opt(w, nw, "consumed")))
        EXPECT_AT(
            c->file, c->line,
            line->consumed_gb_month > atof(v) - 1e-6 && line->consumed_gb_month < atof(v) + 1e-6,
            "[%s] S%s: expected consumed %s got %.9f", c->name, w[1], v, line->consumed_gb_month);
    if ((v = harness_opt(w, nw, "from")))
        EXPECT_AT(c->file, c->line, line->charge_start == T(c, v),
                  "[%s] S%s: expected from %s got %s", c->name, w[1], v,
                  fmt(line->charge_start, a));
    if ((v = harness_opt(w, nw, "to")))
        EXPECT_AT(c->file, c->line, line->charge_end == T(c, v), "[%s] S%s: expected to %s got %s",
                  c->name, w[1], v, fmt(line->charge_end, a));
    bool estimate = false, dtu = false, carried = false;
    for (int i = 4; i < nw; i++) {
        estimate |= strcmp(w[i], "estimate") == 0;
        dtu |= strcmp(w[i], "dtu") == 0;
        carried |= strcmp(w[i], "carried") == 0;
    }
    EXPECT_AT(c->file, c->line, line->decaying_estimate == estimate, "[%s] S%s: estimate flag %d",
              c->name, w[1], line->decaying_estimate);
    EXPECT_AT(c->file, c->line, line->dtu_included == dtu, "[%s] S%s: dtu flag %d", c->name, w[1],
              line->dtu_included);
    EXPECT_AT(c->file, c->line, line->carried_forward == carried, "[%s] S%s: carried flag %d",
              c->name, w[1], line->carried_forward);
    if ((v = harness_opt(w, nw, "dropped")))
        EXPECT_AT(c->file, c->line, line->dropped == (strcmp(v, "yes") == 0),
                  "[%s] S%s: dropped flag %d", c->name, w[1], line->dropped);
    if ((v = harness_opt(w, nw, "nousage")))
        EXPECT_AT(c->file, c->line, line->no_usage == (strcmp(v, "yes") == 0),
                  "[%s] S%s: no-usage flag %d", c->name, w[1], line->no_usage);
}

/* Directives of the history: cases, transitions, instants and L11 validation; false when d is not
 * one. */
static bool history_directive(Case *c, const char *d, char **w, int nw)
{
    char a[TL_TIME_TEXT_MAX];
    if (strcmp(d, "case") == 0) {
        reset(c);
        snprintf(c->name, sizeof c->name, "%s", nw > 1 ? w[1] : "?");
    } else if (strcmp(d, "retention") == 0) {
        c->retention = atoi(w[1]);
        c->evaluated = false;
        lineage_cleanup(&c->lin);
    } else if (strcmp(d, "tr") == 0) {
        /* tr START END|- STATE FROM|- TO */
        if (nw != 6 || c->n >= MAX_TR) {
            fprintf(stderr, "%s:%d: tr needs START END STATE FROM TO\n", c->file, c->line);
            exit(2);
        }
        TlTransition *t = &c->tr[c->n];
        t->started_at = T(c, w[1]);
        t->ended_at = T(c, w[2]);
        if (!history_state_parse(w[3], &t->state)) {
            fprintf(stderr, "%s:%d: bad state %s\n", c->file, c->line, w[3]);
            exit(2);
        }
        snprintf(c->strings[c->n][0], TL_OBJECTIVE_MAX, "%s", strcmp(w[4], "-") ? w[4] : "");
        snprintf(c->strings[c->n][1], TL_OBJECTIVE_MAX, "%s", w[5]);
        t->from_objective = c->strings[c->n][0];
        t->to_objective = c->strings[c->n][1];
        c->n++;
    } else if (strcmp(d, "asof") == 0) {
        c->as_of = T(c, w[1]);
        c->evaluated = false;
        lineage_cleanup(&c->lin);
    } else if (strcmp(d, "invalid") == 0) {
        /* invalid N SUBSTRING: history_validate fails at transition N (sorted, 1-based) */
        TlError err;
        size_t bad = 0;
        history_sort(c->tr, c->n);
        TlResult rc = history_validate(c->tr, c->n, &bad, &err);
        EXPECT_AT(c->file, c->line,
                  rc == TL_ERR_DATA && bad + 1 == (size_t)atoi(w[1]) &&
                      (nw < 3 || strstr(err.msg, harness_untilde(w[2]))),
                  "[%s] expected invalid at %s (%s), got rc=%d at %zu: %s", c->name, w[1],
                  nw > 2 ? w[2] : "", rc, bad + 1, rc ? err.msg : "valid");
    } else if (strcmp(d, "valid") == 0) {
        TlError err;
        size_t bad = 0;
        history_sort(c->tr, c->n);
        TlResult rc = history_validate(c->tr, c->n, &bad, &err);
        EXPECT_AT(c->file, c->line, rc == TL_OK, "[%s] expected valid, got %s at %zu", c->name,
                  err.msg, bad + 1);
    } else if (strcmp(d, "objective_at") == 0) {
        const char *got = history_objective_at(c->tr, c->n, T(c, w[1]));
        bool none = strcmp(w[2], "-") == 0;
        EXPECT_AT(c->file, c->line, none ? got == NULL : got && objective_equal(got, w[2]),
                  "[%s] objective at %s: expected %s got %s", c->name, fmt(T(c, w[1]), a), w[2],
                  got ? got : "-");
    } else if (strcmp(d, "objective_before") == 0) {
        /* objective_before N OBJ|-: in effect at the start of transition N
         * (sorted, 1-based) as history_validate reads it */
        size_t i = (size_t)atoi(w[1]) - 1;
        history_sort(c->tr, c->n);
        const char *got = i < c->n ? history_objective_before(c->tr, c->n, i) : "(no such row)";
        bool none = strcmp(w[2], "-") == 0;
        EXPECT_AT(c->file, c->line, none ? got == NULL : got && objective_equal(got, w[2]),
                  "[%s] objective before row %s: expected %s got %s", c->name, w[1], w[2],
                  got ? got : "-");
    } else {
        return false;
    }
    return true;
}

/* Directives of billing (B1-B4): months, levels, usage rows, the bill;
 * false when d is not one. */
static bool billing_directive(Case *c, const char *d, char **w, int nw)
{
    if (strcmp(d, "month") == 0) {
        if (!billing_month_parse(w[1], &c->month_start, &c->month_end)) {
            fprintf(stderr, "%s:%d: bad month %s\n", c->file, c->line, w[1]);
            exit(2);
        }
    } else if (strcmp(d, "level") == 0 && c->n_levels < 64) {
        c->levels[c->n_levels++] = (TlLevel){T(c, w[1]), atof(w[2]) * TL_GB};
    } else if (strcmp(d, "gbmonth") == 0) {
        double got = billing_gb_month(c->levels, c->n_levels, c->month_start, c->month_end);
        double want = atof(w[1]);
        EXPECT_AT(c->file, c->line, got > want - 1e-9 && got < want + 1e-9,
                  "[%s] expected %s GB-month got %.9f", c->name, w[1], got);
    } else if (strcmp(d, "usage") == 0 && c->n_usage < 128) {
        /* usage DAY FULL DIFF LOG SNAPSHOT MAXSIZE [redundancy=R] [pool=ID] [db=OTHER] [data=GB]
         * (GB; - unknown; db= marks another database's row, for pools) */
        TlUsageDay *u = &c->usage[c->n_usage];
        const char *pool = harness_opt(w, nw, "pool"), *red = harness_opt(w, nw, "redundancy");
        snprintf(c->pools[c->n_usage], 32, "%s", pool ? pool : "");
        snprintf(c->redundancy[c->n_usage], 16, "%s", red ? red : "Geo");
        c->other_db[c->n_usage] = harness_opt(w, nw, "db") != NULL;
        *u = (TlUsageDay){.day = T(c, w[1]),
                          .full_bytes = gb_bytes(w[2]),
                          .diff_bytes = gb_bytes(w[3]),
                          .log_bytes = gb_bytes(w[4]),
                          .snapshot_bytes = gb_bytes(w[5]),
                          .allocated_bytes = TL_BYTES_UNKNOWN,
                          .max_size_bytes = gb_bytes(w[6]),
                          .redundancy = c->redundancy[c->n_usage],
                          .elastic_pool_id = c->pools[c->n_usage]};
        if (harness_opt(w, nw, "data"))
            u->allocated_bytes = gb_bytes(harness_opt(w, nw, "data"));
        c->n_usage++;
    } else if (strcmp(d, "dropped") == 0) {
        c->dropped_at = T(c, w[1]);
    } else if (strcmp(d, "bill") == 0) {
        expect_bill(c, w, nw);
    } else if (strcmp(d, "reads_before") == 0) {
        /* reads_before yes|no: billing_reads_before of the month (no: the bill
         * from the month's rows alone is checked to be the same) */
        run_bill(c);
        if (c->billed)
            EXPECT_AT(c->file, c->line, c->reads_before == (strcmp(w[1], "yes") == 0),
                      "[%s] expected reads_before %s", c->name, w[1]);
    } else if (strcmp(d, "bills") == 0) {
        run_bill(c);
        if (c->billed)
            EXPECT_AT(c->file, c->line, c->bill.n_lines == (size_t)atoi(w[1]),
                      "[%s] expected %s bill lines got %zu", c->name, w[1], c->bill.n_lines);
    } else if (strcmp(d, "poolshare") == 0) {
        /* poolshare ROW GB: after billing_pool_allowance, row ROW (1-based) */
        run_bill(c);
        size_t i = (size_t)atoi(w[1]) - 1;
        double got = i < c->n_usage ? (double)c->usage[i].pool_share_bytes / TL_GB : -1;
        EXPECT_AT(c->file, c->line, got > atof(w[2]) - 1e-6 && got < atof(w[2]) + 1e-6,
                  "[%s] row %s: expected pool share %s GB got %.6f", c->name, w[1], w[2], got);
    } else {
        return false;
    }
    return true;
}

/* Directives of lineage_evaluate: segments and what is in effect; false when d is not one. */
static bool lineage_directive(Case *c, const char *d, char **w, int nw)
{
    char a[TL_TIME_TEXT_MAX];
    if (strcmp(d, "seg") == 0) {
        expect_segment(c, w, nw);
    } else if (strcmp(d, "segments") == 0) {
        if (evaluate(c))
            EXPECT_AT(c->file, c->line, c->lin.n_segments == (size_t)atoi(w[1]),
                      "[%s] expected %s segments got %zu", c->name, w[1], c->lin.n_segments);
    } else if (strcmp(d, "now") == 0) {
        if (evaluate(c))
            EXPECT_AT(c->file, c->line,
                      c->lin.objective_now && objective_equal(c->lin.objective_now, w[1]),
                      "[%s] expected objective in effect %s got %s", c->name, w[1],
                      c->lin.objective_now ? c->lin.objective_now : "none");
    } else if (strcmp(d, "deadline") == 0) {
        /* deadline TIME|-: the E2 reverse-migration deadline of the lineage */
        if (evaluate(c))
            EXPECT_AT(c->file, c->line, c->lin.reverse_deadline == T(c, w[1]),
                      "[%s] expected deadline %s got %s", c->name, w[1],
                      fmt(c->lin.reverse_deadline, a));
    } else if (strcmp(d, "assumed") == 0) {
        /* assumed SEQ FROM/UNTIL|-...|none: lineage_assumed_spans of a segment */
        if (!evaluate(c) || atoi(w[1]) < 1 || (size_t)atoi(w[1]) > c->lin.n_segments)
            return true;
        TlSpan spans[MAX_TR];
        size_t n = lineage_assumed_spans(&c->lin.segments[atoi(w[1]) - 1], spans);
        char got[512] = "", b[TL_TIME_TEXT_MAX];
        for (size_t i = 0; i < n; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s/%s", i ? " " : "",
                     fmt(spans[i].from, a), fmt(spans[i].until, b));
        char want[512] = "";
        for (int i = 2; i < nw; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i > 2 ? " " : "",
                     strcmp(w[i], "none") == 0 ? "" : w[i]);
        EXPECT_AT(c->file, c->line, strcmp(got, want) == 0,
                  "[%s] segment %s: expected assumed spans '%s' got '%s'", c->name, w[1], want,
                  got);
    } else if (strcmp(d, "inprogress") == 0) {
        if (evaluate(c)) {
            bool want = strcmp(w[1], "yes") == 0;
            EXPECT_AT(c->file, c->line, want == (c->lin.in_progress != SIZE_MAX),
                      "[%s] expected in-progress %s", c->name, w[1]);
        }
    } else {
        return false;
    }
    return true;
}

/* Directives of check_evaluate: facts, the proposed change and its findings; false when d is not
 * one. */
static bool check_directive(Case *c, const char *d, char **w, int nw)
{
    if (strcmp(d, "facts") == 0) {
        set_facts(c, w, nw);
    } else if (strcmp(d, "check") == 0) {
        run_check(c, w, nw);
    } else if (strcmp(d, "verdict") == 0) {
        if (c->checked)
            EXPECT_AT(c->file, c->line, strcmp(check_verdict_str(c->check.verdict), w[1]) == 0,
                      "[%s] expected verdict %s got %s", c->name, w[1],
                      check_verdict_str(c->check.verdict));
    } else if (strcmp(d, "kind") == 0) {
        if (c->checked)
            EXPECT_AT(c->file, c->line, strcmp(history_kind_str(c->check.kind), w[1]) == 0,
                      "[%s] expected kind %s got %s", c->name, w[1],
                      history_kind_str(c->check.kind));
    } else if (strcmp(d, "finding") == 0) {
        /* finding CODE SEVERITY [RULE] [text=WORDS~JOINED~BY~TILDES] */
        if (!c->checked)
            return true;
        const char *rule = nw > 3 && !strchr(w[3], '=') ? w[3] : NULL;
        const TlFinding *f = find(c, w[1], rule);
        EXPECT_AT(c->file, c->line, f != NULL, "[%s] expected finding %s %s, not reported", c->name,
                  w[1], rule ? rule : "");
        if (!f)
            return true;
        EXPECT_AT(c->file, c->line, strcmp(check_severity_str(f->severity), w[2]) == 0,
                  "[%s] finding %s: expected severity %s got %s", c->name, w[1], w[2],
                  check_severity_str(f->severity));
        const char *text = harness_opt(w, nw, "text");
        if (text) {
            char want[256];
            snprintf(want, sizeof want, "%s", text);
            harness_untilde(want);
            EXPECT_AT(c->file, c->line, strstr(f->message, want) != NULL,
                      "[%s] finding %s: expected text '%s' in: %s", c->name, w[1], want,
                      f->message);
        }
    } else if (strcmp(d, "order") == 0) {
        /* order SEV SEV ...: the severities of the findings, in order */
        if (!c->checked)
            return true;
        bool same = c->check.n_findings == (size_t)(nw - 1);
        for (size_t i = 0; same && i < c->check.n_findings; i++)
            same = strcmp(check_severity_str(c->check.findings[i].severity), w[i + 1]) == 0;
        EXPECT_AT(c->file, c->line, same, "[%s] findings not in the expected severity order",
                  c->name);
    } else if (strcmp(d, "nofinding") == 0) {
        if (c->checked) {
            const TlFinding *f = find(c, w[1], NULL);
            EXPECT_AT(c->file, c->line, f == NULL, "[%s] expected no finding %s, got: %s", c->name,
                      w[1], f ? f->message : "");
        }
    } else if (strcmp(d, "findings") == 0) {
        if (c->checked)
            EXPECT_AT(c->file, c->line, c->check.n_findings == (size_t)atoi(w[1]),
                      "[%s] expected %s findings got %zu", c->name, w[1], c->check.n_findings);
    } else {
        return false;
    }
    return true;
}

/* Directives of warnings_evaluate: the alerts; false when d is not one. */
static bool warnings_directive(Case *c, const char *d, char **w, int nw)
{
    if (strcmp(d, "warnings") == 0) {
        TlError err;
        size_t bad;
        warnings_cleanup(&c->alerts);
        history_sort(c->tr, c->n);
        TlResult rc = history_validate(c->tr, c->n, &bad, &err);
        if (!rc)
            rc =
                warnings_evaluate(c->tr, c->n, c->as_of, c->retention, &c->facts, &c->alerts, &err);
        EXPECT_AT(c->file, c->line, rc == TL_OK, "[%s] warnings_evaluate failed: %s", c->name,
                  err.msg);
        c->warned = rc == TL_OK;
    } else if (strcmp(d, "alert") == 0) {
        /* alert CODE LEVEL [text=...]: reported, with that level */
        const TlAlert *found = NULL;
        for (size_t i = 0; c->warned && i < c->alerts.n && !found; i++)
            if (strcmp(c->alerts.alerts[i].code, w[1]) == 0)
                found = &c->alerts.alerts[i];
        EXPECT_AT(c->file, c->line, found && strcmp(warnings_level_str(found->level), w[2]) == 0,
                  "[%s] expected alert %s at level %s, got %s", c->name, w[1], w[2],
                  found ? warnings_level_str(found->level) : "none");
        const char *text = harness_opt(w, nw, "text");
        if (found && text) {
            char want[256];
            snprintf(want, sizeof want, "%s", text);
            harness_untilde(want);
            EXPECT_AT(c->file, c->line, strstr(found->message, want) != NULL,
                      "[%s] alert %s: expected text '%s' in: %s", c->name, w[1], want,
                      found->message);
        }
    } else if (strcmp(d, "alerts") == 0) {
        /* alerts CODE CODE ...: exactly these, in this order */
        bool same = c->warned && c->alerts.n == (size_t)(nw - 1);
        for (size_t i = 0; same && i < c->alerts.n; i++)
            same = strcmp(c->alerts.alerts[i].code, w[i + 1]) == 0;
        EXPECT_AT(c->file, c->line, same, "[%s] alerts not as expected (%zu reported, first %s)",
                  c->name, c->alerts.n, c->alerts.n ? c->alerts.alerts[0].code : "-");
    } else {
        return false;
    }
    return true;
}

static void directive(Case *c, char **w, int nw)
{
    const char *d = w[0];
    if (!history_directive(c, d, w, nw) && !billing_directive(c, d, w, nw) &&
        !lineage_directive(c, d, w, nw) && !check_directive(c, d, w, nw) &&
        !warnings_directive(c, d, w, nw)) {
        fprintf(stderr, "%s:%d: unknown directive '%s'\n", c->file, c->line, d);
        exit(2);
    }
}

/* --case NAME: only the cases whose name contains NAME */
static const char *only_case;
static int cases_run;

static void run_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        exit(2);
    }
    static Case c;
    reset(&c);
    char buf[1024];
    int line = 0;
    bool skipping = only_case != NULL; /* until the first case that matches */
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
        if (strcmp(w[0], "case") == 0) {
            skipping = only_case && (nw < 2 || !strstr(w[1], only_case));
            cases_run += !skipping;
        }
        if (!skipping)
            directive(&c, w, nw);
    }
    fclose(fp);
    reset(&c);
}

int main(int argc, char **argv)
{
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--case") == 0) {
        only_case = argv[2];
        first = 3;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: test_cases [--case NAME] CASES.txt...\n"
                        "Runs the model's text cases (lineage, check, billing, warnings);\n"
                        "--case runs only the cases whose name contains NAME.\n");
        return 2;
    }
    for (int i = first; i < argc; i++)
        run_file(argv[i]);
    if (only_case && cases_run == 0) {
        fprintf(stderr, "test_cases: no case name contains '%s'\n", only_case);
        harness_failed++;
    }
    return harness_finish("model/cases");
}
