// SPDX-License-Identifier: GPL-2.0

//! The global PASID space.
//!
//! Linux 6.12 hands out SVA PASIDs from one system-wide IDA
//! (`iommu_global_pasid_ida` in `iommu.c`): `iommu_alloc_global_pasid(dev)`
//! returns the lowest free value in `[IOMMU_FIRST_GLOBAL_PASID,
//! max_pasids - 1]`, where `max_pasids` is the device's limit
//! (`dev->iommu->max_pasids`, the minimum of what the endpoint supports and
//! what its IOMMU supports, see [`device_max_pasids`]). PASID 0
//! (`IOMMU_NO_PASID`) is reserved for DMA without PASID and never allocated.
//! An mm keeps its PASID for its whole life: it is taken on the first bind
//! and given back by `mm_pasid_drop()` when the mm is destroyed; see
//! [`crate::sva::bond`].
//!
//! [`PasidBitmap`] is that allocator over storage the caller provides once:
//! one bit per PASID, `2^20` bits (128 KiB of `u64` words) for the whole
//! 20-bit PCIe PASID space. Allocation is lowest-free-first like the IDA, so
//! PASIDs stay small and fit devices with few PASID bits for as long as
//! possible. A hint (the lowest value that may be free) makes the common
//! case O(1) and bounds the worst case at one pass over the words.
//!
//! The allocator is a plain value: the kernel glue serialises calls with a
//! spinlock or mutex of its choice.

/// The PASID used for DMA without PASID; never allocated (`IOMMU_NO_PASID`).
pub const NO_PASID: u32 = 0;

/// The first PASID handed out (`IOMMU_FIRST_GLOBAL_PASID`).
pub const FIRST_GLOBAL_PASID: u32 = 1;

/// Width of the PCIe PASID (and Arm SubstreamID) space, in bits.
pub const PASID_BITS_MAX: u32 = 20;

/// Number of PASID values in the largest space (`1 << PASID_BITS_MAX`).
pub const PASID_SPACE: u32 = 1 << PASID_BITS_MAX;

/// Number of `u64` storage words needed for the whole PASID space.
pub const PASID_WORDS: usize = (PASID_SPACE / 64) as usize;

/// Errors of the PASID allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasidError {
    /// Every PASID below the limit is in use (`-ENOSPC`). Also returned for
    /// a device without PASID support (`limit <= 1`), as 6.12 does.
    NoSpace,
    /// A PASID does not fit below a device's limit (`-EOVERFLOW`).
    Overflow,
    /// The PASID is reserved, out of range, or not allocated (`-EINVAL`).
    Invalid,
}

impl PasidError {
    /// The kernel error number for this error.
    pub fn errno(self) -> crate::sva::errno::Errno {
        use crate::sva::errno::Errno;
        match self {
            PasidError::NoSpace => Errno::ENOSPC,
            PasidError::Overflow => Errno::EOVERFLOW,
            PasidError::Invalid => Errno::EINVAL,
        }
    }
}

/// Computes a device's PASID limit (`dev->iommu->max_pasids`).
///
/// `dev_bits` is the endpoint's PASID width: the PCI PASID capability's
/// "Max PASID Width", or the firmware `pasid-num-bits` property for platform
/// devices; `None` when the device has neither (no PASID support).
/// `iommu_bits` is the IOMMU's limit (SMMUv3 `SSIDSIZE`). Like
/// `dev_iommu_get_max_pasids()` the result is `min(1 << dev, 1 << iommu)`;
/// unlike the C code (whose `1UL << bits` into a `u32` misbehaves for a
/// firmware value of 32 or more) widths are clamped to [`PASID_BITS_MAX`], so
/// any value read from hardware or firmware is safe.
pub fn device_max_pasids(dev_bits: Option<u32>, iommu_bits: u32) -> u32 {
    match dev_bits {
        None => 0,
        Some(bits) => {
            let bits = bits.min(iommu_bits).min(PASID_BITS_MAX);
            1u32 << bits
        }
    }
}

