#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build, boot and test pipeline needs. Idempotent:
# when every tool is already present it only checks and returns quickly.
set -euo pipefail
. "$(dirname "$0")/common.sh"

BINDGEN_VERSION=0.73.2

need_apt=()
# command-or-file : debian package
for pair in \
	clang:clang ld.lld:lld llvm-ar:llvm flex:flex bison:bison bc:bc \
	cpio:cpio rsync:rsync xz:xz-utils patch:patch perl:perl make:make \
	qemu-system-aarch64:qemu-system-arm dtc:device-tree-compiler \
	aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
	/usr/lib/llvm-14/lib/libclang.so:libclang-dev \
	/usr/include/libelf.h:libelf-dev \
	/usr/include/openssl/ssl.h:libssl-dev \
	/usr/aarch64-linux-gnu/lib/libc.a:libc6-dev-arm64-cross \
	/usr/src/linux-source-6.12.tar.xz:linux-source-6.12; do
	what=${pair%%:*}
	pkg=${pair##*:}
	if [[ $what == /* ]]; then
		[[ -e $what ]] || need_apt+=("$pkg")
	else
		command -v "$what" >/dev/null 2>&1 || need_apt+=("$pkg")
	fi
done

apt_updated=
apt_update() {
	[[ -n $apt_updated ]] && return 0
	log "apt-get update"
	apt-get update -qq || die "apt-get update failed (no access to Debian's package mirror?)"
	apt_updated=1
}

if ((${#need_apt[@]})); then
	command -v apt-get >/dev/null || die "missing ${need_apt[*]} and no apt-get to install them"
	apt_update
	log "installing: ${need_apt[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${need_apt[@]}" >/dev/null ||
		die "apt-get install ${need_apt[*]} failed"
fi

# arm64 busybox for the initramfs: a static binary taken from Debian's arm64
# package, downloaded with a private package list so the host's apt
# configuration is not touched.
if [[ ! -x $BUSYBOX ]]; then
	apt_update
	d=$BUILD/deps/busybox
	rm -rf "$d"
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	opts=(-o APT::Architecture=arm64 -o APT::Architectures=arm64
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	log "downloading arm64 busybox-static"
	apt-get "${opts[@]}" update -qq || die "apt-get update for arm64 lists failed"
	(cd "$d" && apt-get "${opts[@]}" download busybox-static:arm64 >/dev/null) ||
		die "could not download busybox-static:arm64"
	dpkg-deb -x "$d"/busybox-static_*_arm64.deb "$d/root"
	install -D -m755 "$d/root/bin/busybox" "$BUSYBOX"
fi

# Rust: the kernel needs the standard library sources and bindgen.
command -v rustup >/dev/null || die "rustup not found: install a Rust toolchain with rustup"
if [[ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]]; then
	log "rustup component add rust-src"
	rustup component add rust-src || die "rustup component add rust-src failed"
fi
if ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "cargo install bindgen-cli $BINDGEN_VERSION (takes a few minutes)"
	cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION" ||
		die "cargo install bindgen-cli $BINDGEN_VERSION failed"
fi
