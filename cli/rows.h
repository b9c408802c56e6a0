/* rows.h - one row of each import file checked, without I/O: the columns of
 * `import`, `import-facts` and `import-usage` and the checks of a single row
 * (FILE:LINE, TL_ERR_DATA). The commands add what needs the store (lineages
 * alive at a time); the fuzz targets in tests/fuzz reach the rest. */
#ifndef TIERLEDGER_CLI_ROWS_H
#define TIERLEDGER_CLI_ROWS_H

#include "cli/csvfile.h"
#include "model/merge.h"
#include "model/mi.h"

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

/* ---- import-costs: a Cost Management export -------------------------------- */

typedef enum {
    ROWS_COSTS_FOCUS = 0,
    ROWS_COSTS_MCA,
    ROWS_COSTS_EA,
    ROWS_COSTS_PAYG
} RowsCostsFormat;
const char *rows_costs_format_str(RowsCostsFormat f); /* "focus", "mca", "ea", "payg" */

typedef struct {
    RowsCostsFormat format;
    int resource, meter, quantity, cost, effective, currency, day, period;
} RowsCostColumns;

/* Which export the header is (the FOCUS export; actual or amortized cost
 * details: MCA camelCase, EA PascalCase, pay-as-you-go), and where its
 * columns are; TL_ERR_DATA naming the file and what is missing. */
TlResult rows_costs_columns(const CsvTable *tab, RowsCostColumns *c, TlError *err);

typedef struct {
    const char *resource_id, *meter, *currency; /* borrowed from the row */
    double quantity, cost, effective; /* quantity NAN when empty; effective = cost when absent */
    const char *quantity_text, *cost_text, *effective_text; /* the same as written (NULL: none) */
    TlTime day, period; /* the charge's day; the first day of its billing month */
} RowsCost;

/* One row: *keep false for a row that is not SQL Database backup storage
 * (another service or meter), else its values checked (FILE:LINE,
 * TL_ERR_DATA). */
TlResult rows_cost(const CsvTable *tab, const CsvRow *row, const RowsCostColumns *c, bool *keep,
                   RowsCost *out, TlError *err);

/* ---- import-mi ----------------------------------------------------------- */

enum {
    ROWS_MI_ID,
    ROWS_MI_EVENT,
    ROWS_MI_AT,
    ROWS_MI_STATE,
    ROWS_MI_OPERATION,
    ROWS_MI_INITIATED,
    ROWS_MI_ORIGIN,
    ROWS_MI_SOURCE_SERVER,
    ROWS_MI_SOURCE_DB,
    ROWS_MI_ERP,
    ROWS_MI_RETENTION,
    ROWS_MI_TIER,
    ROWS_MI_VCORES,
    ROWS_MI_STORAGE,
    ROWS_MI_REDUNDANCY,
    ROWS_MI_FORMAT,
    ROWS_MI_TDE,
    ROWS_MI_COMPAT,
    ROWS_MI_DETAIL,
    ROWS_MI_LTR_WEEKLY,
    ROWS_MI_LTR_MONTHLY,
    ROWS_MI_LTR_YEARLY,
    ROWS_MI_LTR_WEEK,
    ROWS_MI_DATA_BYTES,
    ROWS_MI_LOG_BYTES,
    ROWS_MI_COLUMNS
};
extern const char *const rows_mi_required[];
extern const char *const rows_mi_columns[ROWS_MI_COLUMNS + 1]; /* NULL-terminated */
extern const char *const *const rows_mi_optional;              /* its columns after `at` */

/* One row's values v (in the order of rows_mi_columns, "" when absent)
 * checked: the id names an MI database (or the instance, for instance
 * events), the event is known, the origin fits it, and the columns it needs
 * are there and well-formed. */
TlResult rows_mi(const CsvTable *tab, const CsvRow *row, const char *const *v, TlError *err);

#endif
