#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make check': every test tier, each counted, then one closing line
# "N passed, N failed, N skipped". A tier that cannot run (build failure,
# boot that never finishes) counts as a failure; the script keeps going so
# the summary covers everything that could run, and exits non-zero if
# anything failed.
set -uo pipefail
. "$(dirname "$0")/common.sh"
trap - ERR

pass=0 fail=0 skip=0
failures=() skips=()
failed() {
	fail=$((fail + 1))
	failures+=("$1")
}
skipped() {
	skip=$((skip + 1))
	skips+=("$1")
}

summary() {
	echo
	echo "== iommu-sva-rs check ($VARIANT) =="
	for s in "${skips[@]}"; do echo "SKIPPED: $s"; done
	for f in "${failures[@]}"; do echo "FAILED: $f"; done
	echo "$pass passed, $fail failed, $skip skipped"
	((fail == 0))
	exit $?
}

if ! bash "$TOP/scripts/sva-rs/deps.sh"; then
	failed "installing dependencies"
	summary
fi

# Tier 1: host tests (cargo test over the whole workspace).
log "host tests: cargo test"
hostlog=$BUILD/cargo-test.log
mkdir -p "$BUILD"
(cd "$TOP" && cargo test --workspace --locked 2>&1) | tee "$hostlog" |
	grep -E "^test result:|^error|panicked" || true
cargo_rc=${PIPESTATUS[0]}
read -r p f i < <(awk '/^test result:/ {
	for (n = 1; n <= NF; n++) {
		if ($(n) ~ /^passed/) p += $(n-1)
		if ($(n) ~ /^failed/) f += $(n-1)
		if ($(n) ~ /^ignored/) i += $(n-1)
	}
} END { print p+0, f+0, i+0 }' "$hostlog")
pass=$((pass + p))
skip=$((skip + i))
if ((f > 0)); then
	fail=$((fail + f))
	failures+=("$f host test(s); see ${hostlog#"$TOP"/}")
elif ((cargo_rc != 0)); then
	failed "cargo test exited with $cargo_rc (build error?); see ${hostlog#"$TOP"/}"
fi

# Tier 2: x86_64 build check, build only (scripts/sva-rs/x86-check.sh). It
# checks the Rust SVA core, so there is nothing to check for VARIANT=c. A
# second tree (KOUT override) gets an x86_64 build directory of its own.
x86_kout=$BUILD/out-x86
[[ $KOUT == "$BUILD/out-$VARIANT" ]] || x86_kout=$KOUT-x86
if [[ $VARIANT == c ]]; then
	skipped "x86_64 build check (VARIANT=c: no Rust SVA core to build)"
elif bash "$TOP/scripts/sva-rs/prepare-tree.sh" &&
	KOUT=$x86_kout bash "$TOP/scripts/sva-rs/x86-check.sh"; then
	pass=$((pass + 1))
else
	failed "x86_64 build check; see the errors above"
fi

# Tiers 3 and 4: KUnit and kselftests inside the booted kernel.
if ! bash "$TOP/scripts/sva-rs/prepare-tree.sh" ||
	! bash "$TOP/scripts/sva-rs/config.sh" ||
	! bash "$TOP/scripts/sva-rs/build-kernel.sh"; then
	failed "kernel build ($VARIANT)"
	summary
fi
if ! bash "$TOP/scripts/sva-rs/initramfs.sh"; then
	failed "initramfs build"
	summary
fi
judge=$BUILD/cargo/release/sva-rs-judge
(cd "$TOP" && cargo build -q --release --locked -p sva-rs-judge) || failed "building the console judge"

# One boot per IOMMU configuration (CHECK_CONFIGS overrides the list); each
# console log is judged on its own. "debug" boots a second kernel built with
# lockdep and sleeping-in-atomic checks (config/debug.config) in strict mode.
read -r -a configs <<<"${CHECK_CONFIGS:-strict lazy passthrough debug}"
debug_kout=$BUILD/out-$VARIANT-debug
if [[ " ${configs[*]} " == *" debug "* ]]; then
	if ! EXTRA_CONFIG=debug KOUT=$debug_kout bash "$TOP/scripts/sva-rs/config.sh" ||
		! EXTRA_CONFIG=debug KOUT=$debug_kout bash "$TOP/scripts/sva-rs/build-kernel.sh"; then
		failed "debug kernel build ($VARIANT)"
		configs=("${configs[@]/debug/}")
	fi
