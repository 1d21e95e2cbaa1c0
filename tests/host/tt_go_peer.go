// Go crypto/tls peers for the tlstrace suite: HTTPS over HTTP/1.1 only
// (HTTP/2 disabled on both sides), standard library only. Built by
// tt_peers.py with `go build -o DIR/tt-go-peer` (not stripped: tlstrace
// needs the symbol table).
//
//	tt-go-peer server -portfile F -seed S -size N -sent F -got F -wrote F -read F
//	    a self-signed ECDSA P-256 certificate made here; listen on
//	    127.0.0.1:0 (port written to -portfile); answer one POST with N
//	    pseudo-random bytes seeded by S (also written to -sent); the
//	    request body received is written to -got; every plaintext byte
//	    the server wrote to / read from its tls.Conn to -wrote / -read
//	tt-go-peer client -port P -go F -seed S -size N -sent F -got F -wrote F -read F -info F
//	    wait until the -go file exists, then POST N pseudo-random bytes
//	    seeded by S (also written to -sent) to https://127.0.0.1:P/upload
//	    (InsecureSkipVerify, DisableKeepAlives); the response body is
//	    written to -got; every plaintext byte the client wrote to / read
//	    from its tls.Conn to -wrote / -read; "local_ip local_port peer_ip
//	    peer_port" of the connection to -info
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// recConn records the plaintext that passes through a *tls.Conn.
type recConn struct {
	*tls.Conn
	mu          sync.Mutex
	wrote, read bytes.Buffer
}

func (c *recConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.wrote.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.read.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recConn) save(wrote, read string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := writeFile(wrote, c.wrote.Bytes()); err != nil {
		return err
	}
	return writeFile(read, c.read.Bytes())
}

// oneListener hands out one recorded TLS connection, then blocks until closed.
type oneListener struct {
	net.Listener
	cfg    *tls.Config
	conns  chan *recConn
	closed chan struct{}
	once   sync.Once
}

func (l *oneListener) Accept() (net.Conn, error) {
	select {
	case <-l.closed:
		return nil, net.ErrClosed
	default:
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recConn{Conn: tls.Server(c, l.cfg)}
	l.conns <- rc
	return rc, nil
}

func (l *oneListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func body(seed int64, size int) []byte {
	b := make([]byte, size)
	mrand.New(mrand.NewSource(seed)).Read(b)
	return b
}

func writeFile(path string, b []byte) error {
	if path == "" {
		return nil
	}
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func server(portfile string, seed int64, size int, sent, got, wrote, read string) error {
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	reply := body(seed, size)
	if err := writeFile(sent, reply); err != nil {
		return err
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	l := &oneListener{Listener: ln, cfg: cfg, conns: make(chan *recConn, 1), closed: make(chan struct{})}
	done := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err == nil {
			err = writeFile(got, b)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		w.WriteHeader(http.StatusOK)
		w.Write(reply)
		done <- err
	})
	var conn *recConn
	closed := make(chan struct{})
	var closeOnce sync.Once
	srv := &http.Server{
		Handler:      mux,
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateClosed {
				closeOnce.Do(func() { close(closed) })
			}
		},
	}
	go srv.Serve(l)
	if err := writeFile(portfile, []byte(strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))); err != nil {
		return err
	}
	select {
	case conn = <-l.conns:
	case <-time.After(60 * time.Second):
		return fmt.Errorf("no connection")
	}
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		return fmt.Errorf("no request")
	}
	if err != nil {
		return err
	}
	select { // the server closes the connection after the reply (Connection: close)
	case <-closed:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("connection never closed")
	}
	l.Close()
	return conn.save(wrote, read)
}

func client(port int, gofile string, seed int64, size int, sent, got, wrote, read, info string) error {
	data := body(seed, size)
	if err := writeFile(sent, data); err != nil {
		return err
	}
	for i := 0; i < 6000; i++ {
		if _, err := os.Stat(gofile); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var conn *recConn
	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}
	tr := &http.Transport{
		Proxy:             nil,
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		DisableKeepAlives: true,
		TLSClientConfig:   cfg,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp4", addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(c, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			me, peer := c.LocalAddr().(*net.TCPAddr), c.RemoteAddr().(*net.TCPAddr)
			line := fmt.Sprintf("%s %d %s %d\n", me.IP, me.Port, peer.IP, peer.Port)
			if err := writeFile(info, []byte(line)); err != nil {
				return nil, err
			}
			conn = &recConn{Conn: tc}
			return conn, nil
		},
	}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	req, err := http.NewRequest("POST", fmt.Sprintf("https://127.0.0.1:%d/upload", port), bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || resp.ProtoMajor != 1 {
		return fmt.Errorf("status %d, %s", resp.StatusCode, resp.Proto)
	}
	if err := writeFile(got, b); err != nil {
		return err
	}
	tr.CloseIdleConnections()
	if conn == nil {
		return fmt.Errorf("no connection")
	}
	return conn.save(wrote, read)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tt-go-peer server|client [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	portfile := fs.String("portfile", "", "")
	port := fs.Int("port", 0, "")
	gofile := fs.String("go", "", "")
	seed := fs.Int64("seed", 1, "")
	size := fs.Int("size", 1<<20, "")
	sent := fs.String("sent", "", "")
	got := fs.String("got", "", "")
	wrote := fs.String("wrote", "", "")
	read := fs.String("read", "", "")
	info := fs.String("info", "", "")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "server":
		err = server(*portfile, *seed, *size, *sent, *got, *wrote, *read)
	case "client":
		err = client(*port, *gofile, *seed, *size, *sent, *got, *wrote, *read, *info)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tt-go-peer:", err)
		os.Exit(1)
	}
}
