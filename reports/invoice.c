/* invoice.c - see invoice.h. */
#include "reports/invoice.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/arm_id.h"
#include "reports/report.h"

static int cmp_key(const char *id_a, const char *meter_a, const char *id_b, const char *meter_b)
{
    int c = strcasecmp(id_a, id_b);
    return c ? c : strcasecmp(meter_a, meter_b);
}

static int cmp_rows(const void *pa, const void *pb)
{
    const ChargeRow *a = *(const ChargeRow *const *)pa, *b = *(const ChargeRow *const *)pb;
    int c = cmp_key(a->resource_id, a->meter, b->resource_id, b->meter);
    return c ? c : (a->segment > b->segment) - (a->segment < b->segment);
}

static int cmp_lines(const void *pa, const void *pb)
{
    const TlInvoiceLine *a = *(const TlInvoiceLine *const *)pa;
    const TlInvoiceLine *b = *(const TlInvoiceLine *const *)pb;
    int c = cmp_key(a->resource_id, a->meter, b->resource_id, b->meter);
    return c ? c : strcmp(a->currency, b->currency);
}

static int cmp_row_id(const void *key, const void *p)
{
    return strcasecmp(key, (*(const ChargeRow *const *)p)->resource_id);
}

static int cmp_line_id(const void *key, const void *p)
{
    return strcasecmp(key, (*(const TlInvoiceLine *const *)p)->resource_id);
}

TlResult report_invoice_match(ChargeRow *rows, size_t n, const TlInvoiceLine *lines, size_t n_lines,
                              InvoiceMatchFn fn, void *ctx, TlError *err)
{
    ChargeRow **idx = malloc((n ? n : 1) * sizeof *idx);
    const TlInvoiceLine **li = malloc((n_lines ? n_lines : 1) * sizeof *li);
    TlResult rc = idx && li ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        idx[i] = &rows[i];
    for (size_t j = 0; !rc && j < n_lines; j++)
        li[j] = &lines[j];
    if (!rc) {
        qsort(idx, n, sizeof *idx, cmp_rows);
        qsort(li, n_lines, sizeof *li, cmp_lines);
    }
    size_t i = 0, j = 0;
    while (!rc && (i < n || j < n_lines)) {
        int c = i == n ? 1
                : j == n_lines
                    ? -1
                    : cmp_key(idx[i]->resource_id, idx[i]->meter, li[j]->resource_id, li[j]->meter);
        InvoiceMatch m = {0};
        if (c <= 0) {
            m.rows = &idx[i];
            while (i + m.n_rows < n &&
                   cmp_key(idx[i]->resource_id, idx[i]->meter, idx[i + m.n_rows]->resource_id,
                           idx[i + m.n_rows]->meter) == 0)
                m.n_rows++;
            i += m.n_rows;
        }
        if (c >= 0)
            m.line = li[j++];
        if (!m.line) {
            const TlInvoiceLine *const *other =
                bsearch(m.rows[0]->resource_id, li, n_lines, sizeof *li, cmp_line_id);
            m.other_meter = other ? (*other)->meter : NULL;
        } else if (!m.n_rows) {
            ChargeRow *const *other = bsearch(m.line->resource_id, idx, n, sizeof *idx, cmp_row_id);
            m.other_meter = other ? (*other)->meter : NULL;
        }
        rc = fn(ctx, &m, err);
        /* another currency of the same database and meter stands alone */
        while (!rc && m.n_rows && m.line && j < n_lines &&
               cmp_key(m.line->resource_id, m.line->meter, li[j]->resource_id, li[j]->meter) == 0)
            rc = fn(ctx, &(InvoiceMatch){.line = li[j++]}, err);
    }
    free(idx);
    free(li);
    return rc;
}

/* ---- walking a spool of rows beside the invoice ------------------------------ */

/* The rows of one database (one resource id, case-insensitively), copied
 * out of the spool. */
typedef struct {
    unsigned char *buf;
    size_t len, cap;
    size_t *at; /* each payload's offset and length in buf */
    size_t n, cap_at;
    ChargeRow *rows;
    size_t cap_rows;
    char *id; /* the lowercased resource id */
    size_t cap_id;
} Group;

