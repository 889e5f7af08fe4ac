#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make bench': the Rust SMMUv3 driver side by side with the upstream C
# driver built from the same tree. Builds both variants, and a third kernel
# ("ccore": the Rust driver served by the C SVA core, for the SMMUv3 model's
# SVA metrics), then boots each BENCH_REPS times (default 5), alternating,
# on identical QEMU command lines in strict mode with sva_rs.mode=bench; the
# guest prints "SVA-RS-BENCH name=value" lines. Results go to
# build/bench/results.csv (variant,rep,metric,value) and
# build/bench/summary.txt (min/median/max per variant and the ratios of the
# medians: Rust/C, and Rust/C core on the same driver).
set -euo pipefail
. "$(dirname "$0")/common.sh"

reps=${BENCH_REPS:-5}
out=$BUILD/bench
mkdir -p "$out"

bash "$TOP/scripts/sva-rs/deps.sh"
bash "$TOP/scripts/sva-rs/prepare-tree.sh"
for v in c rust; do
	VARIANT=$v bash "$TOP/scripts/sva-rs/config.sh"
	VARIANT=$v bash "$TOP/scripts/sva-rs/build-kernel.sh"
done
# "ccore": the Rust SMMUv3 driver with the upstream C SVA core, the only
# way to compare the cores on the SMMUv3 model's SVA paths.
ccore_kout=$BUILD/out-rust-ccore
VARIANT=rust EXTRA_CONFIG=ccore KOUT=$ccore_kout bash "$TOP/scripts/sva-rs/config.sh"
VARIANT=rust KOUT=$ccore_kout bash "$TOP/scripts/sva-rs/build-kernel.sh"
bash "$TOP/scripts/sva-rs/initramfs.sh"

csv=$out/results.csv
echo "variant,rep,metric,value" >"$csv"
for ((rep = 1; rep <= reps; rep++)); do
	for v in c rust ccore; do
		log=$BUILD/console-$v-bench.log
		if [[ $v == ccore ]]; then
			VARIANT=rust KOUT=$ccore_kout CONSOLE_LOG=$log bash "$TOP/scripts/sva-rs/boot.sh" bench strict
		else
			VARIANT=$v bash "$TOP/scripts/sva-rs/boot.sh" bench strict
		fi
		grep -aq "^SVA-RS-END" "$log" || die "bench boot of $v (rep $rep) did not finish; see ${log#"$TOP"/}"
		if grep -aqE "Internal error|Kernel panic|BUG:|WARNING: CPU" "$log"; then
			die "kernel error during the $v bench (rep $rep); see ${log#"$TOP"/}"
		fi
		# From "ccore" only the SMMUv3 model's metrics: the others measure
		# the same C core as "c".
		keep='.'
		[[ $v == ccore ]] && keep='^(model_|munmap_)'
		grep -a "^SVA-RS-BENCH " "$log" | sed -n -E "s/^SVA-RS-BENCH ([a-z0-9_]+)=([0-9.]+)\r?$/$v,$rep,\1,\2/p" |
			awk -F, -v keep="$keep" '$3 ~ keep' >>"$csv"
		cp "$log" "$out/console-$v-rep$rep.log"
	done
done

# min/median/max per (metric, variant), then the ratio of medians with the
# direction that is better for the metric and, for the I/O page fault
# metrics, the project's target.
summary=$out/summary.txt
tail -n +2 "$csv" | sort -t, -k3,3 -k1,1 -k4,4g | awk -F, '
function flush() {
	if (n == 0) return
	med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	stat[key] = sprintf("%10.2f %10.2f %10.2f", v[1], med, v[n])
	median[key] = med
	n = 0
}
# +1 if a larger value is better, -1 if a smaller one is, 0 if unknown
function direction(m) {
	if (m ~ /_per_s(_|$)/ || m ~ /^odirect_/) return 1
	if (m ~ /lat|probe|_us(_|$)/) return -1
	return 0
}
function note(m, ratio, other,    d, s, t) {
	d = direction(m)
	if (d == 0) return "direction unknown"
	s = d > 0 ? "higher is better" : "lower is better"
	if (sprintf("%.2f", ratio) == "1.00") s = s ": even"
	else s = s ": " ((ratio - 1) * d > 0 ? "rust" : other) " ahead"
	if (m in target) {
		t = target[m]
		s = s sprintf("; target >= %.2f %s", t, ratio * d >= t * d ? "met" : "NOT met")
	}
	if (m == "cpu_fault_per_s") s = s "; the floor: a CPU fault, no SVA code"
	if (m ~ /^iopf_wq_/) s = s "; both through the workqueue (rust: sva_rs.inline_faults=0)"
	return s
}
function row(m, var, cols) { printf "%-26s %-10s %s\n", m, var, cols }
{
	k = $3 SUBSEP $1
	if (k != key) { flush(); key = k }
	v[++n] = $4
	metrics[$3] = 1
}
END {
	flush()
	target["iopf_rt_per_s_1t"] = 1.5
	target["iopf_rt_per_s_2t"] = 1.5
	print "rust/c: ratio of the medians; the note says which way is better."
	print "ccore: the Rust SMMUv3 driver with the C SVA core (SMMUv3 model metrics);"
	print "rust/ccore: the Rust core against it, on the same driver."
	printf "%-26s %-10s %10s %10s %10s  %s\n", "metric", "variant", "min", "median", "max", "note"
	for (m in metrics) order[++nm] = m
	for (i = 1; i <= nm; i++)
		for (j = i + 1; j <= nm; j++)
			if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
	for (i = 1; i <= nm; i++) {
		m = order[i]
		for (vi = 1; vi <= 3; vi++) {
			var = vi == 1 ? "c" : vi == 2 ? "ccore" : "rust"
			if ((m SUBSEP var) in stat) row(m, var, stat[m SUBSEP var])
		}
		c = median[m SUBSEP "c"]; r = median[m SUBSEP "rust"]; cc = median[m SUBSEP "ccore"]
		if (c > 0 && r != "") row(m, "rust/c", sprintf("%10s %10.2f %10s  %s", "", r / c, "", note(m, r / c, "c")))
		if (cc > 0 && r != "")
			row(m, "rust/ccore", sprintf("%10s %10.2f %10s  %s", "", r / cc, "", note(m, r / cc, "C core")))
	}
	# What an I/O page fault round trip costs above a CPU fault on the
	# same kind of memory (one thread): the SVA path own share.
	m = "iopf_over_floor_us_1t"
	for (vi = 1; vi <= 2; vi++) {
		var = vi == 1 ? "c" : "rust"
		f = median["cpu_fault_per_s" SUBSEP var]; io = median["iopf_rt_per_s_1t" SUBSEP var]
		if (f > 0 && io > 0) {
			over[var] = 1e6 / io - 1e6 / f
			row(m, var, sprintf("%10s %10.2f %10s  %s", "", over[var], "",
			    "derived: 1e6/iopf_rt_per_s_1t - 1e6/cpu_fault_per_s (medians)"))
		}
	}
	if (over["c"] > 0 && over["rust"] != "")
		row(m, "rust/c", sprintf("%10s %10.2f %10s  %s", "", over["rust"] / over["c"], "", note(m, over["rust"] / over["c"], "c")))
}' | tee "$summary"
log "results: ${csv#"$TOP"/}, ${summary#"$TOP"/}"
