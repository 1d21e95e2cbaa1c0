#!/usr/bin/python3
"""nflux tlstrace end to end, with real OpenSSL peers on loopback.

tlstrace probes only what this suite made: a private copy of libssl that
the peers load through LD_LIBRARY_PATH (--lib), a statically linked test
program (--binary), or, where it discovers libraries itself, only the
suite's processes pass its -p/--comm filters. Every case checks the
captured plaintext against the bytes the peers really sent.

Prints PASS/FAIL/SKIP lines for tests/run.sh. Env: NFLUX (the binary).
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NFLUX = os.path.abspath(os.environ.get("NFLUX", os.path.join(ROOT, "build", "nflux")))
PEER = os.path.join(ROOT, "tests", "host", "tt_peer.py")
PY = "/usr/bin/python3"
LIBDIR = "/usr/lib/" + subprocess.run(["gcc", "-dumpmachine"], capture_output=True,
                                      text=True).stdout.strip()
failed = 0


def result(name, ok, why=""):
    global failed
    if ok:
        print("PASS tlstrace/%s" % name)
    else:
        failed += 1
        print("FAIL tlstrace/%s: %s" % (name, why))
    sys.stdout.flush()
    return ok


def skip(name, why):
    print("SKIP tlstrace/%s: %s" % (name, why))
    sys.stdout.flush()


def wait_file(path, secs=20):
    end = time.time() + secs
    while not os.path.exists(path):
        if time.time() > end:
            return False
        time.sleep(0.02)
    return True


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


class Tracer:
    """nflux tlstrace in JSON, stopped by SIGINT."""

    def __init__(self, tmp, args, env=None, name="t"):
        self.out = os.path.join(tmp, name + ".out")
        self.err = os.path.join(tmp, name + ".err")
        e = dict(os.environ)
        e.update(env or {})
        with open(self.out, "wb") as o, open(self.err, "wb") as er:
            self.p = subprocess.Popen([NFLUX, "--log-format", "json", "tlstrace"] + args,
                                      stdout=o, stderr=er, env=e)
        self.ready = self._wait_attached()

    def _wait_attached(self, secs=20):
        end = time.time() + secs
        while time.time() < end:
            if b"tlstrace: attached" in read(self.err):
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def events(self):
        evs = []
        for line in read(self.out).splitlines():
            try:
                evs.append(json.loads(line))
            except ValueError:
                evs.append({"_bad": line[:80]})
        return evs

    def stderr(self):
        return read(self.err).decode(errors="replace")


def data_of(evs, **match):
    """The concatenated plaintext of the events matching every key=value."""
    sel = [e for e in evs if all(e.get(k) == v for k, v in match.items())]
    return b"".join(base64.b64decode(e.get("data", "")) for e in sel), sel


class Suite:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="nf_tls.")
        os.chmod(self.tmp, 0o755)
        self.cert = os.path.join(self.tmp, "cert.pem")
        self.key = os.path.join(self.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-keyout", self.key, "-out", self.cert],
                       check=True, capture_output=True)
        self.lib = self.private_lib("lib")
        self.procs = []
        self.n = 0

    def private_lib(self, name):
        """A copy of libssl.so.3 of its own (its own inode) in a new folder."""
        d = os.path.join(self.tmp, name)
        os.mkdir(d)
        shutil.copy(os.path.join(LIBDIR, "libssl.so.3"), d)
        return d

    def path(self, name):
        self.n += 1
        return os.path.join(self.tmp, "%s.%d" % (name, self.n))

    def spawn(self, argv, lib=None, name=None):
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = lib or self.lib
        if name:  # a comm of its own: the program copied under that name
            exe = os.path.join(self.tmp, name)
            if not os.path.exists(exe):
                shutil.copy(argv[0], exe)
            argv = [exe] + argv[1:]
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.procs.append(p)
        return p

    def server(self, expect, conns=1, reply=None, lib=None, name=None):
        port, out = self.path("port"), self.path("srv")
        argv = [PY, PEER, "server", self.cert, self.key, port, out, str(expect), str(conns)]
        p = self.spawn(argv + ([reply] if reply else []), lib, name)
        ok = wait_file(port)
        return p, int(read(port)) if ok else 0, out

    def client(self, port, data, wait=None, threads=1, lib=None, name=None, linger=0):
        """linger: seconds the connection stays open after the exchange, so
        that its socket can still be looked up after the last call."""
        out, info = self.path("cli"), self.path("info")
        argv = [PY, PEER, "client", str(port), data, out, "--info", info, "--threads", str(threads),
                "--linger", str(linger)]
        if wait:
            argv += ["--wait", wait]
        p = self.spawn(argv, lib, name)
        return p, out, info

    def random_file(self, n):
        path = self.path("data")
        with open(path, "wb") as f:
            f.write(os.urandom(n))
        return path

    def finish(self, *ps, secs=60):
        ok = True
        for p in ps:
            try:
                p.wait(secs)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            ok = ok and p.returncode == 0
        return ok

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def case_openssl_tools(s):
    """openssl s_server and s_client: a known line each way, exact."""
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")])
    if not result("s_client/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    port = 45000 + os.getpid() % 1000
    srv = s.spawn(["sh", "-c", 'printf "from the server\\n"; sleep 4'], name=None)
    srv_tls = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", s.cert, "-key", s.key,
         "-quiet"], stdin=srv.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=dict(os.environ, LD_LIBRARY_PATH=s.lib))
    s.procs.append(srv_tls)
    time.sleep(1)
    cli = subprocess.Popen(
        ["sh", "-c", 'printf "from the client\\n"; sleep 2'], stdout=subprocess.PIPE)
    cli_tls = subprocess.Popen(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet"], stdin=cli.stdout,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=dict(os.environ, LD_LIBRARY_PATH=s.lib))
    s.procs += [cli, cli_tls]
    cli_tls.wait(15)
    time.sleep(0.5)
    srv_tls.kill()
    srv_tls.wait()
    t.stop()
    evs = t.events()
    w, sel = data_of(evs, pid=cli_tls.pid, dir="write")
    result("s_client/write_plaintext", w == b"from the client\n", repr(w[:80]))
    result("s_client/comm", bool(sel) and all(e["comm"] == "openssl" for e in sel),
           str([e.get("comm") for e in sel]))
    result("s_client/func", bool(sel) and sel[0]["func"] in ("SSL_write", "SSL_write_ex"),
           str([e.get("func") for e in sel]))
    r, _ = data_of(evs, pid=srv_tls.pid, dir="read")
    result("s_server/read_plaintext", r == b"from the client\n", repr(r[:80]))
    w2, _ = data_of(evs, pid=srv_tls.pid, dir="write")
    result("s_server/write_plaintext", w2 == b"from the server\n", repr(w2[:80]))
    r2, _ = data_of(evs, pid=cli_tls.pid, dir="read")
    result("s_client/read_plaintext", r2 == b"from the server\n", repr(r2[:80]))
    result("s_client/only_our_processes",
           all(e.get("pid") in (cli_tls.pid, srv_tls.pid) for e in evs),
           str(sorted({e.get("pid") for e in evs})))


def case_python_1mib(s):
    """Python's ssl (SSL_write_ex/SSL_read_ex): one 1 MiB sendall is one
    call of 1 MiB, byte for byte; the reads on the other side add up to it;
    the 4-tuple of each side is the connection's own."""
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")])
    if not result("python/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    body = s.random_file(1 << 20)
    reply = s.random_file(300000)
    srv, port, srv_out = s.server(1 << 20, reply=reply)
    cli, cli_out, info = s.client(port, body, linger=1)
    ok = s.finish(cli, srv)
    t.stop()
    result("python/peers_ok", ok and read(srv_out) == read(body) and read(cli_out) == read(reply),
           "the peers themselves failed")
    evs = t.events()
    w, sel = data_of(evs, pid=cli.pid, dir="write")
    result("python/one_call_of_1MiB", len(sel) == 1 and sel[0].get("len") == 1 << 20,
           str([(e.get("func"), e.get("len")) for e in sel][:5]))
    result("python/write_ex", bool(sel) and sel[0].get("func") == "SSL_write_ex",
           str([e.get("func") for e in sel][:3]))
    result("python/write_exact", w == read(body), "%d bytes, %s" % (len(w), sel and sel[0].get("truncated")))
    r, rsel = data_of(evs, pid=srv.pid, dir="read")
    result("python/server_reads_exact", r == read(body), "%d bytes in %d calls" % (len(r), len(rsel)))
    rr, _ = data_of(evs, pid=cli.pid, dir="read")
    result("python/reply_exact", rr == read(reply), "%d bytes" % len(rr))
    tid, lip, lport, pip, pport = read(info, "r").split()
    e = sel[0] if sel else {}
    result("python/four_tuple",
           (e.get("src"), e.get("sport"), e.get("dst"), e.get("dport")) == (lip, int(lport), pip, int(pport)),
           "%s vs %s" % ((e.get("src"), e.get("sport"), e.get("dst"), e.get("dport")), (lip, lport, pip, pport)))
    result("python/tid", e.get("tid") == int(tid), "%s vs %s" % (e.get("tid"), tid))
    result("python/no_loss", all(not x.get("truncated") for x in evs), "truncated events")


def case_curl(s):
    """curl --http1.1 POSTs a 1 MiB random body to a Python HTTPS server:
    curl's writes are the request, head and body byte for byte, and its
    reads the response."""
    if not shutil.which("curl"):
        skip("curl", "curl is not installed")
        return
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")])
    if not result("curl/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    body, reply = s.random_file(1 << 20), s.random_file(200000)
    port = s.path("port")
    srv = s.spawn([PY, PEER, "http", s.cert, s.key, port, reply])
    wait_file(port)
    out = s.path("curl")
    cli = s.spawn(["curl", "-sk", "--http1.1", "--max-time", "30", "-o", out, "--data-binary",
                   "@" + body, "-H", "Content-Type: application/octet-stream",
                   "https://127.0.0.1:%s/upload" % read(port, "r")])
    ok = s.finish(cli, srv)
    t.stop()
    result("curl/peers_ok", ok and read(out) == read(reply), "curl or the server failed")
    evs = t.events()
    w, sel = data_of(evs, pid=cli.pid, dir="write")
    result("curl/request_line", w.startswith(b"POST /upload HTTP/1.1\r\n"), repr(w[:60]))
    result("curl/body_exact", w.endswith(b"\r\n\r\n" + read(body)),
           "%d bytes written in %d calls" % (len(w), len(sel)))
    r, _ = data_of(evs, pid=cli.pid, dir="read")
    result("curl/response_exact", r.startswith(b"HTTP/1.") and r.endswith(b"\r\n\r\n" + read(reply)),
           "%d bytes read: %r" % (len(r), r[:40]))
    result("curl/comm", all(e.get("comm") == "curl" for e in sel) and bool(sel),
           str({e.get("comm") for e in sel}))


def case_threads(s):
    """8 threads on 8 connections writing at once: each event holds one
    thread's bytes, under that thread's tid and its connection's id."""
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")])
    if not result("threads/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    pattern = s.random_file(256 << 10)
    srv, port, _ = s.server(256 << 10, conns=8)
    cli, _, info = s.client(port, pattern, threads=8)
    ok = s.finish(cli, srv)
    t.stop()
    result("threads/peers_ok", ok, "the peers failed")
    tids = [int(l.split()[0]) for l in read(info, "r").splitlines()]
    evs = [e for e in t.events() if e.get("pid") == cli.pid and e.get("dir") == "write"]
    by_tid = {}
    mixed = 0
    for e in evs:
        d = base64.b64decode(e.get("data", ""))
        if not d or d != bytes([d[0]]) * len(d):
            mixed += 1
            continue
        by_tid.setdefault(e["tid"], set()).add((d[0], e.get("conn")))
    result("threads/no_mixed_event", mixed == 0, "%d events mix bytes" % mixed)
    ok = sorted(by_tid) == sorted(tids) and all(len(v) == 1 for v in by_tid.values())
    result("threads/one_thread_one_marker_one_conn", ok, str(by_tid))
    conns = {next(iter(v))[1] for v in by_tid.values() if v}
    result("threads/eight_connections", len(conns) == 8, str(conns))
    total = sum(len(base64.b64decode(e.get("data", ""))) for e in evs)
    result("threads/all_bytes", total == 8 * (256 << 10), "%d bytes" % total)


def case_filter_pid(s):
    """-p: only the named process's events, though both use the library."""
    data = s.random_file(1000)
    go = s.path("go")
    srv, port, _ = s.server(1000, conns=2)
    a, _, info_a = s.client(port, data, wait=go, linger=1)
    b, _, info_b = s.client(port, data, wait=go)
    wait_file(info_a)
    wait_file(info_b)
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3"), "-p", str(a.pid)])
    if not result("filter_pid/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    open(go, "w").close()
    s.finish(a, b, srv)
    t.stop()
    evs = t.events()
    pids = {e.get("pid") for e in evs}
    result("filter_pid/only_that_pid", pids == {a.pid}, "pids %s (want %d)" % (pids, a.pid))
    w, sel = data_of(evs, dir="write")
    result("filter_pid/its_bytes", w == read(data), "%d bytes" % len(w))
    # The connection was made before tlstrace started: its 4-tuple still resolves.
    tid, lip, lport, pip, pport = read(info_a, "r").split()
    e = sel[0] if sel else {}
    result("filter_pid/four_tuple_of_older_connection",
           (e.get("src"), e.get("sport"), e.get("dst"), e.get("dport")) == (lip, int(lport), pip, int(pport)),
           str({k: v for k, v in e.items() if k != "data"}))


def case_discovery(s):
    """No path flag: a process whose libssl is a file ld.so.cache does not
    name, running before tlstrace starts, and another (with another copy)
    started after, are both found and traced. Only processes of our comm
    pass the filter."""
    comm = "ttdisc%d" % (os.getpid() % 100000)
    lib2 = s.private_lib("lib_later")
    data = s.random_file(5000)
    go = s.path("go")
    srv, port, _ = s.server(5000, conns=2)
    early, _, info = s.client(port, data, wait=go, name=comm)
    wait_file(info)
    t = Tracer(s.tmp, ["--comm", comm])
    if not result("discovery/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    result("discovery/found_the_private_copy", os.path.join(s.lib, "libssl.so.3") in t.stderr(),
           t.stderr()[-400:])
    later, _, info2 = s.client(port, data, wait=go, lib=lib2, name=comm)
    wait_file(info2)
    time.sleep(1.0)  # the rescan after the library was mapped
    open(go, "w").close()
    s.finish(early, later, srv)
    t.stop()
    evs = t.events()
    w1, _ = data_of(evs, pid=early.pid, dir="write")
    result("discovery/running_before", w1 == read(data), "%d bytes" % len(w1))
    w2, _ = data_of(evs, pid=later.pid, dir="write")
    result("discovery/started_after", w2 == read(data), "%d bytes; stderr %s" % (len(w2), t.stderr()[-300:]))
    result("discovery/only_our_comm", all(e.get("comm") == comm for e in evs),
           str({e.get("comm") for e in evs}))


def case_static_binary(s):
    """A program statically linked with libssl.a: probed with --binary, and
    found unasked (by its symbols) while it runs."""
    src = os.path.join(ROOT, "tests", "host", "tt_static.c")
    exe = os.path.join(s.tmp, "tt_static")
    r = subprocess.run(["gcc", "-O1", "-o", exe, src, os.path.join(LIBDIR, "libssl.a"),
                        os.path.join(LIBDIR, "libcrypto.a"), "-lpthread", "-ldl"],
                       capture_output=True, text=True)
    if r.returncode:
        skip("static", "cannot link with libssl.a: " + r.stderr[-200:])
        return
    data = s.random_file(3000)
    for mode in ("binary", "found"):
        go = s.path("go")
        srv, port, _ = s.server(3000)
        if mode == "binary":
            t = Tracer(s.tmp, ["--binary", exe])
            p = s.spawn([exe, str(port), data, go])
        else:
            p = s.spawn([exe, str(port), data, go])
            time.sleep(0.5)
            t = Tracer(s.tmp, ["-p", str(p.pid)])
        if not result("static/%s/attached" % mode, t.ready, t.stderr()[-300:]):
            t.stop()
            continue
        open(go, "w").close()
        s.finish(p, srv)
        t.stop()
        w, _ = data_of(t.events(), pid=p.pid, dir="write")
        result("static/%s/write_exact" % mode, w == read(data), "%d bytes" % len(w))


def case_loss(s):
    """A tiny ring: what did not fit is counted, exactly: lost_bytes is
    len - captured for each event, and the summary's total agrees."""
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")],
               env={"NFLUX_TLSTRACE_RING_BYTES": str(64 << 10)})
    if not result("loss/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    body = s.random_file(1 << 20)
    srv, port, _ = s.server(1 << 20)
    cli, _, _ = s.client(port, body)
    s.finish(cli, srv)
    t.stop()
    evs = [e for e in t.events() if e.get("pid") in (cli.pid, srv.pid)]
    w, sel = data_of(evs, pid=cli.pid, dir="write")
    e = sel[0] if sel else {}
    result("loss/some_lost", e.get("truncated") is True and e.get("lost_bytes", 0) > 0, str(e.get("lost_bytes")))
    result("loss/lost_is_len_minus_captured", e.get("lost_bytes") == (1 << 20) - len(w),
           "%s vs %d" % (e.get("lost_bytes"), (1 << 20) - len(w)))
    result("loss/captured_is_a_prefix", read(body).startswith(w), "%d bytes" % len(w))
    lost = sum(x.get("lost_bytes", 0) for x in evs)
    import re
    m = re.search(r"^(\d+) bytes lost", t.stderr(), re.M)
    result("loss/summary_total", m is not None and int(m.group(1)) >= lost,
           "summary %s, events %d" % (m and m.group(1), lost))


def case_options(s):
    """--max-bytes cuts a call and says how much; -c exits after COUNT
    events by itself; --hex dumps the payload in the text format."""
    data = s.random_file(5000)
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3"), "--max-bytes", "1000", "-c", "1"])
    if not result("options/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    srv, port, _ = s.server(5000)
    cli, _, _ = s.client(port, data)
    s.finish(cli, srv)
    try:
        rc = t.p.wait(20)
    except subprocess.TimeoutExpired:
        rc = "still running"
    t.stop()
    result("options/count_exits_by_itself", rc == 0, "status %s" % rc)
    evs = t.events()
    result("options/count_one_event", len(evs) == 1, "%d events" % len(evs))
    e = evs[0] if evs else {}
    d = base64.b64decode(e.get("data", ""))
    result("options/max_bytes_cut", e.get("len") == 5000 and d == read(data)[:1000] and
           e.get("truncated") is True and e.get("lost_bytes") == 4000,
           str({k: v for k, v in e.items() if k != "data"}))
    # --hex, in text
    out = s.path("hex")
    with open(out, "wb") as o, open(out + ".err", "wb") as er:
        p = subprocess.Popen([NFLUX, "tlstrace", "--lib", os.path.join(s.lib, "libssl.so.3"), "--hex",
                              "-c", "1"], stdout=o, stderr=er)
    for _ in range(200):
        if b"tlstrace: attached" in read(out + ".err"):
            break
        time.sleep(0.05)
    msg = s.path("msg")
    with open(msg, "wb") as f:
        f.write(b"hex dump \x00\x01\xfe\xff of this line\n")
    srv, port, _ = s.server(len(read(msg)))
    cli, _, _ = s.client(port, msg)
    s.finish(cli, srv)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    text = read(out).decode(errors="replace")
    result("options/hex_dump", "6865 7820 6475 6d70 2000 01fe ff20" in text.replace("\n", " ") or
           "68 65 78 20 64 75 6d 70 20 00 01 fe ff 20" in text, text[:300])


def case_errors(s):
    """Bad input: one line, exit 1."""
    def bad(name, args, word, env=None, pre=None):
        r = subprocess.run((pre or []) + [NFLUX, "tlstrace"] + args, capture_output=True, text=True,
                           timeout=30, env=env)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        result("errors/" + name, r.returncode == 1 and len(lines) == 1 and word in lines[0],
               "status %d, stderr %r" % (r.returncode, r.stderr[-300:]))
    bad("missing_openssl_path", ["--openssl-path", "/nonexistent/libssl.so.3"], "/nonexistent/libssl.so.3")
    txt = s.path("notelf")
    with open(txt, "w") as f:
        f.write("not an ELF file\n")
    bad("not_elf", ["--lib", txt], "not an ELF")
    bad("bad_max_bytes", ["--max-bytes", "0"], "--max-bytes")
    if shutil.which("setpriv"):
        exe = os.path.join(s.tmp, "nflux")
        shutil.copy(NFLUX, exe)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--inh-caps=-all", exe, "tlstrace"], capture_output=True, text=True, timeout=30)
        result("errors/unprivileged", r.returncode == 1 and "CAP_PERFMON" in r.stderr and
               len(r.stderr.strip().splitlines()) == 1, "status %d: %r" % (r.returncode, r.stderr[-200:]))
    else:
        skip("errors/unprivileged", "setpriv is not installed")


def main():
    if os.geteuid() != 0:
        skip("all", "needs root")
        return 0
    for tool in ("openssl", "gcc"):
        if not shutil.which(tool):
            skip("all", tool + " is not installed")
            return 0
    if not os.path.exists(os.path.join(LIBDIR, "libssl.so.3")):
        skip("all", "no libssl.so.3 in " + LIBDIR)
        return 0
    s = Suite()
    try:
        for case in (case_openssl_tools, case_python_1mib, case_curl, case_threads, case_filter_pid,
                     case_discovery, case_static_binary, case_loss, case_options, case_errors):
            case(s)
    finally:
        s.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
