/* check.c - the verdict on a proposed tier change (domain.md E1-E11, W1-W4).
 *
 * The kind of change comes from the architectures of the objective in effect
 * and the target. Reverse migrations are checked against E1-E9, conversions
 * against E9-E11; every failing eligibility rule is a *block*. What the change
 * would destroy (W1) is not hand-coded: the proposal is appended to the
 * history as if it started and cut over at as_of, the lineage is evaluated
 * again, and every restore window that disappears is reported, under our
 * reading (L1) and under the strict reading (W4).
 *
 * Verdict: blocked if any block; otherwise unknown if a fact a blocking rule
 * needs is unknown (W3, `undecided`); otherwise warn if any warning; else ok.
 * Findings are sorted severest first. */
#include "model/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIB (INT64_C(1) << 30)

const char *check_severity_str(TlSeverity sev)
{
    switch (sev) {
    case TL_SEV_INFO: return "info";
    case TL_SEV_WARN: return "warn";
    case TL_SEV_BLOCK: return "block";
    }
    return "info";
}

const char *check_verdict_str(TlVerdict verdict)
{
    switch (verdict) {
    case TL_VERDICT_OK: return "ok";
    case TL_VERDICT_WARN: return "warn";
    case TL_VERDICT_BLOCKED: return "blocked";
    case TL_VERDICT_UNKNOWN: return "unknown";
    }
    return "unknown";
}

static __attribute__((format(printf, 6, 7))) TlResult add_finding(TlCheck *check, const char *code,
                                                                  const char *rule, TlSeverity sev,
                                                                  bool undecided, const char *fmt,
                                                                  ...)
{
    TlFinding *grown = realloc(check->findings, (check->n_findings + 1) * sizeof *grown);
    if (!grown)
        return TL_ERR_NOMEM;
    check->findings = grown;
    TlFinding *f = &grown[check->n_findings++];
    f->code = code;
    f->rule = rule;
    f->severity = sev;
    f->undecided = undecided;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    return TL_OK;
}

/* "S3 (standard: GP_Gen5_4 -> BC_Gen5_4, from 2025-03-20T00:00:00Z to 2025-04-01T00:00:00Z)" */
static const char *describe_segment(const TlSegment *seg, char *buf, size_t size)
{
    char from[TL_TIME_TEXT_MAX], to[TL_TIME_TEXT_MAX];
    size_t used =
        (size_t)snprintf(buf, size, "S%d (%s: ", seg->seq, objective_architecture_str(seg->arch));
    for (size_t i = 0; i < seg->n_objectives && used < size; i++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s", i ? " -> " : "", seg->objectives[i]);
    if (used < size) {
        if (seg->end == TL_TIME_NONE)
            snprintf(buf + used, size - used, ", since %s)", tl_time_format(seg->start, from));
        else
            snprintf(buf + used, size - used, ", %s to %s)", tl_time_format(seg->start, from),
                     tl_time_format(seg->end, to));
    }
    return buf;
}

/* ---- restore windows as interval sets (at most a few intervals) -------- */

#define MAX_SPANS 8

typedef struct {
    TlTime from[MAX_SPANS], to[MAX_SPANS];
    size_t n;
} Spans;

static void spans_of(const TlLineage *lin, Spans *out)
{
    out->n = 0;
    for (size_t i = 0; i < lin->n_segments && out->n < MAX_SPANS; i++) {
        const TlSegment *seg = &lin->segments[i];
        if (seg->status != TL_SEG_CURRENT && seg->status != TL_SEG_RESTORABLE)
            continue;
        out->from[out->n] = seg->restore_from;
        out->to[out->n++] = seg->restore_to;
    }
}

/* out = a minus b; pieces shorter than a second are dropped. */
static void spans_minus(const Spans *a, const Spans *b, Spans *out)
{
    out->n = 0;
    for (size_t i = 0; i < a->n; i++) {
        Spans pieces = {.from = {a->from[i]}, .to = {a->to[i]}, .n = 1};
        for (size_t j = 0; j < b->n; j++) {
            Spans next = {.n = 0};
            for (size_t k = 0; k < pieces.n; k++) {
                TlTime f = pieces.from[k], t = pieces.to[k];
                if (b->to[j] <= f || b->from[j] >= t) {
                    next.from[next.n] = f;
                    next.to[next.n++] = t;
                    continue;
                }
                if (b->from[j] > f && next.n < MAX_SPANS) {
                    next.from[next.n] = f;
                    next.to[next.n++] = b->from[j];
                }
                if (b->to[j] < t && next.n < MAX_SPANS) {
                    next.from[next.n] = b->to[j];
                    next.to[next.n++] = t;
                }
            }
            pieces = next;
        }
        for (size_t k = 0; k < pieces.n && out->n < MAX_SPANS; k++) {
            if (pieces.to[k] - pieces.from[k] < 1)
                continue;
            out->from[out->n] = pieces.from[k];
            out->to[out->n++] = pieces.to[k];
        }
    }
}

static void spans_text(const Spans *s, char *buf, size_t size)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s to %s", i ? ", " : "",
                                 tl_time_format(s->from[i], a), tl_time_format(s->to[i], b));
}

