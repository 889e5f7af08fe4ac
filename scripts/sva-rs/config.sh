#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Generate build/out-$VARIANT/.config from allnoconfig plus the fragments in
# scripts/sva-rs/config/, only when a fragment changed (so an unchanged
# configuration never triggers a rebuild), and verify that every requested
# symbol took the requested value.
set -euo pipefail
. "$(dirname "$0")/common.sh"

frags=("$TOP/scripts/sva-rs/config/base.config" "$TOP/scripts/sva-rs/config/$VARIANT.config")
# EXTRA_CONFIG="debug ..." adds scripts/sva-rs/config/<name>.config fragments.
for extra in ${EXTRA_CONFIG:-}; do
	frags+=("$TOP/scripts/sva-rs/config/$extra.config")
done
mkdir -p "$KOUT"
stamp=$(cat "${frags[@]}" "$KSRC.tree-stamp" | sha256sum | cut -d' ' -f1)
if [[ -f $KOUT/.config && -f $KOUT/.config-stamp && $(cat "$KOUT/.config-stamp") == "$stamp" ]]; then
	exit 0
fi

merged=$KOUT/.config-fragment
cat "${frags[@]}" >"$merged"
log "configuring ($VARIANT)"
KCONFIG_ALLCONFIG=$merged "${KMAKE[@]}" allnoconfig >/dev/null

bad=0
while IFS= read -r line; do
	[[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
	sym=${BASH_REMATCH[1]}
	want=${BASH_REMATCH[2]}
	if [[ $want == n ]]; then
		if grep -q "^$sym=" "$KOUT/.config"; then
			log "config: $sym should be unset but is $(grep "^$sym=" "$KOUT/.config")"
			bad=1
		fi
	elif ! grep -qx "$sym=$want" "$KOUT/.config"; then
		log "config: $sym=$want did not take (dependency missing?); got: $(grep "^$sym=\|^# $sym is" "$KOUT/.config" || echo absent)"
		bad=1
	fi
done <"$merged"
((bad == 0)) || die "kernel configuration for variant '$VARIANT' is not what the fragments ask for"
echo "$stamp" >"$KOUT/.config-stamp"
