/* fuzz_import.c - the three import files up to the store: CSV reading
 * (cli/csvfile.h), the header and row checks of import, import-facts and
 * import-usage (cli/rows.h) and, for a transitions file, the merge and
 * validation of its lineages (model/merge.h) and their evaluation
 * (model/lineage.h) at four instants. Seeds: the CSV files of tests/data.
 * A rejected file must say why in one line naming FILE:LINE or the file. */
#include "cli/rows.h"
#include "model/history.h"
#include "model/lineage.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz.csv"

static void failed(const TlError *err)
{
    FUZZ_ONE_LINE(err);
    FUZZ_ASSERT(strncmp(err->msg, NAME, strlen(NAME)) == 0);
}

/* Every lineage of a merged file: validated, then evaluated. */
static void evaluate(const MergeSet *all)
{
    TlTransition *tr = malloc((all->n ? all->n : 1) * sizeof *tr);
    FUZZ_ASSERT(tr);
    for (size_t c = 0; c < all->n; c++) {
        if (!all->v[c].insert || !history_is_creation(&all->v[c].t) || all->v[c].creation != c)
            continue;
        size_t n = 0;
        TlTime last = all->v[c].t.started_at;
        for (size_t i = 0; i < all->n; i++)
            if (all->v[i].insert && !all->v[i].superseded && all->v[i].creation == c) {
                tr[n++] = all->v[i].t;
                if (all->v[i].t.started_at > last)
                    last = all->v[i].t.started_at;
            }
        history_sort(tr, n);
        size_t bad;
        TlError err;
        FUZZ_ASSERT(history_validate(tr, n, &bad, &err) == TL_OK); /* merge validated it */
        const TlTime at[] = {tr[0].started_at, tr[0].started_at + (last - tr[0].started_at) / 2,
                             last, last + 40 * TL_SECONDS_PER_DAY};
        for (int k = 0; k < 4; k++) {
            TlLineage lin = {0};
            if (lineage_evaluate(tr, n, at[k], 7, (TlReading)(k % 2), &lin, &err) == TL_OK) {
                FUZZ_ASSERT(lin.n_segments >= 1);
                for (size_t s = 0; s < lin.n_segments; s++) {
                    const TlSegment *g = &lin.segments[s];
                    FUZZ_ASSERT(g->seq == (int)s + 1);
                    FUZZ_ASSERT(s == 0 || g->start >= lin.segments[s - 1].start);
                    FUZZ_ASSERT(g->restore_from == TL_TIME_NONE || g->restore_to == TL_TIME_NONE ||
                                g->restore_from <= g->restore_to);
                }
            } else {
                FUZZ_ONE_LINE(&err);
            }
            lineage_cleanup(&lin);
        }
    }
    free(tr);
}

static void transitions(const CsvTable *tab)
{
    TlError err;
    if (csvfile_check(tab, rows_transition_required, rows_transition_optional, &err)) {
        failed(&err);
        return;
    }
    RowsTransitionColumns c;
    rows_transition_columns(tab, &c);
    MergeSet file = {0}, none = {0}, all = {0};
    TlResult rc = TL_OK;
    for (size_t i = 0; i < tab->n_rows && !rc; i++) {
        MergeEntry e;
        rc = rows_transition(tab, &tab->rows[i], &c, &e, &err);
        if (!rc)
            rc = merge_push(&file, &e, &err);
    }
    size_t already = 0;
    if (!rc) {
        merge_sort(&file);
        rc = merge_resources(&file, &none, &all, NAME, &already, &err);
    }
    if (rc)
        failed(&err);
    else
        evaluate(&all);
    merge_cleanup(&file);
    merge_cleanup(&all);
}

static void facts(const CsvTable *tab)
{
    TlError err;
    if (csvfile_check(tab, rows_fact_required, rows_fact_optional, &err)) {
        failed(&err);
        return;
    }
    int col[ROWS_FACT_COLUMNS];
    for (int k = 0; k < ROWS_FACT_COLUMNS; k++)
        col[k] = csvfile_column(tab, rows_fact_columns[k]);
    for (size_t i = 0; i < tab->n_rows; i++) {
        const char *v[ROWS_FACT_COLUMNS];
        for (int k = 0; k < ROWS_FACT_COLUMNS; k++)
            v[k] = csvfile_field(&tab->rows[i], col[k]);
        TlTime observed;
        const char *pool, *geo;
        if (rows_fact(tab, &tab->rows[i], v, &observed, &pool, &geo, &err)) {
            failed(&err);
            break;
        }
    }
}

static void usage(const CsvTable *tab)
{
    TlError err;
    if (csvfile_check(tab, rows_usage_required, rows_usage_optional, &err)) {
        failed(&err);
        return;
    }
    int col[ROWS_USAGE_COLUMNS];
    for (int k = 0; k < ROWS_USAGE_COLUMNS; k++)
        col[k] = csvfile_column(tab, rows_usage_columns[k]);
    for (size_t i = 0; i < tab->n_rows; i++)
        if (rows_usage(tab, &tab->rows[i], col, &err)) {
            failed(&err);
            break;
        }
}

/* import-costs: a kept row's numbers are finite and its period a month's first day */
static void costs(const CsvTable *tab)
{
    TlError err;
    RowsCostColumns c;
    if (csvfile_check(tab, (const char *const[]){NULL}, CSVFILE_ANY_COLUMN, &err) ||
        rows_costs_columns(tab, &c, &err)) {
        failed(&err);
        return;
    }
    for (size_t i = 0; i < tab->n_rows; i++) {
        bool keep;
        RowsCost v;
        if (rows_cost(tab, &tab->rows[i], &c, &keep, &v, &err)) {
            failed(&err);
            break;
        }
        if (keep) {
            int64_t y;
            unsigned m, d;
            tl_civil_from_days(v.period / TL_SECONDS_PER_DAY, &y, &m, &d);
            FUZZ_ASSERT(d == 1 && v.period % TL_SECONDS_PER_DAY == 0 && v.cost_text &&
                        v.effective_text && v.cost == v.cost);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *fp = fmemopen((void *)(uintptr_t)data, size ? size : 1, "rb");
    FUZZ_ASSERT(fp);
    if (size == 0)
        fgetc(fp); /* fmemopen refuses 0 bytes: an empty file */
    CsvTable *tab = NULL;
    TlError err;
    if (csvfile_read(fp, NAME, &tab, &err) == TL_OK) {
        for (size_t i = 1; i < tab->n_rows; i++) /* a bare CR ends a row, not a line */
            FUZZ_ASSERT(tab->rows[i].line >= tab->rows[i - 1].line);
        transitions(tab);
        facts(tab);
        usage(tab);
        costs(tab);
    } else {
        failed(&err);
    }
    csvfile_free(tab);
    fclose(fp);
    return 0;
}