/* Evaluate the history with the proposal appended as if it started and cut
 * over at as_of. The appended strings are borrowed from the proposal. */
static TlResult simulate(const TlTransition *tr, size_t n, const TlLineage *now, const char *target,
                         TlReading reading, TlLineage *after, TlError *err)
{
    TlTransition *all = malloc((n + 1) * sizeof *all);
    if (!all)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    memcpy(all, tr, n * sizeof *all);
    all[n] = (TlTransition){.started_at = now->as_of,
                            .ended_at = now->as_of,
                            .state = TL_OP_SUCCEEDED,
                            .from_objective = now->objective_now,
                            .to_objective = target};
    TlResult rc =
        lineage_evaluate(all, n + 1, now->as_of, now->retention_days, reading, after, err);
    free(all);
    return rc;
}

static TlResult check_reverse(TlCheck *c, const TlFacts *facts, const TlProposal *p)
{
    TlResult rc = TL_OK;
    const TlObjective *t = &c->target;
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];

    if (c->lineage.created_in_hyperscale)
        rc = add_finding(c, "created_in_hyperscale", "E1", TL_SEV_BLOCK, false,
                         "the database was created in Hyperscale (%s at %s): only databases "
                         "converted from another tier can be reverse-migrated",
                         c->lineage.segments[0].objectives[0],
                         tl_time_format(c->lineage.segments[0].start, a));
    else if (c->reverse_deadline != TL_TIME_NONE && c->lineage.as_of > c->reverse_deadline)
        rc = add_finding(c, "reverse_window_expired", "E2", TL_SEV_BLOCK, false,
                         "the 45-day reverse migration window closed at %s (conversion cutover "
                         "%s + 45 days)",
                         tl_time_format(c->reverse_deadline, a),
                         tl_time_format(c->lineage.last_conversion_cutover, b));
    if (rc == TL_OK && (t->edition != TL_EDITION_GENERAL_PURPOSE || t->elastic_pool))
        rc = add_finding(c, "target_not_general_purpose", "E3", TL_SEV_BLOCK, false,
                         "a reverse migration goes to General Purpose only; %s is %s: "
                         "reverse-migrate to General Purpose first, then change the tier",
                         t->name,
                         t->elastic_pool ? "an elastic pool" : objective_edition_label(t->edition));
    if (rc == TL_OK && t->edition == TL_EDITION_GENERAL_PURPOSE && t->vcores < 2)
        rc = add_finding(c, "target_below_2_vcores", "E4", TL_SEV_BLOCK, false,
                         "the target %s has %d vCore%s; a reverse migration needs at least 2",
                         t->name, t->vcores, t->vcores == 1 ? "" : "s");
    if (rc == TL_OK && t->elastic_pool)
        rc =
            add_finding(c, "elastic_pool", "E5", TL_SEV_BLOCK, false,
                        "the target is an elastic pool: reverse-migrate to a single database, then "
                        "move it into the pool");
    else if (rc == TL_OK && !facts->pool_known)
        rc = add_finding(c, "assumption", "E5", TL_SEV_WARN, true,
                         "whether the database is in an elastic pool is unknown (E5 not checked)");
    else if (rc == TL_OK && facts->in_pool)
        rc = add_finding(c, "elastic_pool", "E5", TL_SEV_BLOCK, false,
                         "the database is in an elastic pool: move it out of the pool first");
    if (rc == TL_OK && !facts->geo_known)
        rc = add_finding(
            c, "assumption", "E6", TL_SEV_WARN, true,
            "whether the database has geo-replication links is unknown (E6 not checked)");
    else if (rc == TL_OK && facts->has_geo_link)
        rc = add_finding(c, "geo_replication", "E6", TL_SEV_BLOCK, false,
                         "the database has a geo-replication link or is in a failover group: "
                         "remove it first");
    if (rc == TL_OK && !facts->replicas_known)
        rc = add_finding(c, "assumption", "E7", TL_SEV_WARN, true,
                         "whether the database has named replicas is unknown (E7 not checked)");
    else if (rc == TL_OK && facts->named_replicas > 0)
        rc = add_finding(c, "named_replicas", "E7", TL_SEV_BLOCK, false,
                         "the database has %d named replica%s: drop them first",
                         facts->named_replicas, facts->named_replicas == 1 ? "" : "s");
    if (rc != TL_OK || t->edition != TL_EDITION_GENERAL_PURPOSE)
        return rc;

    int64_t target_max = objective_max_data_gb(t) * GIB;
    int64_t limit = p->max_size_bytes > 0 ? p->max_size_bytes : target_max;
    if (p->max_size_bytes > 0 && target_max > 0 && p->max_size_bytes > target_max)
        return add_finding(c, "size_exceeds_target", "E8", TL_SEV_BLOCK, false,
                           "the requested max size %lld GB exceeds the %lld GB maximum of %s",
                           (long long)(p->max_size_bytes / GIB), (long long)(target_max / GIB),
                           t->name);
    if (limit == 0)
        return add_finding(c, "assumption", "E8", TL_SEV_WARN, true,
                           "the maximum data size of %s is not known here (E8 not checked): pass "
                           "--max-size",
                           t->name);
    if (!facts->allocated_known)
        return add_finding(c, "assumption", "E8", TL_SEV_WARN, true,
                           "the allocated size of the database is unknown (E8 not checked)");
    if (facts->allocated_bytes > limit)
        return add_finding(c, "size_exceeds_target", "E8", TL_SEV_BLOCK, false,
                           "%.1f GB allocated exceeds the %lld GB max data size of the target",
                           (double)facts->allocated_bytes / (double)GIB, (long long)(limit / GIB));
    return TL_OK;
}

