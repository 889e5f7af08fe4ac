// SPDX-License-Identifier: GPL-2.0

//! Bit-field helpers shared by the register, entry, command and event code.
//!
//! Fields are named by their inclusive bit range `[hi:lo]`, exactly as the
//! specification's field tables write them.

/// Mask with bits `hi..=lo` set (`GENMASK_ULL(hi, lo)` in C).
///
/// `hi` must be at least `lo` and below 64; this is checked at compile time
/// when used in constant context.
pub const fn genmask(hi: u32, lo: u32) -> u64 {
    assert!(hi < 64 && lo <= hi);
    (u64::MAX >> (63 - hi)) & (u64::MAX << lo)
}

/// Extracts bits `hi..=lo` of `word`, shifted down to bit 0.
pub const fn get(word: u64, hi: u32, lo: u32) -> u64 {
    (word & genmask(hi, lo)) >> lo
}

/// Returns `word` with bits `hi..=lo` replaced by `value`.
///
/// Bits of `value` that do not fit the field are discarded, so a caller
/// cannot corrupt a neighbouring field.
pub const fn set(word: u64, hi: u32, lo: u32, value: u64) -> u64 {
    let mask = genmask(hi, lo);
    (word & !mask) | ((value << lo) & mask)
}

/// Whether `value` fits in a field of bits `hi..=lo` without truncation.
pub const fn fits(value: u64, hi: u32, lo: u32) -> bool {
    value <= genmask(hi - lo, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genmask_matches_c() {
        assert_eq!(genmask(0, 0), 1);
        assert_eq!(genmask(63, 0), u64::MAX);
        assert_eq!(genmask(63, 63), 1 << 63);
        assert_eq!(genmask(11, 4), 0xff0);
    }

    #[test]
    fn set_get_round_trip_and_isolation() {
        let w = set(u64::MAX, 11, 4, 0);
        assert_eq!(w, !0xff0);
        let w = set(0, 11, 4, 0x1ab);
        assert_eq!(w, 0xab0, "overflowing value must be truncated to the field");
        assert_eq!(get(w, 11, 4), 0xab);
        assert!(fits(0xff, 11, 4));
        assert!(!fits(0x100, 11, 4));
    }
}
