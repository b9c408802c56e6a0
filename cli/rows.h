/* rows.h - one row of each import file checked, without I/O: the columns of
 * `import`, `import-facts` and `import-usage` and the checks of a single row
 * (FILE:LINE, TL_ERR_DATA). The commands add what needs the store (lineages
 * alive at a time); the fuzz targets in tests/fuzz reach the rest. */
#ifndef TIERLEDGER_CLI_ROWS_H
#define TIERLEDGER_CLI_ROWS_H

#include "cli/csvfile.h"
#include "model/merge.h"

/* ---- import: transitions ------------------------------------------------- */

extern const char *const rows_transition_required[]; /* NULL-terminated */
extern const char *const rows_transition_optional[];

typedef struct {
    int resource_id, operation_id, started_at, ended_at, state, from, to, initiated_by;
} RowsTransitionColumns;

void rows_transition_columns(const CsvTable *tab, RowsTransitionColumns *c);
/* Row into *e; e's strings borrow from row. */
TlResult rows_transition(const CsvTable *tab, const CsvRow *row, const RowsTransitionColumns *c,
                         MergeEntry *e, TlError *err);

/* ---- import-facts -------------------------------------------------------- */

enum { ROWS_FACT_COLUMNS = 13 };
extern const char *const rows_fact_required[];
extern const char *const rows_fact_optional[];
/* In this order: the values rows_fact takes. */
extern const char *const rows_fact_columns[ROWS_FACT_COLUMNS];

/* One row's values v (in the order of rows_fact_columns) checked; the time
 * and the flags ("true", "false" or NULL for unknown) parsed. */
TlResult rows_fact(const CsvTable *tab, const CsvRow *row, const char *const *v, TlTime *observed,
                   const char **pool_flag, const char **geo_flag, TlError *err);

/* ---- import-usage -------------------------------------------------------- */

enum {
    ROWS_USAGE_ID,
    ROWS_USAGE_DAY,
    ROWS_USAGE_FULL,
    ROWS_USAGE_DIFF,
    ROWS_USAGE_LOG,
    ROWS_USAGE_SNAP,
    ROWS_USAGE_ALLOC,
    ROWS_USAGE_MAX,
    ROWS_USAGE_RED,
    ROWS_USAGE_REGION,
    ROWS_USAGE_POOL,
    ROWS_USAGE_TAGS,
    ROWS_USAGE_COLUMNS
};
extern const char *const rows_usage_required[];
extern const char *const rows_usage_optional[];
extern const char *const rows_usage_columns[ROWS_USAGE_COLUMNS];

/* col[k]: the index of rows_usage_columns[k] in the file, or -1. */
TlResult rows_usage(const CsvTable *tab, const CsvRow *row, const int *col, TlError *err);

#endif
