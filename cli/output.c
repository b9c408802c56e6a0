/* output.c - see output.h. */
#include "cli/output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether stderr is the stream JOURNAL_STREAM ("DEVICE:INODE") names. */
static bool stderr_is_journal(void)
{
    static int known = -1;
    if (known < 0) {
        const char *js = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        known = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
    }
    return known == 1;
}

void cli_diag(int priority, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (stderr_is_journal())
        fprintf(stderr, "<%d>%s\n", priority, line);
    else
        fprintf(stderr, "%s\n", line);
}

TlResult cli_write_output(const char *path, CliWriter write, const void *data, TlError *err)
{
    if (!path || strcmp(path, "-") == 0)
        return write(stdout, data, err);
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    snprintf(tmp, len + 16, "%s.tmp-", path);
    memset(tmp + len + 5, 'X', 6); /* mkstemp's template */
    tmp[len + 11] = '\0';
    int fd = mkstemp(tmp);
    if (fd < 0) {
        tl_error_set(err, TL_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return TL_ERR_IO;
    }
    mode_t mask = umask(0); /* mkstemp makes it 0600: give it what open(2) would */
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        tl_error_set(err, TL_ERR_IO, "%s: cannot set its mode: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return TL_ERR_IO;
    }
    FILE *fp = fdopen(fd, "w");
    TlResult rc =
        fp ? write(fp, data, err) : tl_error_set(err, TL_ERR_IO, "%s: fdopen failed", path);
    if (fp && fclose(fp) != 0 && !rc)
        rc = tl_error_set(err, TL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (!fp)
        close(fd);
    if (!rc && rename(tmp, path) != 0)
        rc =
            tl_error_set(err, TL_ERR_IO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

static bool progress_tty(void)
{
    return isatty(STDERR_FILENO) != 0;
}

void cli_progress(const CliContext *ctx, const char *fmt, ...)
{
    bool tty = progress_tty();
    if (!tty && !cli_opt(ctx, "progress"))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%stierledger %s: %s%s", tty ? "\r\033[K" : "", ctx->cmd->name, line,
            tty ? "" : "\n");
    fflush(stderr);
}

void cli_progress_end(void)
{
    if (progress_tty())
        fputs("\r\033[K", stderr);
}
