#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs: arm64 busybox, the boot scripts in rootfs/, and the
# kselftests under tools/testing/selftests/iommu-sva-rs, built static with the
# aarch64 cross compiler against the prepared kernel tree. Writes $INITRAMFS
# (default build/initramfs.cpio), staged in the same path without ".cpio".
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=${INITRAMFS%.cpio}
[[ $out != "$INITRAMFS" ]] || out=$INITRAMFS.d
mkdir -p "$out/bin" "$(dirname "$INITRAMFS")"

# kselftests (run by rootfs/check.sh) and the helper tools they need
# (helpers/, installed in /usr/bin)
# The kselftests build against this kernel's uapi headers (sva_mock needs
# <linux/iommu-sva-rs-mock.h>), installed into $KOUT/usr/include.
"${KMAKE[@]}" headers_install >/dev/null || die "make headers_install failed"
sel=$KSRC/tools/testing/selftests/iommu-sva-rs
make -s -C "$sel" CROSS_COMPILE=aarch64-linux-gnu- OUTPUT="$out/bin" \
	KHDR_INCLUDES="-isystem $KOUT/usr/include" ||
	die "building the kselftests failed"
# benchmark helpers (run by rootfs/bench.sh)
make -s -C "$KSRC/tools/iommu-sva-rs/bench" CROSS_COMPILE=aarch64-linux-gnu- OUTPUT="$out/bin/helpers" \
	KHDR_INCLUDES="-isystem $KOUT/usr/include" ||
	die "building the benchmark helpers failed"

gen=$BUILD/deps/gen_init_cpio
if [[ ! -x $gen || $KSRC/usr/gen_init_cpio.c -nt $gen ]]; then
	cc -O2 -o "$gen" "$KSRC/usr/gen_init_cpio.c" || die "cannot build gen_init_cpio"
fi

list=$out/cpio.list
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in /bin /sbin /etc /etc/sva-rs /proc /sys /tmp /root /usr /usr/bin /usr/sbin \
		/usr/lib /usr/lib/sva-rs /mnt; do
		echo "dir $d 0755 0 0"
	done
	echo "file /bin/busybox $BUSYBOX 0755 0 0"
	echo "file /init $TOP/scripts/sva-rs/rootfs/init 0755 0 0"
	for f in "$TOP"/scripts/sva-rs/rootfs/*.sh; do
		echo "file /etc/sva-rs/${f##*/} $f 0755 0 0"
	done
	for f in "$out"/bin/*; do
		[[ -f $f ]] && echo "file /usr/lib/sva-rs/${f##*/} $f 0755 0 0"
	done
	for f in "$out"/bin/helpers/*; do
		[[ -f $f ]] && echo "file /usr/bin/${f##*/} $f 0755 0 0"
	done
} >"$list"
"$gen" "$list" >"$out/initramfs.cpio.tmp"
mv "$out/initramfs.cpio.tmp" "$INITRAMFS"
