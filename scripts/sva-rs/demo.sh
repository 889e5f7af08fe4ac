#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make': boot the kernel, run the in-guest demo, and summarise what probed
# and what ran. Fails if the kernel reported an error or never finished.
set -euo pipefail
. "$(dirname "$0")/common.sh"

bash "$TOP/scripts/sva-rs/boot.sh" demo
consolelog=$BUILD/console-$VARIANT-demo.log

echo
echo "== iommu-sva-rs demo ($VARIANT kernel, QEMU virt + SMMUv3) =="
grep -aE "\.smmuv3: " "$consolelog" | sed -E 's/^\[ *[0-9.]+\] /  kernel: /' | head -12
grep -a "^SVA-RS-SUMMARY: " "$consolelog" | sed 's/^SVA-RS-SUMMARY: /  /'
if grep -aqE "^SVA-RS-SUMMARY: .*(MISMATCH|not found|no SMMUv3)" "$consolelog"; then
	die "the demo found a problem (see above); console log: ${consolelog#"$TOP"/}"
fi
(cd "$TOP" && cargo build -q --release --locked -p sva-rs-judge)
if "$BUILD/cargo/release/sva-rs-judge" "$consolelog" >"$BUILD/demo-judge.txt"; then
	echo "  boot: clean (no kernel errors), console log: ${consolelog#"$TOP"/}"
else
	grep -E "FAILED" "$BUILD/demo-judge.txt" >&2 || true
	die "the demo run was not clean; console log: ${consolelog#"$TOP"/}"
fi