/// Lowest-free-first PASID allocator over a caller-provided bitmap.
///
/// # Invariants
///
/// - `capacity <= PASID_SPACE` and `capacity <= words.len() * 64`.
/// - Bit `p` of the bitmap (word `p / 64`, bit `p % 64`) is set iff PASID
///   `p` is allocated; bit [`NO_PASID`] and bits at or above `capacity` are
///   never set.
/// - `count` is the number of set bits.
/// - Every PASID in `FIRST_GLOBAL_PASID..hint` is allocated, and
///   `FIRST_GLOBAL_PASID <= hint <= capacity`.
pub struct PasidBitmap<'a> {
    words: &'a mut [u64],
    capacity: u32,
    count: u32,
    hint: u32,
}

impl<'a> PasidBitmap<'a> {
    /// Creates an empty allocator over `words`, clearing them.
    ///
    /// The allocator manages PASIDs below `min(words.len() * 64, 2^20)`: the
    /// kernel passes [`PASID_WORDS`] words (allocated once at init); tests
    /// pass less. Storage beyond what is needed is left untouched.
    pub fn new(words: &'a mut [u64]) -> Self {
        let capacity = if words.is_empty() {
            // Only PASID 0, which is never handed out: every allocation
            // fails with `NoSpace`.
            FIRST_GLOBAL_PASID
        } else {
            let bits = words.len().saturating_mul(64).min(PASID_SPACE as usize);
            // `bits <= PASID_SPACE` fits `u32`.
            u32::try_from(bits).unwrap_or(PASID_SPACE)
        };
        let used = (capacity.div_ceil(64) as usize).min(words.len());
        for w in &mut words[..used] {
            *w = 0;
        }
        PasidBitmap {
            words,
            capacity,
            count: 0,
            hint: FIRST_GLOBAL_PASID,
        }
    }

    /// One past the largest PASID this allocator can hand out.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Number of allocated PASIDs.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether `pasid` is allocated. Out-of-range values are not.
    pub fn is_allocated(&self, pasid: u32) -> bool {
        if pasid >= self.capacity {
            return false;
        }
        let (w, b) = split(pasid);
        self.words.get(w).is_some_and(|word| word & (1 << b) != 0)
    }

    /// Allocates the lowest free PASID in `[FIRST_GLOBAL_PASID, limit)`.
    ///
    /// `limit` is the device's `max_pasids`; values above the allocator's
    /// capacity are clamped. Returns [`PasidError::NoSpace`] when the range
    /// is empty (`limit <= 1`, including a device without PASID support) or
    /// full, like `iommu_alloc_global_pasid()` returning
    /// `IOMMU_PASID_INVALID` and `iommu_sva_bind_device()` turning it into
    /// `-ENOSPC`.
    ///
    /// Worst case one pass over the words from the hint.
    pub fn alloc(&mut self, limit: u32) -> Result<u32, PasidError> {
        let limit = limit.min(self.capacity);
        if self.hint >= limit {
            return Err(PasidError::NoSpace);
        }
        let pasid = self.find_free_from(self.hint).ok_or(PasidError::NoSpace)?;
        // Every PASID below `pasid` (from the hint) is allocated: the hint
        // invariant holds for `pasid`, whether or not it fits the limit.
        self.hint = pasid;
        if pasid >= limit {
            return Err(PasidError::NoSpace);
        }
        let (w, b) = split(pasid);
        if let Some(word) = self.words.get_mut(w) {
            *word |= 1 << b;
        } else {
            return Err(PasidError::NoSpace);
        }
        self.count = self.count.saturating_add(1);
        // `pasid < limit <= capacity <= 2^20`: no overflow.
        self.hint = pasid.saturating_add(1);
        Ok(pasid)
    }

