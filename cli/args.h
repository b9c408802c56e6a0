/* args.h - the command table and option parsing shared by every command.
 * Each command declares its options as one table, which drives both the
 * parser and --help. Options take `--name VALUE` or `--name=VALUE`. */
#ifndef TIERLEDGER_CLI_ARGS_H
#define TIERLEDGER_CLI_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "model/result.h"
#include "model/tltime.h"

#define CLI_MAX_OPTIONS 24
#define CLI_MAX_ARGS    8
#define CLI_MAX_GIVEN   64

typedef struct {
    const char *name; /* long name without "--" */
    const char *arg;  /* metavar, or NULL for a flag */
    const char *help;
    char short_name; /* e.g. 'o' for -o, or 0 */
} CliOption;

#define TIERLEDGER_VERSION "0.1.0"

typedef struct CliContext CliContext;

typedef struct CliCommand {
    const char *name;
    const char *summary;      /* one line for the command list */
    const char *usage;        /* after "tierledger NAME ", e.g. "DATABASE [options]" */
    const char *description;  /* paragraphs for --help */
    const CliOption *options; /* terminated by {NULL} */
    int min_args, max_args;
    TlResult (*run)(CliContext *ctx, TlError *err);
    /* a command made of subcommands (`report chargeback`): each with its
     * own options and help, NULL-terminated; NULL for a plain command */
    const struct CliCommand *const *subcommands;
} CliCommand;

struct CliContext {
    const CliCommand *cmd;
    const char *values[CLI_MAX_OPTIONS]; /* by option index; flags get "" */
    struct {
        int option;
        const char *value;
    } given[CLI_MAX_GIVEN]; /* every value in order, for repeatable options */
    int n_given;
    const char *args[CLI_MAX_ARGS];
    int nargs;
    TlTime now;      /* the wall clock, read once by main */
    int exit_status; /* for a successful run: 0, or check's verdict */
};

/* Parse argv (after the command name) against cmd's option table. Sets
 * *help when --help was given. */
TlResult cli_parse(const CliCommand *cmd, int argc, char **argv, CliContext *ctx, bool *help,
                   TlError *err);

/* The value of option `name`, or NULL when it was not given. */
const char *cli_opt(const CliContext *ctx, const char *name);

/* Lineages per page on the fleet paths (refresh, the reports; collect's
 * databases per batch of servers): 2000, or TIERLEDGER_FLEET_PAGE when it
 * is 1..1000000. */
size_t cli_fleet_page(void);
/* The page of a fleet reader that reads usage (refresh, chargeback): half
 * of cli_fleet_page (at least 1), so that its two pages in memory
 * (store_fleet_next) hold what one page did. */
size_t cli_fleet_half_page(void);

/* Bytes of report rows a sort keeps in memory before it spills runs to
 * disk (reports/spool.h): 32 MiB, or TIERLEDGER_SORT_MEMORY when it is at
 * least 4096. */
size_t cli_sort_memory(void);

#define CLI_ORIGIN_MAX 1100 /* a command name and a path */
/* What a writing command's rows come from, for recorded_via: the command
 * and, when given, the file ("import fleet.csv"), in buf. */
const char *cli_origin(const CliContext *ctx, const char *file, char *buf, size_t size);

/* The whole number option `name` in [lo, hi] into *out (left as it is when
 * the option is absent); anything else is TL_ERR_USAGE naming it. */
TlResult cli_opt_long(const CliContext *ctx, const char *name, long lo, long hi, long *out,
                      TlError *err);

/* Every value given for a repeatable option (--subscription A --subscription
 * B), in order, into out[0..max); returns how many. */
int cli_opt_all(const CliContext *ctx, const char *name, const char **out, int max);

/* --as-of (RFC 3339 or a date) or ctx->now. */
TlResult cli_as_of(const CliContext *ctx, TlTime *out, TlError *err);

/* --format: one of the NULL-terminated allowed names (default the first);
 * *index receives the position in allowed. */
TlResult cli_format(const CliContext *ctx, const char *const *allowed, int *index, TlError *err);

void cli_print_help(FILE *out, const CliCommand *cmd);

#endif
