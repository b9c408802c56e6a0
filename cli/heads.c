/* heads.c - see heads.h. */
#include "cli/heads.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static TlResult head_line(const char *name, size_t line, const char *text, bool *skip,
                          long long *lineage, long long *versions, char head[65], TlError *err)
{
    const char *sep = " \t,\r\n";
    size_t at = strspn(text, sep);
    *skip = text[at] == '\0' || text[at] == '#' || strncmp(text + at, "lineage_id", 10) == 0;
    if (*skip)
        return TL_OK;
    const char *field[3];
    size_t len[3];
    for (int k = 0; k < 3; k++) {
        at += strspn(text + at, sep);
        field[k] = text + at;
        len[k] = strcspn(field[k], sep);
        at += len[k];
    }
    char *end;
    bool ok = len[0] > 0 && len[0] < 19 && len[1] > 0 && len[1] < 19 && len[2] == 64;
    if (ok) {
        *lineage = strtoll(field[0], &end, 10);
        ok = end == field[0] + len[0] && *lineage > 0;
    }
    if (ok) {
        *versions = strtoll(field[1], &end, 10);
        ok = end == field[1] + len[1] && *versions > 0;
    }
    for (size_t k = 0; ok && k < 64; k++)
        ok = isxdigit((unsigned char)field[2][k]) != 0;
    if (!ok)
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%zu: expected LINEAGE_ID VERSIONS HEAD_HASH (a line of "
                            "'tierledger verify --heads'), not '%.80s'",
                            name, line, text + strspn(text, sep));
    for (size_t k = 0; k < 64; k++)
        head[k] = (char)tolower((unsigned char)field[2][k]);
    head[64] = '\0';
    return TL_OK;
}

TlResult heads_read(const char *path, HeadsBatchFn fn, void *arg, long long *heads, TlError *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    FILE *fp = is_stdin ? stdin : fopen(path, "r");
    if (!fp)
        return tl_error_set(err, TL_ERR_NOINPUT, "--against: cannot open %s: %s", path,
                            strerror(errno));
    StoreHeadClaim *claims = malloc(HEADS_BATCH * sizeof *claims);
    TlResult rc = claims ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    char text[4096];
    size_t line = 0, n = 0;
    while (!rc && fgets(text, sizeof text, fp)) {
        line++;
        size_t len = strlen(text);
        if (len + 1 == sizeof text && text[len - 1] != '\n') {
            rc = tl_error_set(err, TL_ERR_DATA, "%s:%zu: line too long for a head", name, line);
            break;
        }
        text[strcspn(text, "\r\n")] = '\0';
        bool skip;
        StoreHeadClaim *c = &claims[n];
        memset(c, 0, sizeof *c);
        rc = head_line(name, line, text, &skip, &c->lineage, &c->versions, c->head, err);
        if (!rc && !skip) {
            c->line = line;
            n++;
            (*heads)++;
        }
        if (!rc && n == HEADS_BATCH) {
            rc = fn(arg, claims, n, err);
            n = 0;
        }
    }
    if (!rc && ferror(fp))
        rc = tl_error_set(err, TL_ERR_IO, "--against: cannot read %s", name);
    if (!rc && n)
        rc = fn(arg, claims, n, err);
    if (!is_stdin)
        fclose(fp);
    free(claims);
    return rc;
}