    /// Frees `pasid`.
    ///
    /// Returns [`PasidError::Invalid`] for [`NO_PASID`], values out of range
    /// and PASIDs that are not allocated (where `ida_free()` would warn), and
    /// leaves the allocator unchanged.
    pub fn free(&mut self, pasid: u32) -> Result<(), PasidError> {
        if pasid == NO_PASID || !self.is_allocated(pasid) {
            return Err(PasidError::Invalid);
        }
        let (w, b) = split(pasid);
        if let Some(word) = self.words.get_mut(w) {
            *word &= !(1 << b);
        }
        self.count = self.count.saturating_sub(1);
        if pasid < self.hint {
            self.hint = pasid;
        }
        Ok(())
    }

    /// Checks that an already allocated `pasid` fits a device with
    /// `max_pasids` PASIDs (`-EOVERFLOW` otherwise), the test 6.12 applies
    /// when an mm that already has a PASID is bound to another device.
    pub fn check_fits(pasid: u32, max_pasids: u32) -> Result<(), PasidError> {
        if pasid < max_pasids {
            Ok(())
        } else {
            Err(PasidError::Overflow)
        }
    }

    /// The lowest clear bit at or above `from` and below the capacity.
    fn find_free_from(&self, from: u32) -> Option<u32> {
        let (first_word, first_bit) = split(from);
        let last_word = (self.capacity.div_ceil(64) as usize).min(self.words.len());
        let mut w = first_word;
        // Bits below `first_bit` of the first word are ignored.
        let mut ignore: u64 = (1u64 << first_bit).wrapping_sub(1);
        while w < last_word {
            let free = !(self.words[w] | ignore);
            if free != 0 {
                let bit = free.trailing_zeros();
                let pasid = u32::try_from(w).ok()?.checked_mul(64)?.checked_add(bit)?;
                return (pasid < self.capacity).then_some(pasid);
            }
            ignore = 0;
            w += 1;
        }
        None
    }
}

/// Word index and bit index of `pasid`.
fn split(pasid: u32) -> (usize, u32) {
    ((pasid / 64) as usize, pasid % 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_first_and_reuse() {
        let mut storage = [0u64; 2];
        let mut a = PasidBitmap::new(&mut storage);
        assert_eq!(a.capacity(), 128);
        assert_eq!(a.alloc(128), Ok(1));
        assert_eq!(a.alloc(128), Ok(2));
        assert_eq!(a.alloc(128), Ok(3));
        assert_eq!(a.free(2), Ok(()));
        assert_eq!(a.alloc(128), Ok(2));
        assert_eq!(a.alloc(4), Err(PasidError::NoSpace));
        assert_eq!(a.alloc(5), Ok(4));
        assert_eq!(a.count(), 4);
        assert_eq!(a.free(0), Err(PasidError::Invalid));
        assert_eq!(a.free(9), Err(PasidError::Invalid));
        assert_eq!(a.free(1000), Err(PasidError::Invalid));
    }

    #[test]
    fn empty_storage_and_no_pasid_device() {
        let mut storage = [0u64; 0];
        let mut a = PasidBitmap::new(&mut storage);
        assert_eq!(a.alloc(u32::MAX), Err(PasidError::NoSpace));
        let mut storage = [u64::MAX; 1];
        let mut a = PasidBitmap::new(&mut storage);
        assert_eq!(a.alloc(0), Err(PasidError::NoSpace));
        assert_eq!(a.alloc(1), Err(PasidError::NoSpace));
        assert_eq!(a.alloc(2), Ok(1));
    }

    #[test]
    fn fills_whole_space() {
        let mut storage = [0u64; 4];
        let mut a = PasidBitmap::new(&mut storage);
        for p in 1..256 {
            assert_eq!(a.alloc(u32::MAX), Ok(p));
        }
        assert_eq!(a.alloc(u32::MAX), Err(PasidError::NoSpace));
        assert_eq!(a.count(), 255);
    }
}
