/* test_derive.c - the collector's derivation rules (docs/collector-rules.md
 * D1-D8) as text cases: what is recorded, what was last observed and what
 * ARM lists now go in, the new transition rows come out. The directives are
 * listed in docs/collector-rules.md (by=- on a row: no caller).
 *
 * Usage: test_derive [--case NAME] FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/derive.h"
#include "model/objective.h"
#include "tests/harness.h"

#define MAX_ITEMS 32
#define MAX_WORDS 12

typedef struct {
    const char *file;
    int line;
    char name[128];
    bool skip; /* filtered out by --case */
    AzDatabase db;
    TlTime now, observed_at;
    char observed[AZ_OBJ_MAX];
    TlTransition rec[MAX_ITEMS];
    char rec_text[MAX_ITEMS][3][AZ_OBJ_MAX]; /* from, to, by */
    size_t n_rec;
    AzOperation ops[MAX_ITEMS];
    size_t n_ops;
    bool ops_unread;
    AzEvent events[MAX_ITEMS];
    size_t n_events;
    /* results */
    bool derived;
    TlResult rc;
    TlError err;
    DeriveRow *rows;
    size_t n_rows, next_row;
} Case;

static void reset(Case *c)
{
    free(c->rows);
    const char *file = c->file;
    bool skip = c->skip;
    memset(c, 0, sizeof *c);
    c->file = file;
    c->skip = skip;
    c->now = c->observed_at = TL_TIME_NONE;
    c->db.created_at = TL_TIME_NONE;
}

static void fail_file(const Case *c, const char *what)
{
    fprintf(stderr, "%s:%d: %s\n", c->file, c->line, what);
    exit(2);
}

static TlTime T(const Case *c, const char *text)
{
    TlTime t;
    if (strcmp(text, "-") == 0)
        return TL_TIME_NONE;
    if (!tl_time_parse(text, true, &t))
        fail_file(c, "bad time in the case file");
    return t;
}

static bool has_word(char **w, int nw, const char *word)
{
    for (int i = 0; i < nw; i++)
        if (strcmp(w[i], word) == 0)
            return true;
    return false;
}

static TlOpState state_of(const Case *c, const char *text)
{
    TlOpState s;
    if (!history_state_parse(text, &s))
        fail_file(c, "bad state in the case file");
    return s;
}

static const char *dash(const char *text)
{
    return strcmp(text, "-") == 0 ? "" : text;
}

static void run_derive(Case *c)
{
    DeriveInput in = {
        .recorded = c->rec,
        .n_recorded = c->n_rec,
        .first_sight = c->n_rec == 0,
        .created_at = c->db.created_at,
        .observed_objective = c->observed[0] ? c->observed : NULL,
        .observed_at = c->observed[0] ? c->observed_at : TL_TIME_NONE,
        .db = &c->db,
        .ops = c->ops,
        .n_ops = c->n_ops,
        .ops_read = !c->ops_unread,
        .events = c->events,
        .n_events = c->n_events,
        .now = c->now,
    };
    history_sort(c->rec, c->n_rec);
    size_t max = c->n_ops + c->n_rec + DERIVE_EXTRA_ROWS;
    free(c->rows);
    c->rows = calloc(max, sizeof *c->rows);
    if (!c->rows)
        fail_file(c, "out of memory");
    c->rc = derive_transitions(&in, c->rows, max, &c->n_rows, &c->err);
    c->derived = true;
    c->next_row = 0;
}

