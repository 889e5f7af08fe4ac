#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest part of 'make check'. KUnit suites already ran during boot; this
# runs every kselftest binary, each framed by markers so the host can tell a
# binary that crashed from one that passed. A binary that hangs is killed
# after SVA_RS_TEST_TIMEOUT seconds (its END marker then shows the signal).

config=unknown
only=
for arg in $(cat /proc/cmdline); do
	case $arg in
	sva_rs.config=*) config=${arg#sva_rs.config=} ;;
	# Development aid: BOOT_ARGS=sva_rs.only=sva_mock,sva_client runs
	# only those binaries.
	sva_rs.only=*) only=${arg#sva_rs.only=} ;;
	esac
done
echo "SVA-RS-CONFIG $config"
f=/sys/module/sva_rs/parameters/inline_faults
[ -r $f ] && echo "SVA core: inline_faults=$(cat $f)"
for g in /sys/kernel/iommu_groups/*; do
	[ -d "$g" ] || continue
	echo "iommu group ${g##*/} ($(cat "$g/type" 2>/dev/null)): $(ls "$g/devices" | tr '\n' ' ')"
done

for t in /usr/lib/sva-rs/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=${t##*/}
	case ",${only:-$name}," in
	*",$name,"*) ;;
	*) continue ;;
	esac
	echo "SVA-RS-KSELFTEST-BEGIN $name"
	timeout -s KILL "${SVA_RS_TEST_TIMEOUT:-300}" "$t"
	echo "SVA-RS-KSELFTEST-END $name rc=$?"
done
