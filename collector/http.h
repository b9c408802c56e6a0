/* http.h - concurrent, polite HTTP for the collector: a batch of requests
 * run through one curl multi handle (connection reuse, HTTP/2, gzip), at
 * most `concurrency` in flight, retried on 429 (Retry-After), 5xx/529 and
 * connection errors with bounded exponential backoff and jitter, slowed per
 * subscription when x-ms-ratelimit-remaining-subscription-reads runs low,
 * and re-authorised once on 401. Completion callbacks may add requests
 * (the next page), which run in the same batch. */
#ifndef TIERLEDGER_COLLECTOR_HTTP_H
#define TIERLEDGER_COLLECTOR_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/result.h"

struct curl_slist;

#define HTTP_MAX_BODY (64u * 1024u * 1024u) /* a larger answer is an error */

typedef struct HttpClient HttpClient;
typedef struct HttpRequest HttpRequest;

/* Gives the bearer token for a request; `force` asks for a fresh one (after
 * a 401). Returns TL_OK with *token pointing at storage that stays valid
 * until the next call. */
typedef TlResult (*HttpTokenFn)(void *auth, bool force, const char **token, TlError *err);

/* Called once per request when it is finished: answered (any status the
 * retry rules do not retry, or the last retry's) or failed for good
 * (req->rc != TL_OK, req->error says why). The request is freed after the
 * callback returns; copy what must outlive it. */
typedef void (*HttpDone)(HttpClient *client, HttpRequest *req);

struct HttpRequest {
    /* set by the caller (http_add copies url and body) */
    char *url;
    char *body; /* POST with JSON body when non-NULL, else GET */
    HttpDone done;
    void *user;
    long user_tag;
    const char *budget_key; /* e.g. the subscription id; borrowed; NULL: none */
    bool no_404_retry;
    int page;        /* 0, or the page number of a list's nextLink (http_add_next) */
    double first_at; /* http_now() of its first try */
    uint64_t *chain; /* owned: hashes of the URLs of the list's earlier pages */
    /* results */
    long status;
    char *resp;
    size_t resp_len;
    size_t resp_cap; /* bytes allocated at resp (grown by doubling) */
    TlResult rc;
    char error[512];
    int attempts;
    /* private */
    void *easy;
    struct curl_slist *headers;
    double not_before;
    double retry_after;
    long remaining_reads;
    long quota_remaining;  /* Resource Graph: x-ms-user-quota-remaining, -1 absent */
    double quota_resets_s; /* x-ms-user-quota-resets-after (hh:mm:ss), seconds */
    bool reauthorised;
    bool force_token;
    long token_gen;
    HttpRequest *next;
};

typedef struct {
    int concurrency;        /* requests in flight, default 16 */
    int max_attempts;       /* per request, default 5 */
    double backoff_base;    /* seconds, default 0.5 */
    double backoff_max;     /* seconds, default 30 */
    double retry_after_max; /* longest Retry-After honoured, default 120 s */
    long reads_floor;       /* slow down below this many remaining reads, default 100 */
    long timeout_s;         /* whole request, default 60 */
    double retry_budget_s;  /* no retry starts later than this after a request's first try,
                               default 180 */
    double deadline;        /* http_now() instant after which nothing starts, is retried or
                               keeps running; 0: none */
    const char *ca_file;    /* NULL: system store */
    bool verbose;           /* log each request (method, URL, status) to stderr */
    /* called each time a request is finished (answered, failed or cut):
     * how many are finished of how many were added; NULL: none */
    void (*progress)(void *user, long finished, long added);
    void *progress_user;
} HttpOptions;

void http_options_default(HttpOptions *o);

/* The transport rule for every URL that receives a token or a secret,
 * checked on libcurl's own parse of it: https, or plain http only to a
 * literal loopback host (127.0.0.0/8, [::1], or localhost as the whole
 * host), where nothing travels over a network; never with a user name.
 * also_plain (or NULL) is one more host plain http may go to (IMDS's
 * 169.254.169.254, which receives no secret). TL_ERR_USAGE naming `what`
 * (the option or variable) otherwise. */
TlResult http_check_url(const char *url, const char *what, const char *also_plain, TlError *err);

/* http_check_url for a base URL; copies it without trailing slashes into
 * out. */
TlResult http_base_url(const char *url, const char *what, char *out, size_t size, TlError *err);

/* libcurl's process-wide set-up and tear-down: once per program, before any
 * other call of this module or of auth.h, and at its end (cli/main.c). */
TlResult http_global_init(TlError *err);
void http_global_cleanup(void);

/* The client owns the curl multi handle. auth/token may be NULL (no
 * Authorization header). */
TlResult http_client_new(const HttpOptions *opt, HttpTokenFn token, void *auth, HttpClient **out,
                         TlError *err);
void http_client_free(HttpClient *c);

/* Queue a GET (body NULL) or POST. url/body are copied. */
TlResult http_add(HttpClient *c, const char *url, const char *body, HttpDone done, void *user,
                  long user_tag, const char *budget_key, TlError *err);

/* Queue the next page of prev's list: url (a GET, or a POST of body when
 * not NULL) with prev's callback, user, tag and budget, and page
 * prev->page + 1; the list's chain of pages moves from prev to it. */
TlResult http_add_next(HttpClient *c, HttpRequest *prev, const char *url, const char *body,
                       TlError *err);

/* Whether url with body (NULL: a GET) is r itself or one of its list's
 * earlier pages. */
bool http_chain_has(const HttpRequest *r, const char *url, const char *body);

/* Run until every queued request (and every one added by callbacks) is
 * finished. Fails only when the client itself cannot go on (out of memory,
 * no token); a failed request is reported to its callback. */
TlResult http_run(HttpClient *c, TlError *err);

/* Whether opt.deadline passed while requests were still to run: those
 * failed (their callbacks saw "the run's deadline passed"). */
bool http_deadline_passed(const HttpClient *c);

/* Counters since the client was made. */
typedef struct {
    long requests; /* attempts sent */
    long retries;
    long throttled; /* 429 answers */
    long slowed;    /* times a request waited for the read budget */
} HttpStats;
HttpStats http_stats(const HttpClient *c);

/* Seconds on a monotonic clock. */
double http_now(void);

#endif
