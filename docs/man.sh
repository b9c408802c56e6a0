#!/bin/sh
# docs/man.sh BIN TEMPLATE PREFIX - write tierledger(1) to stdout: TEMPLATE
# (docs/tierledger.1.in) with @COMMANDS@ replaced by every command's --help,
# turned into roff, so that the page lists each command and option the
# binary has; @PREFIX@, @DATE@ and @VERSION@ filled in.
set -eu
bin=$1 template=$2 prefix=$3
roff() { # roff NAME: the --help text of command NAME on stdin as one .SS section
    awk -v name="$1" '
    function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); sub(/^[.\047]/, "\\\\\\&&", s); return s }
    NR == 1 { line = substr($0, length("usage: tierledger " name) + 2)
              print ".SS " esc(name); print ".B tierledger " esc(name); print esc(line); print ".PP"; next }
    /^options:$/ { opts = 1; next }
    opts && /^  -/ { line = $0; sub(/^  /, "", line)
                     split(line, parts, /  +/); flag = parts[1]; desc = substr(line, length(flag) + 1)
                     sub(/^ +/, "", desc)
                     n = split(flag, w, " "); f = "\\fB" esc(w[1]) "\\fR"; for (i = 2; i <= n; i++) f = f " \\fI" esc(w[i]) "\\fR"
                     print ".TP"; print f; print esc(desc); next }
    /^$/ { if (started && !opts) print ".PP"; next }
    /^ / { started = 1; print ".br"; print "\\&" esc($0); print ".br"; next }  # an indented line stays one
    { started = 1; print esc($0) }
    '
}
commands=$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
body=$(mktemp)
trap 'rm -f "$body"' EXIT
for c in $commands; do
    subs=$("$bin" "$c" --help | sed -n '/^subcommands/,/^$/s/^  \([a-z-]*\)  .*/\1/p')
    if [ -z "$subs" ]; then
        "$bin" "$c" --help | roff "$c" >>"$body"
    else # one section per subcommand ("report chargeback")
        for s in $subs; do "$bin" "$c" "$s" --help | roff "$c $s" >>"$body"; done
    fi
done
version=$(git -C "$(dirname "$0")/.." describe --always --dirty 2>/dev/null || echo unknown)
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$(dirname "$0")/.." log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%d)
while IFS= read -r line; do
    case $line in
        @COMMANDS@) cat "$body" ;;
        *) printf '%s\n' "$line" | sed -e "s|@PREFIX@|$prefix|g" -e "s|@DATE@|$date|g" -e "s|@VERSION@|$version|g" ;;
    esac
done <"$template"
