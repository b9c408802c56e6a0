/* auth.h - Azure access tokens for ARM, from the environment's credential:
 * service principal (AZURE_CLIENT_ID + AZURE_TENANT_ID + AZURE_CLIENT_SECRET
 * or AZURE_FEDERATED_TOKEN_FILE, or a 0600 TIERLEDGER_CLIENT_SECRET_FILE),
 * managed identity (App Service IDENTITY_ENDPOINT + IDENTITY_HEADER, else
 * IMDS), then `az account get-access-token`. Tokens are cached in memory and
 * renewed before they expire; nothing secret is ever printed. */
#ifndef TIERLEDGER_COLLECTOR_AUTH_H
#define TIERLEDGER_COLLECTOR_AUTH_H

#include <stdbool.h>

#include "model/result.h"
#include "model/tltime.h"

typedef enum {
    AUTH_AUTO = 0,
    AUTH_SERVICE_PRINCIPAL,
    AUTH_MANAGED_IDENTITY,
    AUTH_AZURE_CLI,
    AUTH_NONE, /* no Authorization header: only for a local fake ARM */
} AuthMode;

/* "auto", "service-principal", "managed-identity", "azure-cli", "none". */
bool auth_mode_parse(const char *text, AuthMode *out);
const char *auth_mode_str(AuthMode mode);

typedef struct {
    AuthMode mode;       /* as asked */
    AuthMode chosen;     /* after auto-detection */
    char resource[512];  /* e.g. https://management.azure.com/ */
    char authority[512]; /* AZURE_AUTHORITY_HOST */
    char imds[512];      /* TIERLEDGER_IMDS_URL or http://169.254.169.254 */
    const char *ca_file;
    char *token; /* owned, wiped when freed */
    TlTime expires_at;
    long tokens_fetched;
    char detail[160]; /* which credential, for the run log (no secret) */
} Auth;

/* A national cloud's ARM and Entra ID authority URLs: "public"
 * (management.azure.com, login.microsoftonline.com), "usgov"
 * (management.usgovcloudapi.net, login.microsoftonline.us), "china"
 * (management.chinacloudapi.cn, login.chinacloudapi.cn). false if unknown. */
bool auth_cloud(const char *name, const char **arm_base, const char **authority);

/* Read the environment and choose the credential (auto: the first one
 * configured; managed identity only when its endpoint answers). The token's
 * resource is the ARM base URL with a trailing slash; authority: the Entra
 * ID host, or NULL for AZURE_AUTHORITY_HOST or the public cloud's. */
TlResult auth_init(Auth *a, AuthMode mode, const char *arm_base, const char *authority,
                   const char *ca_file, TlError *err);
void auth_cleanup(Auth *a);

/* The current token, fetched or renewed when it is missing, expires within
 * five minutes (or half its lifetime), or `force` is set. Unreachable
 * identity endpoint: TL_ERR_UNAVAILABLE; a refused credential: TL_ERR_NOPERM;
 * a malformed answer: TL_ERR_PROTOCOL. */
TlResult auth_token(void *auth, bool force, const char **token, TlError *err);

#endif