static void expect_row(Case *c, char **w, int nw)
{
    /* row START END STATE FROM TO SOURCE [inferred] [by=WHO] */
    if (nw < 7)
        fail_file(c, "row needs START END STATE FROM TO SOURCE");
    EXPECT_AT(c->file, c->line, c->derived && c->rc == TL_OK, "[%s] derive failed: %s", c->name,
              c->derived ? c->err.msg : "not run");
    if (!c->derived || c->rc)
        return;
    size_t i = c->next_row++;
    EXPECT_AT(c->file, c->line, i < c->n_rows, "[%s] expected a row %zu, only %zu derived", c->name,
              i + 1, c->n_rows);
    if (i >= c->n_rows)
        return;
    const DeriveRow *r = &c->rows[i];
    const char *by = harness_opt(w, nw, "by");
    bool ok =
        r->t.started_at == T(c, w[1]) && r->t.ended_at == T(c, w[2]) &&
        r->t.state == state_of(c, w[3]) &&
        objective_equal(r->t.from_objective ? r->t.from_objective : "", dash(w[4])) &&
        objective_equal(r->t.to_objective, w[5]) &&
        strcmp(derive_source_str(r->source), w[6]) == 0 &&
        r->inferred == has_word(w, nw, "inferred") &&
        (!by || (strcmp(by, "-") == 0 ? r->t.initiated_by == NULL
                                      : r->t.initiated_by && strcmp(r->t.initiated_by, by) == 0));
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    EXPECT_AT(c->file, c->line, ok, "[%s] row %zu: got %s %s %s %s %s %s%s by=%s", c->name, i + 1,
              r->t.started_at == TL_TIME_NONE ? "-" : tl_time_format(r->t.started_at, a),
              r->t.ended_at == TL_TIME_NONE ? "-" : tl_time_format(r->t.ended_at, b),
              history_state_str(r->t.state),
              r->t.from_objective && r->t.from_objective[0] ? r->t.from_objective : "-",
              r->t.to_objective, derive_source_str(r->source), r->inferred ? " inferred" : "",
              r->t.initiated_by ? r->t.initiated_by : "-");
}

/* The inputs: the database, the instants, what is recorded and listed. */
static bool input_directive(Case *c, const char *d, char **w, int nw)
{
    if (strcmp(d, "db") == 0) {
        const char *created = harness_opt(w, nw, "created"), *cur = harness_opt(w, nw, "current");
        const char *req = harness_opt(w, nw, "requested");
        if (!created || !cur)
            fail_file(c, "db needs created= and current=");
        c->db.created_at = T(c, created);
        snprintf(c->db.id, sizeof c->db.id,
                 "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/"
                 "Microsoft.Sql/servers/srv/databases/db");
        snprintf(c->db.current_objective, sizeof c->db.current_objective, "%s", cur);
        snprintf(c->db.requested_objective, sizeof c->db.requested_objective, "%s", req ? req : "");
    } else if (strcmp(d, "now") == 0 && nw == 2) {
        c->now = T(c, w[1]);
    } else if (strcmp(d, "observed") == 0 && nw == 3) {
        snprintf(c->observed, sizeof c->observed, "%s", w[1]);
        c->observed_at = T(c, w[2]);
    } else if (strcmp(d, "rec") == 0 && nw >= 6 && c->n_rec < MAX_ITEMS) {
        TlTransition *t = &c->rec[c->n_rec];
        char(*text)[AZ_OBJ_MAX] = c->rec_text[c->n_rec];
        const char *by = harness_opt(w, nw, "by");
        snprintf(text[0], AZ_OBJ_MAX, "%s", dash(w[4]));
        snprintf(text[1], AZ_OBJ_MAX, "%s", w[5]);
        snprintf(text[2], AZ_OBJ_MAX, "%s", by ? by : "");
        *t = (TlTransition){T(c, w[1]), T(c, w[2]), state_of(c, w[3]),  text[0],
                            text[1],    NULL,       by ? text[2] : NULL};
        c->n_rec++;
    } else if (strcmp(d, "op") == 0 && nw >= 5 && c->n_ops < MAX_ITEMS) {
        AzOperation *op = &c->ops[c->n_ops];
        const char *eta = harness_opt(w, nw, "eta"), *name = harness_opt(w, nw, "name");
        memset(op, 0, sizeof *op);
        op->started_at = T(c, w[1]);
        op->state = state_of(c, w[2]);
        snprintf(op->from_objective, sizeof op->from_objective, "%s", dash(w[3]));
        snprintf(op->to_objective, sizeof op->to_objective, "%s", dash(w[4]));
        op->estimated_end = eta ? T(c, eta) : TL_TIME_NONE;
        snprintf(op->name, sizeof op->name, "%s", name ? name : "");
        snprintf(op->id, sizeof op->id, "operation-%zu", c->n_ops + 1);
        op->percent = -1;
        c->n_ops++;
    } else if (strcmp(d, "ops") == 0 && nw == 2 && strcmp(w[1], "unread") == 0) {
        c->ops_unread = true;
    } else if (strcmp(d, "event") == 0 && nw == 3 && c->n_events < MAX_ITEMS) {
        AzEvent *e = &c->events[c->n_events++];
        memset(e, 0, sizeof *e);
        e->at = T(c, w[1]);
        snprintf(e->caller, sizeof e->caller, "%s", w[2]);
        snprintf(e->resource_id, sizeof e->resource_id, "%s", c->db.id);
        snprintf(e->operation, sizeof e->operation, "Microsoft.Sql/servers/databases/write");
    } else {
        return false;
    }
    return true;
}

