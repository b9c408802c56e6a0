/* csvfile.h - reading a CSV file with a header row (libcsv, strict RFC 4180
 * quoting), row by row in bounded memory (csvfile_open, csvfile_next) or
 * whole (csvfile_load, for small files: price sheets, facts, invoices),
 * keeping the line each row starts on for FILE:LINE errors. Sizes are
 * bounded: a field over CSV_FIELD_MAX bytes, a row over CSV_COLUMNS_MAX
 * fields, or a file read whole over CSV_ROWS_MAX rows is an error. */
#ifndef TIERLEDGER_CLI_CSVFILE_H
#define TIERLEDGER_CLI_CSVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model/result.h"
#include "model/tltime.h"

#define CSV_FIELD_MAX   4096
#define CSV_COLUMNS_MAX 256 /* a Cost Management export has about 70 */
#define CSV_ROWS_MAX    2000000

typedef struct {
    int line;      /* 1-based line the row starts on */
    char **fields; /* n fields, each NUL-terminated */
    size_t n;
} CsvRow;

typedef struct {
    const char *name; /* for messages: the path as given, or "stdin" */
    CsvRow header;
    CsvRow *rows;
    size_t n_rows;
} CsvTable;

/* Row by row: open path ("-" is stdin; a missing file is TL_ERR_NOINPUT),
 * read its header and check it (csvfile_check_header). csvfile_next gives
 * each row in turn, checked to have as many fields as the header, valid
 * until the next call; *row is NULL at the end. csvfile_table gives the name
 * and header (n_rows: the rows read so far). Release with csvfile_close
 * (also after a failure). */
typedef struct CsvReader CsvReader;
TlResult csvfile_open(const char *path, const char *const *required, const char *const *optional,
                      CsvReader **out, TlError *err);
TlResult csvfile_next(CsvReader *r, const CsvRow **row, TlError *err);
const CsvTable *csvfile_table(const CsvReader *r);
void csvfile_close(CsvReader *r);

/* Read all of fp. Comment lines starting with '#' before the header are
 * skipped, as is a UTF-8 byte order mark. On success *out is the caller's,
 * to release with csvfile_free. */
TlResult csvfile_read(FILE *fp, const char *name, CsvTable **out, TlError *err);
void csvfile_free(CsvTable *table);

/* As `optional`: any column may be there (a Cost Management export). */
#define CSVFILE_ANY_COLUMN ((const char *const[]){"*", NULL})

/* Check a table read by csvfile_read: its header (see csvfile_check_header)
 * and that every row has as many fields as the header (FILE:LINE,
 * TL_ERR_DATA). */
TlResult csvfile_check(const CsvTable *table, const char *const *required,
                       const char *const *optional, TlError *err);

/* Open path ("-" is stdin; a missing file is TL_ERR_NOINPUT), read it whole
 * and csvfile_check it. */
TlResult csvfile_load(const char *path, const char *const *required, const char *const *optional,
                      CsvTable **out, TlError *err);

/* Field col of row ("" when col < 0 or the row is short). */
const char *csvfile_field(const CsvRow *row, int col);
/* s, or NULL when it is NULL or empty. */
const char *csvfile_nonempty(const char *s);

/* An RFC 3339 time (date_only: also YYYY-MM-DD) from 1970 to 9999. */
bool csvfile_time(const char *text, bool date_only, TlTime *out);

/* A whole non-negative decimal number (digits only) of at most max. */
bool csvfile_is_count(const char *text, long long max);

/* Index of column `name` in the header, or -1. */
int csvfile_column(const CsvTable *table, const char *name);

/* Check the header: every `required` column present, every column either
 * required or in `optional`, none twice. Lists are NULL-terminated. */
TlResult csvfile_check_header(const CsvTable *table, const char *const *required,
                              const char *const *optional, TlError *err);

#endif
