#!/bin/sh
# Fetch Debian cloud kernels and the modules nflux needs into a cache outside
# the clone, without touching the system's apt configuration.
#
# Usage: tests/qemu/kernels.sh [SELECTOR...]
#   SELECTOR: a suite (bullseye bookworm trixie sid), a version (5.10 6.1
#   6.12), "N.x" (the newest kernel whose major is N) or "all" (default).
# Prints one line per kernel on stdout: "LABEL DIR" (LABEL = major.minor,
# DIR holds vmlinuz, modules/*.ko, version). Progress goes to stderr.
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

say() { echo "kernels: $*" >&2; }
die() { say "$*"; exit 1; }

# The Debian mirror the system's own apt uses (no host is hard-coded).
system_mirror() {
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
	} | grep -E '/debian/?$' | head -n 1 | sed 's|/$||'
}

# Private apt options for one suite: own sources list, state and cache.
apt_opts() {
	d=$CACHE/apt/$1
	echo "-o Dir::Etc::sourcelist=$d/sources.list -o Dir::Etc::sourceparts=-" \
		"-o Dir::State=$d/state -o Dir::State::status=/dev/null" \
		"-o Dir::Cache=$d/cache -o Debug::NoLocking=1" \
		"-o APT::Architecture=$ARCH -o APT::Architectures=$ARCH" \
		"-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root -q"
}

apt_update() {
	d=$CACHE/apt/$1
	mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	echo "deb [arch=$ARCH signed-by=$keyring] $MIRROR $1 main" >"$d/sources.list"
	# shellcheck disable=SC2046
	apt-get $(apt_opts "$1") update >"$d/update.log" 2>&1 ||
		die "$1: apt-get update failed (see $d/update.log)"
}

# Field $2 of package $3 in suite $1 (the candidate version).
pkg_field() {
	# shellcheck disable=SC2046
	apt-cache $(apt_opts "$1") show "$3" 2>/dev/null |
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
	apt_update "$suite"
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
			(cd "$debs" && apt-get $(apt_opts "$suite") download "$p=$v" >&2) ||
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