bool check_geo_role_parse(const char *text, TlGeoRole *out)
{
    static const struct {
        const char *name;
        TlGeoRole role;
    } roles[] = {
        {"none", TL_GEO_NONE}, {"primary", TL_GEO_PRIMARY}, {"secondary", TL_GEO_SECONDARY}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (text && strcmp(text, roles[i].name) == 0)
            return (*out = roles[i].role, true);
    return false;
}

/* E11 (convert-to-hyperscale.md, 06/2026): convert the primary, whose one
 * geo-secondary is converted with it; a geo-secondary, more than one
 * secondary or a chained one block; the role unknown is W3 (a blocking rule
 * needs it). Without the role, a link known absent is the role none. */
static TlResult check_geo_conversion(TlCheck *c, const TlFacts *facts)
{
    TlGeoRole role = facts->geo_role;
    if (role == TL_GEO_UNKNOWN && facts->geo_known && !facts->has_geo_link)
        role = TL_GEO_NONE;
    switch (role) {
    case TL_GEO_NONE: return TL_OK;
    case TL_GEO_UNKNOWN:
        return add_finding(
            c, "assumption", "E11", TL_SEV_WARN, true,
            "the database's geo-replication role is unknown%s (E11 not checked: a "
            "geo-secondary or a primary with more than one secondary cannot convert)",
            facts->geo_known && facts->has_geo_link ? ", though it has a link" : "");
    case TL_GEO_SECONDARY: {
        TlResult rc = add_finding(c, "geo_secondary", "E11", TL_SEV_BLOCK, false,
                                  "the database is a geo-secondary: converting it is an error; "
                                  "convert its primary, which converts this secondary with it");
        if (rc == TL_OK && facts->pool_known && facts->in_pool)
            rc = add_finding(c, "geo_secondary_pool", "E11", TL_SEV_INFO, false,
                             "when its primary is converted, this geo-secondary is moved out of "
                             "its elastic pool");
        return rc;
    }
    case TL_GEO_PRIMARY:
        if (facts->geo_secondaries < 0)
            return add_finding(c, "assumption", "E11", TL_SEV_WARN, true,
                               "the number of the primary's geo-secondaries is unknown (E11: more "
                               "than one blocks the conversion)");
        if (facts->geo_secondaries > 1)
            return add_finding(c, "geo_secondaries_exceed_one", "E11", TL_SEV_BLOCK, false,
                               "the primary has %d geo-secondaries: reduce them to one before "
                               "converting",
                               facts->geo_secondaries);
        return add_finding(c, "geo_replication", "E11", TL_SEV_WARN, false,
                           "the database is a geo-replication primary: its geo-secondary is "
                           "converted with it (before the June 2026 docs the link had to be "
                           "removed first); a chained secondary must be removed first");
    }
    return TL_OK;
}

static TlResult check_conversion(TlCheck *c, const TlObjective *cur, const TlFacts *facts)
{
    TlResult rc = TL_OK;
    if (cur->edition == TL_EDITION_BASIC)
        rc = add_finding(c, "basic_to_hyperscale", "E10", TL_SEV_BLOCK, false,
                         "direct conversion from Basic to Hyperscale is not supported: scale to "
                         "Standard or General Purpose first");
    if (rc == TL_OK)
        rc = check_geo_conversion(c, facts);
    if (rc == TL_OK)
        rc = add_finding(c, "reverse_window_opens", "W2", TL_SEV_INFO, false,
                         "after the cutover there are 45 days to reverse-migrate to General "
                         "Purpose; after that the database stays Hyperscale");
    return rc;
}

/* W1: what disappears under L1 when the proposal runs; W4: what disappears
 * in addition under the strict reading. */
static TlResult check_losses(TlCheck *c, const TlTransition *tr, size_t n, const TlFacts *facts,
                             TlError *err)
{
    TlLineage after = {0}, strict_after = {0}, strict_now = {0};
    TlResult rc = simulate(tr, n, &c->lineage, c->target.name, TL_READING_SEGMENT, &after, err);
    if (rc == TL_OK)
        rc = simulate(tr, n, &c->lineage, c->target.name, TL_READING_STRICT, &strict_after, err);
    if (rc == TL_OK)
        rc = lineage_evaluate(tr, n, c->lineage.as_of, c->lineage.retention_days, TL_READING_STRICT,
                              &strict_now, err);
    if (rc != TL_OK)
        goto out;

    char seg[256], win[256], when[TL_TIME_TEXT_MAX], exp[TL_TIME_TEXT_MAX];
    const char *assumed = facts->retention_known ? "" : " (assuming the default 7-day retention)";
    for (size_t i = 0; i + 1 < c->lineage.n_segments && rc == TL_OK; i++) {
        const TlSegment *before = &c->lineage.segments[i];
        if (before->status != TL_SEG_RESTORABLE || after.segments[i].status == TL_SEG_RESTORABLE)
            continue;
        c->would_lose = before;
        describe_segment(before, seg, sizeof seg);
        Spans one = {.from = {before->restore_from}, .to = {before->restore_to}, .n = 1};
        spans_text(&one, win, sizeof win);
        tl_time_format(before->expires_at, exp);
        if (c->kind == TL_KIND_REVERSE_MIGRATION)
            rc = add_finding(c, "backup_loss", "W1", TL_SEV_WARN, false,
                             "starting this reverse migration makes segment %s unrestorable at "
                             "once (L3): restore points %s are lost the moment it starts "
                             "(%s if started now), and cancelling it or a failure does not bring "
                             "them back; otherwise they would stay restorable until %s%s",
                             seg, win, tl_time_format(c->lineage.as_of, when), exp, assumed);
        else
            rc = add_finding(c, "backup_loss", "W1", TL_SEV_WARN, false,
                             "when this change cuts over, segment %s becomes unrestorable (%s): "
                             "restore points %s are lost at the cutover, no earlier than %s; "
                             "otherwise they would stay restorable until %s%s",
                             seg, c->kind == TL_KIND_CONVERSION ? "L4" : "L2", win,
                             tl_time_format(c->lineage.as_of, when), exp, assumed);
    }

    Spans l1_now, l1_after, st_now, st_after, extra, already;
    char text[320];
    spans_of(&c->lineage, &l1_now);
    spans_of(&after, &l1_after);
    spans_of(&strict_now, &st_now);
    spans_of(&strict_after, &st_after);
    spans_minus(&l1_after, &st_after, &extra);
    spans_minus(&l1_now, &st_now, &already);
    if (rc == TL_OK && extra.n > 0) {
        spans_text(&extra, text, sizeof text);
        rc = add_finding(c, "strict_reading", "W4", TL_SEV_WARN, false,
                         "under the strict reading of \"tier\" (every edition change is a tier) "
                         "this change would also make restore points %s unrestorable; tierledger "
                         "follows the segment reading (L1)",
                         text);
    } else if (rc == TL_OK && already.n > 0) {
        spans_text(&already, text, sizeof text);
        rc = add_finding(c, "strict_reading", "W4", TL_SEV_INFO, false,
                         "under the strict reading of \"tier\" (every edition change is a tier) "
                         "restore points %s would already be unavailable; tierledger follows the "
                         "segment reading (L1)",
                         text);
    }
    if (rc == TL_ERR_NOMEM)
        tl_error_set(err, rc, "out of memory");
out:
    lineage_cleanup(&after);
    lineage_cleanup(&strict_after);
    lineage_cleanup(&strict_now);
    return rc;
}

bool check_request_pending(const TlLineage *lin, const TlTransition *tr, const TlFacts *facts)
{
    if (!facts->requested_objective[0] || !lin->objective_now ||
        objective_equal(facts->requested_objective, lin->objective_now))
        return false;
    if (facts->requested_since != TL_TIME_NONE && facts->requested_since > lin->as_of)
        return false; /* L11: not observed yet */
    return lin->in_progress == SIZE_MAX ||
           lin->as_of - tr[lin->in_progress].started_at > TL_REQUEST_STALL_HOURS * 3600;
}

const char *check_request_text(const TlLineage *lin, const TlTransition *tr, const TlFacts *facts,
                               char *buf, size_t size)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], running[200] = "no operation is running";
    if (lin->in_progress != SIZE_MAX)
        snprintf(running, sizeof running, "the operation running since %s has run over %d hours",
                 tl_time_format(tr[lin->in_progress].started_at, b), TL_REQUEST_STALL_HOURS);
    snprintf(buf, size,
             "Azure shows the requested objective %s, not the %s in effect, since %s, and %s: "
             "the change asked for has not happened (W6)",
             facts->requested_objective, lin->objective_now,
             facts->requested_since != TL_TIME_NONE ? tl_time_format(facts->requested_since, a)
                                                    : "an unknown time",
             running);
    return buf;
}

