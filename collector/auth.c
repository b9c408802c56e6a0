/* auth.c - the credential chain of auth.h (azure-api.md section 1).
 *
 * Secrets are read from the environment or a file that only its owner can
 * read, sent in a POST body (never a URL), and wiped from memory when freed.
 * Error messages name the endpoint and Azure's error code, never a body. */
#include "collector/auth.h"

#include "collector/http.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_MAX         (64 * 1024)
#define SECRET_MAX        (16 * 1024)
#define DEFAULT_IMDS      "http://169.254.169.254"
#define DEFAULT_AUTHORITY "https://login.microsoftonline.com"

static const char *const mode_names[] = {"auto", "service-principal", "managed-identity",
                                         "azure-cli", "none"};

bool auth_mode_parse(const char *text, AuthMode *out)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(text, mode_names[i]) == 0) {
            *out = (AuthMode)i;
            return true;
        }
    return false;
}

const char *auth_mode_str(AuthMode mode)
{
    return mode_names[mode];
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}

typedef struct {
    char *buf;
    size_t len;
} Buf;

static size_t on_data(char *data, size_t size, size_t n, void *userp)
{
    Buf *b = userp;
    size_t len = size * n;
    if (b->len + len > TOKEN_MAX)
        return 0;
    char *p = realloc(b->buf, b->len + len + 1);
    if (!p)
        return 0;
    memcpy(p + b->len, data, len);
    b->buf = p;
    b->len += len;
    b->buf[b->len] = '\0';
    return len;
}

/* One synchronous request to an identity endpoint. *status 0 = no answer. */
static TlResult fetch(const Auth *a, const char *url, const char *form, const char *header,
                      long connect_timeout, long *status, Buf *out, TlError *err)
{
    CURL *e = curl_easy_init();
    if (!e)
        return tl_error_set(err, TL_ERR_NOMEM, "libcurl: cannot create a handle");
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    if (h && header)
        h = curl_slist_append(h, header);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect_timeout);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
    /* IMDS and loopback never via a proxy; the user's NO_PROXY still holds
     * (setting CURLOPT_NOPROXY replaces libcurl's reading of it) */
    const char *user_noproxy = getenv("NO_PROXY") ? getenv("NO_PROXY") : getenv("no_proxy");
    char noproxy[2048];
    snprintf(noproxy, sizeof noproxy, "169.254.169.254,localhost,127.0.0.1,::1%s%.1900s",
             user_noproxy && user_noproxy[0] ? "," : "", user_noproxy ? user_noproxy : "");
    curl_easy_setopt(e, CURLOPT_NOPROXY, noproxy);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tierledger-collector/0.1");
    if (a->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, a->ca_file);
    if (form) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
    }
    CURLcode code = curl_easy_perform(e);
    *status = 0;
    if (code == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    /* the URL never carries a secret; the form does, and is not printed */
    if (code != CURLE_OK)
        return tl_error_set(err, TL_ERR_UNAVAILABLE, "identity: %s: %s", url,
                            curl_easy_strerror(code));
    return TL_OK;
}

/* Number or numeric string (IMDS sends strings, AAD numbers). */
static bool json_seconds(const cJSON *obj, const char *name, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return true;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end;
        *out = strtod(v->valuestring, &end);
        return *end == '\0';
    }
    return false;
}