static void group_free(Group *g)
{
    free(g->buf);
    free(g->at);
    free(g->rows);
    free(g->id);
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *grown = realloc(*p, c * size);
    if (!grown)
        return false;
    *p = grown;
    *cap = c;
    return true;
}

static TlResult group_add(Group *g, const void *payload, size_t len, TlError *err)
{
    if (!grow((void **)&g->buf, &g->cap, g->len + len, 1) ||
        !grow((void **)&g->at, &g->cap_at, 2 * (g->n + 1), sizeof *g->at))
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    memcpy(g->buf + g->len, payload, len);
    g->at[2 * g->n] = g->len;
    g->at[2 * g->n + 1] = len;
    g->len += len;
    g->n++;
    return TL_OK;
}

static TlResult group_rows(Group *g, TlError *err)
{
    if (!grow((void **)&g->rows, &g->cap_rows, g->n ? g->n : 1, sizeof *g->rows))
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < g->n; i++)
        if (!report_charge_unpack(g->buf + g->at[2 * i], g->at[2 * i + 1], &g->rows[i]))
            return tl_error_set(err, TL_ERR_INTERNAL,
                                "a sorted chargeback row came back malformed");
    return TL_OK;
}

static int cmp_line_values(const void *pa, const void *pb)
{
    return cmp_lines(&pa, &pb);
}

TlResult report_invoice_walk(Spool *rows, TlInvoiceLine *lines, size_t n_lines, InvoiceMatchFn fn,
                             void *ctx, TlError *err)
{
    if (n_lines > 1)
        qsort(lines, n_lines, sizeof *lines, cmp_line_values);
    Group g = {0};
    const void *key = NULL, *payload = NULL;
    size_t key_len, len, j = 0;
    TlResult rc = spool_next(rows, &key, &key_len, &payload, &len, err);
    while (!rc && (payload || j < n_lines)) {
        size_t k = 0;
        if (!payload || (j < n_lines && strcasecmp(lines[j].resource_id, key) < 0)) {
            /* a database only the invoice has */
            while (j + k < n_lines &&
                   strcasecmp(lines[j].resource_id, lines[j + k].resource_id) == 0)
                k++;
            rc = report_invoice_match(NULL, 0, &lines[j], k, fn, ctx, err);
            j += k;
            continue;
        }
        size_t id_len = strlen(key) + 1; /* the key starts with the lowercased id */
        if (!grow((void **)&g.id, &g.cap_id, id_len, 1)) {
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(g.id, key, id_len);
        g.len = g.n = 0;
        while (!rc && payload && strcmp(key, g.id) == 0) {
            rc = group_add(&g, payload, len, err);
            if (!rc)
                rc = spool_next(rows, &key, &key_len, &payload, &len, err);
        }
        while (!rc && j + k < n_lines && strcasecmp(lines[j + k].resource_id, g.id) == 0)
            k++;
        if (!rc)
            rc = group_rows(&g, err);
        if (!rc)
            rc = report_invoice_match(g.rows, g.n, &lines[j], k, fn, ctx, err);
        j += k;
    }
    group_free(&g);
    return rc;
}

/* ---- the billed chargeback ------------------------------------------------ */

typedef struct {
    InvoiceBilled *out;
    ChargeRowFn emit; /* where the billed rows go */
    void *emit_ctx;
    TlTime start, end;
} Billing;

static void append(char *buf, size_t size, const char *text)
{
    size_t len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, "%s", text);
}

static TlResult line_only_row(const Billing *b, const TlInvoiceLine *l, TlError *err);

static TlResult emit_rows(const Billing *b, const InvoiceMatch *m, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t k = 0; k < m->n_rows && !rc; k++)
        rc = b->emit(b->emit_ctx, m->rows[k], err);
    return rc;
}

