/* csvfile.c - whole-file CSV reading on top of libcsv (see csvfile.h).
 * The file is fed to libcsv line by line so that each row knows the line it
 * started on, which libcsv itself does not track. */
#include "cli/csvfile.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    CsvTable *table;
    CsvRow cur;
    int line; /* line being fed */
    bool have_header;
    TlResult rc;
    char msg[256];
} Reader;

static void row_free(CsvRow *row)
{
    for (size_t i = 0; i < row->n; i++)
        free(row->fields[i]);
    free(row->fields);
    row->fields = NULL;
    row->n = 0;
}

static void fail(Reader *r, TlResult rc, const char *msg)
{
    if (r->rc == TL_OK) {
        r->rc = rc;
        snprintf(r->msg, sizeof r->msg, "%s", msg);
    }
}

/* Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0 || i + len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4))
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        if ((len == 3 && c == 0xE0 && s[i + 1] < 0xA0) ||
            (len == 3 && c == 0xED && s[i + 1] > 0x9F) ||
            (len == 4 && c == 0xF0 && s[i + 1] < 0x90) ||
            (len == 4 && c == 0xF4 && s[i + 1] > 0x8F))
            return false;
        i += len;
    }
    return true;
}

static void on_field(void *data, size_t len, void *ctx)
{
    Reader *r = ctx;
    if (r->rc)
        return;
    if (r->cur.n == 0)
        r->cur.line = r->line;
    if (len > CSV_FIELD_MAX) {
        fail(r, TL_ERR_DATA, "field longer than 4096 bytes");
        return;
    }
    if (r->cur.n >= CSV_COLUMNS_MAX) {
        fail(r, TL_ERR_DATA, "more than 64 fields");
        return;
    }
    char **grown = realloc(r->cur.fields, (r->cur.n + 1) * sizeof *grown);
    char *copy = malloc(len + 1);
    if (grown)
        r->cur.fields = grown;
    if (!grown || !copy) {
        free(copy);
        fail(r, TL_ERR_NOMEM, "out of memory");
        return;
    }
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    if (memchr(copy, '\0', len)) {
        free(copy);
        fail(r, TL_ERR_DATA, "NUL byte in a field");
        return;
    }
    if (!utf8_valid((const unsigned char *)copy, len)) {
        free(copy);
        fail(r, TL_ERR_DATA, "a field is not valid UTF-8");
        return;
    }
    r->cur.fields[r->cur.n++] = copy;
}

static void on_row(int terminator, void *ctx)
{
    Reader *r = ctx;
    (void)terminator;
    if (r->rc) {
        row_free(&r->cur);
        return;
    }
    if (r->cur.n == 0)
        r->cur.line = r->line;
    if (!r->have_header) {
        r->table->header = r->cur;
        r->have_header = true;
    } else {
        if (r->table->n_rows >= CSV_ROWS_MAX) {
            row_free(&r->cur);
            fail(r, TL_ERR_DATA, "more than 2000000 rows");
            return;
        }
        CsvRow *grown = r->table->rows;
        if ((r->table->n_rows & (r->table->n_rows - 1)) == 0) { /* grow at powers of two */
            size_t cap = r->table->n_rows ? r->table->n_rows * 2 : 16;
            grown = realloc(r->table->rows, cap * sizeof *grown);
            if (!grown) {
                row_free(&r->cur);
                fail(r, TL_ERR_NOMEM, "out of memory");
                return;
            }
            r->table->rows = grown;
        }
        r->table->rows[r->table->n_rows++] = r->cur;
    }
    memset(&r->cur, 0, sizeof r->cur);
}

