#!/usr/bin/python3
"""TLS peers for the tlstrace suite, run as their own processes (so that
each has its own pid, comm and, through LD_LIBRARY_PATH, the suite's
private copy of libssl). Python's ssl module calls only SSL_read_ex and
SSL_write_ex.

  tt_peer.py server CERT KEY PORTFILE OUT EXPECT CONNS [REPLY]
      accept CONNS TLS connections on 127.0.0.1 (port written to
      PORTFILE), read EXPECT bytes from each (all appended to OUT), send
      each REPLY's bytes, close
  tt_peer.py client PORT DATA OUT [--info INFO] [--wait FILE] [--threads N] [--linger S]
      connect (N connections, one per thread), write each connection's
      "tid local_ip local_port peer_ip peer_port" to INFO, wait until
      FILE exists, send DATA (thread i sends DATA with every byte
      replaced by i + 1 when N > 1) in one sendall, read the reply to EOF
      into OUT, and keep the connection S seconds more (a tracer that
      resolves the socket after the call still finds it)
  tt_peer.py http CERT KEY PORTFILE REPLY
      an HTTPS server: one POST, answered with REPLY's bytes
"""
import http.server
import os
import socket
import ssl
import sys
import threading
import time


def wait_for(path, secs=20):
    end = time.time() + secs
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit("tt_peer: %s never appeared" % path)
        time.sleep(0.02)


def read_all(s):
    parts = []
    while True:
        b = s.recv(1 << 16)
        if not b:
            return b"".join(parts)
        parts.append(b)


def read_n(s, n):
    parts, got = [], 0
    while got < n:
        b = s.recv(min(1 << 16, n - got))
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def server(cert, key, portfile, out, expect, conns, reply=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    ls.settimeout(30)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    answer = b""
    if reply:
        with open(reply, "rb") as f:
            answer = f.read()
    got = [b""] * int(conns)
    lock = threading.Lock()

    def serve(i, c):
        c.settimeout(30)
        s = ctx.wrap_socket(c, server_side=True)
        data = read_n(s, int(expect))
        with lock:
            got[i] = data
        if answer:
            s.sendall(answer)
        s.close()

    ts = []
    for i in range(int(conns)):
        c, _ = ls.accept()
        t = threading.Thread(target=serve, args=(i, c))
        t.start()
        ts.append(t)
    for t in ts:
        t.join(60)
    with open(out, "wb") as f:
        f.write(b"".join(got))


def one_client(port, data, wait, linger, results, ready, i):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    s = ctx.wrap_socket(raw)
    me, peer = s.getsockname(), s.getpeername()
    results[i] = ["%d %s %d %s %d" % (threading.get_native_id(), me[0], me[1], peer[0], peer[1]), b""]
    ready.set()
    if wait:
        wait_for(wait)
    s.sendall(data)
    results[i][1] = read_all(s)
    time.sleep(linger)
    s.close()


def client(port, data_path, out, info=None, wait=None, threads=1, linger=0.0):
    with open(data_path, "rb") as f:
        data = f.read()
    results = [None] * threads
    ts, ready = [], []
    for i in range(threads):
        ready.append(threading.Event())
        d = data if threads == 1 else bytes([i + 1]) * len(data)
        ts.append(threading.Thread(target=one_client, args=(port, d, wait, linger, results, ready[i], i)))
    for t in ts:
        t.start()
    for e in ready:
        e.wait(30)
    if info:
        with open(info + ".tmp", "w") as f:
            for r in results:
                f.write((r[0] if r else "?") + "\n")
        os.rename(info + ".tmp", info)
    for t in ts:
        t.join(60)
    with open(out, "wb") as f:
        for r in results:
            f.write(r[1] if r else b"")


def https(cert, key, portfile, reply):
    with open(reply, "rb") as f:
        body = f.read()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers["Content-Length"])
            left = n
            while left:
                got = self.rfile.read(min(left, 1 << 16))
                if not got:
                    break
                left -= len(got)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.timeout = 30
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.handle_request()


def main(a):
    if a[0] == "server":
        server(*a[1:])
    elif a[0] == "client":
        port, data, out = int(a[1]), a[2], a[3]
        opts = dict(zip(a[4::2], a[5::2]))
        client(port, data, out, opts.get("--info"), opts.get("--wait"),
               int(opts.get("--threads", "1")), float(opts.get("--linger", "0")))
    elif a[0] == "http":
        https(*a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
