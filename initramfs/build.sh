#!/bin/sh
# Build a bootable initramfs (newc cpio, gzip) holding busybox, nflux, an init,
# kernel modules and extra files.
#
# Usage: initramfs/build.sh OUT NFLUX "MODULES" "EXTRA"
#   MODULES: .ko files or directories of .ko files; they land in /lib/modules
#            with a load order (dependencies first) in /lib/modules/order.
#   EXTRA:   "src[:dest]" entries; dest defaults to src's absolute path.
#            A dynamically linked executable brings the libraries ldd lists.
# Env: BUSYBOX (default /bin/busybox, must be static), INIT (default: the
#      init next to this script), LIBROOT (an image of another architecture:
#      the unpacked Debian root, tests/qemu/sysroot.sh, its busybox the
#      default; dynamic executables' libraries are found there from their
#      ELF, as ldd cannot run them).
set -eu

[ $# -ge 2 ] || { echo "usage: $0 OUT NFLUX [MODULES] [EXTRA]" >&2; exit 2; }
OUT=$1 NFLUX=$2 MODULES=${3:-} EXTRA=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
LIBROOT=${LIBROOT:-}
BUSYBOX=${BUSYBOX:-$LIBROOT/bin/busybox}
INIT=${INIT:-$HERE/init}

die() { echo "initramfs: $*" >&2; exit 1; }

[ -x "$NFLUX" ] || die "no nflux binary at $NFLUX (run make first)"
[ -x "$BUSYBOX" ] || die "no busybox at $BUSYBOX (install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1 || readelf -lW "$BUSYBOX" 2>/dev/null | grep -q 'program interpreter'; then
	die "$BUSYBOX is dynamically linked (install busybox-static)"
fi

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT INT TERM

# put SRC DEST: copy a file (following symlinks) into the image.
put() {
	mkdir -p "$ROOT$(dirname "$2")"
	cp -L "$1" "$ROOT$2"
}

# The shared libraries (and the loader) ldd lists for a dynamic executable.
libs_of() {
	if [ -n "$LIBROOT" ]; then
		foreign_libs "$1"
		return
	fi
	ldd "$1" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }'
}

# The same for an executable of another architecture: its interpreter and
# DT_NEEDED entries, recursively, found in $LIBROOT's library directories
# (printed as paths inside the image).
foreign_libs() {
	todo=$1 seen=""
	while [ -n "$todo" ]; do
		f=${todo%% *}
		todo=$(echo "${todo#"$f"}" | sed 's/^ *//')
		needed=$(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
		interp=$(readelf -lW "$f" 2>/dev/null | sed -n 's/.*program interpreter: \(.*\)\]/\1/p')
		for n in $interp $needed; do
			p=""
			case "$n" in
			/*) p=$n ;;
			*) for d in "$LIBROOT"/lib/*-linux-gnu "$LIBROOT"/usr/lib/*-linux-gnu \
				"$LIBROOT"/lib "$LIBROOT"/usr/lib; do
				[ -e "$d/$n" ] && { p=${d#"$LIBROOT"}/$n; break; }
			done ;;
			esac
			[ -n "$p" ] && [ -e "$LIBROOT$p" ] || die "$n (needed by $f) is not in $LIBROOT"
			case " $seen " in *" $p "*) continue ;; esac
			seen="$seen $p"
			echo "$p"
			todo="$todo $LIBROOT$p"
		done
	done
}

mkdir -p "$ROOT/bin" "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" "$ROOT/tmp" \
	"$ROOT/run" "$ROOT/root" "$ROOT/etc" "$ROOT/lib/modules"
chmod 1777 "$ROOT/tmp"

put "$BUSYBOX" /bin/busybox
# A busybox of another architecture cannot list its applets here: the
# host's busybox (same Debian package) lists them.
applets=$("$BUSYBOX" --list 2>/dev/null) || applets=$(/bin/busybox --list) ||
	die "cannot list the applets of $BUSYBOX"
for applet in $applets; do
	[ -e "$ROOT/bin/$applet" ] || ln -s busybox "$ROOT/bin/$applet"
done
put "$NFLUX" /bin/nflux
put "$INIT" /init
chmod 755 "$ROOT/init" "$ROOT/bin/nflux"
echo "root:x:0:0:root:/root:/bin/sh" >"$ROOT/etc/passwd"
echo "root:x:0:" >"$ROOT/etc/group"

# Modules: copy them, then write their load order (dependencies first) as
# read from each module's .modinfo "depends=" field.
mod_files=""
for m in $MODULES; do
	if [ -d "$m" ]; then
		mod_files="$mod_files $(ls "$m"/*.ko 2>/dev/null | tr '\n' ' ')"
	else
		mod_files="$mod_files $m"
	fi
done
mod_name() { basename "$1" .ko | tr - _; }
mod_deps() { tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',-' ' _'; }
order=$ROOT/lib/modules/order
: >"$order"
add_ordered() {
	grep -qx "$1.ko" "$order" && return 0
	[ -f "$ROOT/lib/modules/$1.ko" ] || return 0  # built in, or not given
	for d in $(mod_deps "$ROOT/lib/modules/$1.ko"); do
		add_ordered "$d"
	done
	echo "$1.ko" >>"$order"
}
for f in $mod_files; do
	[ -f "$f" ] || die "module $f not found"
	case "$f" in *.ko) ;; *) die "module $f is not a .ko (decompress it first)" ;; esac
	cp "$f" "$ROOT/lib/modules/$(mod_name "$f").ko"
done
for f in $mod_files; do
	add_ordered "$(mod_name "$f")"
done

for e in $EXTRA; do
	src=${e%%:*}
	dest=${e#*:}
	[ "$dest" = "$e" ] && dest=$src
	case "$dest" in /*) ;; *) dest=/$dest ;; esac
	[ -e "$src" ] || die "extra file $src not found"
	if [ -d "$src" ]; then
		mkdir -p "$ROOT$dest"
		cp -RL "$src/." "$ROOT$dest/"
		continue
	fi
	put "$src" "$dest"
	libs=$(libs_of "$src") || exit 1
	for lib in $libs; do
		[ -e "$ROOT$lib" ] || put "$LIBROOT$lib" "$lib"
	done
done

mkdir -p "$(dirname "$OUT")"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) |
	gzip -6 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "initramfs: $OUT ($(du -k "$OUT" | cut -f1) KiB; modules: $(tr '\n' ' ' <"$order"))" >&2
