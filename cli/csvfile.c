/* csvfile.c - CSV reading on top of libcsv, row by row or whole (see
 * csvfile.h). The file is fed to libcsv line by line so that each row knows
 * the line it started on, which libcsv itself does not track; the rows a
 * line completes wait in a queue until they are asked for. */
#include "cli/csvfile.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TL_XSTR(x) #x
#define TL_STR(x)  TL_XSTR(x)

struct CsvReader {
    CsvTable *table; /* name and header; rows too when the whole file is read */
    FILE *fp;
    bool own_fp;
    struct csv_parser parser;
    char *buf; /* getline's */
    size_t cap;
    CsvRow cur; /* the row being parsed: line and count (its fields are in acc) */
    /* its fields so far, each NUL-terminated, one after the other, and where
     * each starts: on_row makes them one block (one allocation a row, not
     * one a field: they were a sixth of import-usage's client time) */
    char *acc;
    size_t acc_len, acc_cap;
    size_t offs[CSV_COLUMNS_MAX];
    int line; /* line being fed */
    bool have_header, in_header_zone, at_end, whole;
    /* rows completed by the last feed, handed out one by one */
    CsvRow *queue;
    size_t n_queue, cap_queue, next;
    bool handed; /* queue[next] was given out by csvfile_next */
    size_t rows_read;
    TlResult rc;
    char msg[256];
};

typedef struct CsvReader Reader;

/* A row's fields and their bytes are one block (row_seal). */
static void row_free(CsvRow *row)
{
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
        fail(r, TL_ERR_DATA, "field longer than " TL_STR(CSV_FIELD_MAX) " bytes");
        return;
    }
    if (r->cur.n >= CSV_COLUMNS_MAX) {
        fail(r, TL_ERR_DATA, "more than " TL_STR(CSV_COLUMNS_MAX) " fields");
        return;
    }
    if (len && memchr(data, '\0', len)) {
        fail(r, TL_ERR_DATA, "NUL byte in a field");
        return;
    }
    if (!utf8_valid((const unsigned char *)data, len)) {
        fail(r, TL_ERR_DATA, "a field is not valid UTF-8");
        return;
    }
    if (r->acc_len + len + 1 > r->acc_cap) {
        size_t cap = (r->acc_len + len + 1) * 2;
        char *grown = realloc(r->acc, cap);
        if (!grown) {
            fail(r, TL_ERR_NOMEM, "out of memory");
            return;
        }
        r->acc = grown;
        r->acc_cap = cap;
    }
    r->offs[r->cur.n++] = r->acc_len;
    if (len)
        memcpy(r->acc + r->acc_len, data, len);
    r->acc[r->acc_len + len] = '\0';
    r->acc_len += len + 1;
}

/* The fields parsed into r->acc as r->cur's block: its n pointers, then
 * their bytes; false when memory ran out. */
static bool row_seal(Reader *r)
{
    size_t n = r->cur.n;
    char **block = malloc(n * sizeof *block + r->acc_len + 1);
    if (!block)
        return false;
    char *bytes = (char *)(block + n);
    if (r->acc_len)
        memcpy(bytes, r->acc, r->acc_len);
    for (size_t i = 0; i < n; i++)
        block[i] = bytes + r->offs[i];
    r->cur.fields = block;
    r->acc_len = 0;
    return true;
}

/* Append row to rows[0..*n) (capacity *cap); false when memory ran out. */
static bool rows_push(CsvRow **rows, size_t *n, size_t *cap, const CsvRow *row)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        CsvRow *grown = realloc(*rows, grown_cap * sizeof *grown);
        if (!grown)
            return false;
        *rows = grown;
        *cap = grown_cap;
    }
    (*rows)[(*n)++] = *row;
    return true;
}

static void on_row(int terminator, void *ctx)
{
    Reader *r = ctx;
    (void)terminator;
    if (!r->rc && !row_seal(r))
        fail(r, TL_ERR_NOMEM, "out of memory");
    if (r->rc) {
        r->acc_len = 0;
        r->cur.n = 0;
        row_free(&r->cur);
        return;
    }
    if (r->cur.n == 0)
        r->cur.line = r->line;
    if (!r->have_header) {
        r->table->header = r->cur;
        r->have_header = true;
    } else if (r->whole && r->rows_read >= CSV_ROWS_MAX) {
        row_free(&r->cur);
        fail(r, TL_ERR_DATA, "more than " TL_STR(CSV_ROWS_MAX) " rows (in a file read whole)");
        return;
    } else if (!rows_push(&r->queue, &r->n_queue, &r->cap_queue, &r->cur)) {
        row_free(&r->cur);
        fail(r, TL_ERR_NOMEM, "out of memory");
        return;
    } else {
        r->rows_read++;
    }
    memset(&r->cur, 0, sizeof r->cur);
}

/* Feed lines until a row is complete (the whole file when reading it
 * whole), the file ends or an error. */
