#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# x86_64 build check: the SVA core, the Intel and AMD IOMMU drivers and the
# in-tree users of the SVA API must also build for x86_64. Build only: x86_64
# allnoconfig plus config/x86.config into build/out-x86 (from the same
# KSRC as the arm64 build), then the Rust prerequisites (kbuild's "prepare"
# builds rust/) and the directories below, without linking a vmlinux.
#
# A directory build does not link, so the script then looks for what a link
# of vmlinux would reject among the objects built, by symbol name (see the
# checks at the end). A C symbol from the rest of the kernel cannot be
# checked this way; only a vmlinux link could.
set -euo pipefail
x86_kout=${KOUT:-}
. "$(dirname "$0")/common.sh"
KOUT=${x86_kout:-$BUILD/out-x86}
KMAKE=(make -s -C "$KSRC" O="$KOUT" ARCH=x86_64 LLVM=1 -j"$JOBS")
DIRS=(drivers/iommu/ drivers/dma/idxd/ drivers/misc/uacce/)

[[ $VARIANT == rust ]] || {
	log "x86_64 build check: nothing to do for VARIANT=$VARIANT (it checks the Rust SVA core)"
	exit 0
}
[[ -f $KSRC.tree-stamp ]] || die "no prepared tree at ${KSRC#"$TOP"/}: run scripts/sva-rs/prepare-tree.sh (make tree)"

klog=$BUILD/kbuild-x86.log
[[ $KOUT == "$BUILD/out-x86" ]] || klog=$BUILD/kbuild-${KOUT##*/}.log
frag=$TOP/scripts/sva-rs/config/x86.config
start=$(date +%s)

kconfig_apply x86_64 "$frag"

extra=()
[[ -n ${CLIPPY:-} ]] && extra+=(CLIPPY=1)
log "x86_64 build check: rust/ ${DIRS[*]}; log: ${klog#"$TOP"/}"
if ! "${KMAKE[@]}" "${extra[@]}" "${DIRS[@]}" >"$klog" 2>&1; then
	errs=$(grep -E -A6 '^error|error:' "$klog" | grep -v '^make' | head -60 || true)
	[[ -n $errs ]] || errs=$(tail -n 20 "$klog")
	printf '%s\n' "$errs" >&2
	die "x86_64 build failed; full log in ${klog#"$TOP"/}"
fi
if grep -q "warning:" "$klog"; then
	log "x86_64 build warnings:"
	grep -A3 "warning:" "$klog" | head -60 >&2
fi

# The build ran syncconfig: a Kconfig edit in the overlay (which does not
# change the configuration stamp) may have dropped a symbol since. Drop the
# stamp too, so that the next run configures from scratch.
if ! kconfig_verify "$KOUT/.config-fragment" "$KOUT/.config"; then
	rm -f "$KOUT/.config-stamp"
	die "x86_64 configuration changed during the build (Kconfig edit?); see above"
fi

# What a link of vmlinux would reject among the objects built, by symbol
# name: the built directories and the Rust objects that vmlinux links.
cd "$KOUT"
objs=("${DIRS[@]/%/built-in.a}" rust/{core,compiler_builtins,ffi,bindings,kernel,uapi}.o rust/helpers/helpers.o)
# Without RUST_BUILD_ASSERT_ALLOW, a build_assert!() that the optimiser
# could not prove leaves a reference to build_error, a link error.
grep -qx CONFIG_RUST_BUILD_ASSERT_ALLOW=y .config && objs+=(rust/build_error.o)
defined=$(llvm-nm --defined-only --extern-only "${objs[@]}" | awk 'NF == 3 { print $2, $3 }')
bad=0

# 1. The SVA core's C ABI: what iommu-sva.c and io-pgfault.c export, and
#    mm_pasid_drop() for kernel/fork.c, defined exactly once in
#    drivers/iommu, whichever core (C or Rust) provides it.
core=("$KSRC/drivers/iommu/iommu-sva.c" "$KSRC/drivers/iommu/io-pgfault.c")
mapfile -t api < <(sed -n 's/^EXPORT_SYMBOL[_A-Z]*(\([a-z0-9_]*\));$/\1/p' "${core[@]}")
((${#api[@]} > 0)) || die "no exported functions found in ${core[*]#"$KSRC"/}"
api+=(mm_pasid_drop)
iommu_defs=$(llvm-nm --defined-only --extern-only -j drivers/iommu/built-in.a)
for sym in "${api[@]}"; do
	n=$(grep -cx "$sym" <<<"$iommu_defs" || true)
	if ((n != 1)); then
		log "SVA core ABI: $sym is defined $n times in drivers/iommu (want 1)"
		bad=1
	fi
done

# 2. No strong global symbol defined twice (e.g. by a C file and the Rust
#    core both).
while read -r sym; do
	log "defined more than once: $sym"
	bad=1
done < <(awk '$1 !~ /^[vVwW]$/ { print $2 }' <<<"$defined" | sort | uniq -d)

# 3. Every Rust symbol and Rust helper that the objects use is defined.
while read -r sym; do
	log "undefined Rust symbol: $sym"
	bad=1
done < <(comm -23 \
	<(llvm-nm --undefined-only -j "${objs[@]}" | grep -E '^(_R|rust_helper_)' | sort -u) \
	<(awk '{ print $2 }' <<<"$defined" | sort -u))

((bad == 0)) || die "x86_64: the objects built would not link (see above)"

core_name=C
grep -qx 'CONFIG_IOMMU_SVA_RUST=y' .config && core_name=Rust
log "x86_64 build check passed in $(($(date +%s) - start)) s ($core_name SVA core, ${#api[@]} ABI functions)"
