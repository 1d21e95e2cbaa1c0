#!/bin/sh
# The pipeline's stages, in order; a file may include headers of its own
# folder, of an earlier stage, or of its own stage's shared folder, never
# of a later one (parse knows nothing of kern, kern nothing of attach).
# Usage: tools/check-includes.sh [TREE]; prints each upward include and
# exits 1 when there is one.
set -eu
cd "${1:-.}"

# rank FILE: the stage of a path (case patterns match '/' too: the
# folders come before loader/*); siblings share a rank but may not
# include each other (attach and read; netrace and tlstrace).
rank() {
	case "$1" in
	loader/parse/*) echo 1 ;;
	loader/kern/*) echo 2 ;;
	loader/attach/*|loader/read/*) echo 3 ;;
	bpf/*|loader/*) echo 0 ;;
	src/main.c) echo 6 ;;
	src/netrace/*|src/tlstrace/*) echo 5 ;;
	src/*) echo 4 ;; # src/out/, and what the commands share (iface, cmd_run)
	*) echo 9 ;;
	esac
}

# resolve DIR NAME: the file a quoted include names, as the compiler finds
# it (the including file's folder, then -Iloader -Isrc -Ibpf).
resolve() {
	for d in "$1" loader src bpf; do
		[ -f "$d/$2" ] && { echo "$d/$2" | sed 's#/\./#/#g; s#^\./##'; return; }
	done
	echo ""
}

bad=0
for f in $(find loader src -name '*.[ch]' | sort); do
	dir=$(dirname "$f")
	fr=$(rank "$f")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		to=$(resolve "$dir" "$inc")
		[ -n "$to" ] || continue
		[ "$(dirname "$to")" = "$dir" ] && continue
		tr=$(rank "$to")
		if [ "$tr" -ge "$fr" ] && [ "$tr" != 0 ]; then
			echo "$f includes $to (a later or sibling stage)"
			bad=1
		fi
	done
done
exit $bad
