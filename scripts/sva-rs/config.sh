#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Generate build/out-$VARIANT/.config from allnoconfig plus the fragments in
# scripts/sva-rs/config/, only when a fragment changed (so an unchanged
# configuration never triggers a rebuild), and verify that every requested
# symbol took the requested value (kconfig_apply in common.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"

frags=("$TOP/scripts/sva-rs/config/base.config" "$TOP/scripts/sva-rs/config/$VARIANT.config")
# EXTRA_CONFIG="debug ..." adds scripts/sva-rs/config/<name>.config fragments.
for extra in ${EXTRA_CONFIG:-}; do
	frags+=("$TOP/scripts/sva-rs/config/$extra.config")
done
kconfig_apply "$VARIANT" "${frags[@]}"
