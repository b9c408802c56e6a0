#!/usr/bin/env bash
# test_cron.sh - cron/: the wrapper refuses an environment file others can
# read, loads a private one and runs the command with its variables; the
# timer runs the collector every 10 minutes and the units call the wrapper.
. "$(dirname "$0")/lib.sh"
wrapper=$here/../../cron/tierledger-run
envf=$work/tierledger.env
printf 'PGDATABASE=%s\nTIERLEDGER_TEST_MARK=from-env-file\n' "$PGDATABASE" >"$envf"

chmod 644 "$envf"
run "world-readable env file" 78 env TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$TIERLEDGER" TIERLEDGER_LOG=stderr "$wrapper" init
err_has "refusal names the file" "$envf is readable by group or others (mode 644)"
chmod 640 "$envf"
run "group-readable env file" 78 env TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$TIERLEDGER" TIERLEDGER_LOG=stderr "$wrapper" init
run "missing env file" 78 env TIERLEDGER_ENV="$work/none.env" TIERLEDGER_BIN="$TIERLEDGER" "$wrapper" init
chmod 600 "$envf"
# PGDATABASE comes from the file: unset it here to prove it
run "private env file" 0 env -u PGDATABASE TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$TIERLEDGER" TIERLEDGER_LOG=stderr "$wrapper" init
err_has "ran init in the file's database" "schema at version"
same "schema there" "$(sql 'SELECT count(*) FROM schema_version')" 8
run "exit status passes through" 64 env TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$TIERLEDGER" TIERLEDGER_LOG=stderr "$wrapper" collect --concurrency 0
# under cron (syslog): a failed run is logged at priority err and copied to
# stderr, which cron mails; a good run stays out of the mail
mkdir -p "$work/bin"
printf '#!/bin/sh\necho "logger $*" >>"%s"\ncat >/dev/null\n' "$work/logger.log" >"$work/bin/logger"
chmod +x "$work/bin/logger"
run "syslog: failure" 64 env PATH="$work/bin:$PATH" TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$TIERLEDGER" TIERLEDGER_LOG=syslog "$wrapper" collect --concurrency 0
err_has "syslog: failure copied to stderr for cron mail" "tierledger collect: --concurrency: expected a number"
same "syslog: failure logged as err" "$(grep -c -- '-p user.err' "$work/logger.log")" 1
run "syslog: success" 0 env -u PGDATABASE PATH="$work/bin:$PATH" TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$TIERLEDGER" TIERLEDGER_LOG=syslog "$wrapper" init
same "syslog: success not mailed" "$(wc -c <"$work/err")" 0
same "syslog: success logged as info" "$(grep -c -- '-p user.info' "$work/logger.log")" 1
run "no command" 64 "$wrapper"

cron=$here/../../cron
same "collect every 10 minutes (timer)" "$(grep -c '^OnCalendar=\*:0/10$' "$cron/tierledger-collect.timer")" 1
same "collect every 10 minutes (crontab)" "$(grep -c '^\*/10 \* \* \* \* .*tierledger-run collect' "$cron/tierledger.crontab")" 1
same "warnings daily" "$(grep -c 'tierledger-run report warnings' "$cron/tierledger-warnings.service" "$cron/tierledger.crontab" | awk -F: '{s+=$2} END {print s}')" 2
same "units use the wrapper" "$(grep -h '^ExecStart=' "$cron"/*.service | grep -vc '/usr/local/lib/tierledger/tierledger-run ')" 0
if command -v systemd-analyze >/dev/null 2>&1; then
    if systemd-analyze verify "$cron"/*.timer "$cron"/*.service >"$work/verify" 2>&1 || ! grep -q -i -E 'error|invalid|unknown' "$work/verify"; then ok; else bad "systemd-analyze: $(head -5 "$work/verify")"; fi
fi
if grep -q -E '^AZURE_CLIENT_SECRET=.+' "$cron/tierledger.env.example"; then bad "example env holds a secret"; else ok; fi
finish
