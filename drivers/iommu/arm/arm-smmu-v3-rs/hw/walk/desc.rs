// SPDX-License-Identifier: GPL-2.0

//! Bit layout of VMSAv8-64 stage 1 translation table descriptors.
//!
//! Only the 48-bit output address layout is described (no FEAT_LPA2, so the
//! `DS` format is absent). With the 64KB granule and a 52-bit output size
//! (FEAT_LPA), bits `[15:12]` of table, block and page descriptors carry
//! output address bits `[51:48]`.

use crate::hw::bits::genmask;

/// Mask of the two type bits `[1:0]`.
pub const TYPE_MASK: u64 = 0b11;
/// Bit 0: the descriptor is valid.
pub const VALID: u64 = 1 << 0;
/// Type bits of a table descriptor (levels 0 to 2) or of a page descriptor
/// (level 3).
pub const TYPE_TABLE: u64 = 0b11;
/// Type bits of a page descriptor (level 3 only).
pub const TYPE_PAGE: u64 = 0b11;
/// Type bits of a block descriptor (levels 1 and 2, depending on granule).
pub const TYPE_BLOCK: u64 = 0b01;

/// Shift of `AttrIndx[2:0]`, the MAIR byte selector of a leaf.
pub const ATTR_INDX_SHIFT: u32 = 2;
/// Mask of `AttrIndx[2:0]`, bits `[4:2]`.
pub const ATTR_INDX_MASK: u64 = genmask(4, 2);
/// Bit 5: `NS`, ignored for non-secure streams.
pub const NS: u64 = 1 << 5;
/// Bit 6: `AP[1]`, the leaf is accessible to unprivileged accesses.
pub const AP_USER: u64 = 1 << 6;
/// Bit 7: `AP[2]`, the leaf is read-only.
pub const AP_RDONLY: u64 = 1 << 7;
/// Shift of the shareability field `SH[1:0]`, bits `[9:8]`.
pub const SH_SHIFT: u32 = 8;
/// Mask of `SH[1:0]`.
pub const SH_MASK: u64 = genmask(9, 8);
/// `SH` value: non-shareable.
pub const SH_NON: u64 = 0 << SH_SHIFT;
/// `SH` value: outer shareable.
pub const SH_OUTER: u64 = 2 << SH_SHIFT;
/// `SH` value: inner shareable.
pub const SH_INNER: u64 = 3 << SH_SHIFT;
/// Bit 10: the Access flag.
pub const AF: u64 = 1 << 10;
/// Bit 11: not-global; the translation is tagged with the ASID.
pub const NG: u64 = 1 << 11;
/// Bit 50: `GP`, the guarded-page bit (reported, not interpreted).
pub const GP: u64 = 1 << 50;
/// Bit 51: dirty bit modifier; the leaf takes part in hardware dirty
/// state management.
pub const DBM: u64 = 1 << 51;
/// Bit 52: contiguous hint.
pub const CONTIGUOUS: u64 = 1 << 52;
/// Bit 53: privileged execute-never.
pub const PXN: u64 = 1 << 53;
/// Bit 54: unprivileged execute-never.
pub const UXN: u64 = 1 << 54;

/// Bit 59 of a table descriptor: privileged execution is forbidden in
/// everything this table maps.
pub const PXN_TABLE: u64 = 1 << 59;
/// Bit 60 of a table descriptor: unprivileged execution is forbidden in
/// everything this table maps.
pub const UXN_TABLE: u64 = 1 << 60;
/// Bit 61 of a table descriptor (`APTable[0]`): no unprivileged access to
/// anything this table maps.
pub const AP_TABLE_NO_USER: u64 = 1 << 61;
/// Bit 62 of a table descriptor (`APTable[1]`): no write access to anything
/// this table maps.
pub const AP_TABLE_RDONLY: u64 = 1 << 62;
/// Bit 63 of a table descriptor: `NSTable`, ignored for non-secure streams.
pub const NS_TABLE: u64 = 1 << 63;

/// Output address bits `[47:12]` as held in a descriptor.
pub const ADDR_MASK: u64 = genmask(47, 12);
/// Bits `[15:12]`, which hold output address bits `[51:48]` for the 64KB
/// granule when the output size is 52 bits.
pub const ADDR_HI_64K_MASK: u64 = genmask(15, 12);
/// Bits `[51:48]` of a table descriptor: reserved (`RES0`) in this format.
pub const TABLE_RES0_HI: u64 = genmask(51, 48);
/// Bits `[49:48]` of a block or page descriptor: reserved (`RES0`) in this
/// format.
pub const LEAF_RES0_HI: u64 = genmask(49, 48);

/// Builds the `AttrIndx` field for MAIR slot `index` (only the low three
/// bits of `index` are used).
pub const fn attr_indx(index: u8) -> u64 {
    ((index as u64) << ATTR_INDX_SHIFT) & ATTR_INDX_MASK
}
