#!/usr/bin/env bash
# check-bare.sh - the README's two commands on a newcomer's bare Debian 12:
# a fresh `debootstrap --variant=minbase bookworm` root with only `make`
# added, this checkout (and ../shared) copied in, then `make demo`,
# `make demo-stop` and `make test` inside it, as root. The mounts are undone
# and the root removed at the end, whatever happens. Needs root and
# debootstrap (apt-get install debootstrap); exits 77 (skipped) without
# them. DEBIAN_MIRROR overrides the mirror (default: this machine's first).
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "check-bare: skipped: needs root" >&2; exit 77; fi
if ! command -v debootstrap >/dev/null; then
    echo "check-bare: skipped: debootstrap is missing (apt-get install debootstrap)" >&2; exit 77
fi
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d --tmpdir=/var/tmp)
chmod 755 "$root" # the root of the new system: every user traverses it
mounted=()
cleanup() {
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT INT TERM
mnt() { mount "$@"; mounted+=("${*: -1}"); }

echo "check-bare: debootstrap minbase bookworm from $mirror into $root" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
    { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
mnt -t proc proc "$root/proc"
mnt -t sysfs sys "$root/sys"
mnt --bind /dev "$root/dev"
mnt -t devpts devpts "$root/dev/pts"
mnt -t tmpfs tmpfs "$root/dev/shm"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mkdir -p "$root/work/main" "$root/work/shared"
tar -C . --exclude=./build --exclude=./bin -cf - . | tar -C "$root/work/main" -xf -
tar -C ../shared -cf - . | tar -C "$root/work/shared" -xf -
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 /bin/sh -c "$1"; }
in_root 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make >/dev/null'
echo "check-bare: make demo" >&2
in_root 'cd /work/main && make demo' >"$root/demo.log" 2>&1 ||
    { tail -30 "$root/demo.log" >&2; echo "check-bare: make demo failed"; echo "check-bare: 0 passed, 1 failed"; exit 1; }
in_root 'cd /work/main && make demo-stop' >/dev/null 2>&1 || true
echo "check-bare: make test" >&2
in_root 'cd /work/main && make test' >"$root/test.log" 2>&1 ||
    { tail -30 "$root/test.log" >&2; echo "check-bare: make test failed"; echo "check-bare: 1 passed, 1 failed"; exit 1; }
tail -1 "$root/test.log"
echo "check-bare: 2 passed, 0 failed"
