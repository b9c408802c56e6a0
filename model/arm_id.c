/* arm_id.c - ARM resource id parsing (see arm_id.h). */
#include "model/arm_id.h"

#include <ctype.h>
#include <string.h>

static bool ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

/* Copy the next path segment of *p into buf; false if empty or too long. */
static bool segment(const char **p, char *buf, size_t size)
{
    if (**p != '/')
        return false;
    (*p)++;
    size_t len = strcspn(*p, "/");
    if (len == 0 || len >= size)
        return false;
    memcpy(buf, *p, len);
    buf[len] = '\0';
    *p += len;
    return true;
}

static bool keyword(const char **p, const char *word)
{
    char buf[64];
    return segment(p, buf, sizeof buf) && strlen(buf) == strlen(word) &&
           ieq_n(buf, word, strlen(word));
}

bool arm_database_id_parse(const char *id, ArmDatabaseId *out)
{
    const char *p = id;
    return id && keyword(&p, "subscriptions") &&
           segment(&p, out->subscription, sizeof out->subscription) &&
           keyword(&p, "resourceGroups") &&
           segment(&p, out->resource_group, sizeof out->resource_group) &&
           keyword(&p, "providers") && keyword(&p, "Microsoft.Sql") && keyword(&p, "servers") &&
           segment(&p, out->server, sizeof out->server) && keyword(&p, "databases") &&
           segment(&p, out->database, sizeof out->database) && *p == '\0';
}

bool arm_id_part(const char *id, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    size_t kl = strlen(key);
    const char *p = id;
    while ((p = strchr(p, '/')) != NULL) {
        p++;
        if (ieq_n(p, key, kl) && p[kl] == '/') { /* a match holds kl chars */
            const char *v = p + kl + 1;
            size_t n = strcspn(v, "/");
            if (n == 0 || n >= size)
                return false;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

bool arm_id_key(const char *id, char *out, size_t size)
{
    size_t n = strlen(id);
    if (n >= size)
        return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)id[i]);
    return true;
}
