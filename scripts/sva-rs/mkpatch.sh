#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate patches/NAME.patch from kernel files edited in place in the
# prepared tree (build/linux-6.12):
#
#   scripts/sva-rs/mkpatch.sh NAME "subject line" path/in/kernel ...
#
# Each named file is diffed against Debian's pristine copy.
set -euo pipefail
. "$(dirname "$0")/common.sh"

name=$1 subject=$2
shift 2
pristine=$BUILD/pristine-ref
if [[ ! -d $pristine ]]; then
	mkdir -p "$pristine"
	tar -xf /usr/src/linux-source-6.12.tar.xz -C "$pristine" --strip-components=1
fi
out=$TOP/patches/$name.patch
{
	printf 'From: iommu-sva-rs developers\nSubject: [PATCH] %s\n\n---\n' "$subject"
	for f in "$@"; do
		printf 'diff --git a/%s b/%s\n' "$f" "$f"
		diff -u --label "a/$f" --label "b/$f" "$pristine/$f" "$KSRC/$f" || true
	done
} >"$out"
log "wrote ${out#"$TOP"/}"