static void directive(Case *c, char **w, int nw)
{
    const char *d = w[0];
    if (strcmp(d, "case") == 0) {
        reset(c);
        snprintf(c->name, sizeof c->name, "%s", nw > 1 ? w[1] : "?");
    } else if (input_directive(c, d, w, nw)) {
        c->derived = false;
    } else if (strcmp(d, "derive") == 0) {
        run_derive(c);
    } else if (strcmp(d, "row") == 0) {
        expect_row(c, w, nw);
    } else if (strcmp(d, "rows") == 0 && nw == 2) {
        EXPECT_AT(c->file, c->line, c->derived && c->rc == TL_OK && c->n_rows == (size_t)atoi(w[1]),
                  "[%s] expected %s rows, got %zu (%s)", c->name, w[1], c->n_rows,
                  c->rc ? c->err.msg : "derived");
    } else if (strcmp(d, "error") == 0 && nw == 2) {
        harness_untilde(w[1]);
        EXPECT_AT(c->file, c->line,
                  c->derived && c->rc == TL_ERR_DATA && strstr(c->err.msg, w[1]) != NULL,
                  "[%s] expected derive to refuse with '%s', got rc=%d: %s", c->name, w[1], c->rc,
                  c->rc ? c->err.msg : "derived");
    } else {
        fprintf(stderr, "%s:%d: unknown or malformed directive '%s'\n", c->file, c->line, d);
        exit(2);
    }
}

static int run_file(const char *path, const char *only)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        return 2;
    }
    Case c;
    memset(&c, 0, sizeof c);
    c.file = path;
    reset(&c);
    char buf[1024];
    int line = 0, cases = 0;
    while (fgets(buf, sizeof buf, fp)) {
        line++;
        char *w[MAX_WORDS];
        int nw = 0;
        for (char *tok = strtok(buf, " \t\r\n"); tok && tok[0] != '#' && nw < MAX_WORDS;
             tok = strtok(NULL, " \t\r\n"))
            w[nw++] = tok;
        if (nw == 0)
            continue;
        c.line = line;
        if (strcmp(w[0], "case") == 0) {
            c.skip = only && (nw < 2 || !strstr(w[1], only));
            cases += !c.skip;
        }
        if (!c.skip)
            directive(&c, w, nw);
    }
    free(c.rows);
    fclose(fp);
    return cases;
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    int cases = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--case") == 0 && i + 1 < argc) {
            only = argv[++i];
            continue;
        }
        cases += run_file(argv[i], only);
    }
    EXPECT(cases > 0, "no case ran (no files, or --case matched none)");
    return harness_finish("collector/derive");
}
