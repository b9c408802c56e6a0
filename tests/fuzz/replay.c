/* replay.c - run a fuzz target once over files and directories of inputs,
 * without libFuzzer: what `make test` does with the seeds and the
 * regression inputs of tests/fuzz (see fuzz.h). Prints "NAME: N passed, F
 * failed" (N inputs ran; a failing property or a sanitizer aborts first);
 * exits 0 when every one returned, 66 when one cannot be read. */
#include <dirent.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static size_t ran;

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "replay: %s: cannot open\n", path);
        return 66;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, fp)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    int bad = ferror(fp) || !buf;
    fclose(fp);
    if (bad) {
        free(buf);
        fprintf(stderr, "replay: %s: cannot read\n", path);
        return 66;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    ran++;
    return 0;
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: no such file or directory\n", path);
        return 66;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "replay: %s: cannot open\n", path);
        return 66;
    }
    int rc = 0;
    for (struct dirent *e; !rc && (e = readdir(dir));) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        rc = run_path(sub);
    }
    closedir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++)
        rc = run_path(argv[i]);
    const char *name = strrchr(argv[0], '/');
    printf("%s: %zu passed, %d failed\n", name ? name + 1 : argv[0], ran, rc != 0);
    return rc;
}
