#!/usr/bin/python3
"""TLS peers for the tlstrace suite, run as their own processes (so that
each has its own pid, comm and, through LD_LIBRARY_PATH, the suite's
private copy of libssl). Python's ssl module calls only SSL_read_ex and
SSL_write_ex.

  tt_peer.py server CERT KEY PORTFILE OUT EXPECT CONNS [REPLY]
      accept CONNS TLS connections on 127.0.0.1 (port written to
      PORTFILE), read EXPECT bytes from each (all appended to OUT), send
      each REPLY's bytes, close; EXPECT < 0: never read (the peer's writes
      block), exit after 60 s
  tt_peer.py client PORT DATA OUT [--info INFO] [--wait FILE] [--threads N] [--linger S]
                    [--blocking 1]
      connect (N connections, one per thread), write each connection's
      "tid local_ip local_port peer_ip peer_port" to INFO, wait until
      FILE exists, send DATA (thread i sends DATA with every byte
      replaced by i + 1 when N > 1) in one sendall, read the reply to EOF
      into OUT, and keep the connection S seconds more (a tracer that
      resolves the socket after the call still finds it); --blocking 1:
      the sends on a blocking socket (no timeout), so that one that cannot
      finish waits inside SSL_write_ex
  tt_peer.py http CERT KEY PORTFILE REPLY [DELAY]
      an HTTPS server: one POST, answered with REPLY's bytes (DELAY
      seconds after the request: the connection stays up for a tracer
      to look its socket up)
  tt_peer.py h2client PORT AUTHORITY READY WAIT
      HTTP/2 over TLS (ALPN h2) with frames and HPACK built here: GET
      /a.txt with :authority and x-nflux-test inserted in the dynamic
      table, its response read, then READY written; once WAIT exists, GET
      /b.txt naming those two by dynamic index (63, 62) and a new literal
      x-late: yes; its response read
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
        if int(expect) < 0:  # never read: the client's writes block
            time.sleep(60)
            return
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


def one_client(port, data, wait, linger, results, ready, i, blocking=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    s = ctx.wrap_socket(raw)
    if blocking:  # a write then waits inside SSL_write_ex, not in poll between calls
        s.settimeout(None)
    me, peer = s.getsockname(), s.getpeername()
    results[i] = ["%d %s %d %s %d" % (threading.get_native_id(), me[0], me[1], peer[0], peer[1]), b""]
    ready.set()
    if wait:
        wait_for(wait)
    s.sendall(data)
    results[i][1] = read_all(s)
    time.sleep(linger)
    s.close()


def client(port, data_path, out, info=None, wait=None, threads=1, linger=0.0, blocking=False):
    with open(data_path, "rb") as f:
        data = f.read()
    results = [None] * threads
    ts, ready = [], []
    for i in range(threads):
        ready.append(threading.Event())
        d = data if threads == 1 else bytes([i + 1]) * len(data)
        ts.append(threading.Thread(target=one_client,
                                   args=(port, d, wait, linger, results, ready[i], i, blocking)))
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


def https(cert, key, portfile, reply, delay="0"):
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
            time.sleep(float(delay))
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


def h2_frame(ftype, flags, stream, payload):
    return (len(payload).to_bytes(3, "big") + bytes([ftype, flags]) +
            stream.to_bytes(4, "big") + payload)


def hpack_str(s):
    """An HPACK string literal without Huffman (lengths under 127)."""
    b = s.encode()
    return bytes([len(b)]) + b


def h2_until_end(s, stream):
    """Read frames until stream ends; acknowledge the peer's SETTINGS."""
    buf = b""
    while True:
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            n = int.from_bytes(buf[:3], "big")
            ftype, flags, sid = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7fffffff
            buf = buf[9 + n:]
            if ftype == 4 and not flags & 1:
                s.sendall(h2_frame(4, 1, 0, b""))
            if sid == stream and ftype in (0, 1) and flags & 1:
                return
        b = s.recv(1 << 16)
        if not b:
            sys.exit("tt_peer: h2 connection closed early")
        buf += b


def h2client(port, authority, ready, wait):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=30))
    if s.selected_alpn_protocol() != "h2":
        sys.exit("tt_peer: no h2 from the server")
    # :method GET (2), :scheme https (7), :path with name index 4, then
    # :authority (name 1) and x-nflux-test inserted (6.2.1)
    first = (b"\x82\x87\x04" + hpack_str("/a.txt") + b"\x41" + hpack_str(authority) +
             b"\x40" + hpack_str("x-nflux-test") + hpack_str("joined"))
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b""))
    s.sendall(h2_frame(1, 5, 1, first))
    h2_until_end(s, 1)
    with open(ready, "w") as f:
        f.write("ok")
    wait_for(wait, 60)
    # the newest entry is 62 (x-nflux-test), then 63 (:authority)
    second = b"\x82\x87\x04" + hpack_str("/b.txt") + b"\xbf\xbe\x00" + hpack_str("x-late") + \
        hpack_str("yes")
    s.sendall(h2_frame(1, 5, 3, second))
    h2_until_end(s, 3)
    s.close()


def main(a):
    if a[0] == "server":
        server(*a[1:])
    elif a[0] == "client":
        port, data, out = int(a[1]), a[2], a[3]
        opts = dict(zip(a[4::2], a[5::2]))
        client(port, data, out, opts.get("--info"), opts.get("--wait"),
               int(opts.get("--threads", "1")), float(opts.get("--linger", "0")),
               opts.get("--blocking") == "1")
    elif a[0] == "http":
        https(*a[1:])
    elif a[0] == "h2client":
        h2client(*a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