fi
timings=()
for config in "${configs[@]}"; do
	[[ -n $config ]] || continue
	consolelog=$BUILD/console-$VARIANT-check-$config.log
	start=$EPOCHREALTIME
	if [[ $config == debug ]]; then
		booted() { KOUT=$debug_kout CONSOLE_LOG=$consolelog bash "$TOP/scripts/sva-rs/boot.sh" check strict; }
	else
		booted() { bash "$TOP/scripts/sva-rs/boot.sh" check "$config"; }
	fi
	if ! booted; then
		failed "booting the $config configuration"
		continue
	fi
	timings+=("$config $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s")
	[[ -x $judge ]] || continue
	out=$("$judge" "$consolelog")
	echo "$out" | sed "s/^judge:/judge ($config):/"
	if [[ $(tail -n1 <<<"$out") =~ ^judge:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + BASH_REMATCH[3]))
		((BASH_REMATCH[2] == 0)) || failures+=("${BASH_REMATCH[2]} in-kernel test(s) or kernel error(s) ($config); see ${consolelog#"$TOP"/}")
	else
		failed "console judge gave no verdict ($config)"
	fi
done

# The same SVA kselftests against the upstream C core: the Rust SMMUv3
# driver served by iommu-sva.c and io-pgfault.c (EXTRA_CONFIG=ccore) boots
# once and runs the binaries that exercise the SVA API: the mock IOMMU's
# (tests of the Rust core's deliberate differences skip there) and the
# SMMUv3 model's, which show the driver works with either core.
# CHECK_C_CORE=0 leaves this out.
if [[ $VARIANT == rust && ${CHECK_C_CORE:-1} == 1 ]]; then
	consolelog=$BUILD/console-c-core-check.log
	# build/out-rust-ccore, or next to an overridden KOUT so a second tree
	# stays apart
	c_kout=$BUILD/out-rust-ccore
	[[ $KOUT == "$BUILD/out-rust" ]] || c_kout=$KOUT-ccore
	c_bins=(sva_mock sva_client smmu_sva)
	start=$EPOCHREALTIME
	if ! EXTRA_CONFIG=ccore KOUT=$c_kout bash "$TOP/scripts/sva-rs/config.sh" ||
		! KOUT=$c_kout bash "$TOP/scripts/sva-rs/build-kernel.sh"; then
		failed "kernel build (Rust driver with the C SVA core)"
	elif ! KOUT=$c_kout CONSOLE_LOG=$consolelog \
		BOOT_ARGS="sva_rs.only=$(IFS=,; echo "${c_bins[*]}")" \
		bash "$TOP/scripts/sva-rs/boot.sh" check strict; then
		failed "booting the C-core kernel"
	elif [[ -x $judge ]]; then
		timings+=("c-core $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s")
		out=$("$judge" "$consolelog")
		echo "$out" | sed "s/^judge:/judge (C core):/"
		for bin in "${c_bins[@]}"; do
			grep -aq "^SVA-RS-KSELFTEST-END $bin rc=" "$consolelog" ||
				failed "C core: kselftest $bin did not run; see ${consolelog#"$TOP"/}"
		done
		grep -aq "SVA core: C" "$consolelog" ||
			failed "C core: the kernel did not run the C SVA core; see ${consolelog#"$TOP"/}"
		if [[ $(tail -n1 <<<"$out") =~ ^judge:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
			pass=$((pass + BASH_REMATCH[1]))
			fail=$((fail + BASH_REMATCH[2]))
			skip=$((skip + BASH_REMATCH[3]))
			((BASH_REMATCH[2] == 0)) || failures+=("${BASH_REMATCH[2]} test(s) or kernel error(s) with the C core; see ${consolelog#"$TOP"/}")
		else
			failed "console judge gave no verdict (C core)"
		fi
	fi
fi

printf -v t '%s; ' "${timings[@]}"
log "boot times: ${t%; }"
summary
