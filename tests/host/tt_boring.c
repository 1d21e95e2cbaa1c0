/* BoringSSL peers for the tlstrace suite (Debian's android-libboringssl:
 * libssl.so.0 and libcrypto.so.0 in /usr/lib/<multiarch>/android), built by
 * tt_peers.py with -I/usr/include/android -l:libssl.so.0 -l:libcrypto.so.0.
 *
 *   tt-boring server CERT KEY PORTFILE GOFILE EXPECT OUT REPLY
 *     listen on 127.0.0.1 (port written to PORTFILE), accept one
 *     connection, SSL_accept, wait until GOFILE exists, SSL_read until
 *     EXPECT bytes came (saved to OUT), send REPLY's bytes in one SSL_write,
 *     SSL_shutdown, close
 *   tt-boring client PORT DATA GOFILE OUT INFO
 *     connect to 127.0.0.1:PORT, SSL_connect, write
 *     "local_ip local_port peer_ip peer_port" to INFO, wait until GOFILE
 *     exists, send DATA's bytes in one SSL_write, SSL_read to the end
 *     (saved to OUT)
 * Certificate and key are PEM files (loaded with BoringSSL's own PEM code). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *p = malloc(len > 0 ? (size_t)len : 1);
	if (!p || fread(p, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return p;
}

static int save(const char *path, const void *p, size_t n)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return 0;
	int ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok && rename(tmp, path) == 0;
}

static void wait_for(const char *path)
{
	for (int i = 0; i < 6000 && access(path, F_OK); i++)
		usleep(10000);
}

static int fail(const char *what)
{
	fprintf(stderr, "tt-boring: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	return 1;
}

static int server(char **a)
{
	size_t expect = (size_t)strtoul(a[4], NULL, 10), rlen = 0;
	unsigned char *reply = slurp(a[6], &rlen), *got = malloc(expect ? expect : 1);
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	if (!reply || !got || !ctx || SSL_CTX_use_certificate_chain_file(ctx, a[0]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, a[1], SSL_FILETYPE_PEM) != 1)
		return fail("server setup");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl))
		return fail("listen");
	char port[16];
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	if (!save(a[2], port, strlen(port)))
		return fail("port file");
	int fd = accept(ls, NULL, NULL);
	SSL *ssl = fd >= 0 ? SSL_new(ctx) : NULL;
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1)
		return fail("SSL_accept");
	wait_for(a[3]);
	size_t n = 0;
	while (n < expect) {
		int r = SSL_read(ssl, got + n, (int)(expect - n > 65536 ? 65536 : expect - n));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (!save(a[5], got, n) || n != expect)
		return fail("server read");
	if (SSL_write(ssl, reply, (int)rlen) != (int)rlen)
		return fail("server SSL_write");
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	close(ls);
	return 0;
}

static int client(char **a)
{
	size_t dlen = 0;
	unsigned char *data = slurp(a[1], &dlen);
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	if (!data || !ctx)
		return fail("client setup");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(a[0])) };
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&me, &ml))
		return fail("connect");
	SSL *ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		return fail("SSL_connect");
	char info[128], ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &me.sin_addr, ip, sizeof(ip));
	snprintf(info, sizeof(info), "%s %u 127.0.0.1 %s\n", ip, ntohs(me.sin_port), a[0]);
	if (!save(a[4], info, strlen(info)))
		return fail("info file");
	wait_for(a[2]);
	if (SSL_write(ssl, data, (int)dlen) != (int)dlen)
		return fail("client SSL_write");
	size_t cap = 1 << 16, n = 0;
	unsigned char *got = malloc(cap);
	for (;;) {
		if (n == cap && !(got = realloc(got, cap *= 2)))
			return fail("realloc");
		int r = SSL_read(ssl, got + n, (int)(cap - n));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (!save(a[3], got, n))
		return fail("client out");
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 9 && !strcmp(argv[1], "server"))
		return server(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "client"))
		return client(argv + 2);
	fprintf(stderr, "usage: tt-boring server CERT KEY PORTFILE GOFILE EXPECT OUT REPLY\n"
			"       tt-boring client PORT DATA GOFILE OUT INFO\n");
	return 2;
}
