#!/bin/sh
# Install the build and test tools from Debian when any is missing.
# Does nothing when all are present; on a non-Debian system prints the list.
# "deps.sh aarch64" (make deps ARCH=aarch64) adds the cross build and its
# guests: qemu-system-arm, and Debian's arm64 root (musl, UAPI headers,
# libgcc, busybox-static, the guests' peers) unpacked by
# tests/qemu/sysroot.sh into /var/cache/nflux/arm64 (clang and lld link).
set -eu
PKGS="clang llvm musl-tools linux-libc-dev make iproute2 gcc libc6-dev \
busybox-static qemu-system-x86 tshark xz-utils cpio gzip file binutils \
iputils-ping netcat-openbsd lld openssl curl libssl-dev python3 util-linux libclang-rt-14-dev nghttp2-server \
wget gnutls-bin libnss3-tools libnspr4-dev libnss3-dev android-libboringssl-dev golang-go valgrind"
CROSS=""
if [ "${1:-}" = aarch64 ]; then
	PKGS="$PKGS qemu-system-arm"
	CROSS=arm64
fi
cross_root() {
	[ -z "$CROSS" ] || sh "$(dirname "$0")/../tests/qemu/sysroot.sh" "$CROSS" >/dev/null
}

# command or file that proves each package is present
have() {
	case "$1" in
	clang) command -v clang ;;
	llvm) command -v llvm-objdump || command -v llvm-strip ;;
	musl-tools) command -v musl-gcc ;;
	linux-libc-dev) test -e /usr/include/linux/bpf.h ;;
	make) command -v make ;;
	iproute2) command -v ip && command -v tc ;;
	gcc) command -v gcc ;;
	libc6-dev) test -e /usr/include/stdio.h ;;
	busybox-static) test -x /bin/busybox && /bin/busybox 2>&1 | head -1 | grep -q . && ! ldd /bin/busybox >/dev/null 2>&1 ;;
	qemu-system-x86) command -v qemu-system-x86_64 ;;
	qemu-system-arm) command -v qemu-system-aarch64 ;;
	tshark) command -v tshark ;;
	xz-utils) command -v xz ;;
	cpio) command -v cpio ;;
	gzip) command -v gzip ;;
	file) command -v file ;;
	binutils) command -v nm && command -v strings ;;
	iputils-ping) command -v ping ;;
	netcat-openbsd) command -v nc.openbsd ;;
	lld) command -v ld.lld ;;
	openssl) command -v openssl ;;
	curl) command -v curl ;;
	libssl-dev) test -e /usr/include/openssl/ssl.h && test -e /usr/lib/$(gcc -dumpmachine)/libssl.a ;;
	python3) test -x /usr/bin/python3 ;;
	util-linux) command -v setpriv ;;
	libclang-rt-14-dev) test -e "$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$(uname -m).a" ;;
	nghttp2-server) command -v nghttpd ;;
	wget) command -v wget ;;
	gnutls-bin) command -v gnutls-serv && command -v gnutls-cli ;;
	libnss3-tools) command -v certutil && command -v selfserv && command -v tstclnt ;;
	libnspr4-dev) test -e /usr/include/nspr/prio.h ;;
	libnss3-dev) test -e /usr/include/nss/ssl.h ;;
	android-libboringssl-dev) test -e /usr/include/android/openssl/ssl.h && test -e /usr/lib/$(gcc -dumpmachine)/android/libssl.so.0 ;;
	golang-go) command -v go ;;
	valgrind) command -v valgrind ;;
	*) return 1 ;;
	esac
}

missing=""
for p in $PKGS; do
	have "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
	cross_root
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: not a Debian system; install:$missing" >&2
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing:$missing (run as root, or: sudo make deps)" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
cross_root