/* Severest first: blocks, then undecided assumptions, then warnings, info. */
static int finding_rank(const TlFinding *f)
{
    return (int)f->severity * 2 + (f->undecided ? 1 : 0);
}

/* W2: the reverse-migration window while it is open; W5: under the reading
 * that E2's "original migration" is the first conversion, its deadline. */
static TlResult check_windows(TlCheck *out, TlTime as_of)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    const TlLineage *lin = &out->lineage;
    TlResult rc = TL_OK;
    if (out->reverse_deadline != TL_TIME_NONE && as_of <= out->reverse_deadline) {
        TlTime left = out->reverse_deadline - as_of;
        bool closing = left < TL_DEADLINE_WARN_DAYS * TL_SECONDS_PER_DAY;
        rc = add_finding(
            out, "reverse_window_closing", "W2", closing ? TL_SEV_WARN : TL_SEV_INFO, false,
            "a reverse migration to General Purpose must start by %s (conversion "
            "cutover %s + 45 days): %lld days %lld hours left",
            tl_time_format(out->reverse_deadline, a),
            tl_time_format(lin->last_conversion_cutover, b), (long long)(left / TL_SECONDS_PER_DAY),
            (long long)(left % TL_SECONDS_PER_DAY / 3600));
    }
    if (rc == TL_OK && out->reverse_deadline != TL_TIME_NONE && as_of <= out->reverse_deadline &&
        lin->conversions > 1) { /* once E2 closed too, both readings agree */
        TlTime first = lin->first_conversion_cutover + TL_REVERSE_WINDOW_DAYS * TL_SECONDS_PER_DAY;
        bool passed = as_of > first && as_of <= out->reverse_deadline;
        rc = add_finding(out, "first_conversion_reading", "W5", passed ? TL_SEV_WARN : TL_SEV_INFO,
                         false,
                         "converted to Hyperscale %d times: if Azure counts the 45 days from the "
                         "first conversion (cutover %s), the window %s at %s; tierledger counts "
                         "from the most recent (E2)",
                         lin->conversions, tl_time_format(lin->first_conversion_cutover, a),
                         as_of > first ? "closed" : "closes", tl_time_format(first, b));
    }
    return rc;
}