static TlResult bill_match(void *ctx, const InvoiceMatch *m, TlError *err)
{
    Billing *b = ctx;
    if (!m->n_rows) {
        b->out->invoice_only++;
        b->out->billed += m->line->billed;
        return line_only_row(b, m->line, err);
    }
    if (!m->line) {
        for (size_t k = 0; k < m->n_rows; k++) {
            ChargeRow *r = m->rows[k];
            char note[96], cost[TL_MONEY_TEXT_MAX];
            snprintf(note, sizeof note, "; not invoiced (estimate %s %s)",
                     money_format(r->effective, cost), r->currency);
            append(r->description, sizeof r->description, note);
            b->out->not_invoiced_zero += r->effective == 0;
            r->billed = r->effective = 0;
            r->quantity = r->list_cost = 0;
            r->cost_source = "not-invoiced";
            b->out->not_invoiced++;
        }
        return emit_rows(b, m, err);
    }
    double *w = malloc(m->n_rows * sizeof *w);
    TlMoney *billed = malloc(m->n_rows * sizeof *billed);
    TlMoney *effective = malloc(m->n_rows * sizeof *effective);
    TlResult rc =
        w && billed && effective ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    double total = 0;
    for (size_t k = 0; !rc && k < m->n_rows; k++)
        total += w[k] = m->rows[k]->quantity > 0 ? m->rows[k]->quantity : 0;
    if (!rc) {
        money_allocate(m->line->billed, w, m->n_rows, 6, billed);
        money_allocate(m->line->effective, w, m->n_rows, 6, effective);
    }
    for (size_t k = 0; !rc && k < m->n_rows; k++) {
        ChargeRow *r = m->rows[k];
        double share = total > 0 ? w[k] / total : 1.0 / (double)m->n_rows;
        if (!isnan(m->line->quantity))
            r->quantity = m->line->quantity * share;
        r->list_cost = r->quantity * r->unit_price;
        r->effective_cost = money_to_double(effective[k]);
        r->billed = billed[k];
        r->effective = effective[k];
        r->currency = m->line->currency;
        r->cost_source = "billed";
        append(r->description, sizeof r->description,
               m->n_rows > 1 ? "; billed cost shared out in the estimate's proportions"
                             : "; billed cost from the invoice");
    }
    b->out->matched++;
    b->out->billed += m->line->billed;
    free(w);
    free(billed);
    free(effective);
    return rc ? rc : emit_rows(b, m, err);
}

/* A row of its own for an invoice line the estimate has no row for. */
static TlResult line_only_row(const Billing *b, const TlInvoiceLine *l, TlError *err)
{
    ArmDatabaseId id;
    bool parsed = arm_database_id_parse(l->resource_id, &id);
    ChargeRow row = {.billing_start = b->start,
                     .billing_end = b->end,
                     .charge_start = l->first_day,
                     .charge_end = l->last_day + TL_SECONDS_PER_DAY,
                     .currency = l->currency,
                     .quantity = isnan(l->quantity) ? 0 : l->quantity,
                     .effective_cost = money_to_double(l->effective),
                     .resource_id = l->resource_id,
                     .resource_name = report_database_name(l->resource_id),
                     .subscription = parsed ? id.subscription : NULL,
                     .resource_group = parsed ? id.resource_group : NULL,
                     .meter = l->meter,
                     .billed = l->billed,
                     .effective = l->effective,
                     .cost_source = "invoice-only",
                     .price_from = TL_TIME_NONE,
                     .first_missing_day = TL_TIME_NONE};
    /* nothing but the invoice prices it: list and contracted cost as billed */
    row.consumed = row.quantity;
    row.list_cost = row.effective_cost;
    row.unit_price = row.quantity > 0 ? row.effective_cost / row.quantity : 0;
    snprintf(row.description, sizeof row.description,
             "%s (invoice only; list and contracted cost as billed)",
             l->recorded ? "Backup storage Azure billed under a meter the estimate does not "
                           "bill for this database"
                         : "Backup storage Azure billed for a database tierledger has not "
                           "recorded");
    return b->emit(b->emit_ctx, &row, err);
}

TlResult report_charges_bill(Spool *estimate, TlInvoiceLine *lines, size_t n_lines, TlTime start,
                             TlTime end, ChargeRowFn emit, void *ctx, InvoiceBilled *out,
                             TlError *err)
{
    *out = (InvoiceBilled){0};
    Billing b = {.out = out, .emit = emit, .emit_ctx = ctx, .start = start, .end = end};
    return report_invoice_walk(estimate, lines, n_lines, bill_match, &b, err);
}
