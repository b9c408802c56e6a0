/* args.c - option parsing and --help from a command's option table. */
#include "cli/args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int find_option(const CliCommand *cmd, const char *name, size_t len)
{
    for (int i = 0; cmd->options[i].name; i++)
        if (strlen(cmd->options[i].name) == len && strncmp(cmd->options[i].name, name, len) == 0)
            return i;
    return -1;
}

TlResult cli_parse(const CliCommand *cmd, int argc, char **argv, CliContext *ctx, bool *help,
                   TlError *err)
{
    *help = false;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (ctx->nargs >= CLI_MAX_ARGS || ctx->nargs >= cmd->max_args)
                return tl_error_set(err, TL_ERR_USAGE, "unexpected argument '%s'", a);
            ctx->args[ctx->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = true;
            return TL_OK;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int idx = -1;
        if (strncmp(a, "--", 2) == 0) {
            idx = find_option(cmd, name, len);
        } else if (a[2] == '\0') { /* -o VALUE */
            for (int k = 0; cmd->options[k].name && idx < 0; k++)
                if (cmd->options[k].short_name == a[1])
                    idx = k;
            eq = NULL;
            if (idx < 0)
                return tl_error_set(err, TL_ERR_USAGE, "unknown option '%s'", a);
        } else {
            return tl_error_set(err, TL_ERR_USAGE, "unknown option '%s'", a);
        }
        if (idx < 0)
            return tl_error_set(err, TL_ERR_USAGE, "unknown option '--%.*s'", (int)len, name);
        const CliOption *o = &cmd->options[idx];
        if (ctx->n_given == CLI_MAX_GIVEN)
            return tl_error_set(err, TL_ERR_USAGE, "too many options");
        if (!o->arg) {
            if (eq)
                return tl_error_set(err, TL_ERR_USAGE, "option '--%s' takes no value", o->name);
            ctx->values[idx] = "";
        } else if (eq) {
            ctx->values[idx] = eq + 1;
        } else if (i + 1 < argc) {
            ctx->values[idx] = argv[++i];
        } else {
            return tl_error_set(err, TL_ERR_USAGE, "option '--%s' needs a value %s", o->name,
                                o->arg);
        }
        ctx->given[ctx->n_given].option = idx;
        ctx->given[ctx->n_given++].value = ctx->values[idx];
    }
    if (ctx->nargs < cmd->min_args)
        return tl_error_set(err, TL_ERR_USAGE, "missing argument");
    return TL_OK;
}

const char *cli_origin(const CliContext *ctx, const char *file, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", ctx->cmd->name, file ? " " : "", file ? file : "");
    return buf;
}

size_t cli_fleet_page(void)
{
    const char *v = getenv("TIERLEDGER_FLEET_PAGE");
    long n = v ? atol(v) : 0;
    return n >= 1 && n <= 1000000 ? (size_t)n : 2000;
}

size_t cli_fleet_half_page(void)
{
    size_t page = cli_fleet_page();
    return page > 1 ? page / 2 : 1;
}

size_t cli_sort_memory(void)
{
    const char *v = getenv("TIERLEDGER_SORT_MEMORY");
    long long n = v ? atoll(v) : 0;
    return n >= 4096 && n <= (1ll << 40) ? (size_t)n : (size_t)32 << 20;
}

const char *cli_opt(const CliContext *ctx, const char *name)
{
    int idx = find_option(ctx->cmd, name, strlen(name));
    return idx < 0 ? NULL : ctx->values[idx];
}

TlResult cli_opt_long(const CliContext *ctx, const char *name, long lo, long hi, long *out,
                      TlError *err)
{
    const char *v = cli_opt(ctx, name);
    if (!v)
        return TL_OK;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || errno || n < lo || n > hi)
        return tl_error_set(err, TL_ERR_USAGE, "--%s: expected a number from %ld to %ld, not '%s'",
                            name, lo, hi, v);
    *out = n;
    return TL_OK;
}

int cli_opt_all(const CliContext *ctx, const char *name, const char **out, int max)
{
    int idx = find_option(ctx->cmd, name, strlen(name)), n = 0;
    for (int i = 0; i < ctx->n_given && n < max; i++)
        if (ctx->given[i].option == idx)
            out[n++] = ctx->given[i].value;
    return n;
}

TlResult cli_as_of(const CliContext *ctx, TlTime *out, TlError *err)
{
    const char *text = cli_opt(ctx, "as-of");
    if (!text) {
        *out = ctx->now;
        return TL_OK;
    }
    if (strcmp(text, "now") == 0) {
        *out = ctx->now;
        return TL_OK;
    }
    if (!tl_time_parse(text, true, out)) {
        tl_error_set(err, TL_ERR_USAGE, "--as-of: '%s' is not an RFC 3339 time or a date", text);
        tl_error_hint(err, "for example 2025-04-12T00:00:00Z or 2025-04-12");
        return TL_ERR_USAGE;
    }
    return TL_OK;
}

TlResult cli_format(const CliContext *ctx, const char *const *allowed, int *index, TlError *err)
{
    const char *text = cli_opt(ctx, "format");
    *index = 0;
    if (!text)
        return TL_OK;
    for (int i = 0; allowed[i]; i++) {
        if (strcmp(text, allowed[i]) == 0) {
            *index = i;
            return TL_OK;
        }
    }
    char list[128] = "";
    for (int i = 0; allowed[i]; i++) {
        strncat(list, i ? "|" : "", sizeof list - strlen(list) - 1);
        strncat(list, allowed[i], sizeof list - strlen(list) - 1);
    }
    return tl_error_set(err, TL_ERR_USAGE, "--format: '%s' is not one of %s", text, list);
}

void cli_print_help(FILE *out, const CliCommand *cmd)
{
    fprintf(out, "usage: tierledger %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->description)
        fprintf(out, "\n%s\n", cmd->description);
    if (cmd->subcommands) {
        fprintf(out, "\nsubcommands ('tierledger %s NAME --help' describes one):\n", cmd->name);
        for (const CliCommand *const *sub = cmd->subcommands; *sub; sub++)
            fprintf(out, "  %-24s %s\n", strchr((*sub)->name, ' ') + 1, (*sub)->summary);
    }
    fprintf(out, "\noptions:\n");
    for (int i = 0; cmd->options[i].name; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", cmd->options[i].name,
                 cmd->options[i].arg ? " " : "", cmd->options[i].arg ? cmd->options[i].arg : "");
        fprintf(out, "  %-24s %s\n", left, cmd->options[i].help);
    }
    fprintf(out, "  %-24s %s\n", "--help", "show this help and exit");
}
