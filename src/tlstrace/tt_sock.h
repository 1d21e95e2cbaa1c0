/* tlstrace: from (process, fd) to the TCP connection's addresses, read from
 * /proc with no kernel struct offsets, so connections opened before
 * tlstrace started resolve too. /proc/PID/fd/FD names the socket's inode;
 * /proc/PID/net/tcp and tcp6 show the sockets of that process's network
 * namespace (a container's own), where the inode gives the 4-tuple.
 * Everything goes through nf_sys. */
#ifndef NF_TT_SOCK_H
#define NF_TT_SOCK_H
#include <stdint.h>
#include "tt_event.h"

/* The connection of fd in process pid, src being pid's end: 0 with
 * out->known = 1, else out->known = 0 and -ENOTSOCK (fd is no socket),
 * -ENOENT (a socket, but in neither TCP table: UDP, unix, or closed), or
 * the -errno of reading /proc (the process exited, no permission). */
int tt_sock_resolve(int pid, int fd, struct tt_addr *out);

/* The connections seen, keyed by (pid, SSL *): each gets an id (from 1,
 * never reused), its last known fd and its addresses. */
struct tt_conns;

#define TT_CONNS_MAX 65536

/* At most max connections (0: TT_CONNS_MAX); past that the one unused
 * longest is forgotten (so those of exited processes go first). NULL when
 * out of memory. */
struct tt_conns *tt_conns_new(size_t max);
void tt_conns_free(struct tt_conns *c);
/* The kernel's generation of (pid, fd) now: 0, or -errno when it holds
 * none. With it, a readlink is trusted only if the fd's generation is still
 * the call's afterwards: a record read after its socket was closed and the
 * number reused would otherwise take the new socket for the call's. Such a
 * call keeps its connection, with addresses unknown; the next socket the
 * SSL * is seen on is a new connection. */
typedef int (*tt_fd_gen_fn)(void *ctx, uint32_t pid, int fd, uint64_t *gen);
void tt_conns_check_gen(struct tt_conns *c, tt_fd_gen_fn fn, void *ctx);

/* One TLS call of pid on ssl, which made a socket syscall on fd (-1:
 * none): the connection's id, its fd (-1 unknown) and addresses.
 *
 * A call with an fd costs one readlink: the socket's inode says whether
 * this is still the connection the cache holds; none when gen (the
 * kernel's generation of the fd, 0: unknown) is the one of the last
 * look-up of that fd, which means no close came between. The tcp tables are read
 * only for a socket not seen before, so once per connection. An SSL *
 * (and its fd number) reused for a new socket is a new connection: a new
 * id, resolved afresh. A call without an fd gets the last known fd and
 * addresses; where none is known, addr->known = 0 (never a guess). When
 * the readlink fails (the process is gone) the cached fd's addresses stay
 * if the call names the same fd. conn_id 0 only when out of memory. */
void tt_conns_lookup(struct tt_conns *c, uint32_t pid, uint64_t ssl, int fd, uint64_t gen,
		     uint64_t *conn_id, int *fd_out, struct tt_addr *addr);

/* Forget every connection of pid (it exec'd: its pointers mean other
 * objects now). */
void tt_conns_forget_pid(struct tt_conns *c, uint32_t pid);

#endif
