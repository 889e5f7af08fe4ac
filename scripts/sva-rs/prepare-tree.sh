#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel source tree under build/linux-6.12: Debian's pristine
# linux-source-6.12, the edits in patches/, and this repository's new files
# overlaid on top. Re-runnable: files whose content did not change keep
# their timestamps, so kbuild only rebuilds what an edit touched.
set -euo pipefail
. "$(dirname "$0")/common.sh"

TARBALL=/usr/src/linux-source-6.12.tar.xz
OVERLAY_DIRS=(Documentation drivers include rust samples tools)
[[ -f $TARBALL ]] || die "$TARBALL missing: run scripts/sva-rs/deps.sh (package linux-source-6.12)"

mkdir -p "$BUILD"
stamp_file=$KSRC.tree-stamp
pristine_list=$KSRC.pristine-files
manifest=$KSRC.overlay-files

shopt -s nullglob
patches=("$TOP"/patches/*.patch)
stamp=$( (stat -c '%n %s %Y' "$TARBALL" && cat /dev/null "${patches[@]}") | sha256sum | cut -d' ' -f1)

if [[ ! -d $KSRC || ! -f $stamp_file || $(cat "$stamp_file") != "$stamp" ]]; then
	staging=$KSRC.staging
	rm -rf "$staging"
	mkdir -p "$staging"
	log "extracting pristine linux-source-6.12"
	tar -xf "$TARBALL" -C "$staging" --strip-components=1
	(cd "$staging" && find . -type f | sed 's|^\./||' | sort) >"$pristine_list"
	for p in "${patches[@]}"; do
		log "applying ${p##*/}"
		patch -d "$staging" -p1 -s --no-backup-if-mismatch <"$p" ||
			die "patch ${p##*/} does not apply to linux-source-6.12"
	done
	if [[ -d $KSRC ]]; then
		# Copy only what differs so untouched files keep their mtimes.
		rsync -rlc --delete "$staging"/ "$KSRC"/
		rm -rf "$staging"
		rm -f "$manifest"
	else
		mv "$staging" "$KSRC"
	fi
	echo "$stamp" >"$stamp_file"
fi

# Overlay. A repository file must never shadow a pristine kernel file:
# changes to existing files belong in patches/.
new_manifest=$(mktemp)
trap 'rm -f "$new_manifest"' EXIT
(
	cd "$TOP"
	for d in "${OVERLAY_DIRS[@]}"; do
		if [[ -d $d ]]; then find "$d" -type f; fi
	done | sort
) >"$new_manifest"
shadow=$(comm -12 "$new_manifest" "$pristine_list" | head -5)
[[ -z $shadow ]] || die "overlay files shadow pristine kernel files (use patches/ instead): $shadow"

if [[ -f $manifest ]]; then
	comm -23 "$manifest" "$new_manifest" | while read -r gone; do
		rm -f "$KSRC/$gone"
	done
fi
(cd "$TOP" && rsync -rc --files-from="$new_manifest" . "$KSRC"/)
cp "$new_manifest" "$manifest"
