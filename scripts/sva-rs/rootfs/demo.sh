#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo run by 'make': show what the SMMUv3 driver found and use the
# virtio disk behind the SMMU. Lines starting with "SVA-RS-SUMMARY:" are
# collected by the host into its summary.

say() { echo "SVA-RS-SUMMARY: $*"; }

smmu=
for d in /sys/bus/platform/devices/*.smmuv3; do
	[ -e "$d" ] && smmu=$d
done
if [ -n "$smmu" ] && [ -e "$smmu/driver" ]; then
	say "SMMUv3 ${smmu##*/} bound to driver $(basename "$(readlink "$smmu/driver")")"
else
	say "no SMMUv3 driver bound"
fi
# The software SMMUv3 model the device tree adds (Rust driver only).
model=/sys/bus/platform/devices/smmu-model
if [ -e $model/driver ]; then
	say "SMMUv3 model ${model##*/} bound to driver $(basename "$(readlink $model/driver)")"
fi
for f in /sys/kernel/debug/iommu/arm-smmu-v3-rs/*/features; do
	[ -r "$f" ] || continue
	while IFS= read -r line; do say "  $line"; done <"$f"
done
for g in /sys/kernel/iommu_groups/*; do
	[ -d "$g" ] || continue
	say "iommu group ${g##*/}: $(ls "$g/devices" | tr '\n' ' ')($(cat "$g/type" 2>/dev/null))"
done

disk=/dev/vda
if [ -b $disk ]; then
	pattern=/tmp/pattern
	# 1 MiB of random data, written and read back through the disk.
	dd if=/dev/urandom of=$pattern bs=64k count=16 2>/dev/null
	[ "$(wc -c <$pattern)" -eq 1048576 ] || say "could not make the 1 MiB test pattern"
	dd if=$pattern of=$disk bs=64k conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	if dd if=$disk bs=64k count=16 2>/dev/null | cmp -s - $pattern; then
		say "virtio-blk ($disk): wrote and read back 1 MiB, data intact"
	else
		say "virtio-blk ($disk): DATA MISMATCH after write and read back"
	fi
else
	say "virtio-blk disk $disk not found"
fi

# The SVA core, through the Rust client sample: each read binds the reading
# process (a new one each time) to the mock IOMMU's spare device.
bind=/sys/kernel/debug/iommu/sva-client/client/bind
if [ -r $bind ]; then
	core="C"
	[ -d /sys/module/sva_rs ] && core="Rust"
	say "SVA core: $core; Rust client sample, first process: $(cat $bind)"
	say "SVA core: Rust client sample, second process: $(cat $bind)"
else
	say "SVA client sample not built (CONFIG_SAMPLE_RUST_SVA_CLIENT=n)"
fi

# SVA through the Rust SMMUv3 driver: test devices behind the software
# SMMUv3 model DMA into never-touched memory of this process; the kernel
# resolves every page fault, reported by page requests (PRI) or stalls.
if [ -e /dev/smmu-sva-test.0 ] && command -v smmu_sva_bench >/dev/null; then
	smmu_sva_bench -t 1 2>&1 | while IFS= read -r line; do
		say "SVA through the SMMUv3 model: ${line#SVA-RS-BENCH }"
	done
else
	say "SVA through the SMMUv3 model: no test devices (C driver, or CONFIG_ARM_SMMU_V3_RUST_SVA_TEST=n)"
fi
