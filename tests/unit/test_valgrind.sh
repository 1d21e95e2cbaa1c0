#!/bin/sh
# The parsers and the output code once under valgrind (memcheck): no
# invalid read or write, no use of uninitialised memory, no leak (definite
# or indirect). One result per test program, the plain (gcc) build of its
# unit test; ASan+UBSan runs them too, valgrind also sees what the
# uninstrumented code does.
B=${B:-build}
command -v valgrind >/dev/null || { echo "SKIP valgrind: valgrind is not installed"; exit 0; }
fails=0
for t in parse_btf parse_core parse_elf parse_elf_sym parse_malformed parse_obj parse_insn \
	tlstrace_asm tlstrace_fmt tlstrace_hpack tlstrace_http1 tlstrace_http2 tlstrace_http_wire \
	tlstrace_ld_cache tlstrace_libs tlstrace_pcap tlstrace_proc_maps tlstrace_proc_net \
	tlstrace_sock out_pcapng out_encode out_outbuf netrace_fmt netrace_sink tool_pkt; do
	bin=$B/plain/unit/test_$t
	[ -x "$bin" ] || continue
	log=$(mktemp)
	NF_VALGRIND=1 valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --log-file="$log" "$bin" >"$log.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "PASS valgrind/test_$t"
	elif [ "$rc" = 99 ]; then
		echo "FAIL valgrind/test_$t: $(grep -m 3 -E 'Invalid|uninitialised|definitely|indirectly' "$log" | tr '\n' ' ')"
		fails=$((fails + 1))
	else
		echo "FAIL valgrind/test_$t: the test failed under valgrind (status $rc): $(grep -m 2 '^FAIL' "$log.out" | tr '\n' ' ')"
		fails=$((fails + 1))
	fi
	rm -f "$log" "$log.out"
done
[ "$fails" -eq 0 ]
