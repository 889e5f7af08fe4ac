# SPDX-License-Identifier: GPL-2.0
# Shared settings for the pipeline scripts; sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$TOP/build
VARIANT=${VARIANT:-rust}
# KSRC/KOUT may be overridden to work in a second tree without touching
# the default one (e.g. KSRC=build/linux-6.12-wip KOUT=build/out-wip).
KSRC=${KSRC:-$BUILD/linux-6.12}
KOUT=${KOUT:-$BUILD/out-$VARIANT}
BUSYBOX=$BUILD/deps/busybox-arm64
JOBS=${JOBS:-3}
KMAKE=(make -s -C "$KSRC" O="$KOUT" ARCH=arm64 LLVM=1 -j"$JOBS")
export PATH=$HOME/.cargo/bin:$PATH

case $VARIANT in
rust | c) ;;
*)
	echo "VARIANT must be 'rust' or 'c', not '$VARIANT'" >&2
	exit 2
	;;
esac

# Never fail silently: name the command that failed.
trap 'printf "[sva-rs] error: %s: line %s: %s failed\n" "${0##*/}" "$LINENO" "$BASH_COMMAND" >&2' ERR

log() { printf '[sva-rs] %s\n' "$*" >&2; }
die() {
	printf '[sva-rs] error: %s\n' "$*" >&2
	exit 1
}
