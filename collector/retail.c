/* retail.c - see retail.h. One list per region, read page by page through
 * the collector's request engine (retries, Retry-After on 429, deadlines);
 * the first failure stops the fetch, and nothing is kept then. */
#include "collector/retail.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/list.h"

static const char *const kinds[] = {"pitr", "ltr", "hyperscale_backup"};
static const char *const redundancies[] = {"LRS", "ZRS", "RA-GRS", "RA-GZRS"};

typedef struct {
    const char *base;
    RetailPrices *out;
    TlResult rc; /* the first failure, in err */
    TlError err;
} Fetch;

static void fail(Fetch *f, TlResult rc, const TlError *why)
{
    if (!f->rc) {
        f->rc = rc;
        f->err = *why;
    }
}

/* The redundancy a SKU or meter name gives ("Backup RA-GRS", "Data Stored -
 * Backup - RA"), or NULL. */
static const char *redundancy_of(const char *name)
{
    if (!name)
        return NULL;
    if (strstr(name, "RA-GZRS") || strstr(name, "GZRS"))
        return "RA-GZRS";
    if (strstr(name, "RA-GRS") || strstr(name, "GRS"))
        return "RA-GRS";
    if (strstr(name, "ZRS"))
        return "ZRS";
    if (strstr(name, "LRS"))
        return "LRS";
    size_t len = strlen(name);
    return len >= 5 && strcmp(name + len - 5, " - RA") == 0 ? "RA-GRS" : NULL;
}

static const char *text(const cJSON *item, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The kind of an item, or NULL when it is not one tierledger prices. */
static const char *kind_of(const cJSON *item)
{
    const char *product = text(item, "productName"), *meter = text(item, "meterName");
    const char *unit = text(item, "unitOfMeasure"), *type = text(item, "type");
    const cJSON *tier = cJSON_GetObjectItemCaseSensitive(item, "tierMinimumUnits");
    if (!product || !unit || strcmp(unit, "1 GB/Month") != 0 ||
        (type && strcmp(type, "Consumption")) || (cJSON_IsNumber(tier) && tier->valuedouble > 0))
        return NULL;
    if (strstr(product, "PITR Backup Storage"))
        return "pitr";
    if (strstr(product, "LTR Backup Storage"))
        return "ltr";
    if (strstr(product, "Hyperscale") && meter && strstr(meter, "Backup"))
        return "hyperscale_backup";
    return NULL;
}

static TlResult take(Fetch *f, const cJSON *item, const char *path, TlError *err)
{
    if (!cJSON_IsObject(item))
        return tl_error_set(err, TL_ERR_PROTOCOL, "%s is not an object", path);
    const char *kind = kind_of(item);
    const char *red = redundancy_of(text(item, "skuName"));
    if (!red)
        red = redundancy_of(text(item, "meterName"));
    if (!kind || !red)
        return TL_OK;
    const char *region = text(item, "armRegionName"), *currency = text(item, "currencyCode");
    const char *start = text(item, "effectiveStartDate");
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(item, "retailPrice");
    if (!region || !currency || strlen(currency) != 3 || !start || strlen(start) < 10 ||
        !cJSON_IsNumber(price) || price->valuedouble < 0)
        return tl_error_set(err, TL_ERR_PROTOCOL,
                            "%s: armRegionName, currencyCode, effectiveStartDate or retailPrice "
                            "is missing or malformed",
                            path);
    RetailPrices *o = f->out;
    RetailPrice *p = NULL;
    for (size_t i = 0; i < o->n && !p; i++)
        if (strcasecmp(o->rows[i].region, region) == 0 && strcmp(o->rows[i].kind, kind) == 0 &&
            strcmp(o->rows[i].redundancy, red) == 0)
            p = &o->rows[i];
    if (p && strncmp(start, p->effective_from, 10) <= 0)
        return TL_OK; /* the one in force from the latest start wins */
    if (!p) {
        TlResult rc = collect_grow((void **)&o->rows, &o->cap, o->n, sizeof *o->rows, err);
        if (rc)
            return rc;
        p = &o->rows[o->n++];
    }
    memset(p, 0, sizeof *p);
    snprintf(p->region, sizeof p->region, "%s", region);
    snprintf(p->kind, sizeof p->kind, "%s", kind);
    snprintf(p->redundancy, sizeof p->redundancy, "%s", red);
    snprintf(p->currency, sizeof p->currency, "%s", currency);
    snprintf(p->effective_from, sizeof p->effective_from, "%.10s", start);
    p->unit_price = price->valuedouble;
    snprintf(p->meter, sizeof p->meter, "%s",
             text(item, "meterName") ? text(item, "meterName") : "");
    snprintf(p->sku_id, sizeof p->sku_id, "%s", text(item, "skuId") ? text(item, "skuId") : "");
    snprintf(p->sku_price_id, sizeof p->sku_price_id, "%s",
             text(item, "meterId") ? text(item, "meterId") : "");
    return TL_OK;
}

static TlResult page(Fetch *f, HttpClient *h, HttpRequest *r, TlError *err)
{
    cJSON *root = cJSON_ParseWithLength(r->resp ? r->resp : "", r->resp_len);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "Items");
    TlResult rc = cJSON_IsArray(items) ? TL_OK
                                       : tl_error_set(err, TL_ERR_PROTOCOL,
                                                      root ? "$.Items is missing or not an array"
                                                           : "the answer is not JSON");
    int i = 0;
    for (const cJSON *item = rc ? NULL : items->child; item && !rc; item = item->next, i++) {
        char path[48];
        snprintf(path, sizeof path, "$.Items[%d]", i);
        rc = take(f, item, path, err);
        f->out->items++;
    }
    const char *next = rc ? NULL : text(root, "NextPageLink");
    if (next && next[0]) {
        if (!list_same_origin(f->base, next))
            rc = tl_error_set(err, TL_ERR_PROTOCOL, "$.NextPageLink: %s is not on %s", next,
                              f->base);
        else if (http_chain_has(r, next, NULL) || r->page + 1 >= LIST_MAX_PAGES)
            rc = tl_error_set(err, TL_ERR_PROTOCOL, "$.NextPageLink: %s loops: stopped", next);
        else
            rc = http_add_next(h, r, next, NULL, err);
    }
    f->out->pages++;
    cJSON_Delete(root);
    return rc;
}

