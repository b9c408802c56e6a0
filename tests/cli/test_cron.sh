#!/usr/bin/env bash
# test_cron.sh - cron/: the wrapper refuses an environment file others can
# read, loads a private one as data (never as shell) and runs the command
# with its variables; the timer runs the collector every 10 minutes, the
# units run the binary with the environment file and a journal identifier
# (test_install.sh checks the installed units with systemd-analyze).
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
same "schema there" "$(sql 'SELECT count(*) FROM schema_version')" "$MIGRATIONS"
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
# the file is data, never shell: nothing in it runs, quotes are removed once
printf '# comment\n\n  ; another\nPGDATABASE="%s"\nTIERLEDGER_TEST_MARK=$(touch %s)`touch %s`\n' \
    "$PGDATABASE" "$work/pwned" "$work/pwned" >"$envf"
printf '#!/bin/sh\nprintf "%%s|%%s\\n" "$PGDATABASE" "$TIERLEDGER_TEST_MARK"\n' >"$work/bin/show-env"
chmod +x "$work/bin/show-env"
run "env file read as data" 0 env -u PGDATABASE TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$work/bin/show-env" TIERLEDGER_LOG=stderr "$wrapper" init
same "env file: values as written, quotes removed" "$(cat "$work/out")" "$PGDATABASE|\$(touch $work/pwned)\`touch $work/pwned\`"
if [ -e "$work/pwned" ]; then bad "env file: a command in it ran"; else ok; fi
printf 'PGDATABASE=x\nexport PGHOST=/tmp\n' >"$envf"
run "env file: a line that is not NAME=value" 78 env TIERLEDGER_ENV="$envf" TIERLEDGER_BIN="$TIERLEDGER" TIERLEDGER_LOG=stderr "$wrapper" init
err_has "env file: the bad line named" "$envf:2: not a NAME=value line"

cron=$here/../../cron
same "collect every 10 minutes (timer)" "$(grep -c '^OnCalendar=\*:0/10$' "$cron/tierledger-collect.timer")" 1
same "collect every 10 minutes (crontab)" "$(grep -c '^\*/10 \* \* \* \* .*tierledger-run collect' "$cron/tierledger.crontab")" 1
same "warnings daily (crontab)" "$(grep -c 'tierledger-run report warnings' "$cron/tierledger.crontab")" 1
same "warnings daily (unit)" "$(grep -c '^ExecStart=/usr/local/bin/tierledger report warnings$' "$cron/tierledger-warnings.service")" 1
# the units run the binary; systemd reads the environment file (no shell)
same "units run the binary" "$(grep -h '^ExecStart=' "$cron"/*.service | grep -vc '^ExecStart=/usr/local/bin/tierledger ')" 0
same "units read the env file as data" "$(grep -l '^EnvironmentFile=/etc/tierledger/tierledger.env$' "$cron"/*.service | wc -l)" 2
same "units name their journal identifier" "$(grep -h '^SyslogIdentifier=' "$cron"/*.service | sort | tr '\n' ' ')" "SyslogIdentifier=tierledger-collect SyslogIdentifier=tierledger-warnings "
if grep -q -E '^AZURE_CLIENT_SECRET=.+' "$cron/tierledger.env.example"; then bad "example env holds a secret"; else ok; fi
finish
