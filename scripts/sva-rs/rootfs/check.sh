#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest part of 'make check'. KUnit suites already ran during boot; this
# runs every kselftest binary, each framed by markers so the host can tell a
# binary that crashed from one that passed.

for t in /usr/lib/sva-rs/*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	echo "SVA-RS-KSELFTEST-BEGIN $name"
	"$t"
	echo "SVA-RS-KSELFTEST-END $name rc=$?"
done