TlResult csvfile_read(FILE *fp, const char *name, CsvTable **out, TlError *err)
{
    struct csv_parser parser;
    Reader r = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    *out = NULL;
    r.table = calloc(1, sizeof *r.table);
    if (!r.table || csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(r.table);
        return tl_error_set(err, TL_ERR_NOMEM, "%s: out of memory", name);
    }
    r.table->name = name;
    bool in_header_zone = true;
    while (r.rc == TL_OK && (len = getline(&line, &cap, fp)) != -1) {
        r.line++;
        char *p = line;
        if (r.line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            len -= 3;
        }
        if (in_header_zone && p[0] == '#')
            continue; /* a comment line before the header */
        in_header_zone = false;
        if (csv_parse(&parser, p, (size_t)len, on_field, on_row, &r) != (size_t)len && !r.rc) {
            fail(&r, TL_ERR_DATA, csv_strerror(csv_error(&parser)));
        }
    }
    if (ferror(fp))
        fail(&r, TL_ERR_IO, "read error");
    if (r.rc == TL_OK && csv_fini(&parser, on_field, on_row, &r) != 0)
        fail(&r, TL_ERR_DATA, "unterminated quoted field at the end of the file");
    free(line);
    csv_free(&parser);
    row_free(&r.cur);
    if (r.rc == TL_OK && !r.have_header)
        fail(&r, TL_ERR_DATA, "empty file: a header row is required");
    if (r.rc) {
        csvfile_free(r.table);
        return tl_error_set(err, r.rc, "%s:%d: %s", name, r.line, r.msg);
    }
    *out = r.table;
    return TL_OK;
}

void csvfile_free(CsvTable *table)
{
    if (!table)
        return;
    row_free(&table->header);
    for (size_t i = 0; i < table->n_rows; i++)
        row_free(&table->rows[i]);
    free(table->rows);
    free(table);
}

bool csvfile_time(const char *text, bool date_only, TlTime *out)
{
    /* 1970-01-01 to 9999-12-31: what PostgreSQL and every report read alike */
    return tl_time_parse(text, date_only, out) && *out >= 0 && *out < INT64_C(253402300800);
}

const char *csvfile_field(const CsvRow *row, int col)
{
    return col >= 0 && (size_t)col < row->n ? row->fields[col] : "";
}

const char *csvfile_nonempty(const char *s)
{
    return s && s[0] ? s : NULL;
}

bool csvfile_is_count(const char *text, long long max)
{
    if (!text[0] || strlen(text) > 19)
        return false;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return strtoll(text, NULL, 10) <= max;
}

int csvfile_column(const CsvTable *table, const char *name)
{
    for (size_t i = 0; i < table->header.n; i++)
        if (strcmp(table->header.fields[i], name) == 0)
            return (int)i;
    return -1;
}

static bool listed(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

TlResult csvfile_check_header(const CsvTable *table, const char *const *required,
                              const char *const *optional, TlError *err)
{
    const CsvRow *h = &table->header;
    for (size_t i = 0; i < h->n; i++) {
        bool any = optional && optional[0] && strcmp(optional[0], "*") == 0;
        if (!any && !listed(required, h->fields[i]) && !listed(optional, h->fields[i]))
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: unknown column '%s' in the header",
                                table->name, h->line, h->fields[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(h->fields[i], h->fields[j]) == 0)
                return tl_error_set(err, TL_ERR_DATA, "%s:%d: column '%s' appears twice",
                                    table->name, h->line, h->fields[i]);
    }
    for (; *required; required++)
        if (csvfile_column(table, *required) < 0)
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: the header has no column '%s'",
                                table->name, h->line, *required);
    return TL_OK;
}

TlResult csvfile_check(const CsvTable *table, const char *const *required,
                       const char *const *optional, TlError *err)
{
    TlResult rc = csvfile_check_header(table, required, optional, err);
    for (size_t i = 0; !rc && i < table->n_rows; i++) {
        const CsvRow *row = &table->rows[i];
        if (row->n != table->header.n)
            rc = tl_error_set(err, TL_ERR_DATA, "%s:%d: %zu fields, the header has %zu",
                              table->name, row->line, row->n, table->header.n);
    }
    return rc;
}

TlResult csvfile_load(const char *path, const char *const *required, const char *const *optional,
                      CsvTable **out, TlError *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "r");
    *out = NULL;
    if (!fp)
        return tl_error_set(err, TL_ERR_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    TlResult rc = csvfile_read(fp, is_stdin ? "stdin" : path, out, err);
    if (!is_stdin)
        fclose(fp);
    if (!rc)
        rc = csvfile_check(*out, required, optional, err);
    if (rc) {
        csvfile_free(*out);
        *out = NULL;
    }
    return rc;
}
