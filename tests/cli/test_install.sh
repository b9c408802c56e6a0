#!/usr/bin/env bash
# test_install.sh - `make install` as a packager and an operator use it:
# DESTDIR and PREFIX, the binary, the cron wrapper, the man page (every
# command, option, environment variable and exit code), the systemd units
# (systemd-analyze verify, and security 'OK': 2.5 or lower), the sysusers.d
# entry (systemd-sysusers creates the user), then `make uninstall`.
. "$(dirname "$0")/lib.sh"
root=$(cd "$here/../.." && pwd)
dest=$work/dest
run "make install DESTDIR PREFIX=/usr" 0 make -s -C "$root" install DESTDIR="$dest" PREFIX=/usr
for f in usr/bin/tierledger usr/lib/tierledger/tierledger-run usr/share/man/man1/tierledger.1 \
    usr/lib/systemd/system/tierledger-collect.service usr/lib/systemd/system/tierledger-collect.timer \
    usr/lib/systemd/system/tierledger-warnings.service usr/lib/systemd/system/tierledger-warnings.timer \
    usr/lib/sysusers.d/tierledger.conf usr/share/doc/tierledger/README.md \
    usr/share/doc/tierledger/examples/tierledger.crontab usr/share/doc/tierledger/examples/tierledger.env; do
    if [ -f "$dest/$f" ]; then ok; else bad "installed: $f missing"; fi
done
same "binary mode" "$(stat -c %a "$dest/usr/bin/tierledger")" 755
same "installed binary runs" "$("$dest/usr/bin/tierledger" --help | head -1)" "usage: tierledger COMMAND [options]"
same "units carry PREFIX" "$(grep -h '^ExecStart=' "$dest"/usr/lib/systemd/system/*.service | grep -vc '^ExecStart=/usr/bin/tierledger ')" 0
same "crontab carries PREFIX" "$(grep -c '/usr/lib/tierledger/tierledger-run' "$dest/usr/share/doc/tierledger/examples/tierledger.crontab")" 2
same "nothing outside DESTDIR" "$(find "$dest" -mindepth 1 -maxdepth 1 | sed "s|$dest/||")" usr

# ---- the man page --------------------------------------------------------------
man1=$dest/usr/share/man/man1/tierledger.1
manfile=$work/man.txt
# the page as text, hyphens plain (roff writes \-)
sed 's/\\-/-/g; s/\\f[BIR]//g' "$man1" >"$manfile"
all_commands >"$work/commands"
while read -r c; do
    if grep -q "^.SS $c\$" "$manfile"; then ok; else bad "man: no section for $c"; fi
    # shellcheck disable=SC2086
    for o in $(tl $c --help | sed -n 's/^  \(--[a-z-]*\).*/\1/p'); do
        if sed -n "/^.SS $c\$/,/^.S[SH] /p" "$manfile" | grep -q -- "^$o\\b"; then ok; else bad "man: $c $o missing"; fi
    done
done <"$work/commands"
# every variable the code reads, every exit code it returns
vars=$(grep -rhoE '(getenv|env)\("[A-Z_]+"\)' "$root"/cli "$root"/collector "$root"/sql "$root"/reports |
    sed 's/.*("\(.*\)")/\1/' | sort -u)
[ -n "$vars" ] && ok || bad "no environment variables found in the sources"
for v in $vars; do
    if sed -n '/^.SH ENVIRONMENT/,/^.SH /p' "$manfile" | grep -q "\\b$v\\b"; then ok; else bad "man: ENVIRONMENT lacks $v"; fi
done
codes=$(sed -n '/^int tl_result_exit_code/,/^}/p' "$root/model/result.c" | grep -o 'return [0-9]*' | awk '{print $2}' | sort -un)
for code in $codes; do
    if sed -n '/^.SH "EXIT STATUS"/,/^.SH /p;/^.SH EXIT STATUS/,/^.SH /p' "$manfile" | grep -q "^.B $code\$"; then ok; else bad "man: EXIT STATUS lacks $code"; fi
done
if command -v man >/dev/null 2>&1; then
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man1" >"$work/man.out" 2>"$work/man.err"
    same "man renders without warnings" "$(cat "$work/man.err")" ""
    if grep -q 'collect \[options\]' "$work/man.out"; then ok; else bad "man: rendered page lacks the collect synopsis"; fi
fi

# ---- systemd -----------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
    pfx=$work/prefix # the units' ExecStart must exist for verify: install under a real prefix
    run "make install PREFIX=(test folder)" 0 make -s -C "$root" install PREFIX="$pfx"
    run "systemd-analyze verify" 0 systemd-analyze verify --man=no "$pfx"/lib/systemd/system/tierledger-*
    same "verify: no complaint" "$(cat "$work/err")" ""
    for u in collect warnings; do
        systemd-analyze security --offline=yes "$pfx/lib/systemd/system/tierledger-$u.service" >"$work/sec" 2>&1
        score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$work/sec")
        if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then ok; else bad "systemd-analyze security $u: '$score', expected 2.5 or lower: $(tail -3 "$work/sec")"; fi
    done
fi
if command -v systemd-sysusers >/dev/null 2>&1; then
    mkdir -p "$work/sysroot/etc"
    : >"$work/sysroot/etc/passwd"
    : >"$work/sysroot/etc/group"
    run "systemd-sysusers creates the user" 0 systemd-sysusers --root="$work/sysroot" "$dest/usr/lib/sysusers.d/tierledger.conf"
    same "the tierledger user: system, no login, home for ~/.pgpass" \
        "$(awk -F: '$1 == "tierledger" { print ($3 < 1000 ? "system" : "not-system"), $6, $7 }' "$work/sysroot/etc/passwd")" \
        "system /var/lib/tierledger /usr/sbin/nologin"
fi

run "make uninstall" 0 make -s -C "$root" uninstall DESTDIR="$dest" PREFIX=/usr
same "uninstall leaves no file" "$(find "$dest" -type f | wc -l)" 0
finish
