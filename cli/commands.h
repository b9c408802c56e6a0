/* commands.h - the subcommands of tierledger, one cmd_<name>.c each; main.c
 * dispatches through the table built from these descriptors. */
#ifndef TIERLEDGER_CLI_COMMANDS_H
#define TIERLEDGER_CLI_COMMANDS_H

#include "cli/args.h"

extern const CliCommand cmd_init;
extern const CliCommand cmd_import;
extern const CliCommand cmd_import_facts;
extern const CliCommand cmd_import_usage;
extern const CliCommand cmd_import_costs;
extern const CliCommand cmd_import_mi;
extern const CliCommand cmd_lineage;
extern const CliCommand cmd_check;
extern const CliCommand cmd_report;
extern const CliCommand cmd_report_chargeback; /* report's subcommands */
extern const CliCommand cmd_report_reconcile;
extern const CliCommand cmd_refresh;
extern const CliCommand cmd_collect;
extern const CliCommand cmd_verify;
extern const CliCommand cmd_prices;

#endif
