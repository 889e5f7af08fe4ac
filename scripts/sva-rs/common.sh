# SPDX-License-Identifier: GPL-2.0
# Shared settings for the pipeline scripts; sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$TOP/build
VARIANT=${VARIANT:-rust}
# KSRC/KOUT may be overridden to work in a second tree without touching
# the default one (e.g. KSRC=build/linux-6.12-wip KOUT=build/out-wip).
KSRC=${KSRC:-$BUILD/linux-6.12}
KOUT=${KOUT:-$BUILD/out-$VARIANT}
# The initramfs initramfs.sh writes and boot.sh boots; a private one (e.g.
# INITRAMFS=build/initramfs-wip.cpio) keeps a second tree's build away from
# the default one. initramfs.sh stages it in the same path without ".cpio".
INITRAMFS=${INITRAMFS:-$BUILD/initramfs.cpio}
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

# kconfig_apply LABEL FRAGMENT...: generate $KOUT/.config with "${KMAKE[@]}"
# from allnoconfig plus the fragments, only when a fragment or the patched
# tree changed (an unchanged configuration never triggers a rebuild), and
# die unless every requested symbol took the requested value.
kconfig_apply() {
	local label=$1 stamp merged
	shift
	mkdir -p "$KOUT"
	stamp=$(cat "$@" "$KSRC.tree-stamp" | sha256sum | cut -d' ' -f1)
	if [[ -f $KOUT/.config && -f $KOUT/.config-stamp && $(cat "$KOUT/.config-stamp") == "$stamp" ]]; then
		return 0
	fi
	merged=$KOUT/.config-fragment
	cat "$@" >"$merged"
	log "configuring ($label)"
	KCONFIG_ALLCONFIG=$merged "${KMAKE[@]}" allnoconfig >/dev/null
	kconfig_verify "$merged" "$KOUT/.config" ||
		die "kernel configuration ($label) is not what the fragments ask for"
	echo "$stamp" >"$KOUT/.config-stamp"
}

# kconfig_verify FRAGMENT CONFIG: check that every CONFIG_ line of FRAGMENT
# has its value in CONFIG (=n: unset). Kconfig silently drops a symbol whose
# dependencies are missing; this names each one and fails.
kconfig_verify() {
	local line sym want bad=0
	# A later fragment overrides an earlier one (as in the merge): check
	# the last value given for each symbol.
	local -A last=()
	local -a order=()
	while IFS= read -r line; do
		[[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
		sym=${BASH_REMATCH[1]}
		[[ -v last[$sym] ]] || order+=("$sym")
		last[$sym]=${BASH_REMATCH[2]}
	done <"$1"
	for sym in "${order[@]}"; do
		want=${last[$sym]}
		if [[ $want == n ]]; then
			if grep -q "^$sym=" "$2"; then
				log "config: $sym should be unset but is $(grep "^$sym=" "$2")"
				bad=1
			fi
		elif ! grep -qx "$sym=$want" "$2"; then
			log "config: $sym=$want did not take (dependency missing?); got: $(grep "^$sym=\|^# $sym is" "$2" || echo absent)"
			bad=1
		fi
	done
	((bad == 0))
}
