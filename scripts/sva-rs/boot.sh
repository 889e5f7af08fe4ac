#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the $VARIANT kernel under QEMU's virt machine with an SMMUv3 and run
# one of the initramfs modes:
#
#   boot.sh demo    run the demo, print a summary, power off
#   boot.sh check   run the in-guest test tiers, power off
#   boot.sh shell   interactive shell on the console (quit: Ctrl-A x)
#
# Extra kernel arguments: BOOT_ARGS="iommu.strict=0 ...".
# The console is kept in build/console-$VARIANT-$MODE.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=${1:-demo}
image=$KOUT/arch/arm64/boot/Image
[[ -f $image ]] || die "no kernel image at $image: run 'make' first"
[[ -f $BUILD/initramfs.cpio ]] || die "no initramfs: run 'make' first"

disk=$BUILD/disk-virtio.img
[[ -f $disk ]] || truncate -s 64M "$disk"

consolelog=$BUILD/console-$VARIANT-$mode.log
qemu=(qemu-system-aarch64
	-M virt,iommu=smmuv3,gic-version=3 -cpu cortex-a57 -smp 2 -m 1G
	-nographic -no-reboot -nic none
	-kernel "$image" -initrd "$BUILD/initramfs.cpio"
	-append "console=ttyAMA0 panic=-1 oops=panic sva_rs.mode=$mode ${BOOT_ARGS:-}"
	-drive "file=$disk,if=none,id=vd0,format=raw"
	-device virtio-blk-pci,drive=vd0,iommu_platform=on,disable-legacy=on,romfile=)

if [[ $mode == shell ]]; then
	exec "${qemu[@]}"
fi

timeout=${BOOT_TIMEOUT:-900}
log "booting $VARIANT kernel under QEMU ($mode); console: ${consolelog#"$TOP"/}"
rc=0
timeout --foreground -k 10 "$timeout" "${qemu[@]}" </dev/null >"$consolelog" 2>&1 || rc=$?
((rc == 124)) && log "QEMU timed out after $timeout s"
exit 0
