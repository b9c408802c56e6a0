/* http.c - the collector's request engine over the curl multi interface.
 *
 * Retry rules (azure-api.md section 0, "Throttling"): 429 waits Retry-After
 * seconds (capped); 408, 5xx and 529 and connection-level failures wait
 * base * 2^attempt with full jitter, capped; after max_attempts the request
 * fails for good and its callback is told. 401 asks the token source for a
 * fresh token once per request. When a subscription's remaining reads fall
 * below the floor, its next requests wait for the bucket to refill (25
 * reads/s per the current throttling page). Resource Graph has its own
 * quota: when x-ms-user-quota-remaining reaches 0, its next queries wait
 * x-ms-user-quota-resets-after. */
#include "collector/http.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BUDGET_KEYS    64
#define REFILL_PER_SEC 25.0

typedef struct {
    char key[80];
    double paused_until;
} Budget;

struct HttpClient {
    HttpOptions opt;
    CURLM *multi;
    HttpTokenFn token;
    void *auth;
    HttpRequest *queue; /* waiting to start */
    int active;
    bool deadline_passed;
    HttpStats stats;
    long added, finished; /* requests, for HttpOptions.progress */
    Budget budgets[BUDGET_KEYS];
    int n_budgets;
    unsigned long long rng;
    long token_gen; /* bumped at each forced renewal */
    TlResult fatal;
    TlError fatal_err;
};

double http_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A literal loopback host as libcurl gives it: 127.0.0.0/8, [::1] or
 * localhost as the whole host. */
