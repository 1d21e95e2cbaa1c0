#!/bin/sh
# Fetch Debian cloud kernels and the modules nflux needs into a cache outside
# the clone, without touching the system's apt configuration.
#
# Usage: tests/qemu/kernels.sh [--arch amd64|arm64] [SELECTOR...]
#   SELECTOR: a suite (bullseye bookworm trixie sid), a version (5.10 6.1
#   6.12), "N.x" (the newest kernel whose major is N) or "all" (default).
# Prints one line per kernel on stdout: "LABEL DIR" (LABEL = major.minor,
# DIR holds vmlinuz, modules/*.ko, version). Progress goes to stderr.
# --arch arm64 fetches linux-image-cloud-arm64 instead, cached under
# $NFLUX_KERNEL_CACHE/arm64.
# Env: NFLUX_KERNEL_CACHE (default /var/cache/nflux/kernels),
#      NFLUX_KERNELS_REFRESH=1 re-resolves the packages even when cached.
set -eu

CACHE=${NFLUX_KERNEL_CACHE:-/var/cache/nflux/kernels}
SUITES="bullseye bookworm trixie sid"
# Modules the guest loads; their dependencies are added from .modinfo.
WANT_MODS="sch_ingress cls_bpf veth 8021q virtio_net"
# Built in on newer kernels; copied when the package has them (a NIC for the
# appliance image).
OPT_MODS="virtio_pci"
ARCH=amd64
if [ "${1:-}" = --arch ]; then
	ARCH=${2:?--arch needs amd64 or arm64}
	shift 2
	[ "$ARCH" = amd64 ] || CACHE=$CACHE/$ARCH
fi

say() { echo "kernels: $*" >&2; }
die() { say "$*"; exit 1; }
. "$(dirname "$0")/apt.sh"

# Field $2 of package $3 in suite $1 (the candidate version).
pkg_field() {
	# shellcheck disable=SC2046
	apt-cache $(apt_opts "$CACHE/apt/$1") show "$3" 2>/dev/null |
		awk -v f="$2:" '$1 == f { sub(/^[^:]*: */, ""); print; exit }'
}

# Dependency names of package $2 matching the regex $3.
pkg_deps_matching() {
	pkg_field "$1" Depends "$2" | tr ',|' '\n\n' |
		sed 's/^ *//; s/ .*//' | grep -E "$3" || true
}

# The versioned linux-image package, then its binary/modules packages.
resolve_packages() {
	img=$(pkg_deps_matching "$1" linux-image-cloud-$ARCH "^linux-image-[0-9].*-cloud-$ARCH\$" | head -n 1)
	[ -n "$img" ] || die "$1: cannot resolve linux-image-cloud-$ARCH"
	echo "$img"
	pkg_deps_matching "$1" "$img" "^linux-(binary|modules)-[0-9]"
}

# .modinfo "depends=a,b" of a module file.
mod_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

# Find module NAME (dashes and underscores are equivalent) under tree $1.
find_module() {
	pat=$(echo "$2" | sed 's/[-_]/[-_]/g')
	find "$1" -type f \( -name "$pat.ko" -o -name "$pat.ko.xz" -o -name "$pat.ko.zst" \) | head -n 1
}

# Copy module NAME and everything it depends on into $3, decompressed
# (initramfs/build.sh works out the load order).
# A subshell body: the recursion must not clobber the caller's variables.
copy_module() (
	tree=$1 name=$2 out=$3
	dst=$out/$(echo "$name" | tr - _).ko
	[ -f "$dst" ] && return 0
	src=$(find_module "$tree" "$name")
	[ -n "$src" ] || die "module $name not found in the kernel package"
	case "$src" in
	*.xz) xz -dc "$src" >"$dst" ;;
	*.zst) zstd -qdc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
	for dep in $(mod_depends "$dst"); do
		copy_module "$tree" "$dep" "$out"
	done
)

