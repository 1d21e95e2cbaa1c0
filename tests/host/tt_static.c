/* A TLS client linked with libssl.a, for the tlstrace suite's --binary
 * case: connect to 127.0.0.1:PORT, wait until GOFILE exists, write
 * DATAFILE's bytes with one SSL_write, read until the server closes. */
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ? fd : -1;
}

int main(int argc, char **argv)
{
	static char data[1 << 20];
	if (argc != 4)
		return 2;
	FILE *f = fopen(argv[2], "rb");
	size_t n = f ? fread(data, 1, sizeof(data), f) : 0;
	int fd = connect_to(atoi(argv[1]));
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	if (!f || fd < 0 || !ssl || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		return 1;
	for (int i = 0; i < 2000 && access(argv[3], F_OK); i++)
		usleep(10000);
	if (SSL_write(ssl, data, (int)n) != (int)n)
		return 1;
	char buf[4096];
	while (SSL_read(ssl, buf, sizeof(buf)) > 0)
		;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}
