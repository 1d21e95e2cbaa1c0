#!/bin/sh
# A Debian root of another architecture, unpacked (dpkg-deb -x, nothing
# configured) into a cache outside the clone: the musl sysroot and UAPI
# headers of the cross build, busybox-static for its images, and the
# guests' dynamic peers (iproute2, dash, openssl) with every library they
# need (the dependency closure, resolved by apt with an empty status).
#
# Usage: tests/qemu/sysroot.sh ARCH      (Debian's name: arm64)
# Prints the root's directory on stdout; progress goes to stderr. A second
# run downloads nothing.
# Env: NFLUX_SYSROOT_CACHE (default /var/cache/nflux/ARCH),
#      NFLUX_SYSROOT_SUITE (default bookworm).
set -eu

ARCH=${1:?usage: sysroot.sh ARCH}
CACHE=${NFLUX_SYSROOT_CACHE:-/var/cache/nflux/$ARCH}
SUITE=${NFLUX_SYSROOT_SUITE:-bookworm}
PKGS="musl-dev linux-libc-dev busybox-static iproute2 dash openssl"
ROOT=$CACHE/root

say() { echo "sysroot: $*" >&2; }
die() { say "$*"; exit 1; }
. "$(dirname "$0")/apt.sh"

if [ "$(cat "$ROOT/.packages" 2>/dev/null)" = "$SUITE $PKGS" ]; then
	echo "$ROOT"
	exit 0
fi
MIRROR=$(system_mirror)
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list*"
apt_update "$CACHE/apt" "$SUITE"
say "$ARCH $SUITE: downloading $PKGS and their dependencies"
# shellcheck disable=SC2046,SC2086 # the options and package names split
apt-get $(apt_opts "$CACHE/apt") install -y -d --no-install-recommends $PKGS >"$CACHE/apt/download.log" 2>&1 ||
	die "download failed (see $CACHE/apt/download.log)"
rm -rf "$ROOT.new"
mkdir -p "$ROOT.new"
for deb in "$CACHE"/apt/cache/archives/*_"$ARCH".deb "$CACHE"/apt/cache/archives/*_all.deb; do
	[ -f "$deb" ] && dpkg-deb -x "$deb" "$ROOT.new"
done
echo "$SUITE $PKGS" >"$ROOT.new/.packages"
rm -rf "$ROOT"
mv "$ROOT.new" "$ROOT"
say "$ARCH root ready in $ROOT ($(du -sm "$ROOT" | cut -f1) MB)"
echo "$ROOT"
