#!/usr/bin/env bash
# test_config.sh - docs/configuration.md lists every configuration key:
# each option of each command's --help, each environment variable the C
# sources and cron/ read, each key of cron/tierledger.env.example; and it
# lists nothing that does not exist.
. "$(dirname "$0")/lib.sh"
doc=$here/../../docs/configuration.md
root=$here/../..

# options: every --name in every command's --help has a row
same "commands listed" "$(tl --help | sed -n 's/^  \([a-z-]*\)  .*/\1/p' | wc -w)" 13
all_commands >"$work/commands"
same "report has its subcommands" "$(grep -c '^report ' "$work/commands")" 3
while read -r c; do
    # shellcheck disable=SC2086
    for o in $(tl $c --help | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | grep -v -- '--help'); do
        if grep -qE "^\| \`$o[ \`=]" "$doc"; then ok; else bad "$c $o is not in docs/configuration.md"; fi
    done
done <"$work/commands"
# and every option row is an option of some command
for o in $(grep -oE '^\| `--[a-z-]+' "$doc" | cut -c4-); do
    found=0
    # shellcheck disable=SC2086
    while read -r c; do tl $c --help | grep -qE -- "(^| )$o( |,|$)" && found=1; done <"$work/commands"
    if [ $found = 1 ]; then ok; else bad "docs/configuration.md lists $o, which no command has"; fi
done

# environment variables read by the sources (getenv and the auth env helper) and cron/
vars=$( (grep -rhoE '\b(getenv|env)\("[A-Z_]+"\)' --include='*.c' "$root"/cli "$root"/collector "$root"/sql "$root"/reports |
         grep -oE '"[A-Z_]+"' | tr -d '"'
         grep -hoE '\$\{?TIERLEDGER_[A-Z_]+' "$root"/cron/* | tr -d '${'
         sed -n 's/^#* *\([A-Z][A-Z_]*\)=.*/\1/p' "$root"/cron/tierledger.env.example
         grep -hoE '[A-Z]+_[A-Z_]+=' "$root"/cron/tierledger.env.example | tr -d '=') | sort -u)
same "some variables found" "$([ "$(echo "$vars" | wc -l)" -ge 12 ] && echo yes)" yes
for v in $vars; do
    case $v in PG*) grep -q '`PG[A-Z]*`' "$doc" && { ok; continue; } ;; esac
    if grep -q "\`$v\`" "$doc"; then ok; else bad "$v is read but not in docs/configuration.md"; fi
done
# and every variable documented is read somewhere (libpq's PG* excepted)
for v in $(grep -oE '`(AZURE|IDENTITY|TIERLEDGER)_[A-Z_]+`' "$doc" | tr -d '`' | sort -u); do
    if echo "$vars" | grep -qx "$v"; then ok; else bad "docs/configuration.md lists $v, which nothing reads"; fi
done
finish
