#!/usr/bin/python3
"""Real TLS peers other than OpenSSL for the tlstrace suite: GnuTLS
(gnutls-serv/gnutls-cli), wget (GnuTLS), NSS (selfserv/tstclnt), a plain
NSPR program (no TLS at all), BoringSSL (tt_boring.c) and Go crypto/tls
(tt_go_peer.go). Plain python3 stdlib.

Every peer function runs its processes on 127.0.0.1 synchronously and
returns a dict; nothing is raised for a failed run (see "ok", "error"):

    r = tt_peers.gnutls(tmp, ready=attach)

  tmp    a temp dir the caller owns (and deletes): builds and certificates
         are cached there (tmp/tt_build, tmp/tt_bin), each run gets its
         own folder under it (r["dir"]).
  ready  None, or a callable called once with the dict below (pids, comms,
         port, ...) when every process of the run exists, has mapped its
         TLS library and has made no TLS plaintext call (none is in
         progress either): start tlstrace -p PID / --comm NAME there and
         return once it is attached; the traffic starts after ready
         returns. A tracer started before the call works too.

The dict (keys present for every peer; None where not applicable):
  peer, ok, error, dir, port, seconds (the run, build excluded)
  client_pid, server_pid, client_comm, server_comm, pids, comms
  conn       (client_ip, client_port, server_ip, server_port) of the TLS
             connection (None when not learnt)
  libs       {pid: [mapped TLS library paths]} at ready time
  client_wrote, client_read, server_wrote, server_read
             the exact plaintext (bytes) of each direction as the peers
             themselves establish it; truth[key] says how (a peer's own
             input/output, or the other end's record of the same stream,
             which TLS makes identical)
  truth      {key: how that key's bytes are known}
  stderr     {label: tail of that process's stderr} (diagnosis)
Some peers add keys of their own (documented on each function).

Availability: gnutls_available(tmp), ... return None when the peer can run
here, else the reason for a skip (tool missing, build failed); a build is
done (and cached in tmp) by the check. PEERS lists (name, available, run).

Also run as a program:
  tt_peers.py                 self-test: every available peer once
  tt_peers.py https-file CERT KEY PORTFILE BODY GATE REQ RESP
      (used by wget()) an HTTPS server (Python ssl, comm tt-https-srv):
      one connection accepted once GATE exists, the request head read
      (saved to REQ), answered with HTTP/1.1 200 and BODY (the response
      bytes saved to RESP)
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable or "/usr/bin/python3"

# selfserv's fixed reply around the request it echoes (nss/cmd/selfserv)
SELFSERV_HEADER = (b"HTTP/1.0 200 OK\r\nServer: Generic Web Server\r\n"
                   b"Date: Tue, 26 Aug 1997 22:10:05 GMT\r\nContent-type: text/plain\r\n\r\n")
SELFSERV_EOF = b"EOF\r\n\r\n\r\n"


class PeerError(Exception):
    pass


_multiarch = None


def multiarch():
    """The multiarch triplet (x86_64-linux-gnu, aarch64-linux-gnu, ...)."""
    global _multiarch
    if _multiarch is None:
        try:
            _multiarch = subprocess.run(["gcc", "-dumpmachine"], capture_output=True, text=True,
                                        timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            _multiarch = ""
    return _multiarch


def boring_dir():
    return "/usr/lib/%s/android" % multiarch()


# ---------------------------------------------------------------- helpers

def _missing(*tools):
    gone = [t for t in tools if not shutil.which(t)]
    return ("not installed: " + ", ".join(gone)) if gone else None


def _build_dir(tmp):
    d = os.path.join(tmp, "tt_build")
    os.makedirs(d, exist_ok=True)
    return d


def _read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def _write(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


def _tail(path, n=600):
    try:
        return _read(path)[-n:].decode(errors="replace")
    except OSError:
        return ""


def _wait_file(path, secs):
    end = time.time() + secs
    while not os.path.exists(path):
        if time.time() > end:
            return False
        time.sleep(0.01)
    return True


def _env(**extra):
    """The environment of every peer process: no proxies, no preloads."""
    e = {k: v for k, v in os.environ.items()
         if not k.lower().endswith("_proxy") and k not in ("LD_PRELOAD", "LD_LIBRARY_PATH",
                                                           "SSLKEYLOGFILE", "TT_ACCEPT_GATE")}
    e["LC_ALL"] = "C"
    e.update(extra)
    return e


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _comm(pid):
    try:
        return _read("/proc/%d/comm" % pid, "r").strip()
    except OSError:
        return None


def _tls_libs(pid):
    words = ("ssl", "gnutls", "nss", "nspr", "crypto", "boring")
    out = set()
    try:
        for line in _read("/proc/%d/maps" % pid, "r").splitlines():
            f = line.split(None, 5)
            name = os.path.basename(f[5]) if len(f) == 6 else ""
            if f[-1].startswith("/") and ".so" in name and any(w in name for w in words):
                out.add(f[5])
    except OSError:
        pass
    return sorted(out)


def _ip(hexaddr):
    b = bytes.fromhex(hexaddr)
    words = b"".join(b[i:i + 4][::-1] for i in range(0, len(b), 4))
    if len(words) == 4:
        return socket.inet_ntop(socket.AF_INET, words)
    if words[:12] == b"\0" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, words[12:])
    return socket.inet_ntop(socket.AF_INET6, words)


def _tcp_table():
    """[(local_ip, local_port, rem_ip, rem_port, state, inode)] of tcp and tcp6."""
    rows = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = _read(name, "r").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) < 10:
                continue
            la, lp = f[1].split(":")
            ra, rp = f[2].split(":")
            rows.append((_ip(la), int(lp, 16), _ip(ra), int(rp, 16), f[3], f[9]))
    return rows


def _listening(port):
    return any(r[1] == port and r[4] == "0A" for r in _tcp_table())


def _wait_listening(port, secs, proc=None):
    end = time.time() + secs
    while time.time() < end:
        if _listening(port):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _conn_of(pid, port):
    """(local_ip, local_port, peer_ip, peer_port) of pid's ESTABLISHED TCP
    connection to port, or None."""
    inodes = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return None
    for la, lp, ra, rp, st, ino in _tcp_table():
        if ino in inodes and st == "01" and rp == port:
            return (la, lp, ra, rp)
    return None


def _wait_conn(pid, port, secs, proc=None):
    end = time.time() + secs
    while time.time() < end:
        c = _conn_of(pid, port)
        if c:
            return c
        if proc is not None and proc.poll() is not None:
            return None
        time.sleep(0.01)
    return None


def _info_conn(path):
    try:
        f = _read(path, "r").split()
        return (f[0], int(f[1]), f[2], int(f[3]))
    except (OSError, IndexError, ValueError):
        return None


def printable(n, seed):
    """n bytes of lines (63 printable characters and a newline; the last
    line may be shorter) from a generator seeded with seed: no CR, no NUL,
    no '*' (gnutls-serv's echo mode treats **COMMANDS** and CRLF), no space."""
    r = random.Random(seed)
    alpha = bytes(c for c in range(0x21, 0x7f) if c != 0x2a)
    out = bytearray()
    while len(out) < n:
        k = min(63, n - len(out) - 1)
        out += bytes(r.choice(alpha) for _ in range(k)) + b"\n"
    return bytes(out[:n])


def _http_get(path, size, seed):
    """An HTTP/1.0 GET of path with X-Tt-N header lines of printable bytes,
    size bytes long in all (longer only when size is too small for it)."""
    r = random.Random(seed)
    alpha = bytes(c for c in range(0x21, 0x7f) if c != 0x2a)
    req = b"GET %s HTTP/1.0\r\n" % path
    i = 0
    while True:
        name = b"X-Tt-%d:" % i
        left = size - 2 - len(req) - len(name) - 2  # room for this line's value
        if left < 1:
            break
        n = left if left < 64 + 16 else 64  # the last line takes the rest
        req += name + bytes(r.choice(alpha) for _ in range(n)) + b"\r\n"
        i += 1
    return req + b"\r\n"


def pseudo_random(n, seed):
    return random.Random(seed).randbytes(n)


def _seed(seed):
    return seed if seed is not None else int.from_bytes(os.urandom(4), "big")


def make_cert(tmp):
    """(cert, key): a self-signed ECDSA P-256 certificate for localhost and
    127.0.0.1, PEM, made once per tmp with the openssl command."""
    d = _build_dir(tmp)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if not (os.path.exists(cert) and os.path.exists(key)):
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", key + ".tmp", "-out", cert + ".tmp"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode:
            raise PeerError("openssl req failed: " + r.stderr[-300:])
        os.rename(key + ".tmp", key)
        os.rename(cert + ".tmp", cert)
    return cert, key


def _gcc(out, args, what):
    if os.path.exists(out):
        return out
    r = subprocess.run(["gcc"] + args + ["-o", out + ".tmp"], capture_output=True, text=True,
                       timeout=300)
    if r.returncode:
        raise PeerError("cannot build %s: %s" % (what, r.stderr[-400:]))
    os.rename(out + ".tmp", out)
    return out


def _shim(tmp):
    """tt_lo_shim.so: wildcard binds made loopback, accept gated (see the C file)."""
    return _gcc(os.path.join(_build_dir(tmp), "tt_lo_shim.so"),
                ["-shared", "-fPIC", "-O1", os.path.join(HERE, "tt_lo_shim.c"), "-ldl"], "tt_lo_shim.so")


def _named_copy(tmp, tool, name):
    """A copy of the program tool named name (its comm becomes name)."""
    d = os.path.join(tmp, "tt_bin")
    os.makedirs(d, exist_ok=True)
    dst = os.path.join(d, name)
    if not os.path.exists(dst):
        src = tool if os.path.isabs(tool) else shutil.which(tool)
        if not src:
            raise PeerError(tool + " is not installed")
        shutil.copy(os.path.realpath(src), dst + ".tmp")
        os.chmod(dst + ".tmp", 0o755)
        os.rename(dst + ".tmp", dst)
    return dst


def _guard(check):
    try:
        return check()
    except PeerError as e:
        return str(e)
    except (OSError, subprocess.SubprocessError) as e:
        return "%s: %s" % (type(e).__name__, e)


class _Run:
    """One run's folder and processes; cleanup kills (by pid) what is left."""

    def __init__(self, tmp, peer):
        self.t0 = time.time()
        n = 0
        while True:
            n += 1
            d = os.path.join(tmp, "%s.%d" % (peer, n))
            try:
                os.makedirs(d)
                break
            except FileExistsError:
                continue
        self.dir = d
        self.procs = {}
        self.files = {}
        self.res = {"peer": peer, "ok": False, "error": None, "dir": d, "port": None,
                    "seconds": None, "client_pid": None, "server_pid": None, "client_comm": None,
                    "server_comm": None, "pids": [], "comms": [], "conn": None, "libs": {},
                    "client_wrote": None, "client_read": None, "server_wrote": None,
                    "server_read": None, "truth": {}, "stderr": {}}

    def path(self, name):
        return os.path.join(self.dir, name)

    def spawn(self, label, argv, env=None, stdin=subprocess.DEVNULL, stdout=None):
        err = self.path(label + ".stderr")
        out = stdout or self.path(label + ".stdout")
        with open(out, "wb") as o, open(err, "wb") as e:
            p = subprocess.Popen(argv, env=env or _env(), stdin=stdin, stdout=o, stderr=e,
                                 cwd=self.dir)
        self.procs[label] = p
        self.files[label] = err
        return p

    def role(self, role, p):
        self.res[role + "_pid"] = p.pid
        comm = None
        for _ in range(100):  # the comm is the new program's once exec is done
            comm = _comm(p.pid)
            if comm != "python3" or p.args[0] in (PY, "python3"):
                break
            time.sleep(0.01)
        self.res[role + "_comm"] = comm
        if p.pid not in self.res["pids"]:
            self.res["pids"].append(p.pid)
            self.res["comms"].append(comm)

    def ready(self, ready):
        for pid in self.res["pids"]:
            self.res["libs"][pid] = _tls_libs(pid)
        if ready:
            ready(dict(self.res))

    def wait(self, label, secs):
        p = self.procs[label]
        try:
            rc = p.wait(secs)
        except subprocess.TimeoutExpired:
            raise PeerError("%s (pid %d) did not finish in %s s" % (label, p.pid, secs))
        if rc:
            raise PeerError("%s (pid %d) exited with %d: %s" % (label, p.pid, rc,
                                                              _tail(self.files[label], 300)))

    def stop(self, label, secs=5):
        """SIGTERM (then SIGKILL) a server that would run on."""
        p = self.procs[label]
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(secs)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def finish(self, error=None):
        for label, p in self.procs.items():
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        for label, path in self.files.items():
            self.res["stderr"][label] = _tail(path)
        self.res["seconds"] = round(time.time() - self.t0, 3)
        if error is None:
            self.res["ok"] = True
        else:
            self.res["ok"] = False
            self.res["error"] = error
        return self.res


def _run(peer, tmp, body):
    """Run body(run) with cleanup; the result dict, never an exception
    (except one raised by the caller's ready callback)."""
    run = _Run(tmp, peer)
    try:
        err = body(run)
    except PeerError as e:
        err = str(e)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        err = "%s: %s" % (type(e).__name__, e)
    except BaseException:
        run.finish("interrupted")
        raise
    return run.finish(err)


# ---------------------------------------------------------------- GnuTLS

def gnutls_available(tmp):
    def check():
        m = _missing("gnutls-serv", "gnutls-cli", "openssl", "gcc")
        if m:
            return m
        _shim(tmp)
        make_cert(tmp)
        return None
    return _guard(check)


def gnutls(tmp, ready=None, size=8192, seed=None, timeout=20):
    """gnutls-cli to gnutls-serv --echo (both GnuTLS, copies named
    tt-gnutls-cli and tt-gnutls-serv).

      tt-gnutls-serv --echo -q -p PORT --x509certfile C --x509keyfile K
          (LD_PRELOAD tt_lo_shim.so: listens on 127.0.0.1 and ::1 only,
          accepts only after the ready point)
      tt-gnutls-cli --logfile LOG --insecure -p PORT 127.0.0.1
          (status to LOG: stdout is exactly the data received)

    The client writes size bytes of printable lines (its stdin, kept open
    until all came back, then closed: close_notify and exit); the server
    echoes every record. client_wrote = its stdin; client_read = its stdout;
    server_read / server_wrote = the same stream seen from the other end
    (the echo is checked: client_read == client_wrote). Extra key: seed."""
    def body(run):
        cert, key = make_cert(tmp)
        shim = _shim(tmp)
        seed_ = _seed(seed)
        run.res["seed"] = seed_
        data = printable(size, seed_)
        port = _free_port()
        run.res["port"] = port
        gate = run.path("go")
        srv = run.spawn("server", [_named_copy(tmp, "gnutls-serv", "tt-gnutls-serv"), "--echo", "-q",
                                   "-p", str(port), "--x509certfile", cert, "--x509keyfile", key],
                        env=_env(LD_PRELOAD=shim, TT_ACCEPT_GATE=gate))
        if not _wait_listening(port, 10, srv):
            raise PeerError("gnutls-serv did not listen: " + _tail(run.files["server"]))
        out = run.path("client.stdout")
        cli = run.spawn("client", [_named_copy(tmp, "gnutls-cli", "tt-gnutls-cli"), "--logfile",
                                   run.path("client.log"), "--insecure", "-p", str(port), "127.0.0.1"],
                        stdin=subprocess.PIPE, stdout=out)
        run.res["conn"] = _wait_conn(cli.pid, port, 10, cli)
        if not run.res["conn"]:
            raise PeerError("gnutls-cli did not connect: " + _tail(run.files["client"]))
        run.role("client", cli)
        run.role("server", srv)
        run.ready(ready)
        open(gate, "w").close()
        try:
            cli.stdin.write(data)
            cli.stdin.flush()
            end = time.time() + timeout
            while os.path.getsize(out) < len(data) and time.time() < end and cli.poll() is None:
                time.sleep(0.01)
        finally:
            cli.stdin.close()
        run.wait("client", timeout)
        run.stop("server")
        got = _read(out)
        run.res.update(client_wrote=data, client_read=got, server_read=data, server_wrote=got)
        run.res["truth"] = {"client_wrote": "gnutls-cli's stdin", "client_read": "gnutls-cli's stdout",
                            "server_read": "= client_wrote (the echo came back whole)",
                            "server_wrote": "= client_read"}
        if got != data:
            return "the echo differs: %d bytes back of %d" % (len(got), len(data))
        return None
    return _run("gnutls", tmp, body)


# ---------------------------------------------------------------- wget

def wget_available(tmp):
    def check():
        m = _missing("wget", "openssl")
        if m:
            return m
        v = subprocess.run(["wget", "--version"], capture_output=True, text=True, timeout=30).stdout
        if "+ssl/gnutls" not in v and "+https" not in v:
            return "wget is not built with GnuTLS"
        if "+ssl/gnutls" not in v:
            return "wget uses another TLS library than GnuTLS"
        make_cert(tmp)
        return None
    return _guard(check)


def wget(tmp, ready=None, size=256 << 10, seed=None, timeout=20):
    """wget (GnuTLS; a copy named tt-wget) downloads size pseudo-random
    bytes over HTTP/1.1 from an HTTPS server of this file (Python ssl, so
    OpenSSL, comm tt-https-srv; it accepts only after the ready point):

      tt-wget -q --no-config --no-proxy --no-hsts --no-check-certificate
              --tries=1 --timeout=T -O OUT https://127.0.0.1:PORT/tt-body.bin
          (HOME is the run folder, no *_proxy in the environment)

    client_wrote = the request head exactly as the server read it;
    client_read = the response (head + body) exactly as the server wrote
    it; server_read/server_wrote are those records themselves. Extra keys:
    body (the file's bytes), body_size, downloaded (wget's -O file),
    seed."""
    def body(run):
        cert, key = make_cert(tmp)
        seed_ = _seed(seed)
        data = pseudo_random(size, seed_)
        run.res.update(seed=seed_, body=data, body_size=len(data))
        bodyf, portf, gate = run.path("body.bin"), run.path("port"), run.path("go")
        reqf, respf, outf = run.path("server.read"), run.path("server.wrote"), run.path("tt-body.bin")
        _write(bodyf, data)
        srv = run.spawn("server", [PY, os.path.abspath(__file__), "https-file", cert, key, portf, bodyf,
                                   gate, reqf, respf])
        if not _wait_file(portf, 10):
            raise PeerError("the HTTPS server did not start: " + _tail(run.files["server"]))
        port = int(_read(portf))
        run.res["port"] = port
        home = run.path("home")
        os.mkdir(home)
        cli = run.spawn("client", [_named_copy(tmp, "wget", "tt-wget"), "-q", "--no-config", "--no-proxy",
                                   "--no-hsts", "--no-check-certificate", "--tries=1",
                                   "--timeout=%d" % timeout, "-O", outf,
                                   "https://127.0.0.1:%d/tt-body.bin" % port],
                        env=_env(HOME=home))
        run.res["conn"] = _wait_conn(cli.pid, port, 10, cli)
        if not run.res["conn"]:
            raise PeerError("wget did not connect: " + _tail(run.files["client"]))
        run.role("client", cli)
        run.role("server", srv)
        run.ready(ready)
        open(gate, "w").close()
        run.wait("client", timeout + 5)
        run.wait("server", timeout)
        req, resp, got = _read(reqf), _read(respf), _read(outf)
        run.res.update(client_wrote=req, client_read=resp, server_read=req, server_wrote=resp,
                       downloaded=got)
        run.res["truth"] = {"client_wrote": "= server_read", "client_read": "= server_wrote",
                            "server_read": "the HTTPS server's record of what it read",
                            "server_wrote": "the HTTPS server's record of what it wrote"}
        if got != data or not resp.endswith(b"\r\n\r\n" + data):
            return "wget's file differs: %d bytes of %d" % (len(got), len(data))
        if not req.startswith(b"GET /tt-body.bin HTTP/1.1\r\n"):
            return "unexpected request %r" % req[:80]
        return None
    return _run("wget", tmp, body)


def _https_file(cert, key, portfile, bodyf, gate, reqf, respf):
    import ssl
    try:
        with open("/proc/self/comm", "w") as f:
            f.write("tt-https-srv")
    except OSError:
        pass
    data = _read(bodyf)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    ls.settimeout(60)
    _write(portfile, str(ls.getsockname()[1]).encode())
    if not _wait_file(gate, 60):
        sys.exit("tt-https-srv: %s never appeared" % gate)
    c, _ = ls.accept()
    c.settimeout(30)
    s = ctx.wrap_socket(c, server_side=True)
    req = b""
    while b"\r\n\r\n" not in req:
        b = s.recv(65536)
        if not b:
            break
        req += b
    _write(reqf, req)
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % len(data)) + data
    s.sendall(resp)
    _write(respf, resp)
    try:
        s.unwrap()
    except (OSError, ValueError):
        pass
    s.close()
    ls.close()


