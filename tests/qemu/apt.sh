# Private apt for Debian packages of any architecture (sourced by
# kernels.sh and sysroot.sh): own sources list, state and cache under one
# directory, so that the system's apt configuration is left alone.
# Needs ARCH (Debian's name: amd64, arm64) and MIRROR (from system_mirror).

# The Debian mirror the system's own apt uses (no host is hard-coded).
system_mirror() {
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
	} | grep -E '/debian/?$' | head -n 1 | sed 's|/$||'
}

# apt options for the private tree $1.
apt_opts() {
	echo "-o Dir::Etc::sourcelist=$1/sources.list -o Dir::Etc::sourceparts=-" \
		"-o Dir::State=$1/state -o Dir::State::status=/dev/null" \
		"-o Dir::Cache=$1/cache -o Debug::NoLocking=1" \
		"-o APT::Architecture=$ARCH -o APT::Architectures=$ARCH" \
		"-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root -q"
}

# apt_update DIR SUITE: the private tree DIR follows SUITE's main.
apt_update() {
	mkdir -p "$1/state/lists/partial" "$1/cache/archives/partial"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	echo "deb [arch=$ARCH signed-by=$keyring] $MIRROR $2 main" >"$1/sources.list"
	# shellcheck disable=SC2046
	apt-get $(apt_opts "$1") update >"$1/update.log" 2>&1 ||
		die "$2: apt-get update failed (see $1/update.log)"
}
