/* list.h - what the collector's two phases (discover.c, details.c) share:
 * growing arrays, request tags, failures carried as TlError, GET requests
 * on the ARM host, and the one reader of ARM list pages that follows
 * nextLink. Internal to collector/. */
#ifndef TIERLEDGER_COLLECTOR_LIST_H
#define TIERLEDGER_COLLECTOR_LIST_H

#include <cjson/cJSON.h>

#include "collector/collect.h"

/* A request's user_tag: two indexes (server and database, or a range) */
#define TAG(srv, db) (((long)(srv) << 24) | (long)(db))
#define TAG_SRV(t)   ((size_t)((t) >> 24))
#define TAG_DB(t)    ((size_t)((t)&0xFFFFFF))

/* The longest nextLink chain one list may have: ARM pages hold 100 to 1000
 * items, so this is far beyond any tenant; a longer chain is a loop. */
#define LIST_MAX_PAGES 10000

/* Make room for one more of n items of `size` bytes (new room zeroed). */
TlResult collect_grow(void **items, size_t *cap, size_t n, size_t size, TlError *err);

/* An out-of-memory error stops the run at the next check. */
void collect_fatal(Collect *c, TlResult rc, const TlError *err);

/* Why a request failed: "URL answered 500 (Code: message)" or the
 * transport error. */
void collect_request_error(const HttpRequest *r, TlError *out);

/* Mark a subscription failed with why (the first failure wins), named
 * "subscription X: why". collect_server_fail is in collect.h. */
void collect_sub_fail(Collect *c, CollectSub *s, const TlError *why);

/* Whether r was answered 200; if not, server s is failed with the reason. */
bool collect_answered(Collect *c, CollectServer *s, const HttpRequest *r);
/* r's answer did not parse (why): server s is failed, naming the URL. */
void collect_bad_answer(Collect *c, CollectServer *s, const HttpRequest *r, TlError *why);

/* arm + path + ("?" or "&") + query into out. */
TlResult collect_url(char *out, size_t size, const char *arm, const char *path, const char *query,
                     TlError *err);

/* Whether url is on base's scheme, host and port. */
bool list_same_origin(const char *base, const char *url);

/* The list path of Microsoft.Sql `kind` ("servers", "managedInstances") of
 * subscription sub, in the run's --resource-group when one is given. */
void collect_provider_path(const Collect *c, const char *sub, const char *kind, char *out,
                           size_t size);

/* Queue a GET of arm + path + query. */
TlResult collect_get(Collect *c, const char *path, const char *query, HttpDone done, long tag,
                     const char *budget, TlError *err);

/* Read one answered page of an ARM list ({"value": [...], "nextLink": ...}):
 * each(item, "$.value[i]") for every item, then queue nextLink with the
 * same callback. A nextLink is followed verbatim, only to the ARM host
 * itself (the bearer token goes nowhere else), never to a URL the list has
 * already read (a loop) and for at most LIST_MAX_PAGES pages. false with *why set (naming the
 * URL) when the request failed, the page is malformed, an item is refused
 * or the nextLink is. */
typedef TlResult (*ListItem)(Collect *c, long tag, const cJSON *item, const char *path,
                             TlError *err);
bool list_page(HttpClient *h, HttpRequest *r, ListItem each, TlError *why);

#endif
