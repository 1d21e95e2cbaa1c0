"""tlstrace suite cases for the libraries other than OpenSSL: GnuTLS,
NSS, BoringSSL, Go, and all of them in one run (tlstrace_suite.py runs
them). The peers (tt_peers.py) establish what each side really wrote and
read; tlstrace probes what it finds itself and follows only the peers'
own processes (-p, or --comm with the names the peers run under)."""
import os
import time

import tt_peers


class Lib:
    """What the suite gives these cases: its result/skip reporting, the
    Tracer class, data_of and its temp dir."""

    def __init__(self, tmp, result, skip, tracer, data_of):
        self.tmp, self.result, self.skip, self.Tracer, self.data_of = tmp, result, skip, tracer, data_of


def _attach(lib, holder, args_of, name, wait_for=()):
    """A ready callback: start tlstrace with args_of(info) and, when given,
    wait until its log says it probes each of wait_for's paths."""
    def ready(info):
        t = lib.Tracer(lib.tmp, args_of(info), name=name)
        holder["t"] = t
        end = time.time() + 10
        while t.ready and any(w not in t.stderr() for w in wait_for) and time.time() < end:
            time.sleep(0.05)
    return ready


def _pids_args(info):
    return sum((["-p", str(p)] for p in info["pids"]), [])


def _check_streams(lib, tag, evs, r, key, want_lib, sides):
    """Each side's write and read streams against the peer's truth, and
    every event of those pids from want_lib."""
    for side in sides:
        pid = r[side + "_pid"]
        for d, k in (("write", "wrote"), ("read", "read")):
            want = r["%s_%s" % (side, k)]
            got, sel = lib.data_of(evs, pid=pid, dir=d)
            lib.result("%s/%s_%s_exact" % (tag, side, d), got == want,
                       "%d bytes in %d events, want %d" % (len(got), len(sel), len(want)))
        mine = [e for e in evs if e.get("pid") == pid]
        lib.result("%s/%s_lib" % (tag, side), bool(mine) and all(e.get("lib") == want_lib for e in mine),
                   str({(e.get("lib"), e.get("func")) for e in mine}))
    lib.result("%s/no_loss" % tag, all(not e.get("truncated") for e in evs),
               str([e.get("lost_bytes") for e in evs if e.get("truncated")][:5]))


def _four_tuple(lib, tag, evs, r):
    """The client's writes carry the connection the peer saw (client end
    first); its reads the other way round."""
    conn = r.get("conn")
    w = [e for e in evs if e.get("pid") == r["client_pid"] and e.get("dir") == "write"]
    if not conn or not w:
        lib.result("%s/four_tuple" % tag, False, "no connection (%s) or no write event" % (conn,))
        return
    cip, cport, sip, sport = conn
    got = (w[0].get("src"), w[0].get("sport"), w[0].get("dst"), w[0].get("dport"))
    lib.result("%s/four_tuple" % tag, got == (cip, cport, sip, sport), "%s vs %s" % (got, conn))


def _run_peer(lib, tag, avail, run, args_of=_pids_args, wait_for=None, **kw):
    """Run one peer under a tracer started at its ready point; (r, events)
    or None after a skip or a failed start."""
    why = avail(lib.tmp)
    if why:
        lib.skip(tag, why)
        return None
    h = {}
    r = run(lib.tmp, ready=_attach(lib, h, args_of, tag, wait_for or ()), **kw)
    t = h.get("t")
    if t:
        t.stop()
    if not lib.result("%s/attached" % tag, bool(t and t.ready), t.stderr()[-300:] if t else "no tracer"):
        return None
    lib.result("%s/peers_ok" % tag, r["ok"], str(r.get("error"))[:300])
    return r, t.events()


def case_gnutls(lib):
    """gnutls-cli to gnutls-serv --echo: both sides, exact."""
    got = _run_peer(lib, "gnutls", tt_peers.gnutls_available, tt_peers.gnutls)
    if got:
        r, evs = got
        _check_streams(lib, "gnutls", evs, r, "gnutls", "gnutls", ("client", "server"))
        _four_tuple(lib, "gnutls", evs, r)
        funcs = {e.get("func") for e in evs}
        lib.result("gnutls/funcs", funcs == {"gnutls_record_send", "gnutls_record_recv"}, str(funcs))


def case_wget(lib):
    """wget (GnuTLS) downloads a known file: its request and the response
    (head and body), exact. The server is Python's ssl (OpenSSL)."""
    got = _run_peer(lib, "wget", tt_peers.wget_available, tt_peers.wget,
                    args_of=lambda i: ["-p", str(i["client_pid"])])
    if got:
        r, evs = got
        _check_streams(lib, "wget", evs, r, "wget", "gnutls", ("client",))
        body, _ = lib.data_of(evs, pid=r["client_pid"], dir="read")
        lib.result("wget/body_exact", body.endswith(b"\r\n\r\n" + r["body"]),
                   "%d bytes read, body %d" % (len(body), len(r["body"])))