static bool loopback_host(const char *host)
{
    struct in_addr v4;
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    return inet_pton(AF_INET, host, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

TlResult http_check_url(const char *url, const char *what, const char *also_plain, TlError *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    TlResult rc = TL_OK;
    if (!u)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = tl_error_set(err, TL_ERR_USAGE, "%s: '%s' is not a URL", what, url);
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
        rc = tl_error_set(err, TL_ERR_USAGE, "%s: a URL with a user name is refused", what);
    else if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)
        rc = tl_error_set(err, TL_ERR_USAGE, "%s: expected an https:// URL", what);
    else if (strcasecmp(scheme, "http") == 0 && !loopback_host(host) &&
             !(also_plain && strcasecmp(host, also_plain) == 0))
        rc = tl_error_set(err, TL_ERR_USAGE,
                          "%s: plain http is only allowed to loopback (127.0.0.0/8, [::1], "
                          "localhost); host '%s' would get credentials in clear",
                          what, host);
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return rc;
}

TlResult http_base_url(const char *url, const char *what, char *out, size_t size, TlError *err)
{
    if (strlen(url) >= size)
        return tl_error_set(err, TL_ERR_USAGE, "%s: URL too long", what);
    snprintf(out, size, "%s", url);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    if (strncasecmp(out, "https://", 8) != 0 && strncasecmp(out, "http://", 7) != 0)
        return tl_error_set(err, TL_ERR_USAGE, "%s: expected an https:// URL", what);
    return http_check_url(out, what, NULL, err);
}

void http_options_default(HttpOptions *o)
{
    *o = (HttpOptions){
        .concurrency = 16,
        .max_attempts = 5,
        .backoff_base = 0.5,
        .backoff_max = 30.0,
        .retry_after_max = 120.0,
        .reads_floor = 100,
        .timeout_s = 60,
        .retry_budget_s = 180,
    };
}

static double jitter(HttpClient *c)
{
    /* xorshift64*: jitter only needs to spread clients apart */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (double)((c->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

TlResult http_client_new(const HttpOptions *opt, HttpTokenFn token, void *auth, HttpClient **out,
                         TlError *err)
{
    *out = NULL;
    HttpClient *c = calloc(1, sizeof *c);
    if (!c)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    c->opt = *opt;
    if (c->opt.concurrency < 1)
        c->opt.concurrency = 1;
    if (c->opt.max_attempts < 1)
        c->opt.max_attempts = 1;
    c->token = token;
    c->auth = auth;
    c->rng = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32) ^
             0x9E3779B97F4A7C15ULL;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return tl_error_set(err, TL_ERR_NOMEM, "libcurl: cannot create a multi handle");
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->opt.concurrency);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    *out = c;
    return TL_OK;
}

static void request_free(HttpRequest *r)
{
    if (!r)
        return;
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->url);
    free(r->body);
    free(r->resp);
    free(r->chain);
    free(r);
}

void http_client_free(HttpClient *c)
{
    if (!c)
        return;
    while (c->queue) {
        HttpRequest *r = c->queue;
        c->queue = r->next;
        request_free(r);
    }
    curl_multi_cleanup(c->multi);
    free(c);
}

TlResult http_global_init(TlError *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return tl_error_set(err, TL_ERR_INTERNAL, "libcurl: global initialisation failed");
    return TL_OK;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

HttpStats http_stats(const HttpClient *c)
{
    return c->stats;
}

/* Queue a request; *out (may be NULL) is the queued request. */
static TlResult add(HttpClient *c, const char *url, const char *body, HttpDone done, void *user,
                    long user_tag, const char *budget_key, HttpRequest **out, TlError *err)
{
    HttpRequest *r = calloc(1, sizeof *r);
    if (!r)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    r->url = strdup(url);
    r->body = body ? strdup(body) : NULL;
    if (!r->url || (body && !r->body)) {
        request_free(r);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    r->done = done;
    r->user = user;
    r->user_tag = user_tag;
    r->budget_key = budget_key;
    r->remaining_reads = -1;
    c->added++;
    /* append, so pages and phases keep their order */
    HttpRequest **p = &c->queue;
    while (*p)
        p = &(*p)->next;
    *p = r;
    if (out)
        *out = r;
    return TL_OK;
}

TlResult http_add(HttpClient *c, const char *url, const char *body, HttpDone done, void *user,
                  long user_tag, const char *budget_key, TlError *err)
{
    return add(c, url, body, done, user, user_tag, budget_key, NULL, err);
}

static uint64_t page_hash(const char *url, const char *body) /* FNV-1a of url, NUL, body */
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    h *= UINT64_C(1099511628211);
    for (const unsigned char *p = (const unsigned char *)(body ? body : ""); *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return h;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool http_chain_has(const HttpRequest *r, const char *url, const char *body)
{
    if (strcmp(r->url, url) == 0 && same_text(r->body, body))
        return true;
    uint64_t h = page_hash(url, body);
    for (int i = 0; i < r->page; i++)
        if (r->chain[i] == h)
            return true;
    return false;
}

TlResult http_add_next(HttpClient *c, HttpRequest *prev, const char *url, const char *body,
                       TlError *err)
{
    uint64_t *chain = realloc(prev->chain, ((size_t)prev->page + 1) * sizeof *chain);
    if (!chain)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    chain[prev->page] = page_hash(prev->url, prev->body);
    prev->chain = chain;
    HttpRequest *r;
    TlResult rc =
        add(c, url, body, prev->done, prev->user, prev->user_tag, prev->budget_key, &r, err);
    if (!rc) {
        r->page = prev->page + 1;
        r->chain = prev->chain;
        prev->chain = NULL;
    }
    return rc;
}

static Budget *budget_for(HttpClient *c, const char *key)
{
    if (!key)
        return NULL;
    for (int i = 0; i < c->n_budgets; i++)
        if (strcmp(c->budgets[i].key, key) == 0)
            return &c->budgets[i];
    if (c->n_budgets == BUDGET_KEYS)
        return NULL;
    Budget *b = &c->budgets[c->n_budgets++];
    snprintf(b->key, sizeof b->key, "%s", key);
    b->paused_until = 0;
    return b;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    HttpRequest *r = userp;
    size_t len = size * n;
    if (r->resp_len + len > HTTP_MAX_BODY)
        return 0;                              /* aborts the transfer: CURLE_WRITE_ERROR */
    if (r->resp_len + len + 1 > r->resp_cap) { /* doubling: a large body is not copied per chunk */
        size_t cap = r->resp_cap ? r->resp_cap : 16384;
        while (cap < r->resp_len + len + 1)
            cap *= 2;
        char *p = realloc(r->resp, cap);
        if (!p)
            return 0;
        r->resp = p;
        r->resp_cap = cap;
    }
    memcpy(r->resp + r->resp_len, data, len);
    r->resp_len += len;
    r->resp[r->resp_len] = '\0';
    return len;
}

static bool header_is(const char *line, size_t len, const char *name, const char **value)
{
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return false;
    *value = line + nl + 1;
    return true;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    HttpRequest *r = userp;
    size_t len = size * n;
    const char *v;
    char buf[64];
    int which = header_is(data, len, "retry-after", &v)                                   ? 1
                : header_is(data, len, "x-ms-ratelimit-remaining-subscription-reads", &v) ? 2
                : header_is(data, len, "x-ms-user-quota-remaining", &v)                   ? 3
                : header_is(data, len, "x-ms-user-quota-resets-after", &v)                ? 4
                                                                                          : 0;
    if (!which)
        return len;
    size_t vl = len - (size_t)(v - data); /* the value is not NUL-terminated */
    if (vl >= sizeof buf)
        vl = sizeof buf - 1;
    memcpy(buf, v, vl);
    buf[vl] = '\0';
    char *end;
    double num = strtod(buf, &end);
    int hh, mm, ss;
    if (which == 4) {
        if (sscanf(buf, " %d:%d:%d", &hh, &mm, &ss) == 3 && hh >= 0 && mm >= 0 && ss >= 0)
            r->quota_resets_s = hh * 3600.0 + mm * 60.0 + ss;
    } else if (end != buf && num >= 0) {
        if (which == 1)
            r->retry_after = num;
        else if (which == 2)
            r->remaining_reads = (long)num;
        else
            r->quota_remaining = (long)num;
    }
    return len;
}

static TlResult start(HttpClient *c, HttpRequest *r, TlError *err)
{
    free(r->resp);
    r->resp = NULL;
    r->resp_len = 0;
    r->resp_cap = 0;
    r->status = 0;
    r->retry_after = -1;
    r->remaining_reads = -1;
    r->quota_remaining = -1;
    r->quota_resets_s = 0;
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    if (!r->easy && !(r->easy = curl_easy_init()))
        return tl_error_set(err, TL_ERR_NOMEM, "libcurl: cannot create a handle");
    CURL *e = r->easy;
    curl_easy_reset(e);
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    if (h && r->body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (h && c->token) {
        const char *tok;
        /* renew only once for all requests refused with the same token */
        bool force = r->force_token && r->token_gen == c->token_gen;
        TlResult rc = c->token(c->auth, force, &tok, err);
        if (force)
            c->token_gen++;
        r->force_token = false;
        r->token_gen = c->token_gen;
        if (rc) {
            curl_slist_free_all(h);
            return rc;
        }
        size_t n = strlen(tok) + 32;
        char *line = malloc(n);
        if (!line) {
            curl_slist_free_all(h);
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        }
        snprintf(line, n, "Authorization: Bearer %s", tok);
        h = curl_slist_append(h, line);
        memset(line, 0, n);
        free(line);
    }
    if (!h)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    r->headers = h;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl decodes */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    long timeout_ms = c->opt.timeout_s * 1000L;
    double now = http_now();
    if (c->opt.deadline > 0 && (c->opt.deadline - now) * 1000.0 < (double)timeout_ms)
        timeout_ms = c->opt.deadline > now ? (long)((c->opt.deadline - now) * 1000.0) + 1 : 1;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (r->attempts == 0)
        r->first_at = now;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tierledger-collector/0.1");
    if (c->opt.ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->opt.ca_file);
    if (r->body) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    }
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
        return tl_error_set(err, TL_ERR_INTERNAL, "libcurl: cannot start %s", r->url);
    r->attempts++;
    c->stats.requests++;
    c->active++;
    return TL_OK;
}

/* Whether r may be tried again at `at`: before the run's deadline and
 * within its retry budget. */
static bool may_retry(HttpClient *c, const HttpRequest *r, double at)
{
    if (c->opt.deadline > 0 && at >= c->opt.deadline) {
        c->deadline_passed = true;
        return false;
    }
    return c->opt.retry_budget_s <= 0 || at - r->first_at <= c->opt.retry_budget_s;
}

bool http_deadline_passed(const HttpClient *c)
{
    return c->deadline_passed;
}

/* Put r back in the queue to run again at or after `at`. */
static void requeue(HttpClient *c, HttpRequest *r, double at)
{
    r->not_before = at;
    r->next = c->queue;
    c->queue = r;
    c->stats.retries++;
}

static double backoff(HttpClient *c, int attempt)
{
    double d = c->opt.backoff_base;
    for (int i = 1; i < attempt && d < c->opt.backoff_max; i++)
        d *= 2;
    if (d > c->opt.backoff_max)
        d = c->opt.backoff_max;
    return d * (0.5 + 0.5 * jitter(c)); /* "equal jitter": never below half */
}

static void finish(HttpClient *c, HttpRequest *r)
{
    if (r->done)
        r->done(c, r);
    request_free(r);
    c->finished++;
    if (c->opt.progress)
        c->opt.progress(c->opt.progress_user, c->finished, c->added);
}

static bool retryable_status(long s)
{
    return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504 || s == 529;
}

static void completed(HttpClient *c, HttpRequest *r, CURLcode code)
{
    c->active--;
    curl_multi_remove_handle(c->multi, r->easy);
    double now = http_now();
    r->rc = TL_OK;
    r->error[0] = '\0';
    if (code != CURLE_OK) {
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
        if (code == CURLE_WRITE_ERROR && r->resp_len + 1 > HTTP_MAX_BODY / 2) {
            r->rc = TL_ERR_DATA;
            snprintf(r->error, sizeof r->error, "%s: answer larger than %u MiB", r->url,
                     HTTP_MAX_BODY >> 20);
            finish(c, r);
            return;
        }
        r->status = 0;
        snprintf(r->error, sizeof r->error, "%s: %s", r->url, curl_easy_strerror(code));
        if (c->opt.deadline > 0 && now >= c->opt.deadline)
            c->deadline_passed = true; /* cut by the deadline's timeout */
        if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
            code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT ||
            r->attempts >= c->opt.max_attempts) {
            r->rc = TL_ERR_UNAVAILABLE;
            finish(c, r);
            return;
        }
        double at = now + backoff(c, r->attempts);
        if (!may_retry(c, r, at)) {
            r->rc = TL_ERR_UNAVAILABLE;
            size_t n = strlen(r->error);
            snprintf(r->error + n, sizeof r->error - n, " (after %d tr%s: %s)", r->attempts,
                     r->attempts == 1 ? "y" : "ies",
                     c->deadline_passed ? "the run's deadline passed" : "retry time spent");
            finish(c, r);
            return;
        }
        if (c->opt.verbose)
            fprintf(stderr, "tierledger collect: %s, retrying\n", r->error);
        requeue(c, r, at);
        return;
    }
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    if (c->opt.verbose)
        fprintf(stderr, "tierledger collect: %s %s -> %ld\n", r->body ? "POST" : "GET", r->url,
                r->status);
    Budget *b = budget_for(c, r->budget_key);
    if (b && r->remaining_reads >= 0 && r->remaining_reads < c->opt.reads_floor) {
        double wait = (double)(c->opt.reads_floor - r->remaining_reads) / REFILL_PER_SEC;
        if (now + wait > b->paused_until)
            b->paused_until = now + wait;
    }
    if (b && r->quota_remaining == 0) {
        double wait = r->quota_resets_s > 0 ? r->quota_resets_s : 5.0;
        if (wait > c->opt.retry_after_max)
            wait = c->opt.retry_after_max;
        if (now + wait > b->paused_until)
            b->paused_until = now + wait;
        c->stats.slowed++;
    }
    if (r->status == 401 && !r->reauthorised && c->token) {
        r->reauthorised = true;
        r->force_token = true;
        requeue(c, r, now);
        return;
    }
    if (retryable_status(r->status) && r->attempts < c->opt.max_attempts) {
        double at;
        if (r->status == 429)
            c->stats.throttled++;
        if (r->retry_after >= 0) {
            double ra =
                r->retry_after > c->opt.retry_after_max ? c->opt.retry_after_max : r->retry_after;
            at = now + ra;
            if (b && at > b->paused_until)
                b->paused_until = at; /* the whole subscription is throttled */
        } else {
            at = now + backoff(c, r->attempts);
        }
        if (may_retry(c, r, at)) {
            if (c->opt.verbose)
                fprintf(stderr, "tierledger collect: %s answered %ld, retrying in %.1f s\n", r->url,
                        r->status, at - now);
            requeue(c, r, at);
            return;
        }
    }
    finish(c, r);
}

TlResult http_run(HttpClient *c, TlError *err)
{
    for (;;) {
        double now = http_now();
        double next_wake = -1;
        /* past the deadline nothing more starts: what waits fails, named */
        while (c->opt.deadline > 0 && now >= c->opt.deadline && c->queue) {
            HttpRequest *r = c->queue;
            c->queue = r->next;
            r->next = NULL;
            c->deadline_passed = true;
            r->rc = TL_ERR_UNAVAILABLE;
            r->status = 0;
            snprintf(r->error, sizeof r->error, "%s: not sent: the run's deadline passed", r->url);
            finish(c, r);
        }
        /* start what may start */
        HttpRequest **p = &c->queue;
        while (*p && c->active < c->opt.concurrency) {
            HttpRequest *r = *p;
            Budget *b = budget_for(c, r->budget_key);
            double at = r->not_before;
            if (b && b->paused_until > at)
                at = b->paused_until;
            if (at > now) {
                if (b && b->paused_until > r->not_before && at == b->paused_until)
                    c->stats.slowed++, r->not_before = at;
                if (next_wake < 0 || at < next_wake)
                    next_wake = at;
                p = &r->next;
                continue;
            }
            *p = r->next;
            r->next = NULL;
            TlResult rc = start(c, r, err);
            if (rc) {
                /* no token: the credential is the whole run's, so is the failure */
                request_free(r);
                return rc;
            }
        }
        if (c->active == 0 && !c->queue)
            return TL_OK;
        int running = 0;
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(c->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            HttpRequest *r = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            completed(c, r, m->data.result);
        }
        if (c->active == 0 && !c->queue)
            return TL_OK;
        int timeout_ms = 100;
        if (next_wake > 0) {
            double d = (next_wake - http_now()) * 1000.0;
            timeout_ms = d < 1 ? 1 : d > 1000 ? 1000 : (int)d;
        }
        if (c->active > 0)
            curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL);
        else {
            struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}
