/* list.c - see list.h. */
#include "collector/list.h"
#include "collector/mi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

TlResult collect_grow(void **items, size_t *cap, size_t n, size_t size, TlError *err)
{
    if (n < *cap)
        return TL_OK;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, nc * size);
    if (!p)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    memset((char *)p + *cap * size, 0, (nc - *cap) * size);
    *items = p;
    *cap = nc;
    return TL_OK;
}

void collect_fatal(Collect *c, TlResult rc, const TlError *err)
{
    if (!c->fatal) {
        c->fatal = rc;
        c->fatal_err = *err;
    }
}

void collect_request_error(const HttpRequest *r, TlError *out)
{
    if (r->rc) {
        tl_error_set(out, r->rc, "%s", r->error);
        return;
    }
    char code[80], msg[300];
    az_error_parse(r->resp, code, sizeof code, msg, sizeof msg);
    tl_error_set(out, TL_ERR_UNAVAILABLE, "%s answered %ld%s%s%s%s%s", r->url, r->status,
                 code[0] ? " (" : "", code, msg[0] ? ": " : "", msg, code[0] ? ")" : "");
}

/* Keep a copy of why in *slot unless one is there; false when out of memory. */
static bool keep_error(TlError **slot, const TlError *why)
{
    if (*slot)
        return true;
    if (!(*slot = malloc(sizeof **slot)))
        return false;
    **slot = *why;
    return true;
}

void collect_server_fail(Collect *c, CollectServer *s, const TlError *why)
{
    if (s->failed)
        return;
    s->failed = true;
    TlError e = *why;
    tl_error_prefix(&e, "server %s (subscription %s)", s->srv.name, s->srv.subscription);
    if (!keep_error(&s->error, &e))
        collect_fatal(c, TL_ERR_NOMEM, &(TlError){"out of memory", ""});
}

void collect_sub_fail(Collect *c, CollectSub *s, const TlError *why)
{
    if (s->failed)
        return;
    s->failed = true;
    TlError e = *why;
    tl_error_prefix(&e, "subscription %s", s->sub.id);
    if (!keep_error(&s->error, &e))
        collect_fatal(c, TL_ERR_NOMEM, &(TlError){"out of memory", ""});
}

void collect_mi_fail(Collect *c, CollectMi *m, const TlError *why)
{
    if (m->failed)
        return;
    m->failed = true;
    TlError e = *why;
    tl_error_prefix(&e, "managed instance %s (subscription %s)", m->mi.name, m->mi.subscription);
    if (!keep_error(&m->error, &e))
        collect_fatal(c, TL_ERR_NOMEM, &(TlError){"out of memory", ""});
}

bool collect_answered(Collect *c, CollectServer *s, const HttpRequest *r)
{
    if (!r->rc && r->status == 200)
        return true;
    TlError why;
    collect_request_error(r, &why);
    collect_server_fail(c, s, &why);
    return false;
}

void collect_bad_answer(Collect *c, CollectServer *s, const HttpRequest *r, TlError *why)
{
    tl_error_prefix(why, "%s", r->url);
    collect_server_fail(c, s, why);
}

TlResult collect_url(char *out, size_t size, const char *arm, const char *path, const char *query,
                     TlError *err)
{
    int n = snprintf(out, size, "%s%s%s%s", arm, path, strchr(path, '?') ? "&" : "?", query);
    if (n < 0 || (size_t)n >= size)
        return tl_error_set(err, TL_ERR_DATA, "URL too long: %s%s", arm, path);
    return TL_OK;
}

void collect_provider_path(const Collect *c, const char *sub, const char *kind, char *out,
                           size_t size)
{
    if (c->resource_group)
        snprintf(out, size, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/%s", sub,
                 c->resource_group, kind);
    else
        snprintf(out, size, "/subscriptions/%s/providers/Microsoft.Sql/%s", sub, kind);
}

TlResult collect_get(Collect *c, const char *path, const char *query, HttpDone done, long tag,
                     const char *budget, TlError *err)
{
    char url[2048];
    TlResult rc = collect_url(url, sizeof url, c->arm, path, query, err);
    return rc ? rc : http_add(c->http, url, NULL, done, c, tag, budget, err);
}

bool list_same_origin(const char *base, const char *url)
{
    /* scheme://host[:port] of base must prefix url, followed by '/' or end */
    const char *p = strstr(base, "://");
    if (!p)
        return false;
    p += 3;
    size_t n = (size_t)(p - base) + strcspn(p, "/?#");
    return strncasecmp(base, url, n) == 0 && (url[n] == '/' || url[n] == '\0' || url[n] == '?');
}

/* May the page r be followed by next? */
static TlResult check_next(const Collect *c, const HttpRequest *r, const char *next, TlError *err)
{
    if (!list_same_origin(c->arm, next))
        return tl_error_set(err, TL_ERR_DATA, "$.nextLink: %s is not on the ARM host", next);
    if (http_chain_has(r, next, NULL))
        return tl_error_set(err, TL_ERR_DATA,
                            "$.nextLink: %s was already read for this list (a loop): stopped",
                            next);
    if (r->page + 1 >= LIST_MAX_PAGES)
        return tl_error_set(err, TL_ERR_DATA,
                            "$.nextLink: more than %d pages in one list (a loop?): stopped",
                            LIST_MAX_PAGES);
    return TL_OK;
}

bool list_page(HttpClient *h, HttpRequest *r, ListItem each, TlError *why)
{
    Collect *c = r->user;
    if (r->rc || r->status != 200) {
        collect_request_error(r, why);
        return false;
    }
    cJSON *root;
    const cJSON *value;
    const char *next;
    TlResult rc = az_page_parse(r->resp, &root, &value, &next, why);
    int i = 0;
    for (const cJSON *item = rc ? NULL : value->child; item; item = item->next) {
        char path[64];
        snprintf(path, sizeof path, "$.value[%d]", i++);
        rc = each(c, r->user_tag, item, path, why);
        if (rc)
            break;
    }
    if (!rc && next) {
        rc = check_next(c, r, next, why);
        if (!rc)
            rc = http_add_next(h, r, next, NULL, why);
    }
    cJSON_Delete(root);
    if (rc == TL_ERR_NOMEM)
        collect_fatal(c, rc, why);
    if (rc) {
        tl_error_prefix(why, "%s", r->url);
        return false;
    }
    return true;
}