# ---------------------------------------------------------------- NSS

def _nssdb(tmp):
    """An NSS database (sql:, empty password) with a self-signed EC cert 'server'."""
    d = os.path.join(_build_dir(tmp), "nssdb")
    if os.path.exists(os.path.join(d, "done")):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    noise = os.path.join(d, "noise")
    _write(noise, os.urandom(2048))
    for argv in (["certutil", "-N", "-d", "sql:" + d, "--empty-password"],
                 ["certutil", "-S", "-s", "CN=localhost", "-n", "server", "-x", "-t", "CTu,u,u",
                  "-k", "ec", "-q", "nistp256", "-8", "localhost", "-v", "12", "-d", "sql:" + d,
                  "-z", noise]):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if r.returncode:
            raise PeerError("%s failed: %s" % (" ".join(argv[:2]), (r.stdout + r.stderr)[-300:]))
    open(os.path.join(d, "done"), "w").close()
    return d


def nss_available(tmp):
    def check():
        m = _missing("certutil", "selfserv", "tstclnt", "gcc")
        if m:
            return m
        _shim(tmp)
        _nssdb(tmp)
        return None
    return _guard(check)


def nss(tmp, ready=None, size=4096, seed=None, timeout=20):
    """NSS's test tools: tstclnt to selfserv (copies named tt-tstclnt and
    tt-selfserv), one certificate database made with certutil.

      tt-selfserv -d sql:DB -n server -p PORT
          (LD_PRELOAD tt_lo_shim.so: listens on 127.0.0.1 only, accepts
          only after the ready point; SIGTERMed at the end)
      tt-tstclnt -h 127.0.0.1 -p PORT -d sql:DB -o -4
          (stdin one end of a socketpair: EOF on a pipe makes tstclnt spin)

    tstclnt sends its stdin (PR_Read of stdin, PR_Send to the TLS socket
    in pieces of up to 4000 bytes) and prints what it receives (PR_Recv,
    PR_Write to stdout). The request is an HTTP/1.0 GET of size bytes
    (header lines of printable bytes); selfserv reads it (PR_Read) up to
    the blank line and answers, in one PR_Writev, SELFSERV_HEADER + the
    request + SELFSERV_EOF, then closes. client_wrote = tstclnt's stdin;
    client_read = tstclnt's stdout (checked to be that answer);
    server_read/server_wrote = the same streams from the other end.
    Extra key: seed."""
    def body(run):
        db = _nssdb(tmp)
        shim = _shim(tmp)
        seed_ = _seed(seed)
        run.res["seed"] = seed_
        req = _http_get(b"/tt-nss-%08x" % seed_, size, seed_)
        if len(req) > 10000:
            raise PeerError("selfserv reads requests of up to 10239 bytes")
        port = _free_port()
        run.res["port"] = port
        gate = run.path("go")
        srv = run.spawn("server", [_named_copy(tmp, "selfserv", "tt-selfserv"), "-d", "sql:" + db,
                                   "-n", "server", "-p", str(port)],
                        env=_env(LD_PRELOAD=shim, TT_ACCEPT_GATE=gate))
        if not _wait_listening(port, 10, srv):
            raise PeerError("selfserv did not listen: " + _tail(run.files["server"]))
        mine, theirs = socket.socketpair()
        try:
            out = run.path("client.stdout")
            cli = run.spawn("client", [_named_copy(tmp, "tstclnt", "tt-tstclnt"), "-h", "127.0.0.1",
                                       "-p", str(port), "-d", "sql:" + db, "-o", "-4"],
                            stdin=theirs.fileno(), stdout=out)
            theirs.close()
            run.res["conn"] = _wait_conn(cli.pid, port, 10, cli)
            if not run.res["conn"]:
                raise PeerError("tstclnt did not connect: " + _tail(run.files["client"]))
            run.role("client", cli)
            run.role("server", srv)
            run.ready(ready)
            open(gate, "w").close()
            mine.sendall(req)
            mine.shutdown(socket.SHUT_WR)
            run.wait("client", timeout)
        finally:
            mine.close()
            theirs.close()
        run.stop("server")
        got = _read(out)
        run.res.update(client_wrote=req, client_read=got, server_read=req, server_wrote=got)
        run.res["truth"] = {"client_wrote": "tstclnt's stdin", "client_read": "tstclnt's stdout",
                            "server_read": "= client_wrote (selfserv echoes it whole)",
                            "server_wrote": "= client_read"}
        want = SELFSERV_HEADER + req + SELFSERV_EOF
        if got != want:
            return "tstclnt printed %d bytes, not selfserv's %d-byte answer: %r" % (len(got), len(want),
                                                                                   got[:80])
        return None
    return _run("nss", tmp, body)


