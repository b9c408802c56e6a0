/* main.c - the tierledger entry point: find the command in the table, parse
 * its options, run it, and map the result to an exit code (sysexits; check
 * exits with its verdict). Errors go to stderr as one line, then a HINT. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "collector/http.h"

static const CliCommand *const commands[] = {
    &cmd_init,      &cmd_import,  &cmd_import_facts, &cmd_import_usage, &cmd_import_costs,
    &cmd_import_mi, &cmd_lineage, &cmd_check,        &cmd_report,       &cmd_refresh,
    &cmd_collect,   &cmd_verify,  &cmd_prices,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: tierledger COMMAND [options]\n\n"
                 "Backup lineage and billing tracker for Azure SQL Database.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\n'tierledger COMMAND --help' describes a command. Connection: libpq defaults "
                 "(PGHOST, PGDATABASE, ...)\nor --db CONNINFO. Exit codes: 0 ok, 64 usage, 65 bad "
                 "input data, 69 PostgreSQL unavailable,\n70 internal error, 66 input file "
                 "missing, 74 i/o error, 75 locked, 76 protocol, 77 refused credential, 78 "
                 "schema missing or newer; check: 0 ok, 1 warn, 2 blocked, 3 unknown.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 64;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("tierledger %s\n", TIERLEDGER_VERSION);
        return 0;
    }
    const CliCommand *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS && !cmd; i++)
        if (strcmp(commands[i]->name, name) == 0)
            cmd = commands[i];
    if (!cmd) {
        fprintf(stderr, "tierledger: unknown command '%s'\n\n", name);
        usage(stderr);
        return 64;
    }
    int skip = 2; /* argv[0] and the command */
    if (cmd->subcommands && argc > 2 && argv[2][0] != '-') {
        const CliCommand *parent = cmd;
        cmd = NULL;
        for (const CliCommand *const *sub = parent->subcommands; *sub && !cmd; sub++)
            if (strcmp(strchr((*sub)->name, ' ') + 1, argv[2]) == 0)
                cmd = *sub;
        if (!cmd) {
            fprintf(stderr, "tierledger %s: unknown subcommand '%s'\n\n", parent->name, argv[2]);
            cli_print_help(stderr, parent);
            return 64;
        }
        skip = 3;
    }
    CliContext ctx = {.cmd = cmd, .now = (TlTime)time(NULL)};
    TlError err = {{0}, {0}};
    bool help = false;
    TlResult rc = cli_parse(cmd, argc - skip, argv + skip, &ctx, &help, &err);
    if (!rc && help) {
        cli_print_help(stdout, cmd);
        return 0;
    }
    if (!rc)
        rc = http_global_init(&err);
    if (!rc) {
        rc = cmd->run(&ctx, &err);
        http_global_cleanup();
    }
    if (fflush(stdout) != 0 && !rc)
        rc = tl_error_set(&err, TL_ERR_IO, "cannot write to standard output");
    if (rc) {
        cli_diag(CLI_ERR, "tierledger %s: %s", cmd->name, err.msg[0] ? err.msg : tl_result_str(rc));
        if (err.hint[0])
            cli_diag(CLI_ERR, "HINT: %s", err.hint);
        if (rc == TL_ERR_USAGE)
            fprintf(stderr, "usage: tierledger %s %s (see --help)\n", cmd->name, cmd->usage);
        return tl_result_exit_code(rc);
    }
    return ctx.exit_status;
}
