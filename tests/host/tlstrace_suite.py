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
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlstrace_libs  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NFLUX = os.path.abspath(os.environ.get("NFLUX", os.path.join(ROOT, "build", "nflux")))
PEER = os.path.join(ROOT, "tests", "host", "tt_peer.py")
NFTOOL = os.path.join(ROOT, "build", "nftool")
PY = "/usr/bin/python3"
LIBDIR = "/usr/lib/" + subprocess.run(["gcc", "-dumpmachine"], capture_output=True,
                                      text=True).stdout.strip()
failed = 0


# One result line per test case: a check's name starts with its case's
# ("curl/body_exact" is a check of case "curl"). Checks print "ok ...",
# "not ok ...: why" and "skip ...: why" lines (diagnosis); when the case
# changes, its one PASS, FAIL or (all checks skipped) SKIP line follows.
_case = {"name": None, "ok": 0, "bad": [], "skipped": []}


def flush():
    c = _case
    if c["name"] is None:
        return
    if c["bad"]:
        print(("FAIL tlstrace/%s: %s" % (c["name"], "; ".join(c["bad"])))[:600])
    elif c["ok"]:
        extra = "; skipped: " + "; ".join(c["skipped"]) if c["skipped"] else ""
        print(("PASS tlstrace/%s (%d checks%s)" % (c["name"], c["ok"], extra))[:400])
    elif c["skipped"]:
        print(("SKIP tlstrace/%s: %s" % (c["name"], "; ".join(c["skipped"])))[:400])
    c.update(name=None, ok=0, bad=[], skipped=[])
    sys.stdout.flush()


def _in_case(name):
    group = name.split("/")[0]
    if _case["name"] != group:
        flush()
        _case["name"] = group
    return name[len(group) + 1:] or group


def result(name, ok, why=""):
    global failed
    check = _in_case(name)
    if ok:
        _case["ok"] += 1
        print("ok tlstrace/%s" % name)
    else:
        failed += 1
        _case["bad"].append("%s: %s" % (check, why))
        print("not ok tlstrace/%s: %s" % (name, why))
    sys.stdout.flush()
    return ok