/* Take access_token and its expiry from a token answer. */
static TlResult take_token(Auth *a, const char *where, long status, const Buf *b, TlError *err)
{
    cJSON *root = b->buf ? cJSON_Parse(b->buf) : NULL;
    TlResult rc = TL_OK;
    if (status != 200) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "error");
        const char *c = cJSON_IsString(code) ? code->valuestring : NULL;
        if (cJSON_IsObject(code)) { /* ARM-style envelope */
            const cJSON *cc = cJSON_GetObjectItemCaseSensitive(code, "code");
            c = cJSON_IsString(cc) ? cc->valuestring : NULL;
        }
        const cJSON *codes = cJSON_GetObjectItemCaseSensitive(root, "error_codes");
        const cJSON *first = cJSON_IsArray(codes) ? cJSON_GetArrayItem(codes, 0) : NULL;
        if (cJSON_IsNumber(first))
            rc = tl_error_set(err,
                              status >= 500 || status == 429 ? TL_ERR_UNAVAILABLE : TL_ERR_NOPERM,
                              "identity: %s answered %ld (%s, AADSTS%.0f)", where, status,
                              c ? c : "no error code", first->valuedouble);
        else
            rc = tl_error_set(
                err, status >= 500 || status == 429 ? TL_ERR_UNAVAILABLE : TL_ERR_NOPERM,
                "identity: %s answered %ld (%s)", where, status, c ? c : "no error code");
        cJSON_Delete(root);
        return rc;
    }
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
    if (!cJSON_IsString(tok))
        tok = cJSON_GetObjectItemCaseSensitive(root, "accessToken"); /* az CLI */
    double expires_on = 0, expires_in = 0;
    TlTime now = (TlTime)time(NULL);
    if (!root) {
        rc = tl_error_set(err, TL_ERR_PROTOCOL, "identity: %s: answer is not JSON", where);
    } else if (!cJSON_IsString(tok) || !tok->valuestring[0]) {
        rc = tl_error_set(err, TL_ERR_PROTOCOL, "identity: %s: $.access_token missing", where);
    } else {
        if (json_seconds(root, "expires_on", &expires_on) && expires_on > 1e9)
            a->expires_at = (TlTime)expires_on;
        else if (json_seconds(root, "expires_in", &expires_in) && expires_in > 0)
            a->expires_at = now + (TlTime)expires_in;
        else
            a->expires_at = now + 300; /* unknown: renew soon */
        wipe_free(a->token);
        a->token = strdup(tok->valuestring);
        if (!a->token)
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        a->tokens_fetched++;
    }
    /* the parsed tree holds the token: wipe it before freeing */
    if (cJSON_IsString(tok))
        memset(tok->valuestring, 0, strlen(tok->valuestring));
    cJSON_Delete(root);
    return rc;
}

