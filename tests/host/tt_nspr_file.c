/* NSPR I/O that is not TLS, for the tlstrace suite: nothing here may be
 * reported. Built twice from this file by tt_peers.py:
 *   tt-nspr-file  gcc -I/usr/include/nspr ... -lnspr4          (no libssl3)
 *   tt-nspr-nss   the same with -DTT_NSS -I/usr/include/nss ... -lssl3
 *                 -lnss3: NSS is initialised (NSS_NoDB_Init) and libssl3
 *                 is mapped (NSS_SetDomesticPolicy is in it), yet the I/O
 *                 below stays plain NSPR.
 *
 *   tt-nspr-file DATA OUTDIR GOFILE
 *     (NSS initialised first in tt-nspr-nss), OUTDIR/ready written, then
 *     once GOFILE exists:
 *     1. PR_Write DATA's bytes to OUTDIR/file.bin (PR_Open/PR_Write/PR_Close),
 *        PR_Read them back (PR_Open/PR_Read), compare;
 *     2. a plain TCP connection on 127.0.0.1 (PR_NewTCPSocket, PR_Bind,
 *        PR_Listen, PR_Connect, PR_Accept): the client PR_Sends DATA, the
 *        server (an NSPR thread) PR_Recvs it and answers with DATA's bytes
 *        reversed by PR_Write; the client PR_Reads the answer to EOF;
 *        both compared;
 *     3. what the socket's two ends received written (by stdio) to
 *        OUTDIR/sock_server.bin and OUTDIR/sock_client.bin.
 *     Exit 0 when every comparison held. */
#include <nspr.h>
#include <prio.h>
#include <prnetdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef TT_NSS
#include <nss.h>
#include <ssl.h>
#endif

static unsigned char *data, *reply;
static PRInt32 len;
static PRFileDesc *listener;
static unsigned char *srv_got;
static PRInt32 srv_n;
static int srv_ok;

static int save(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	int ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

static void server(void *arg)
{
	(void)arg;
	PRNetAddr peer;
	PRFileDesc *c = PR_Accept(listener, &peer, PR_INTERVAL_NO_TIMEOUT);
	if (!c)
		return;
	srv_got = malloc(len ? len : 1);
	while (srv_n < len) {
		PRInt32 r = PR_Recv(c, srv_got + srv_n, len - srv_n, 0, PR_SecondsToInterval(30));
		if (r <= 0)
			break;
		srv_n += r;
	}
	PRInt32 off = 0;
	while (off < len) {
		PRInt32 w = PR_Write(c, reply + off, len - off);
		if (w <= 0)
			break;
		off += w;
	}
	srv_ok = srv_n == len && off == len;
	PR_Shutdown(c, PR_SHUTDOWN_SEND);
	PR_Close(c);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s DATA OUTDIR GOFILE\n", argv[0]);
		return 2;
	}
	PR_Init(PR_USER_THREAD, PR_PRIORITY_NORMAL, 0);
#ifdef TT_NSS
	if (NSS_NoDB_Init(NULL) != SECSuccess || NSS_SetDomesticPolicy() != SECSuccess) {
		fprintf(stderr, "NSS init failed\n");
		return 1;
	}
#endif
	FILE *f = fopen(argv[1], "rb");
	if (!f)
		return 1;
	fseek(f, 0, SEEK_END);
	len = (PRInt32)ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc(len ? len : 1);
	reply = malloc(len ? len : 1);
	if (fread(data, 1, len, f) != (size_t)len)
		return 1;
	fclose(f);
	for (PRInt32 i = 0; i < len; i++)
		reply[i] = data[len - 1 - i];
	if (!save(argv[2], "ready", "ready\n", 6))
		return 1;
	for (int i = 0; i < 6000 && access(argv[3], F_OK); i++)
		usleep(10000);

	/* 1. a plain file */
	char path[4096];
	snprintf(path, sizeof(path), "%s/file.bin", argv[2]);
	PRFileDesc *w = PR_Open(path, PR_WRONLY | PR_CREATE_FILE | PR_TRUNCATE, 0644);
	if (!w || PR_Write(w, data, len) != len || PR_Close(w) != PR_SUCCESS) {
		fprintf(stderr, "file write failed\n");
		return 1;
	}
	unsigned char *back = malloc(len + 1);
	PRFileDesc *r = PR_Open(path, PR_RDONLY, 0);
	PRInt32 got = 0, n;
	while (r && (n = PR_Read(r, back + got, len + 1 - got)) > 0)
		got += n;
	if (!r || PR_Close(r) != PR_SUCCESS || got != len || memcmp(back, data, len)) {
		fprintf(stderr, "file read back differs\n");
		return 1;
	}

	/* 2. a plain TCP connection */
	PRNetAddr addr;
	listener = PR_NewTCPSocket();
	if (!listener || PR_InitializeNetAddr(PR_IpAddrLoopback, 0, &addr) != PR_SUCCESS ||
	    PR_Bind(listener, &addr) != PR_SUCCESS || PR_Listen(listener, 4) != PR_SUCCESS ||
	    PR_GetSockName(listener, &addr) != PR_SUCCESS) {
		fprintf(stderr, "listen failed\n");
		return 1;
	}
	PRThread *t = PR_CreateThread(PR_USER_THREAD, server, NULL, PR_PRIORITY_NORMAL,
				      PR_GLOBAL_THREAD, PR_JOINABLE_THREAD, 0);
	PRFileDesc *c = PR_NewTCPSocket();
	if (!t || !c || PR_Connect(c, &addr, PR_SecondsToInterval(10)) != PR_SUCCESS) {
		fprintf(stderr, "connect failed\n");
		return 1;
	}
	PRInt32 off = 0;
	while (off < len) {
		n = PR_Send(c, data + off, len - off, 0, PR_SecondsToInterval(30));
		if (n <= 0)
			break;
		off += n;
	}
	got = 0;
	unsigned char *cli_got = malloc(len + 1);
	while ((n = PR_Read(c, cli_got + got, len + 1 - got)) > 0)
		got += n;
	PR_Close(c);
	PR_JoinThread(t);
	PR_Close(listener);
	int ok = off == len && got == len && !memcmp(cli_got, reply, len) && srv_ok &&
		 !memcmp(srv_got, data, len);
	ok = save(argv[2], "sock_server.bin", srv_got, srv_n) && ok;
	ok = save(argv[2], "sock_client.bin", cli_got, got) && ok;
#ifdef TT_NSS
	NSS_Shutdown();
#endif
	if (!ok)
		fprintf(stderr, "socket exchange differs\n");
	return ok ? 0 : 1;
}