# Download and unpack one suite's kernel into $CACHE/$1.
fetch_suite() {
	suite=$1 dir=$CACHE/$1
	apt_update "$CACHE/apt/$suite" "$suite"
	pkgs=$(resolve_packages "$suite")
	say "$suite: $(echo $pkgs)"
	debs=$CACHE/debs
	mkdir -p "$debs"
	for p in $pkgs; do
		v=$(pkg_field "$suite" Version "$p")
		f=$(ls "$debs/${p}_"*"_$ARCH.deb" 2>/dev/null | grep -F "_$(echo "$v" | sed 's/^[0-9]*://')_" | head -n 1 || true)
		if [ -z "$f" ]; then
			say "$suite: downloading $p $v"
			# shellcheck disable=SC2046
			(cd "$debs" && apt-get $(apt_opts "$CACHE/apt/$suite") download "$p=$v" >&2) ||
				die "$suite: download of $p failed"
		fi
	done
	tmp=$CACHE/.unpack.$suite
	rm -rf "$tmp" "$dir.new"
	mkdir -p "$tmp" "$dir.new/modules"
	for p in $pkgs; do
		v=$(pkg_field "$suite" Version "$p" | sed 's/^[0-9]*://')
		dpkg-deb -x "$debs/${p}_${v}_$ARCH.deb" "$tmp"
	done
	vmlinuz=$(find "$tmp" -type f -name 'vmlinuz*' | head -n 1)
	[ -n "$vmlinuz" ] || die "$suite: no vmlinuz in $pkgs"
	cp "$vmlinuz" "$dir.new/vmlinuz"
	kver=$(ls "$tmp/lib/modules" "$tmp/usr/lib/modules" 2>/dev/null | grep -E '^[0-9]' | head -n 1)
	echo "$kver" >"$dir.new/version"
	for m in $WANT_MODS; do
		copy_module "$tmp" "$m" "$dir.new/modules"
	done
	for m in $OPT_MODS; do
		[ -z "$(find_module "$tmp" "$m")" ] || copy_module "$tmp" "$m" "$dir.new/modules"
	done
	echo "$WANT_MODS $OPT_MODS" >"$dir.new/modules/wanted"
	rm -rf "$tmp" "$dir"
	mv "$dir.new" "$dir"
	say "$suite: kernel $kver ready in $dir"
}

# "5.10.0-32-cloud-amd64" -> "5.10"
label_of() { sed 's/^\([0-9]*\.[0-9]*\).*/\1/' "$1/version"; }

# Cached, and unpacked with the current module list?
ready() {
	[ -s "$CACHE/$1/vmlinuz" ] && [ -s "$CACHE/$1/version" ] &&
		[ "$(cat "$CACHE/$1/modules/wanted" 2>/dev/null)" = "$WANT_MODS $OPT_MODS" ]
}

# Does suite $1 (label $2) match selector $3?
matches() {
	case "$3" in
	all | "$1" | "$2") return 0 ;;
	newest) [ "$1" = sid ] ;;
	*.x) [ "${2%%.*}" = "${3%.x}" ] ;;
	*) return 1 ;;
	esac
}

# Labels are only known once a kernel is cached; selectors that name a
# version map to the suite that shipped it.
suite_hint() {
	case "$1" in
	5.10) echo bullseye ;; 6.1) echo bookworm ;; 6.12) echo trixie ;;
	all) echo "$SUITES" ;; newest | *.x) echo sid ;;
	*) echo "$1" ;;
	esac
}

main() {
	[ $# -gt 0 ] || set -- all
	mkdir -p "$CACHE"
	MIRROR=$(system_mirror)
	[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list*"
	wanted=""
	for sel in "$@"; do
		for s in $(suite_hint "$sel"); do
			case " $SUITES " in *" $s "*) ;; *) die "unknown kernel selector '$sel'" ;; esac
			case " $wanted " in *" $s "*) ;; *) wanted="$wanted $s" ;; esac
		done
	done
	matched=""
	for s in $wanted; do
		if ! ready "$s" || [ "${NFLUX_KERNELS_REFRESH:-0}" = 1 ]; then
			fetch_suite "$s"
		fi
		lbl=$(label_of "$CACHE/$s")
		hit=0
		for sel in "$@"; do
			if matches "$s" "$lbl" "$sel"; then
				hit=1
				matched="$matched $sel"
			fi
		done
		[ $hit = 0 ] || echo "$lbl $CACHE/$s"
	done
	for sel in "$@"; do
		case " $matched " in
		*" $sel "*) ;;
		*) [ "$sel" = all ] || die "no kernel matches '$sel' (have:$(for s in $wanted; do printf ' %s' "$(label_of "$CACHE/$s")"; done))" ;;
		esac
	done
}

main "$@"