static void done(HttpClient *h, HttpRequest *r)
{
    Fetch *f = r->user;
    TlError why;
    if (f->rc)
        return;
    if (r->rc || r->status != 200) {
        if (r->rc) /* the engine's message names the URL */
            tl_error_set(&why, TL_ERR_UNAVAILABLE, "%s", r->error);
        else
            tl_error_set(&why, TL_ERR_UNAVAILABLE, "%s answered %ld", r->url, r->status);
        fail(f, TL_ERR_UNAVAILABLE, &why);
        return;
    }
    TlResult rc = page(f, h, r, &why);
    if (rc) {
        tl_error_prefix(&why, "%s", r->url);
        fail(f, rc, &why);
    }
}

static int cmp_price(const void *pa, const void *pb)
{
    const RetailPrice *a = pa, *b = pb;
    int c = strcasecmp(a->region, b->region);
    if (!c)
        c = strcmp(a->kind, b->kind);
    return c ? c : strcmp(a->redundancy, b->redundancy);
}

/* Every expected region, kind and redundancy the API did not give. */
static TlResult note_missing(RetailPrices *o, const char *const *regions, size_t n, TlError *err)
{
    size_t cap = n * 12;
    o->missing = calloc(cap ? cap : 1, sizeof *o->missing);
    if (!o->missing)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < n; r++)
        for (size_t k = 0; k < 3; k++)
            for (size_t d = 0; d < 4; d++) {
                bool found = false;
                for (size_t i = 0; i < o->n && !found; i++)
                    found = strcasecmp(o->rows[i].region, regions[r]) == 0 &&
                            strcmp(o->rows[i].kind, kinds[k]) == 0 &&
                            strcmp(o->rows[i].redundancy, redundancies[d]) == 0;
                if (!found)
                    snprintf(o->missing[o->n_missing++], sizeof *o->missing, "%s %s %s", regions[r],
                             kinds[k], redundancies[d]);
            }
    return TL_OK;
}

TlResult retail_fetch(const char *base, const char *const *regions, size_t n, const char *currency,
                      const HttpOptions *http, RetailPrices *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    Fetch f = {base, out, TL_OK, {{0}, {0}}};
    HttpClient *h = NULL;
    CURL *e = curl_easy_init(); /* for curl_easy_escape, as discover.c encodes its $filter */
    TlResult rc = e ? http_client_new(http, NULL, NULL, &h, err)
                    : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        char filter[512], cur[16], url[2400];
        snprintf(filter, sizeof filter, "serviceName eq 'SQL Database' and armRegionName eq '%s'",
                 regions[i]);
        snprintf(cur, sizeof cur, "'%s'", currency);
        char *ef = curl_easy_escape(e, filter, 0), *ec = curl_easy_escape(e, cur, 0);
        if (ef && ec)
            snprintf(url, sizeof url, "%s?currencyCode=%s&$filter=%s", base, ec, ef);
        rc = ef && ec ? http_add(h, url, NULL, done, &f, (long)i, NULL, err)
                      : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        curl_free(ef);
        curl_free(ec);
    }
    if (e)
        curl_easy_cleanup(e);
    if (!rc)
        rc = http_run(h, err);
    if (!rc && f.rc) {
        *err = f.err;
        rc = f.rc;
    }
    http_client_free(h);
    if (!rc && out->n > 1)
        qsort(out->rows, out->n, sizeof *out->rows, cmp_price);
    if (!rc)
        rc = note_missing(out, regions, n, err);
    return rc;
}

void retail_cleanup(RetailPrices *p)
{
    if (!p)
        return;
    free(p->rows);
    free(p->missing);
    memset(p, 0, sizeof *p);
}