static void feed(Reader *r)
{
    ssize_t len;
    while (r->rc == TL_OK && !r->at_end && (r->whole || r->n_queue == 0)) {
        if ((len = getline(&r->buf, &r->cap, r->fp)) == -1) {
            r->at_end = true;
            if (ferror(r->fp))
                fail(r, TL_ERR_IO, "read error");
            else if (csv_fini(&r->parser, on_field, on_row, r) != 0)
                fail(r, TL_ERR_DATA, "unterminated quoted field at the end of the file");
            break;
        }
        r->line++;
        char *p = r->buf;
        if (r->line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            len -= 3;
        }
        if (r->in_header_zone && p[0] == '#')
            continue; /* a comment line before the header */
        r->in_header_zone = false;
        if (csv_parse(&r->parser, p, (size_t)len, on_field, on_row, r) != (size_t)len && !r->rc)
            fail(r, TL_ERR_DATA, csv_strerror(csv_error(&r->parser)));
    }
}

static void queue_clear(Reader *r)
{
    for (size_t i = r->next; i < r->n_queue; i++)
        row_free(&r->queue[i]);
    r->n_queue = r->next = 0;
}

void csvfile_close(CsvReader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_queue; i++)
        row_free(&r->queue[i]);
    free(r->queue);
    free(r->buf);
    free(r->acc);
    row_free(&r->cur);
    csv_free(&r->parser);
    if (r->own_fp && r->fp)
        fclose(r->fp);
    csvfile_free(r->table);
    free(r);
}

/* A reader of fp with its header read. */
static TlResult reader_start(FILE *fp, bool own_fp, const char *name, bool whole, Reader **out,
                             TlError *err)
{
    Reader *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r || !(r->table = calloc(1, sizeof *r->table)) ||
        csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        if (r)
            free(r->table);
        free(r);
        if (own_fp)
            fclose(fp);
        return tl_error_set(err, TL_ERR_NOMEM, "%s: out of memory", name);
    }
    r->fp = fp;
    r->own_fp = own_fp;
    r->table->name = name;
    r->in_header_zone = true;
    r->whole = whole;
    while (!r->rc && !r->at_end && !r->have_header)
        feed(r); /* the header; a first row may come with it */
    if (r->rc == TL_OK && !r->have_header)
        fail(r, TL_ERR_DATA, "empty file: a header row is required");
    if (r->rc) {
        TlResult rc = tl_error_set(err, r->rc, "%s:%d: %s", name, r->line, r->msg);
        csvfile_close(r);
        return rc;
    }
    *out = r;
    return TL_OK;
}

TlResult csvfile_next(CsvReader *r, const CsvRow **row, TlError *err)
{
    *row = NULL;
    if (r->handed) { /* the previous row is done with */
        row_free(&r->queue[r->next]);
        r->next++;
        r->handed = false;
    }
    if (r->next >= r->n_queue) {
        queue_clear(r);
        feed(r);
    }
    if (r->rc)
        return tl_error_set(err, r->rc, "%s:%d: %s", r->table->name, r->line, r->msg);
    if (r->next >= r->n_queue)
        return TL_OK; /* the end */
    const CsvRow *got = &r->queue[r->next];
    r->handed = true;
    r->table->n_rows = r->rows_read - (r->n_queue - r->next - 1);
    if (got->n != r->table->header.n)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %zu fields, the header has %zu",
                            r->table->name, got->line, got->n, r->table->header.n);
    *row = got;
    return TL_OK;
}

const CsvTable *csvfile_table(const CsvReader *r)
{
    return r->table;
}

TlResult csvfile_read(FILE *fp, const char *name, CsvTable **out, TlError *err)
{
    Reader *r;
    *out = NULL;
    TlResult rc = reader_start(fp, false, name, true, &r, err);
    if (rc)
        return rc;
    while (!r->rc && !r->at_end)
        feed(r); /* everything into the queue */
    if (r->rc) {
        rc = tl_error_set(err, r->rc, "%s:%d: %s", name, r->line, r->msg);
        csvfile_close(r);
        return rc;
    }
    r->table->rows = r->queue;
    r->table->n_rows = r->n_queue;
    r->queue = NULL;
    r->n_queue = r->cap_queue = 0;
    *out = r->table;
    r->table = NULL;
    csvfile_close(r);
    return TL_OK;
}

void csvfile_free(CsvTable *table)
{
    if (!table)
        return;
    row_free(&table->header);
    for (size_t i = 0; table->rows && i < table->n_rows; i++) /* streamed: no rows kept */
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

TlResult csvfile_open(const char *path, const char *const *required, const char *const *optional,
                      CsvReader **out, TlError *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "r");
    *out = NULL;
    if (!fp)
        return tl_error_set(err, TL_ERR_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    TlResult rc = reader_start(fp, !is_stdin, is_stdin ? "stdin" : path, false, out, err);
    if (!rc)
        rc = csvfile_check_header((*out)->table, required, optional, err);
    if (rc) {
        csvfile_close(*out);
        *out = NULL;
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
