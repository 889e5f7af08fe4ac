#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make bench': the Rust SMMUv3 driver side by side with the upstream C
# driver built from the same tree. Builds both variants, then boots each
# BENCH_REPS times (default 5), alternating, on identical QEMU command lines
# in strict mode with sva_rs.mode=bench; the guest prints
# "SVA-RS-BENCH name=value" lines. Results go to build/bench/results.csv
# (variant,rep,metric,value) and build/bench/summary.txt (min/median/max per
# variant and the Rust/C ratio of medians).
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
bash "$TOP/scripts/sva-rs/initramfs.sh"

csv=$out/results.csv
echo "variant,rep,metric,value" >"$csv"
for ((rep = 1; rep <= reps; rep++)); do
	for v in c rust; do
		VARIANT=$v bash "$TOP/scripts/sva-rs/boot.sh" bench strict
		log=$BUILD/console-$v-bench.log
		grep -aq "^SVA-RS-END" "$log" || die "bench boot of $v (rep $rep) did not finish; see ${log#"$TOP"/}"
		if grep -aqE "Internal error|Kernel panic|BUG:|WARNING: CPU" "$log"; then
			die "kernel error during the $v bench (rep $rep); see ${log#"$TOP"/}"
		fi
		grep -a "^SVA-RS-BENCH " "$log" | sed -E "s/^SVA-RS-BENCH ([a-z0-9_]+)=([0-9.]+).*/$v,$rep,\1,\2/" >>"$csv"
		cp "$log" "$out/console-$v-rep$rep.log"
	done
done

# min/median/max per (metric, variant), then the ratio of medians.
summary=$out/summary.txt
tail -n +2 "$csv" | sort -t, -k3,3 -k1,1 -k4,4g | awk -F, '
function flush() {
	if (n == 0) return
	med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	stat[key] = sprintf("%10.2f %10.2f %10.2f", v[1], med, v[n])
	median[key] = med
	n = 0
}
{
	k = $3 SUBSEP $1
	if (k != key) { flush(); key = k }
	v[++n] = $4
	metrics[$3] = 1
}
END {
	flush()
	printf "%-24s %-7s %10s %10s %10s\n", "metric", "variant", "min", "median", "max"
	for (m in metrics) order[++nm] = m
	for (i = 1; i <= nm; i++)
		for (j = i + 1; j <= nm; j++)
			if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
	for (i = 1; i <= nm; i++) {
		m = order[i]
		for (vi = 1; vi <= 2; vi++) {
			var = vi == 1 ? "c" : "rust"
			if ((m SUBSEP var) in stat) printf "%-24s %-7s %s\n", m, var, stat[m SUBSEP var]
		}
		c = median[m SUBSEP "c"]; r = median[m SUBSEP "rust"]
		if (c > 0 && r != "") printf "%-24s %-7s %10.2f  (%s)\n", m, "rust/c", r / c, m ~ /lat|probe/ ? "lower is better" : "higher is better"
	}
}' | tee "$summary"
log "results: ${csv#"$TOP"/}, ${summary#"$TOP"/}"