# ---------------------------------------------------------------- NSPR (no TLS)

def _nspr_build(tmp, with_nss):
    src = os.path.join(HERE, "tt_nspr_file.c")
    if with_nss:
        return _gcc(os.path.join(_build_dir(tmp), "tt-nspr-nss"),
                    ["-O1", "-DTT_NSS", "-I/usr/include/nspr", "-I/usr/include/nss", src,
                     "-lssl3", "-lnss3", "-lnspr4"], "tt-nspr-nss")
    return _gcc(os.path.join(_build_dir(tmp), "tt-nspr-file"),
                ["-O1", "-I/usr/include/nspr", src, "-lnspr4"], "tt-nspr-file")


def nspr_file_available(tmp, with_nss=False):
    def check():
        m = _missing("gcc")
        if m:
            return m
        if not os.path.exists("/usr/include/nspr/prio.h"):
            return "no NSPR headers (libnspr4-dev)"
        if with_nss and not os.path.exists("/usr/include/nss/ssl.h"):
            return "no NSS headers (libnss3-dev)"
        _nspr_build(tmp, with_nss)
        return None
    return _guard(check)


def nspr_file(tmp, ready=None, with_nss=False, size=64 << 10, seed=None, timeout=20):
    """One process (tt-nspr-file, or tt-nspr-nss with with_nss: NSS
    initialised, libssl3 mapped) doing plain NSPR I/O only, no TLS: PR_Write
    of size pseudo-random bytes to a file and PR_Read back, then a loopback
    TCP connection within the process (client PR_Send, server thread
    PR_Recv, answer the bytes reversed by PR_Write, client PR_Read).
    tlstrace must report nothing for it: client_wrote etc. are b"" (no TLS
    plaintext). client_pid = server_pid = pid. Extra keys: pid, comm,
    maps_libssl3 (bool, at ready time), file_data (the file's bytes),
    sock_sent, sock_received (the client's), sock_server_received,
    sock_server_sent, seed."""
    def body(run):
        exe = _nspr_build(tmp, with_nss)
        seed_ = _seed(seed)
        data = pseudo_random(size, seed_)
        dataf, gate = run.path("data.bin"), run.path("go")
        _write(dataf, data)
        p = run.spawn("nspr", [exe, dataf, run.dir, gate])
        if not _wait_file(run.path("ready"), 10):
            raise PeerError("tt-nspr did not start: " + _tail(run.files["nspr"]))
        run.role("client", p)
        run.role("server", p)
        run.res.update(pid=p.pid, comm=run.res["client_comm"], seed=seed_)
        run.ready(ready)
        run.res["maps_libssl3"] = any(os.path.basename(l).startswith("libssl3")
                                      for l in run.res["libs"].get(p.pid, []))
        open(gate, "w").close()
        run.wait("nspr", timeout)
        run.res.update(client_wrote=b"", client_read=b"", server_wrote=b"", server_read=b"",
                       file_data=_read(run.path("file.bin")), sock_sent=data,
                       sock_received=_read(run.path("sock_client.bin")),
                       sock_server_received=_read(run.path("sock_server.bin")),
                       sock_server_sent=data[::-1])
        run.res["truth"] = {k: "no TLS at all" for k in ("client_wrote", "client_read", "server_wrote",
                                                         "server_read")}
        if run.res["maps_libssl3"] != with_nss:
            return "libssl3 mapped: %s (with_nss %s)" % (run.res["maps_libssl3"], with_nss)
        if run.res["file_data"] != data or run.res["sock_received"] != data[::-1]:
            return "the NSPR program's I/O differs"
        return None
    return _run("nspr-nss" if with_nss else "nspr-file", tmp, body)


