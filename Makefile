# SPDX-License-Identifier: GPL-2.0
#
# iommu-sva-rs: a Rust IOMMU SVA subsystem and Arm SMMUv3 driver for
# Linux 6.12, overlaid on Debian's linux-source-6.12.
#
#   make               build the kernel, boot it under QEMU with an SMMUv3,
#                      run the demo and print a summary
#   make check         every test tier: host cargo tests, in-kernel KUnit,
#                      kselftests in QEMU; ends with "N passed, N failed"
#   make bench         Rust driver vs the C driver from the same tree, side by
#                      side (build/bench/)
#   make x86-check     build-only check that the SVA core, the Intel and AMD
#                      IOMMU drivers and the SVA API's users build for x86_64
#                      (build/out-x86; also a tier of make check)
#
# VARIANT=c builds the same tree with the upstream C SMMUv3 driver and SVA
# core instead (build/out-c), the baseline for comparisons. CLIPPY=1 runs
# clippy over the kernel's Rust code while building.

VARIANT ?= rust
export VARIANT CLIPPY
S := scripts/sva-rs

.PHONY: all demo check bench deps tree config kernel initramfs host-test shell clean distclean \
	x86-check
all: demo

deps:
	@bash $(S)/deps.sh

tree: deps
	@bash $(S)/prepare-tree.sh

config: tree
	@bash $(S)/config.sh

kernel: config
	@bash $(S)/build-kernel.sh

initramfs: tree
	@bash $(S)/initramfs.sh

demo: kernel initramfs
	@bash $(S)/demo.sh

check:
	@bash $(S)/check.sh

bench:
	@bash $(S)/bench.sh

x86-check: tree
	@bash $(S)/x86-check.sh

host-test:
	cargo test --workspace

shell: kernel initramfs
	@bash $(S)/boot.sh shell

clean:
	rm -rf build/out-rust build/out-c build/out-x86 build/initramfs build/initramfs.cpio build/*.log

distclean:
	rm -rf build