/* Read a secret file that only its owner may read. */
static TlResult read_secret_file(const char *path, char **out, TlError *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tl_error_set(err, TL_ERR_NOINPUT, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
        close(fd);
        return tl_error_set(err, TL_ERR_USAGE,
                            "%s: readable by group or others; refusing a secret file that is not "
                            "0600",
                            path);
    }
    char *buf = calloc(1, SECRET_MAX + 1);
    if (!buf) {
        close(fd);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    ssize_t n = read(fd, buf, SECRET_MAX);
    close(fd);
    if (n <= 0) {
        free(buf);
        return tl_error_set(err, TL_ERR_NOINPUT, "%s: empty or unreadable", path);
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    *out = buf;
    return TL_OK;
}

static TlResult append_param(CURL *e, char **form, size_t *len, const char *name, const char *value,
                             TlError *err)
{
    char *esc = curl_easy_escape(e, value, 0);
    if (!esc)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    size_t add = strlen(name) + strlen(esc) + 2;
    char *p = realloc(*form, *len + add + 1);
    if (!p) {
        curl_free(esc);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    *form = p;
    *len += (size_t)snprintf(p + *len, add + 1, "%s%s=%s", *len ? "&" : "", name, esc);
    memset(esc, 0, strlen(esc));
    curl_free(esc);
    return TL_OK;
}

static TlResult token_service_principal(Auth *a, TlError *err)
{
    const char *client = env("AZURE_CLIENT_ID"), *tenant = env("AZURE_TENANT_ID");
    char *secret = NULL, *assertion = NULL, *form = NULL;
    size_t len = 0;
    TlResult rc = TL_OK;
    if (env("AZURE_CLIENT_SECRET")) {
        secret = strdup(env("AZURE_CLIENT_SECRET"));
        if (!secret)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    } else if (env("TIERLEDGER_CLIENT_SECRET_FILE")) {
        rc = read_secret_file(env("TIERLEDGER_CLIENT_SECRET_FILE"), &secret, err);
    } else if (env("AZURE_FEDERATED_TOKEN_FILE")) {
        /* re-read each time: the projected token is rotated underneath us */
        int fd = open(env("AZURE_FEDERATED_TOKEN_FILE"), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return tl_error_set(err, TL_ERR_NOINPUT, "AZURE_FEDERATED_TOKEN_FILE %s: %s",
                                env("AZURE_FEDERATED_TOKEN_FILE"), strerror(errno));
        assertion = calloc(1, SECRET_MAX + 1);
        ssize_t n = assertion ? read(fd, assertion, SECRET_MAX) : -1;
        close(fd);
        if (n <= 0) {
            wipe_free(assertion);
            return tl_error_set(err, TL_ERR_NOINPUT, "AZURE_FEDERATED_TOKEN_FILE: empty");
        }
        while (n > 0 && (assertion[n - 1] == '\n' || assertion[n - 1] == '\r'))
            assertion[--n] = '\0';
    }
    if (rc)
        return rc;
    CURL *e = curl_easy_init();
    char scope[600];
    snprintf(scope, sizeof scope, "%s.default", a->resource);
    if (!e)
        rc = tl_error_set(err, TL_ERR_NOMEM, "libcurl: cannot create a handle");
    if (!rc)
        rc = append_param(e, &form, &len, "client_id", client, err);
    if (!rc)
        rc = append_param(e, &form, &len, "scope", scope, err);
    if (!rc)
        rc = append_param(e, &form, &len, "grant_type", "client_credentials", err);
    if (!rc && secret)
        rc = append_param(e, &form, &len, "client_secret", secret, err);
    if (!rc && assertion) {
        rc = append_param(e, &form, &len, "client_assertion_type",
                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", err);
        if (!rc)
            rc = append_param(e, &form, &len, "client_assertion", assertion, err);
    }
    char *tenant_esc = (!rc && e) ? curl_easy_escape(e, tenant, 0) : NULL;
    if (!rc && !tenant_esc)
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    char url[1200];
    if (!rc)
        snprintf(url, sizeof url, "%s/%s/oauth2/v2.0/token", a->authority, tenant_esc);
    curl_free(tenant_esc);
    if (e)
        curl_easy_cleanup(e);
    wipe_free(secret);
    wipe_free(assertion);
    Buf b = {0};
    long status = 0;
    if (!rc)
        rc = fetch(a, url, form, NULL, 10L, &status, &b, err);
    wipe_free(form);
    if (!rc)
        rc = take_token(a, url, status, &b, err);
    wipe_free(b.buf);
    return rc;
}

static TlResult token_app_service(Auth *a, TlError *err)
{
    CURL *e = curl_easy_init();
    if (!e)
        return tl_error_set(err, TL_ERR_NOMEM, "libcurl: cannot create a handle");
    char *res = curl_easy_escape(e, a->resource, 0);
    char *cid = env("AZURE_CLIENT_ID") ? curl_easy_escape(e, env("AZURE_CLIENT_ID"), 0) : NULL;
    char url[1600], header[1200];
    snprintf(url, sizeof url, "%s?api-version=2019-08-01&resource=%s%s%s", env("IDENTITY_ENDPOINT"),
             res ? res : "", cid ? "&client_id=" : "", cid ? cid : "");
    snprintf(header, sizeof header, "X-IDENTITY-HEADER: %s", env("IDENTITY_HEADER"));
    curl_free(res);
    curl_free(cid);
    curl_easy_cleanup(e);
    Buf b = {0};
    long status = 0;
    TlResult rc = fetch(a, url, NULL, header, 5L, &status, &b, err);
    memset(header, 0, sizeof header);
    if (!rc)
        rc = take_token(a, env("IDENTITY_ENDPOINT"), status, &b, err);
    wipe_free(b.buf);
    return rc;
}

/* IMDS, retried on 404/410/429/5xx as the docs advise (shortened). */
static TlResult token_imds(Auth *a, long connect_timeout, TlError *err)
{
    CURL *e = curl_easy_init();
    if (!e)
        return tl_error_set(err, TL_ERR_NOMEM, "libcurl: cannot create a handle");
    char *res = curl_easy_escape(e, a->resource, 0);
    char *cid = env("AZURE_CLIENT_ID") ? curl_easy_escape(e, env("AZURE_CLIENT_ID"), 0) : NULL;
    char url[1600];
    snprintf(url, sizeof url,
             "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s", a->imds,
             res ? res : "", cid ? "&client_id=" : "", cid ? cid : "");
    curl_free(res);
    curl_free(cid);
    curl_easy_cleanup(e);
    TlResult rc = TL_OK;
    for (int attempt = 0; attempt < 4; attempt++) {
        Buf b = {0};
        long status = 0;
        rc = fetch(a, url, NULL, "Metadata: true", connect_timeout, &status, &b, err);
        bool again = !rc && (status == 404 || status == 410 || status == 429 || status >= 500);
        if (!rc && !again)
            rc = take_token(a, "IMDS", status, &b, err);
        wipe_free(b.buf);
        if (rc || !again)
            return rc;
        sleep((unsigned)(1u << attempt)); /* 1, 2, 4 s */
        rc = tl_error_set(err, TL_ERR_UNAVAILABLE, "identity: IMDS answered %ld", status);
    }
    return rc;
}

/* `az account get-access-token`, run without a shell. */
static TlResult token_azure_cli(Auth *a, TlError *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return tl_error_set(err, TL_ERR_INTERNAL, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return tl_error_set(err, TL_ERR_INTERNAL, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        static char a0[] = "az", a1[] = "account", a2[] = "get-access-token", a3[] = "--resource",
                    a5[] = "--output", a6[] = "json";
        char *const argv[] = {a0, a1, a2, a3, a->resource, a5, a6, NULL};
        execvp("az", argv);
        _exit(127);
    }
    close(fds[1]);
    Buf b = {0};
    char chunk[4096];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
        if (on_data(chunk, 1, (size_t)n, &b) != (size_t)n)
            break;
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    TlResult rc;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        rc = tl_error_set(err, TL_ERR_UNAVAILABLE, "identity: az account get-access-token %s",
                          WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "not found (Azure CLI)"
                                                                  : "failed");
    else
        rc = take_token(a, "az account get-access-token", 200, &b, err);
    wipe_free(b.buf);
    return rc;
}

static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
        if (access(buf, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

bool auth_cloud(const char *name, const char **arm_base, const char **authority)
{
    static const struct {
        const char *name, *arm, *authority;
    } clouds[] = {
        {"public", "https://management.azure.com", DEFAULT_AUTHORITY},
        {"usgov", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us"},
        {"china", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"},
    };
    for (size_t i = 0; i < sizeof clouds / sizeof clouds[0]; i++)
        if (strcmp(name, clouds[i].name) == 0) {
            *arm_base = clouds[i].arm;
            *authority = clouds[i].authority;
            return true;
        }
    return false;
}

TlResult auth_init(Auth *a, AuthMode mode, const char *arm_base, const char *authority,
                   const char *ca_file, TlError *err)
{
    memset(a, 0, sizeof *a);
    a->mode = mode;
    a->ca_file = ca_file;
    size_t n = strlen(arm_base);
    snprintf(a->resource, sizeof a->resource, "%s%s", arm_base,
             n && arm_base[n - 1] == '/' ? "" : "/");
    if (!authority)
        authority = env("AZURE_AUTHORITY_HOST") ? env("AZURE_AUTHORITY_HOST") : DEFAULT_AUTHORITY;
    snprintf(a->authority, sizeof a->authority, "%s", authority);
    n = strlen(a->authority);
    if (n && a->authority[n - 1] == '/')
        a->authority[n - 1] = '\0';
    snprintf(a->imds, sizeof a->imds, "%s",
             env("TIERLEDGER_IMDS_URL") ? env("TIERLEDGER_IMDS_URL") : DEFAULT_IMDS);

    bool sp = env("AZURE_CLIENT_ID") && env("AZURE_TENANT_ID") &&
              (env("AZURE_CLIENT_SECRET") || env("AZURE_FEDERATED_TOKEN_FILE") ||
               env("TIERLEDGER_CLIENT_SECRET_FILE"));
    bool app_service = env("IDENTITY_ENDPOINT") && env("IDENTITY_HEADER");
    TlResult rc = TL_OK;
    a->chosen = mode;
    if (mode == AUTH_NONE) {
        snprintf(a->detail, sizeof a->detail, "none (no Authorization header)");
        return TL_OK;
    }
    /* every endpoint that gets a secret or gives a token: https, or http
     * to loopback only (IMDS: its link-local address, which gets no secret) */
    rc = http_check_url(a->authority, "AZURE_AUTHORITY_HOST", NULL, err);
    if (!rc)
        rc = http_check_url(a->imds, "TIERLEDGER_IMDS_URL", "169.254.169.254", err);
    if (!rc && app_service)
        rc = http_check_url(env("IDENTITY_ENDPOINT"), "IDENTITY_ENDPOINT", NULL, err);
    if (rc)
        return rc;
    if (mode == AUTH_SERVICE_PRINCIPAL && !sp)
        return tl_error_set(err, TL_ERR_USAGE,
                            "service principal needs AZURE_CLIENT_ID, AZURE_TENANT_ID and "
                            "AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE, or "
                            "TIERLEDGER_CLIENT_SECRET_FILE)");
    if (mode == AUTH_AUTO) {
        if (sp) {
            a->chosen = AUTH_SERVICE_PRINCIPAL;
        } else if (app_service) {
            a->chosen = AUTH_MANAGED_IDENTITY;
        } else {
            /* probe IMDS briefly; fall back to the CLI */
            rc = token_imds(a, 1L, err);
            if (!rc) {
                a->chosen = AUTH_MANAGED_IDENTITY;
            } else if (on_path("az")) {
                a->chosen = AUTH_AZURE_CLI;
                rc = TL_OK;
            } else {
                TlError why = *err; /* never format err from itself */
                return tl_error_set(err, TL_ERR_UNAVAILABLE,
                                    "no Azure credential: no AZURE_CLIENT_ID/AZURE_TENANT_ID/"
                                    "AZURE_CLIENT_SECRET, no managed identity (%s), no az on PATH",
                                    why.msg);
            }
        }
    }
    switch (a->chosen) {
    case AUTH_SERVICE_PRINCIPAL:
        snprintf(
            a->detail, sizeof a->detail, "service principal %.60s (%s)", env("AZURE_CLIENT_ID"),
            env("AZURE_FEDERATED_TOKEN_FILE") && !env("AZURE_CLIENT_SECRET") ? "federated token"
                                                                             : "client secret");
        break;
    case AUTH_MANAGED_IDENTITY:
        snprintf(a->detail, sizeof a->detail, "managed identity (%s)",
                 app_service ? "App Service" : "IMDS");
        break;
    case AUTH_AZURE_CLI: snprintf(a->detail, sizeof a->detail, "Azure CLI"); break;
    default: break;
    }
    return rc;
}

void auth_cleanup(Auth *a)
{
    if (!a)
        return;
    wipe_free(a->token);
    a->token = NULL;
}

TlResult auth_token(void *auth, bool force, const char **token, TlError *err)
{
    Auth *a = auth;
    TlTime now = (TlTime)time(NULL);
    *token = NULL;
    if (a->chosen == AUTH_NONE) {
        *token = "";
        return TL_OK;
    }
    if (a->token && !force) {
        TlTime margin = 300;
        if (a->expires_at - now < 600)
            margin = 5;
        if (a->expires_at - margin > now) {
            *token = a->token;
            return TL_OK;
        }
    }
    TlResult rc;
    switch (a->chosen) {
    case AUTH_SERVICE_PRINCIPAL: rc = token_service_principal(a, err); break;
    case AUTH_MANAGED_IDENTITY:
        rc = env("IDENTITY_ENDPOINT") && env("IDENTITY_HEADER") ? token_app_service(a, err)
                                                                : token_imds(a, 5L, err);
        break;
    case AUTH_AZURE_CLI: rc = token_azure_cli(a, err); break;
    default: rc = tl_error_set(err, TL_ERR_INTERNAL, "no credential chosen");
    }
    if (!rc)
        *token = a->token;
    return rc;
}