def skip(name, why):
    check = _in_case(name)
    _case["skipped"].append("%s: %s" % (check, why) if check != _case["name"] else why)
    print("skip tlstrace/%s: %s" % (name, why))
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

    def client(self, port, data, wait=None, threads=1, lib=None, name=None, linger=0, blocking=False):
        """linger: seconds the connection stays open after the exchange, so
        that its socket can still be looked up after the last call."""
        out, info = self.path("cli"), self.path("info")
        argv = [PY, PEER, "client", str(port), data, out, "--info", info, "--threads", str(threads),
                "--linger", str(linger)]
        if wait:
            argv += ["--wait", wait]
        if blocking:
            argv += ["--blocking", "1"]
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
    if not result("openssl_tools/s_client_attached", t.ready, t.stderr()[-300:]):
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
    result("openssl_tools/s_client_write_plaintext", w == b"from the client\n", repr(w[:80]))
    result("openssl_tools/s_client_comm", bool(sel) and all(e["comm"] == "openssl" for e in sel),
           str([e.get("comm") for e in sel]))
    result("openssl_tools/s_client_func", bool(sel) and sel[0]["func"] in ("SSL_write", "SSL_write_ex"),
           str([e.get("func") for e in sel]))
    r, _ = data_of(evs, pid=srv_tls.pid, dir="read")
    result("openssl_tools/s_server_read_plaintext", r == b"from the client\n", repr(r[:80]))
    w2, _ = data_of(evs, pid=srv_tls.pid, dir="write")
    result("openssl_tools/s_server_write_plaintext", w2 == b"from the server\n", repr(w2[:80]))
    r2, _ = data_of(evs, pid=cli_tls.pid, dir="read")
    result("openssl_tools/s_client_read_plaintext", r2 == b"from the server\n", repr(r2[:80]))
    result("openssl_tools/s_client_only_our_processes",
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


def summary_count(stderr, pattern):
    m = re.search(pattern, stderr, re.M)
    return int(m.group(1)) if m else None


def wait_blocked_in_write(pid, secs=10):
    """Until one of pid's threads sleeps for socket buffer space (its
    write is inside the kernel); the sleeps seen, if none did."""
    end, seen = time.time() + secs, set()
    while time.time() < end:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                w = read("/proc/%d/task/%s/wchan" % (pid, tid))
            except OSError:
                continue
            # sk_stream_wait_memory sleeps in wait_woken on newer kernels;
            # the client's only socket wait before its sendall ends
            if w in (b"sk_stream_wait_memory", b"wait_woken"):
                return ""
            seen.add(w.decode(errors="replace"))
        time.sleep(0.05)
    return "threads sleeping in " + ", ".join(sorted(seen))


def case_faults(s):
    """A client killed inside a 64 MiB SSL_write that the peer never reads:
    tlstrace goes on, captures the next exchange exactly, and its summary
    counts the call that never returned. Then libssl replaced on disk as a
    package upgrade does (a new file renamed over it): the process still
    running the old, deleted copy and one started on the new file are both
    traced, byte for byte."""
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")])
    if not result("faults/killed/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    stall, port, _ = s.server(-1)
    body = s.random_file(64 << 20)
    victim, _, _ = s.client(port, body, blocking=True)
    blocked = wait_blocked_in_write(victim.pid)
    victim.kill()
    victim.wait()
    stall.kill()
    stall.wait()
    data = s.random_file(300000)
    srv, port, srv_out = s.server(300000)
    cli, _, _ = s.client(port, data)
    ok = s.finish(cli, srv)
    alive = t.p.poll() is None
    rc = t.stop()
    evs = t.events()
    result("faults/killed/blocked_in_the_write", not blocked, blocked)
    result("faults/killed/tracer_alive_and_clean_exit", alive and rc == 0, "rc %s" % rc)
    result("faults/killed/no_event_of_the_unfinished_call",
           not [e for e in evs if e.get("pid") == victim.pid and e.get("dir") == "write"],
           "the killed client has write events")
    w, _ = data_of(evs, pid=cli.pid, dir="write")
    r, _ = data_of(evs, pid=srv.pid, dir="read")
    result("faults/killed/next_exchange_exact", ok and w == read(data) and r == read(data),
           "%d written, %d read of %d" % (len(w), len(r), len(read(data))))
    gone = summary_count(t.stderr(), r"^(\d+) calls never returned")
    busy = summary_count(t.stderr(), r"calls never returned .*, (\d+) still in progress")
    result("faults/killed/summary_counts_the_call", gone == 1 and busy == 0,
           "never returned %s, in progress %s" % (gone, busy))

    comm = "ttrepl%d" % (os.getpid() % 100000)
    libdir = s.private_lib("lib_upgraded")
    libfile = os.path.join(libdir, "libssl.so.3")
    go = s.path("go")
    data = s.random_file(20000)
    srv, port, _ = s.server(20000, conns=2)
    old, _, info = s.client(port, data, wait=go, lib=libdir, name=comm)
    wait_file(info)
    t = Tracer(s.tmp, ["--comm", comm], name="t_repl")
    if not result("faults/replaced/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    shutil.copy(os.path.join(LIBDIR, "libssl.so.3"), libfile + ".new")
    os.rename(libfile + ".new", libfile)
    new, _, info2 = s.client(port, data, wait=go, lib=libdir, name=comm)
    wait_file(info2)
    time.sleep(1.0)  # the rescan after the new file was mapped
    open(go, "w").close()
    ok = s.finish(old, new, srv)
    t.stop()
    evs = t.events()
    w1, _ = data_of(evs, pid=old.pid, dir="write")
    w2, _ = data_of(evs, pid=new.pid, dir="write")
    result("faults/replaced/peers_ok", ok, "a peer failed")
    result("faults/replaced/old_deleted_copy_traced", w1 == read(data), "%d bytes" % len(w1))
    result("faults/replaced/new_file_traced", w2 == read(data),
           "%d bytes; stderr %s" % (len(w2), t.stderr()[-300:]))


REUSE_CLIENT = r"""
import socket, ssl, sys, time
port, data, info = int(sys.argv[1]), open(sys.argv[2], "rb").read(), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
lines = []
for i in range(2):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30))
    lines.append("%d %d" % (s.fileno(), s.getsockname()[1]))
    s.sendall(data)
    s.recv(1)
    if i:  # the last stays open a while: a tracer has time to look it up
        time.sleep(1.5)
    s.close()
open(info, "w").write("\n".join(lines) + "\n")
"""


def case_fd_reuse(s):
    """One process, two TLS connections one after the other: the second
    gets the first's fd number. The close in between must make it a new
    connection (conn id, 4-tuple), although its fd looks the same. A call
    whose record is read only after its socket was closed and the number
    reused has its addresses unknown, never the next socket's."""
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")])
    if not result("fd_reuse/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    data = s.random_file(5000)
    srv, port, _ = s.server(5000, conns=2)
    info = s.path("info")
    cli = s.spawn([PY, "-c", REUSE_CLIENT, str(port), data, info])
    ok = s.finish(cli, srv)
    t.stop()
    lines = [l.split() for l in read(info, "r").splitlines()] if ok else []
    result("fd_reuse/peers_ok", ok and len(lines) == 2, "the client failed")
    if len(lines) != 2:
        return
    result("fd_reuse/same_fd_number", lines[0][0] == lines[1][0], str(lines))
    evs = [e for e in t.events() if e.get("pid") == cli.pid and e.get("dir") == "write"]
    ports = [e.get("sport") for e in evs]
    conns = [e.get("conn") for e in evs]
    first, second = int(lines[0][1]), int(lines[1][1])
    result("fd_reuse/never_the_other_connections_port",
           len(ports) == 2 and ports[0] in (first, None) and ports[1] == second,
           "%s vs %s" % (ports, [first, second]))
    result("fd_reuse/two_connections", len(conns) == 2 and conns[0] != conns[1], str(conns))


def prog_names_of(pid):
    """The names of the BPF programs pid holds an fd of (nftool progs)."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            info = read("/proc/%d/fdinfo/%s" % (pid, fd)).decode()
        except OSError:
            continue
        if "prog_type:" in info:
            ids.update(l.split()[1] for l in info.splitlines() if l.startswith("prog_id:"))
    out = subprocess.run([NFTOOL, "progs"], capture_output=True, text=True).stdout
    return {l.split()[2] for l in out.splitlines() if len(l.split()) > 2 and l.split()[0] in ids}


def case_named_programs(s):
    """A named OpenSSL file: only OpenSSL's programs and the tracepoints
    are loaded (the other libraries' return programs, each a 128-chunk
    loop to verify, would only cost start-up time); traffic still exact."""
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3")])
    if not result("named_programs/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return
    names = prog_names_of(t.p.pid)
    data = s.random_file(40000)
    srv, port, _ = s.server(40000)
    cli, _, _ = s.client(port, data)
    ok = s.finish(cli, srv)
    t.stop()
    want = {"tt_ssl_write", "tt_ssl_read", "tt_ssl_write_ex", "tt_ssl_read_ex", "tt_ssl_peek",
            "tt_ssl_peek_ex", "tt_ret", "tt_sys_enter", "tt_exec"}
    result("named_programs/only_openssl_and_tracepoints", names == want, str(sorted(names)))
    w, _ = data_of(t.events(), pid=cli.pid, dir="write")
    result("named_programs/write_exact", ok and w == read(data), "%d bytes" % len(w))


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


def tshark(*args):
    """tshark's output lines (its stderr banner dropped)."""
    r = subprocess.run(["tshark"] + list(args), capture_output=True, text=True, timeout=60)
    return r.stdout.splitlines()


def follow_raw(pcap, stream):
    """The two directions' bytes of a TCP stream, as tshark reassembles them:
    (from the node that sent first, from the other)."""
    out = tshark("-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % stream)
    parts = [b"", b""]
    started = False
    for line in out:
        if line.startswith("Node 1:"):
            started = True
            continue
        if not started or not line.strip() or line.startswith("="):
            continue
        side = 1 if line.startswith("\t") else 0
        parts[side] += bytes.fromhex(line.strip())
    return parts


def stream_of_pid(pcap, pid, extra=()):
    """The tcp.stream numbers whose packets' comments name pid."""
    out = tshark("-r", pcap, *extra, "-Y", 'frame.comment contains "pid %d "' % pid,
                 "-T", "fields", "-e", "tcp.stream")
    return sorted({int(x) for x in out if x.strip()})


def http_events(evs, pid, direction):
    return [e for e in evs if e.get("pid") == pid and e.get("dir") == direction and "http" in e]


def stream_ends(pcap, stream):
    """(src, sport, dst, dport) of the stream's SYN."""
    out = tshark("-r", pcap, "-Y", "tcp.stream == %d && tcp.flags.syn == 1 && tcp.flags.ack == 0"
                 % stream, "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst",
                 "-e", "tcp.dstport")
    f = out[0].split("\t") if out else ["", "0", "", "0"]
    return f[0], int(f[1] or 0), f[2], int(f[3] or 0)


def check_ends(name, pcap, stream, port):
    """The stream has the real 4-tuple (loopback, the server's port) or the
    made-up addresses, nothing else. Whether tlstrace knew the 4-tuple at
    the connection's first call is a race of its socket lookup (the
    connection is short), so either is right; True when real."""
    src, sport, dst, dport = stream_ends(pcap, stream)
    real = src == dst == "127.0.0.1" and port in (sport, dport)
    # made up: both addresses (the other end's view keeps the real ports)
    made_up = {src, dst} == {"198.18" + src[6:], "198.19" + src[6:]}
    result(name + "/addresses", real or made_up, repr((src, sport, dst, dport)))
    return real


def check_pcap_file(name, pcap, pid, comm):
    """Mode 0600, every checksum good, every packet of pid's stream commented."""
    result(name + "/mode_0600", os.path.exists(pcap) and os.stat(pcap).st_mode & 0o777 == 0o600,
           oct(os.stat(pcap).st_mode) if os.path.exists(pcap) else "no file")
    total = tshark("-r", pcap, "-T", "fields", "-e", "frame.number")
    bad = tshark("-r", pcap, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y",
                 "tcp.checksum.status != 1 || (ip && ip.checksum.status != 1)")
    result(name + "/checksums", len(total) > 0 and not bad, "%d packets, bad: %r" % (len(total), bad[:3]))
    streams = stream_of_pid(pcap, pid)
    comments = tshark("-r", pcap, "-Y", "tcp.stream == %d" % (streams[0] if streams else -1),
                      "-T", "fields", "-e", "frame.comment")
    result(name + "/comments", len(streams) == 1 and comments and
           all(("pid %d " % pid) in c and ("comm %s " % comm) in c and "lib openssl func " in c
               for c in comments), "streams %r, comments %r" % (streams, comments[:2]))
    return streams[0] if streams else -1


def case_http1(s):
    """curl --http1.1 POST with a header of the test's own: the request and
    its matched response decoded in JSON (none with --no-http); the same
    transfer as pcapng that tshark dissects as HTTP on the real port, and
    whose reassembled stream is the exact plaintext."""
    if not shutil.which("curl") or not shutil.which("tshark"):
        skip("http1", "curl or tshark is not installed")
        return
    lib = ["--lib", os.path.join(s.lib, "libssl.so.3")]
    pcap = os.path.join(s.tmp, "http1.pcapng")
    t = Tracer(s.tmp, lib, name="h1")
    t_raw = Tracer(s.tmp, lib + ["--no-http"], name="h1raw")
    t_cap = Tracer(s.tmp, lib + ["-w", pcap], name="h1cap")
    cut_pcap = os.path.join(s.tmp, "http1-cut.pcapng")
    t_cut = Tracer(s.tmp, lib + ["--max-bytes", "1K", "-w", cut_pcap], name="h1cut")
    t_out = Tracer(s.tmp, lib + ["-w", "-"], name="h1stdout")
    tracers = (t, t_raw, t_cap, t_cut, t_out)
    if not result("http1/attached", all(x.ready for x in tracers),
                  "".join(x.stderr() for x in tracers)[-300:]):
        for x in tracers:
            x.stop()
        return
    body, reply = s.random_file(5000), s.random_file(3000)
    token = "v-%d" % os.getpid()
    portfile = s.path("port")
    # answered after 0.5 s: both sockets are still there when looked up
    srv = s.spawn([PY, PEER, "http", s.cert, s.key, portfile, reply, "0.5"])
    wait_file(portfile)
    port = int(read(portfile))
    out = s.path("curl")
    cli = s.spawn(["curl", "-sk", "--http1.1", "--max-time", "30", "-o", out, "--data-binary",
                   "@" + body, "-H", "X-Nflux-Test: " + token,
                   "https://127.0.0.1:%d/upload" % port])
    ok = s.finish(cli, srv)
    time.sleep(0.3)
    for x in tracers:
        x.stop()
    result("http1/peers_ok", ok and read(out) == read(reply), "curl or the server failed")
    evs = t.events()
    req = http_events(evs, cli.pid, "write")
    h = req[0]["http"] if req else {}
    hdrs = [tuple(x) for x in h.get("headers", [])]
    result("http1/request", h.get("version") == "1.1" and h.get("method") == "POST" and
           h.get("path") == "/upload" and ("X-Nflux-Test", token) in hdrs and
           ("Content-Length", str(len(read(body)))) in hdrs and
           ("Host", "127.0.0.1:%d" % port) in hdrs, repr(h)[:400])
    resp = http_events(evs, cli.pid, "read")
    h = resp[0]["http"] if resp else {}
    result("http1/response", h.get("status") == 200 and h.get("reason") == "OK" and
           h.get("method") == "POST" and h.get("path") == "/upload" and
           ["Content-Length", str(len(read(reply)))] in h.get("headers", []), repr(h)[:400])
    srv_req = http_events(evs, srv.pid, "read")
    result("http1/server_side", bool(srv_req) and srv_req[0]["http"].get("path") == "/upload",
           repr(srv_req[:1])[:300])
    raw = t_raw.events()
    result("http1/no_http", bool(raw) and not any("http" in e for e in raw),
           "%d events, %d with http" % (len(raw), sum("http" in e for e in raw)))
    sent, _ = data_of(evs, pid=cli.pid, dir="write")
    got, _ = data_of(evs, pid=cli.pid, dir="read")
    stream = check_pcap_file("http1/pcapng", pcap, cli.pid, "curl")
    found = tshark("-r", pcap, "-Y", "http && tcp.stream == %d" % stream, "-T", "fields",
                   "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "http.request.method",
                   "-e", "http.request.uri", "-e", "http.response.code")
    rows = [l.split("\t") for l in found]
    real = check_ends("http1/pcapng", pcap, stream, port)
    req = [r for r in rows if r[2:4] == ["POST", "/upload"]]
    resp = [r for r in rows if r[4:] == ["200"]]
    result("http1/pcapng_http", len(req) == 1 and len(resp) == 1 and
           (not real or (req[0][1] == "%d" % port and resp[0][0] == "%d" % port)), repr(rows))
    a, b = follow_raw(pcap, stream)
    result("http1/pcapng_follow_exact", a == sent and b == got and a.endswith(read(body)) and
           b.endswith(read(reply)) and a.startswith(b"POST /upload HTTP/1.1\r\n"),
           "%d/%d and %d/%d bytes" % (len(a), len(sent), len(b), len(got)))
    # 1 KiB a call: the 5000-byte body and 3000-byte reply leave gaps, marked
    cut = stream_of_pid(cut_pcap, cli.pid)
    marked = tshark("-r", cut_pcap, "-Y", 'tcp.stream == %d && frame.comment contains "truncated"'
                    % (cut[0] if cut else -1), "-T", "fields", "-e", "tcp.len", "-e", "frame.comment")
    lost = tshark("-r", cut_pcap, "-Y", "tcp.analysis.lost_segment && tcp.stream == %d"
                  % (cut[0] if cut else -1))
    result("http1/pcapng_truncated_gap", len(cut) == 1 and marked and lost and
           all(l.startswith("1024\t") and "bytes lost" in l for l in marked),
           "%r, %d packets after a gap" % (marked[:3], len(lost)))
    so = read(t_out.out)
    result("http1/pcapng_stdout", so[:4] == b"\x0a\x0d\x0d\x0a" and
           len(tshark("-r", t_out.out, "-Y", "http")) >= 2, "%d bytes: %r" % (len(so), so[:8]))


def free_port():
    import socket
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def wait_listening(port, secs=20):
    import socket
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def h2_headers(evs, pid, direction):
    """(stream, frame len, [(name, value)], frame) of every HEADERS frame."""
    out = []
    for e in http_events(evs, pid, direction):
        for f in e["http"].get("frames", []):
            if f.get("type") == "HEADERS":
                out.append((f["stream"], f["len"], [tuple(x) for x in f.get("headers", [])], f))
    return out


def case_http2(s):
    """curl --http2 to nghttpd, four requests on one connection: every
    request's :method, :path, :authority and the test's header, and every
    :status, decoded; later requests are shorter (the dynamic table) and
    still whole; tshark finds the same headers in the pcapng."""
    if not shutil.which("nghttpd") or not shutil.which("curl"):
        skip("http2", "nghttpd (package nghttp2-server) or curl is not installed")
        return
    docs = os.path.join(s.tmp, "h2docs")
    os.mkdir(docs)
    files = {"/a.txt": b"alpha\n", "/b.txt": b"bravo bravo\n", "/c.bin": os.urandom(48 << 10)}
    for name, data in files.items():
        with open(docs + name, "wb") as f:
            f.write(data)
    lib = ["--lib", os.path.join(s.lib, "libssl.so.3")]
    pcap = os.path.join(s.tmp, "http2.pcapng")
    t = Tracer(s.tmp, lib, name="h2")
    t_cap = Tracer(s.tmp, lib + ["-w", pcap], name="h2cap")
    if not result("http2/attached", t.ready and t_cap.ready, (t.stderr() + t_cap.stderr())[-300:]):
        t.stop()
        t_cap.stop()
        return
    port = free_port()
    srv = s.spawn(["nghttpd", "-a", "127.0.0.1", "-d", docs, str(port), s.key, s.cert])
    up = wait_listening(port)
    token = "h2-%d" % os.getpid()
    paths = ["/a.txt", "/b.txt", "/none", "/c.bin"]
    # the last one read slowly: the connection is still up when tlstrace
    # looks its socket up (the pcapng's real ports)
    cli = s.spawn(["curl", "-sk", "--http2", "--max-time", "30", "--limit-rate", "64k",
                   "-H", "X-Nflux-Test: " + token] +
                  ["https://127.0.0.1:%d%s" % (port, p) for p in paths])
    out, _ = cli.communicate(timeout=60)
    time.sleep(0.3)
    t.stop()
    t_cap.stop()
    srv.kill()
    srv.wait()
    result("http2/peers_ok", up and cli.returncode == 0 and out.startswith(b"alpha\nbravo bravo\n")
           and out.endswith(files["/c.bin"]),
           "curl status %s: %r" % (cli.returncode, out[:80]))
    evs = t.events()
    reqs = h2_headers(evs, cli.pid, "write")
    want = [[(":method", "GET"), (":path", p), (":authority", "127.0.0.1:%d" % port),
             ("x-nflux-test", token)] for p in paths]
    got = [[h for h in r[2] if h[0] in (":method", ":path", ":authority", "x-nflux-test")]
           for r in reqs]
    result("http2/requests", sorted(map(sorted, got)) == sorted(map(sorted, want)) and
           not any("hpack" in r[3] for r in reqs), repr(got) + " " + repr([r[3] for r in reqs])[:300])
    result("http2/dynamic_table", len(reqs) == len(paths) and all(r[1] < reqs[0][1] for r in reqs[1:]),
           "HEADERS lengths %r" % [r[1] for r in reqs])
    by_stream = {r[0]: dict(r[2]).get(":path") for r in reqs}
    statuses = {by_stream.get(r[0]): dict(r[2]).get(":status") for r in h2_headers(evs, cli.pid, "read")}
    result("http2/statuses", statuses == {"/a.txt": "200", "/b.txt": "200", "/none": "404",
                                          "/c.bin": "200"},
           repr(statuses))
    srv_reqs = h2_headers(evs, srv.pid, "read")
    result("http2/server_side", sorted(dict(r[2]).get(":path") for r in srv_reqs) == sorted(paths),
           repr([dict(r[2]).get(":path") for r in srv_reqs]))
    stream = check_pcap_file("http2/pcapng", pcap, cli.pid, "curl")
    check_ends("http2/pcapng", pcap, stream, port)
    src, sport = stream_ends(pcap, stream)[:2]  # curl: it wrote first
    rows = tshark("-r", pcap, "-d", "tcp.port==%d,http2" % port, "-Y",
                  "http2.type == 1 && tcp.stream == %d && ip.src == %s && tcp.srcport == %d"
                  % (stream, src, sport),
                  "-T", "fields", "-e", "http2.header.name", "-e", "http2.headers.path")
    result("http2/pcapng_headers", len(rows) == len(paths) and
           all("x-nflux-test" in r.split("\t")[0].split(",") for r in rows) and
           sorted(r.split("\t")[1] for r in rows) == sorted(paths),
           "%r in stream %d: %r" % (rows, stream, tshark("-r", pcap, "-Y", "tcp.stream == %d" % stream)[:6]))


def case_http2_joined(s):
    """tlstrace started while an HTTP/2 connection is open (the test's own
    client, frames and HPACK built by hand): the later request's frame and
    literal fields are shown, the two fields named by dynamic-table entries
    inserted before tlstrace started are flagged, never guessed."""
    if not shutil.which("nghttpd"):
        skip("http2_joined", "nghttpd (package nghttp2-server) is not installed")
        return
    docs = os.path.join(s.tmp, "h2joined")
    os.mkdir(docs)
    for name in ("a.txt", "b.txt"):
        with open(os.path.join(docs, name), "w") as f:
            f.write(name + "\n")
    port = free_port()
    srv = s.spawn(["nghttpd", "-a", "127.0.0.1", "-d", docs, str(port), s.key, s.cert])
    if not result("http2_joined/server", wait_listening(port), "nghttpd did not listen"):
        return
    ready, go = s.path("ready"), s.path("go")
    cli = s.spawn([PY, PEER, "h2client", str(port), "127.0.0.1:%d" % port, ready, go])
    first_done = wait_file(ready, 30)
    t = Tracer(s.tmp, ["--lib", os.path.join(s.lib, "libssl.so.3"), "-p", str(cli.pid)], name="h2j")
    with open(go, "w") as f:
        f.write("go")
    ok = s.finish(cli)
    time.sleep(0.3)
    t.stop()
    srv.kill()
    srv.wait()
    result("http2_joined/peers_ok", first_done and t.ready and ok, t.stderr()[-300:])
    reqs = h2_headers(t.events(), cli.pid, "write")
    want = [[":method", "GET"], [":scheme", "https"], [":path", "/b.txt"], [None, None], [None, None],
            ["x-late", "yes"]]
    got = [list(h) for h in reqs[0][2]] if reqs else []
    result("http2_joined/literals_and_flag", len(reqs) == 1 and reqs[0][0] == 3 and got == want and
           reqs[0][3].get("hpack") == "unknown state", repr(reqs)[:400])


def curl_system(s):
    """curl with the system's libssl (no private copy) POSTs 64 KiB to the
    Python HTTPS server: for the all-libraries run."""
    body, reply = s.random_file(64 << 10), s.random_file(1000)
    port = s.path("port")
    srv = s.spawn([PY, PEER, "http", s.cert, s.key, port, reply])
    wait_file(port)
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    cli = subprocess.Popen(["curl", "-sk", "--http1.1", "--max-time", "30", "-o", "/dev/null",
                            "--data-binary", "@" + body,
                            "https://127.0.0.1:%s/upload" % read(port, "r")],
                           env=env, stdin=subprocess.DEVNULL)
    s.procs.append(cli)
    ok = s.finish(cli, srv)
    want = read(body)
    return {"ok": ok, "error": "curl or the server failed", "client_pid": cli.pid,
            "check": lambda w: w.startswith(b"POST /upload HTTP/1.1\r\n") and w.endswith(want)}


def main():
    try:
        return run_cases()
    finally:
        flush()


def run_cases():
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
                     case_discovery, case_static_binary, case_loss, case_faults, case_fd_reuse,
                     case_named_programs, case_options,
                     case_errors, case_http1, case_http2, case_http2_joined):
            # Debugging: NF_TLS_LIBS_ONLY=1 runs the libraries' cases only,
            # NF_TLS_CASES=a,b these cases (names without case_) only.
            only = os.environ.get("NF_TLS_CASES")
            if only and case.__name__[5:] not in only.split(","):
                continue
            if not os.environ.get("NF_TLS_LIBS_ONLY"):
                case(s)
        if not os.environ.get("NF_TLS_CASES"):
            lib = tlstrace_libs.Lib(s.tmp, result, skip, Tracer, data_of)
            tlstrace_libs.run_all(lib, lambda: curl_system(s))
    finally:
        s.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
