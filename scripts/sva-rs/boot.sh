#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the $VARIANT kernel under QEMU's virt machine with an SMMUv3 and run
# one of the initramfs modes:
#
#   boot.sh demo           run the demo, print a summary, power off
#   boot.sh check [CONFIG] run the in-guest test tiers, power off
#   boot.sh shell [CONFIG] interactive shell on the console (quit: Ctrl-A x)
#
# CONFIG is the IOMMU configuration of the boot (default: strict):
#
#   strict       DMA domains, TLB invalidated on every unmap (iommu.strict=1)
#   lazy         DMA domains with a flush queue (iommu.strict=0), and KPTI
#   passthrough  identity default domains (iommu.passthrough=1)
#
# Devices behind the SMMU (the PCI slot fixes each one's StreamID):
#
#   00:01.0  virtio-blk  (/dev/vda, 160 MiB)      StreamID 0x08
#   00:02.0  NVMe        (/dev/nvme0n1, 160 MiB)  StreamID 0x10
#   00:03.0  edu         (DMA engine, 40-bit)     StreamID 0x18
#   00:04.0  virtio-rng  (spare, for dma_map_benchmark)  StreamID 0x20
#   00:05.0  PCIe root port                           StreamID 0x28
#   01:00.0  virtio-balloon with an ATS capability (no driver uses it)
#            behind the SMMUv3 model below, StreamID 0x40 there
#
# A second IOMMU, the Rust driver's software SMMUv3 model, with test DMA
# devices behind it (/dev/smmu-sva-test.N, include/uapi/linux/smmu-sva-test.h),
# comes from device-tree nodes added to the tree QEMU generates (model-dtb.sh
# builds it, cached as virt-model-HASH.dtb next to the disk images; a kernel
# without the model driver ignores the nodes, and finds no IOMMU for 01:00.0;
# SVA_RS_MODEL_DT=0 boots QEMU's own tree):
#
#   smmu-model  "iommu-sva-rs,smmu-v3-model"
#   sva-test-0  StreamID 0x10  20-bit PASIDs  faults: PRI (page requests)
#   sva-test-1  StreamID 0x11  20-bit PASIDs  faults: stall
#   sva-test-2  StreamID 0x12   8-bit PASIDs  faults: PRI
#   sva-test-3  StreamID 0x13  20-bit PASIDs  faults: PRI, translates through ATS
#   smmu-model-btm  the same model, with broadcast TLB maintenance (BTM)
#   sva-test-4  StreamID 0x14  20-bit PASIDs  faults: PRI
#   sva-test-5  StreamID 0x15  20-bit PASIDs  faults: PRI, translates through ATS
#   soft-pcie   a software PCIe host (domain 1): 0001:00:00.0, an emulated
#               function with PASID, ATS and PRI, StreamID 0x50 on smmu-model
#
# Extra kernel arguments: BOOT_ARGS="...". The console is kept in
# build/console-$VARIANT-$MODE.log (check: console-$VARIANT-check-$CONFIG.log),
# or CONSOLE_LOG. KOUT and INITRAMFS (see common.sh) choose the kernel and
# initramfs, DISK_DIR where the sparse disk images go (default build/), so a
# second tree can boot without touching the default tree's files.
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=${1:-demo}
config=${2:-strict}
image=$KOUT/arch/arm64/boot/Image
[[ -f $image ]] || die "no kernel image at $image: run 'make' first"
[[ -f $INITRAMFS ]] || die "no initramfs at $INITRAMFS: run 'make' first"

case $config in
strict) iommu_args="iommu.passthrough=0 iommu.strict=1" ;;
# The lazy boot also sends every SVA fault through the fault workqueue, and
# forces KPTI (odd user ASIDs, every user TLBI issued twice), which the
# cortex-a57 does not need, so that the shared-ASID SVA path runs with it.
lazy) iommu_args="iommu.passthrough=0 iommu.strict=0 sva_rs.inline_faults=0 kpti=1" ;;
passthrough) iommu_args="iommu.passthrough=1" ;;
*) die "unknown boot configuration '$config' (strict, lazy or passthrough)" ;;
esac

# Sparse disk images, one set per variant and mode, so that a shell, a demo
# and a check of both variants can run at the same time (QEMU locks images).
disk_mib=160
disk_dir=${DISK_DIR:-$BUILD}
mkdir -p "$disk_dir"
vdisk=$disk_dir/disk-$VARIANT-$mode-virtio.img
ndisk=$disk_dir/disk-$VARIANT-$mode-nvme.img
for d in "$vdisk" "$ndisk"; do
	if [[ ! -f $d || $(stat -c %s "$d") -ne $((disk_mib << 20)) ]]; then
		truncate -s "${disk_mib}M" "$d"
	fi
done

if [[ -n ${CONSOLE_LOG:-} ]]; then
	consolelog=$CONSOLE_LOG
elif [[ $mode == check ]]; then
	consolelog=$BUILD/console-$VARIANT-$mode-$config.log
else
	consolelog=$BUILD/console-$VARIANT-$mode.log
fi
virtio=(iommu_platform=on disable-legacy=on romfile=)
virtio_opts=$(
	IFS=,
	echo "${virtio[*]}"
)
qemu=(qemu-system-aarch64
	-M virt,iommu=smmuv3,gic-version=3 -cpu cortex-a57 -smp 2 -m 1G
	-nographic -no-reboot -nic none
	-kernel "$image" -initrd "$INITRAMFS"
	-append "console=ttyAMA0 panic=-1 oops=panic sva_rs.mode=$mode sva_rs.config=$config $iommu_args ${BOOT_ARGS:-}"
	-drive "file=$vdisk,if=none,id=vd0,format=raw"
	-device "virtio-blk-pci,drive=vd0,addr=01.0,$virtio_opts"
	-drive "file=$ndisk,if=none,id=nv0,format=raw"
	-device nvme,serial=svarsnvme0,drive=nv0,addr=02.0
	-device edu,dma_mask=0xffffffffff,addr=03.0
	-device "virtio-rng-pci,addr=04.0,$virtio_opts"
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=05.0
	-device "virtio-balloon-pci,bus=rp0,ats=on,$virtio_opts")
if [[ ${SVA_RS_MODEL_DT:-1} != 0 ]]; then
	dtb=$(bash "$TOP/scripts/sva-rs/model-dtb.sh" "$disk_dir" "${qemu[@]}")
	qemu+=(-dtb "$dtb")
fi

if [[ $mode == shell ]]; then
	exec "${qemu[@]}"
fi

timeout=${BOOT_TIMEOUT:-900}
log "booting $VARIANT kernel under QEMU ($mode, $config); console: ${consolelog#"$TOP"/}"
rc=0
start=$EPOCHREALTIME
timeout --foreground -k 10 "$timeout" "${qemu[@]}" </dev/null >"$consolelog" 2>&1 || rc=$?
end=$EPOCHREALTIME
if ((rc == 124)); then
	log "QEMU timed out after $timeout s"
elif ((rc != 0)) && ! grep -aq "Booting Linux" "$consolelog"; then
	log "QEMU failed (status $rc): $(head -n2 "$consolelog" | tr '\n' ' ')"
fi
log "$mode boot ($config) took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
exit 0
