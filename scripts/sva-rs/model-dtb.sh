#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# model-dtb.sh DIR QEMU-COMMAND...
#
# Print the path of a device tree blob to boot QEMU-COMMAND (a complete
# qemu-system-aarch64 -M virt command line, without -dtb) with: the tree
# QEMU generates for exactly that machine, plus the software SMMUv3 model of
# the Rust driver (a second IOMMU) and the test DMA devices behind it, which
# boot.sh lists. A kernel without the model driver ignores the extra nodes.
#
# How: run QEMU-COMMAND once with dumpdtb= added to its -M/-machine option
# (QEMU writes the tree it built and exits), decompile it with dtc, append
# the nodes to the root, recompile. QEMU still writes /chosen (bootargs,
# initrd, fresh RNG seeds) into a tree given with -dtb at every boot, so the
# cached tree has no bootargs or initrd of its own.
#
# Cached in DIR as virt-model-HASH.dtb. HASH covers the command line except
# the values of -kernel, -initrd and -append (they only reach /chosen), this
# script (the nodes) and QEMU's version: any other change of the command line
# makes a new tree.
set -euo pipefail
. "$(dirname "$0")/common.sh"

(($# >= 2)) || die "usage: ${0##*/} DIR QEMU-COMMAND..."
dir=$1
shift
cmd=("$@")
command -v dtc >/dev/null || die "dtc not found: run scripts/sva-rs/deps.sh (device-tree-compiler)"

# The cache key, and the dump command: QEMU-COMMAND with dumpdtb= added.
key=()
dump=()
machine=0
for ((i = 0; i < ${#cmd[@]}; i++)); do
	a=${cmd[i]}
	case $a in
	-dtb) die "QEMU command already has -dtb" ;;
	-kernel | -initrd | -append)
		((i + 1 < ${#cmd[@]})) || die "$a without a value"
		key+=("$a" "<any>")
		dump+=("$a" "${cmd[i + 1]}")
		i=$((i + 1))
		continue
		;;
	-M | -machine)
		((i + 1 < ${#cmd[@]})) || die "$a without a value"
		key+=("$a" "${cmd[i + 1]}")
		dump+=("$a" "${cmd[i + 1]},dumpdtb=@DTB@")
		machine=1
		i=$((i + 1))
		continue
		;;
	esac
	key+=("$a")
	dump+=("$a")
done
((machine)) || die "QEMU command has no -M/-machine option"

hash=$({
	printf '%s\0' "${key[@]}"
	"${cmd[0]}" --version | head -n1
	cat "${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
out=$dir/virt-model-$hash.dtb
if [[ -s $out ]]; then
	echo "$out"
	exit 0
fi

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.virt-model-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dump=("${dump[@]/@DTB@/$tmp/qemu.dtb}")

# stdin from /dev/null: with -nographic QEMU would put a terminal in raw mode.
"${dump[@]}" </dev/null >"$tmp/qemu.log" 2>&1 ||
	die "QEMU failed to dump its device tree: $(tr '\n' ' ' <"$tmp/qemu.log")"
[[ -s $tmp/qemu.dtb ]] || die "QEMU wrote no device tree: $(tr '\n' ' ' <"$tmp/qemu.log")"
dtc -q -I dtb -O dts -o "$tmp/tree.dts" "$tmp/qemu.dtb" 2>"$tmp/dtc.log" ||
	die "dtc cannot decompile QEMU's device tree: $(cat "$tmp/dtc.log")"

# A phandle no node of QEMU's tree uses (QEMU allocates from 0x8000 up).
ph=$({ grep -oE 'phandle = <0x[0-9a-f]+>' "$tmp/tree.dts" || true; } |
	sed -E 's/.*<(0x[0-9a-f]+)>/\1/' |
	while read -r p; do echo $((p)); done | sort -n | tail -n1)
ph=$((${ph:-0} + 1))
((ph >= 0x8000)) || ph=$((0x8000))
ph=$(printf '0x%x' "$ph")

ph_btm=$(printf '0x%x' $((ph + 1)))

# The PCI function at RID ATS_RID (boot.sh puts an endpoint with an ATS
# capability there, behind a root port) translates through the model, as
# StreamID ATS_SID: the path that enables ATS in a PCI function runs on
# QEMU, whose own SMMUv3 has no ATS. Every other RID stays with QEMU's
# SMMU. ats-supported: the root complex forwards ATS traffic.
ats_rid=0x100
ats_sid=0x40
re='iommu-map = <0x00 (0x[0-9a-f]+) 0x00 0x10000>;'
grep -qE "$re" "$tmp/tree.dts" ||
	die "QEMU's PCIe node has no iommu-map covering every RID (-M virt,iommu=smmuv3?)"
above=$(printf '0x%x' $((ats_rid + 1)))
rest=$(printf '0x%x' $((0x10000 - ats_rid - 1)))
map="0x00 \1 0x00 $ats_rid $ats_rid $ph $ats_sid 0x01 $above \1 $above $rest"
sed -E -i "s/$re/iommu-map = <$map>;\n\t\tats-supported;/" "$tmp/tree.dts"

# test_dev N PASID-BITS "PROPERTY;..." COMMENT [PHANDLE]: test device N,
# StreamID 0x10 + N, behind the model (or the one PHANDLE names).
test_dev() {
	local prop props
	printf '\n\t/* %s */\n\tsva-test-%d {\n' "$4" "$1"
	printf '\t\tcompatible = "iommu-sva-rs,sva-test-dev";\n'
	printf '\t\tiommus = <%s 0x%x>;\n' "${5:-$ph}" $((0x10 + $1))
	printf '\t\tpasid-num-bits = <%d>;\n' "$2"
	printf '\t\tiommu-sva-rs,index = <%d>;\n' "$1"
	IFS=';' read -r -a props <<<"$3"
	for prop in "${props[@]}"; do
		printf '\t\t%s;\n' "$prop"
	done
	printf '\t\tdma-coherent;\n\t};\n'
}

{
	cat <<EOF

/ {
	chosen {
		/delete-property/ bootargs;
		/delete-property/ linux,initrd-start;
		/delete-property/ linux,initrd-end;
	};

	/* The software SMMUv3 model (iommu-sva-rs) and test devices behind it. */
	smmu-model {
		compatible = "iommu-sva-rs,smmu-v3-model";
		#iommu-cells = <1>;
		dma-coherent;
		phandle = <$ph>;
	};
EOF
	test_dev 0 20 "iommu-sva-rs,pri" "PRI (page requests), 20-bit PASIDs"
	test_dev 1 20 "dma-can-stall" "stalled transactions, 20-bit PASIDs"
	test_dev 2 8 "iommu-sva-rs,pri" "PRI, narrow (8-bit) PASIDs"
	# ATS: asks the SMMU for translations, caches them in its own ATC
	# (which CMD_ATC_INV must invalidate), sends page requests on faults.
	test_dev 3 20 "iommu-sva-rs,pri;iommu-sva-rs,ats" "PRI, 20-bit PASIDs, translates through ATS"
	cat <<EOF

	/*
	 * A software PCIe host (domain 1) whose one function, 00:00.0, has
	 * PASID, ATS and PRI capabilities and no DMA engine, behind the
	 * model as StreamID 0x50 (CONFIG_ARM_SMMU_V3_RUST_SVA_TEST_PCI).
	 * Not device_type "pci": no address space to describe. Domain 1 is
	 * then not reserved for it, which is fine next to QEMU's host
	 * bridge, statically domain 0.
	 */
	soft-pcie {
		compatible = "iommu-sva-rs,soft-pcie-host";
		linux,pci-domain = <1>;
		iommu-map = <0x0 $ph 0x50 0x1>;
		ats-supported;
		dma-coherent;
	};

	/*
	 * A second model that snoops the CPUs' TLB invalidations (BTM): SVA
	 * domains share the process's CPU ASID there.
	 */
	smmu-model-btm {
		compatible = "iommu-sva-rs,smmu-v3-model";
		#iommu-cells = <1>;
		iommu-sva-rs,btm;
		dma-coherent;
		phandle = <$ph_btm>;
	};
EOF
	test_dev 4 20 "iommu-sva-rs,pri" "PRI, BTM model" "$ph_btm"
	test_dev 5 20 "iommu-sva-rs,pri;iommu-sva-rs,ats" "PRI and ATS, BTM model" "$ph_btm"
	echo "};"
} >>"$tmp/tree.dts"
# -q: QEMU's numeric clock and GPIO references draw harmless warnings.
dtc -q -I dts -O dtb -o "$tmp/model.dtb" "$tmp/tree.dts" 2>"$tmp/dtc.log" ||
	die "dtc cannot compile the device tree: $(cat "$tmp/dtc.log")"
cp "$tmp/tree.dts" "${out%.dtb}.dts"
mv "$tmp/model.dtb" "$out"
log "device tree with the SMMUv3 model: ${out#"$TOP"/} (phandle $ph)"
echo "$out"
