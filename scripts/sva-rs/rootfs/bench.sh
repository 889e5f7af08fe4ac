#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest part of 'make bench': prints "SVA-RS-BENCH name=value" lines.

say() { echo "SVA-RS-BENCH $*"; }

# Time from boot to the SMMU driver's probe message.
probe=$(dmesg | sed -n -E 's/^\[ *([0-9.]+)\] arm-smmu-v3(-rs)? [^ ]+: (ias|enabled).*/\1/p' | head -n1)
[ -n "$probe" ] && say "probe_s=$probe"

# dma_map_benchmark on the spare virtio-rng device, moved to the
# dma_map_benchmark driver.
rng=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1044 ]; then
		rng=${d##*/}
	fi
done
if [ -n "$rng" ]; then
	echo dma_map_benchmark >"/sys/bus/pci/devices/$rng/driver_override"
	[ -e "/sys/bus/pci/devices/$rng/driver" ] && echo "$rng" >"/sys/bus/pci/devices/$rng/driver/unbind"
	echo "$rng" >/sys/bus/pci/drivers_probe
	for t in 1 2; do
		out=$(dma_map_benchmark -t $t -s 2 -g 1 2>&1)
		map=$(echo "$out" | sed -n 's/.*average map latency(us):\([0-9.]*\).*/\1/p')
		unmap=$(echo "$out" | sed -n 's/.*average unmap latency(us):\([0-9.]*\).*/\1/p')
		if [ -n "$map" ] && [ -n "$unmap" ]; then
			say "map_lat_us_t$t=$map"
			say "unmap_lat_us_t$t=$unmap"
		else
			echo "dma_map_benchmark failed: $out"
		fi
	done
fi

# O_DIRECT throughput through the SMMU on the NVMe disk.
for bs in 4096 131072; do
	odirect_bench /dev/nvme0n1 write $bs 33554432
	odirect_bench /dev/nvme0n1 read $bs 33554432
done

# The SVA core (C or Rust, whichever this kernel has) through the mock
# IOMMU: I/O page fault round trips with 1 and 2 threads, bind+unbind pairs,
# and first-touch CPU faults as the floor; 3 s each. A failure is reported
# here and the boot still reaches its end marker.
timeout 60 sva_bench -t 3 >/tmp/sva_bench.txt 2>&1 ||
	echo "sva_bench failed (exit status $?)"
cat /tmp/sva_bench.txt

# The same fault round trips through the fault workqueue only, the path
# the C core always takes: the Rust core again with sva_rs.inline_faults=0;
# the C core's numbers above, renamed so that the summary pairs them.
inline=/sys/module/sva_rs/parameters/inline_faults
wq=/tmp/sva_bench.txt
if [ -w $inline ]; then
	echo N >$inline
	wq=/tmp/sva_bench_wq.txt
	timeout 60 sva_bench -t 2 >$wq 2>&1 ||
		echo "sva_bench (workqueue only) failed (exit status $?)"
	echo Y >$inline
fi
grep '^SVA-RS-BENCH iopf_rt_' $wq | sed 's/^SVA-RS-BENCH iopf_rt_/SVA-RS-BENCH iopf_wq_rt_/'

# SVA through the Rust SMMUv3 driver and its software model (Rust kernel
# only: the C driver has no model): device faults resolved through PRI and
# through stalls, bind+unbind pairs, and munmap with and without a bound mm.
timeout 120 smmu_sva_bench -t 2 || echo "smmu_sva_bench failed (exit status $?)"

