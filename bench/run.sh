#!/bin/sh
# make bench: every bench/*.sh but this one, each printing a markdown table.
# Benches compare ratios inside one run; absolute numbers vary by machine.
cd "$(dirname "$0")/.." || exit 1
rc=0
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	sh "$b" || rc=1
	echo
done
exit $rc