# ---------------------------------------------------------------- BoringSSL

def _boring_build(tmp):
    d = boring_dir()
    return _gcc(os.path.join(_build_dir(tmp), "tt-boring"),
                ["-O1", "-I/usr/include/android", os.path.join(HERE, "tt_boring.c"), "-L" + d,
                 "-l:libssl.so.0", "-l:libcrypto.so.0", "-Wl,-rpath," + d], "tt-boring")


def boring_available(tmp):
    def check():
        m = _missing("gcc", "openssl")
        if m:
            return m
        d = boring_dir()
        for f in (os.path.join(d, "libssl.so.0"), os.path.join(d, "libcrypto.so.0"),
                  "/usr/include/android/openssl/ssl.h"):
            if not os.path.exists(f):
                return "no %s (android-libboringssl, android-libboringssl-dev)" % f
        _boring_build(tmp)
        make_cert(tmp)
        return None
    return _guard(check)


def boring(tmp, ready=None, size=1 << 20, reply_size=64 << 10, seed=None, timeout=20):
    """Two processes of tt_boring.c with BoringSSL (libssl.so.0 of
    /usr/lib/<multiarch>/android), copies named tt-boring-cli and
    tt-boring-srv:

      tt-boring-srv server CERT KEY PORTFILE GO SIZE SRV_OUT REPLY
      tt-boring-cli client PORT DATA GO CLI_OUT INFO

    Both handshake before the ready point; then the client sends size
    pseudo-random bytes in one SSL_write, the server SSL_reads them and
    answers reply_size other bytes in one SSL_write. client_wrote / server_wrote
    = the data files they were given; server_read / client_read = what
    each saved of its SSL_reads. Extra key: seed."""
    def body(run):
        exe = _boring_build(tmp)
        cert, key = make_cert(tmp)
        seed_ = _seed(seed)
        data, reply = pseudo_random(size, seed_), pseudo_random(reply_size, seed_ + 1)
        run.res["seed"] = seed_
        dataf, replyf, portf, gate = run.path("data.bin"), run.path("reply.bin"), run.path("port"), run.path("go")
        srv_out, cli_out, info = run.path("server.read"), run.path("client.read"), run.path("info")
        _write(dataf, data)
        _write(replyf, reply)
        srv = run.spawn("server", [_named_copy(tmp, exe, "tt-boring-srv"), "server", cert, key, portf, gate,
                                   str(size), srv_out, replyf])
        if not _wait_file(portf, 10):
            raise PeerError("tt-boring server did not start: " + _tail(run.files["server"]))
        port = int(_read(portf))
        run.res["port"] = port
        cli = run.spawn("client", [_named_copy(tmp, exe, "tt-boring-cli"), "client", str(port), dataf,
                                   gate, cli_out, info])
        if not _wait_file(info, 10):
            raise PeerError("tt-boring client did not connect: " + _tail(run.files["client"]))
        run.res["conn"] = _info_conn(info)
        run.role("client", cli)
        run.role("server", srv)
        run.ready(ready)
        open(gate, "w").close()
        run.wait("client", timeout)
        run.wait("server", timeout)
        run.res.update(client_wrote=data, client_read=_read(cli_out), server_wrote=reply,
                       server_read=_read(srv_out))
        run.res["truth"] = {"client_wrote": "the client's data file", "server_wrote": "the server's reply file",
                            "client_read": "the client's record of its SSL_reads",
                            "server_read": "the server's record of its SSL_reads"}
        lib = os.path.join(boring_dir(), "libssl.so.0")
        for pid in run.res["pids"]:
            if lib not in run.res["libs"].get(pid, []):
                return "pid %d does not map %s: %s" % (pid, lib, run.res["libs"].get(pid))
        if run.res["server_read"] != data or run.res["client_read"] != reply:
            return "the BoringSSL peers' records differ from the data"
        return None
    return _run("boring", tmp, body)


