#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the arm64 kernel image for $VARIANT (incremental). CLIPPY=1 runs
# clippy on the Rust code as kbuild compiles it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

klog=$BUILD/kbuild-$VARIANT.log
# A second tree (KOUT override) gets a log of its own.
[[ $KOUT == "$BUILD/out-$VARIANT" ]] || klog=$BUILD/kbuild-${KOUT##*/}.log
extra=()
[[ -n ${CLIPPY:-} ]] && extra+=(CLIPPY=1)
log "building kernel ($VARIANT); log: ${klog#"$TOP"/}"
start=$(date +%s)
if ! "${KMAKE[@]}" "${extra[@]}" Image >"$klog" 2>&1; then
	grep -E "error|Error" "$klog" | head -40 >&2 || true
	die "kernel build failed ($VARIANT); full log in ${klog#"$TOP"/}"
fi
if grep -q "warning:" "$klog"; then
	log "kernel build warnings ($VARIANT):"
	grep -A3 "warning:" "$klog" | head -60 >&2
fi
log "kernel built in $(($(date +%s) - start)) s: ${KOUT#"$TOP"/}/arch/arm64/boot/Image"