def case_nss(lib):
    """tstclnt to selfserv: tstclnt's PR_Send/PR_Recv and selfserv's
    PR_Read/PR_Writev, exact; tstclnt's PR_Read of stdin and PR_Write to
    stdout (plain files) are not TLS and must not show."""
    got = _run_peer(lib, "nss", tt_peers.nss_available, tt_peers.nss)
    if got:
        r, evs = got
        _check_streams(lib, "nss", evs, r, "nss", "nss", ("client", "server"))
        _four_tuple(lib, "nss", evs, r)
        funcs = {(e.get("comm"), e.get("func")) for e in evs}
        lib.result("nss/writev", ("tt-selfserv", "PR_Writev") in funcs, str(funcs))


def case_nspr_plain(lib):
    """A program that does only plain NSPR I/O (a file, a TCP socket), once
    without NSS and once with NSS initialised (libssl3 mapped): no event."""
    for with_nss in (False, True):
        tag = "nspr_plain/" + ("with_nss" if with_nss else "nspr_only")
        why = tt_peers.nspr_file_available(lib.tmp, with_nss=with_nss)
        if why:
            lib.skip(tag, why)
            continue
        h = {}
        r = tt_peers.nspr_file(lib.tmp, ready=_attach(lib, h, _pids_args, tag.replace("/", "_")),
                               with_nss=with_nss)
        t = h.get("t")
        if t:
            t.stop()
        if not lib.result(tag + "/attached", bool(t and t.ready), t.stderr()[-300:] if t else ""):
            continue
        lib.result(tag + "/peer_ok", r["ok"], str(r.get("error"))[:300])
        evs = t.events()
        lib.result(tag + "/no_event", evs == [], str([(e.get("func"), e.get("len")) for e in evs][:5]))
        if with_nss:
            lib.result(tag + "/libssl3_mapped", bool(r.get("maps_libssl3")), "libssl3 not mapped")


def case_boringssl(lib):
    """A program linked with Debian's BoringSSL (android-libboringssl): one
    1 MiB SSL_write, a 64 KiB reply; found in the processes' maps."""
    got = _run_peer(lib, "boringssl", tt_peers.boring_available, tt_peers.boring)
    if got:
        r, evs = got
        _check_streams(lib, "boringssl", evs, r, "boring", "boringssl", ("client", "server"))
        w = [e for e in evs if e.get("pid") == r["client_pid"] and e.get("dir") == "write"]
        lib.result("boringssl/one_call_of_1MiB", len(w) == 1 and w[0].get("len") == 1 << 20,
                   str([(e.get("func"), e.get("len")) for e in w][:4]))


def case_go(lib):
    """Go client and server (crypto/tls, HTTP/1.1): a 1 MiB POST and a 1 MiB
    reply, exact both ways; the programs run to the end under the probes."""
    got = _run_peer(lib, "go", tt_peers.go_available, tt_peers.go)
    if got:
        r, evs = got
        _check_streams(lib, "go", evs, r, "go", "go", ("client", "server"))
        _four_tuple(lib, "go", evs, r)
        w, _ = lib.data_of(evs, pid=r["client_pid"], dir="write")
        lib.result("go/request_body", w.endswith(r["request_body"]) and w.startswith(b"POST "),
                   repr(w[:40]))


def case_all_at_once(lib, curl_run):
    """One tlstrace run, libraries found unasked, sees curl (OpenSSL), wget
    (GnuTLS), tstclnt (NSS) and the Go client, each with its lib."""
    needs = [("wget", tt_peers.wget_available), ("nss", tt_peers.nss_available),
             ("go", tt_peers.go_available)]
    for name, avail in needs:
        why = avail(lib.tmp)
        if why:
            lib.skip("all_at_once", "%s: %s" % (name, why))
            return
    comms = ["curl", "tt-wget", "tt-tstclnt", "tt-go-peer"]
    t = lib.Tracer(lib.tmp, sum((["--comm", c] for c in comms), []), name="all")
    if not lib.result("all_at_once/attached", t.ready, t.stderr()[-300:]):
        t.stop()
        return

    def go_probed(info):
        end = time.time() + 10  # the Go program is found in its maps after exec
        while "tt-go-peer (" not in t.stderr() and time.time() < end:
            time.sleep(0.05)

    runs = {"curl": curl_run(), "wget": tt_peers.wget(lib.tmp),
            "nss": tt_peers.nss(lib.tmp), "go": tt_peers.go(lib.tmp, ready=go_probed)}
    t.stop()
    evs = t.events()
    want = {"curl": "openssl", "wget": "gnutls", "nss": "nss", "go": "go"}
    for name, r in runs.items():
        lib.result("all_at_once/%s_ok" % name, r["ok"], str(r.get("error"))[:200])
        mine = [e for e in evs if e.get("pid") == r["client_pid"]]
        libs = {e.get("lib") for e in mine}
        lib.result("all_at_once/%s_lib" % name, libs == {want[name]}, str(libs))
        w, _ = lib.data_of(evs, pid=r["client_pid"], dir="write")
        ok = r["check"](w) if "check" in r else w == r["client_wrote"]
        lib.result("all_at_once/%s_write_exact" % name, ok, "%d bytes: %r" % (len(w), w[:40]))


def run_all(lib, curl_run):
    for case in (case_gnutls, case_wget, case_nss, case_nspr_plain, case_boringssl, case_go):
        case(lib)
    case_all_at_once(lib, curl_run)