# ---------------------------------------------------------------- Go

def _go_build(tmp):
    """DIR/tt-go-peer built with go build (stdlib only, offline, caches in
    tmp, not stripped); its build time in seconds is kept in
    DIR/tt-go-peer.seconds."""
    d = os.path.join(_build_dir(tmp), "go")
    exe = os.path.join(d, "tt-go-peer")
    if os.path.exists(exe):
        return exe
    for sub in ("src", "cache", "path", "home"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    shutil.copy(os.path.join(HERE, "tt_go_peer.go"), os.path.join(d, "src", "tt_go_peer.go"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO") and not k.lower().endswith("_proxy")}
    env.update(GOCACHE=os.path.join(d, "cache"), GOPATH=os.path.join(d, "path"), HOME=os.path.join(d, "home"),
               GOFLAGS="-mod=mod", CGO_ENABLED="0", GOTOOLCHAIN="local", GOPROXY="off", GONOSUMDB="*",
               GOSUMDB="off", GO111MODULE="on")
    t0 = time.time()
    r = subprocess.run(["go", "build", "-o", exe + ".tmp", "tt_go_peer.go"], cwd=os.path.join(d, "src"),
                       env=env, capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise PeerError("go build failed: " + (r.stdout + r.stderr)[-400:])
    os.rename(exe + ".tmp", exe)
    with open(exe + ".seconds", "w") as f:
        f.write("%.2f\n" % (time.time() - t0))
    return exe


def go_build_seconds(tmp):
    try:
        return float(_read(os.path.join(_build_dir(tmp), "go", "tt-go-peer.seconds"), "r"))
    except (OSError, ValueError):
        return None


def go_available(tmp):
    def check():
        m = _missing("go")
        if m:
            return m
        _go_build(tmp)
        return None
    return _guard(check)


def go(tmp, ready=None, size=1 << 20, seed=None, timeout=30):
    """Go crypto/tls over HTTP/1.1 (HTTP/2 off on both sides), two
    processes of tt-go-peer (same comm, tt-go-peer):

      tt-go-peer server -portfile F -seed S+1 -size N -sent -got -wrote -read
      tt-go-peer client -port P -go GO -seed S -size N -sent -got -wrote -read -info

    The client (started before the ready point, it connects only after)
    POSTs N pseudo-random bytes to /upload; the server answers 200 with N
    other bytes; Connection: close. Each side records every plaintext byte
    it gave to / got from its *tls.Conn (Write/Read), so client_wrote (the
    request: head + body), client_read (the response), server_read,
    server_wrote are exact, and are checked pairwise equal. Extra keys:
    request_body, response_body (the generated bodies), seed."""
    def body(run):
        exe = _go_build(tmp)
        seed_ = _seed(seed)
        run.res["seed"] = seed_
        portf, gate, info = run.path("port"), run.path("go"), run.path("info")
        files = {side: {k: run.path("%s.%s" % (side, k)) for k in ("sent", "got", "wrote", "read")}
                 for side in ("server", "client")}

        def flags(side):
            return sum((["-" + k, v] for k, v in files[side].items()), [])
        srv = run.spawn("server", [exe, "server", "-portfile", portf, "-seed", str(seed_ + 1),
                                   "-size", str(size)] + flags("server"))
        if not _wait_file(portf, 10):
            raise PeerError("the Go server did not start: " + _tail(run.files["server"]))
        port = int(_read(portf))
        run.res["port"] = port
        cli = run.spawn("client", [exe, "client", "-port", str(port), "-go", gate, "-seed", str(seed_),
                                   "-size", str(size), "-info", info] + flags("client"))
        if not _wait_file(files["client"]["sent"], 10):
            raise PeerError("the Go client did not start: " + _tail(run.files["client"]))
        run.role("client", cli)
        run.role("server", srv)
        run.ready(ready)
        open(gate, "w").close()
        run.wait("client", timeout)
        run.wait("server", timeout)
        run.res["conn"] = _info_conn(info)
        f = {side: {k: _read(p) for k, p in files[side].items()} for side in files}
        run.res.update(client_wrote=f["client"]["wrote"], client_read=f["client"]["read"],
                       server_wrote=f["server"]["wrote"], server_read=f["server"]["read"],
                       request_body=f["client"]["sent"], response_body=f["server"]["sent"])
        run.res["truth"] = {k: "the %s's record of its tls.Conn %ss" % tuple(k.split("_"))
                            for k in ("client_wrote", "client_read", "server_wrote", "server_read")}
        if f["client"]["wrote"] != f["server"]["read"] or f["server"]["wrote"] != f["client"]["read"]:
            return "the two ends' records of the streams differ"
        if f["server"]["got"] != f["client"]["sent"] or f["client"]["got"] != f["server"]["sent"]:
            return "a body arrived altered"
        if not (f["client"]["wrote"].startswith(b"POST /upload HTTP/1.1\r\n") and
                f["client"]["wrote"].endswith(b"\r\n\r\n" + f["client"]["sent"]) and
                f["server"]["wrote"].startswith(b"HTTP/1.1 200 OK\r\n") and
                f["server"]["wrote"].endswith(b"\r\n\r\n" + f["server"]["sent"])):
            return "not the HTTP/1.1 exchange expected"
        return None
    return _run("go", tmp, body)


# ---------------------------------------------------------------- registry, self-test

PEERS = [
    ("gnutls", gnutls_available, gnutls),
    ("wget", wget_available, wget),
    ("nss", nss_available, nss),
    ("nspr-file", nspr_file_available, nspr_file),
    ("nspr-nss", lambda tmp: nspr_file_available(tmp, with_nss=True),
     lambda tmp, ready=None, **kw: nspr_file(tmp, ready, with_nss=True, **kw)),
    ("boring", boring_available, boring),
    ("go", go_available, go),
]


def _n(b):
    return "-" if b is None else str(len(b))


def selftest(rounds=1, names=None):
    import tempfile
    tmp = tempfile.mkdtemp(prefix="tt_peers.")
    failed = 0
    try:
        for name, avail, run in PEERS:
            if names and name not in names:
                continue
            t0 = time.time()
            why = avail(tmp)
            if why:
                print("SKIP %-9s %s" % (name, why))
                continue
            setup = time.time() - t0
            for i in range(rounds):
                r = run(tmp)
                failed += not r["ok"]
                print("%s %-9s pids %s comms %s  cw %s cr %s sw %s sr %s  %.2fs%s%s" % (
                    "OK  " if r["ok"] else "FAIL", name, r["pids"], r["comms"], _n(r["client_wrote"]),
                    _n(r["client_read"]), _n(r["server_wrote"]), _n(r["server_read"]), r["seconds"],
                    " (setup %.2fs)" % setup if i == 0 else "",
                    "" if r["ok"] else "  " + str(r["error"]) + " " + repr(r["stderr"])[:300]))
                sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 9 and sys.argv[1] == "https-file":
        _https_file(*sys.argv[2:])
        sys.exit(0)
    rounds = 1
    args = sys.argv[1:]
    if args[:1] == ["--rounds"]:
        rounds, args = int(args[1]), args[2:]
    sys.exit(selftest(rounds, args or None))