/* T5: whether the target's edition (or, for "ElasticPool", that it is a
 * pool) can be told. */
static bool check_target_told(const TlObjective *target)
{
    return target->edition != TL_EDITION_OTHER || target->elastic_pool;
}

/* T4: a name with a known edition is judged by it (a warning); T5: a target
 * whose edition cannot be told at all leaves the verdict unknown. */
static TlResult check_names(TlCheck *out, const TlObjective *cur, const char *target)
{
    TlResult rc = TL_OK;
    if (!check_target_told(&out->target))
        rc = add_finding(out, "unknown_objective", "T5", TL_SEV_WARN, true,
                         "'%s' is not a service objective tierledger knows and its edition "
                         "cannot be told (T5): the verdict is unknown, not a guess",
                         target);
    else if (!out->target.known)
        rc = add_finding(out, "unknown_objective", "T4", TL_SEV_WARN, false,
                         "'%s' is not a service objective tierledger knows (T4): judged as %s "
                         "by its name; its other limits cannot be checked",
                         target, objective_edition_label(out->target.edition));
    if (rc == TL_OK && (!cur->known || !cur->tracked))
        rc = add_finding(out, "unknown_objective", "T4", TL_SEV_WARN,
                         cur->edition == TL_EDITION_OTHER,
                         "the current objective '%s' is not one tierledger knows (T4)%s", cur->name,
                         cur->edition == TL_EDITION_OTHER ? ": its edition cannot be told" : "");
    return rc;
}

TlResult check_evaluate(const TlTransition *tr, size_t n, TlTime as_of, int retention_days,
                        const TlFacts *facts, const TlProposal *proposal, TlCheck *out,
                        TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    memset(out, 0, sizeof *out);
    out->reverse_deadline = TL_TIME_NONE;
    TlResult rc =
        lineage_evaluate(tr, n, as_of, retention_days, TL_READING_SEGMENT, &out->lineage, err);
    if (rc != TL_OK)
        return rc;
    TlLineage *lin = &out->lineage;
    objective_parse(proposal->target, NULL, &out->target);
    TlObjective cur;
    objective_parse(lin->objective_now, NULL, &cur);
    out->kind = history_kind_of(lin->objective_now, proposal->target);
    out->reverse_deadline = lin->reverse_deadline;

    rc = check_names(out, &cur, proposal->target);
    if (rc == TL_OK && objective_equal(lin->objective_now, proposal->target))
        rc = add_finding(out, "no_change", "L1", TL_SEV_INFO, false,
                         "%s is already the objective in effect", cur.name);
    if (rc == TL_OK && lin->in_progress != SIZE_MAX) {
        const TlTransition *t = &tr[lin->in_progress];
        rc = add_finding(out, "operation_in_progress", "E9", TL_SEV_BLOCK, false,
                         "a %s from %s to %s started %s and had not finished at %s: wait for it "
                         "to complete",
                         history_kind_str(history_kind_of(t->from_objective, t->to_objective)),
                         t->from_objective, t->to_objective, tl_time_format(t->started_at, a),
                         tl_time_format(as_of, b));
    }
    /* T5: what kind of change it is cannot be told either: no rule of a kind applies */
    bool told = check_target_told(&out->target);
    if (rc == TL_OK && told && out->kind == TL_KIND_REVERSE_MIGRATION)
        rc = check_reverse(out, facts, proposal);
    else if (rc == TL_OK && told && out->kind == TL_KIND_CONVERSION)
        rc = check_conversion(out, &cur, facts);
    if (rc == TL_OK)
        rc = check_windows(out, as_of);
    char pending[TL_FINDING_MESSAGE_MAX];
    if (rc == TL_OK && check_request_pending(lin, tr, facts))
        rc = add_finding(out, "requested_objective_pending", "W6", TL_SEV_WARN, false, "%s",
                         check_request_text(lin, tr, facts, pending, sizeof pending));
    if (rc == TL_OK && !facts->retention_known)
        rc = add_finding(out, "assumption", "L9", TL_SEV_INFO, false,
                         "the backup retention is unknown: assumed the default of 7 days");
    if (rc == TL_OK && out->target.known && !objective_equal(lin->objective_now, proposal->target))
        rc = check_losses(out, tr, n, facts, err);
    else if (rc == TL_ERR_NOMEM)
        tl_error_set(err, rc, "out of memory");
    if (rc != TL_OK) {
        check_cleanup(out);
        return rc;
    }
    if (out->kind == TL_KIND_TIER_CHANGE && !out->would_lose && lin->in_progress == SIZE_MAX &&
        !objective_equal(lin->objective_now, proposal->target)) {
        rc = add_finding(out, "lossless", "L1", TL_SEV_INFO, false,
                         "a change within the %s architecture starts no new backup chain: every "
                         "restore point stays available",
                         objective_architecture_str(cur.arch));
        if (rc != TL_OK) {
            check_cleanup(out);
            return tl_error_set(err, rc, "out of memory");
        }
    }

    /* Severest first, stable within a rank (rule order). */
    for (size_t i = 1; i < out->n_findings; i++) {
        TlFinding key = out->findings[i];
        size_t j = i;
        for (; j > 0 && finding_rank(&out->findings[j - 1]) < finding_rank(&key); j--)
            out->findings[j] = out->findings[j - 1];
        out->findings[j] = key;
    }
    out->verdict = TL_VERDICT_OK;
    for (size_t i = 0; i < out->n_findings; i++) {
        const TlFinding *f = &out->findings[i];
        if (f->severity == TL_SEV_BLOCK)
            out->verdict = TL_VERDICT_BLOCKED;
        else if (f->undecided && out->verdict != TL_VERDICT_BLOCKED)
            out->verdict = TL_VERDICT_UNKNOWN;
        else if (f->severity == TL_SEV_WARN && out->verdict == TL_VERDICT_OK)
            out->verdict = TL_VERDICT_WARN;
    }
    return TL_OK;
}

void check_cleanup(TlCheck *check)
{
    if (!check)
        return;
    free(check->findings);
    check->findings = NULL;
    check->n_findings = 0;
    check->would_lose = NULL;
    lineage_cleanup(&check->lineage);
}
