// SPDX-License-Identifier: GPL-2.0

//! Access to memory as an SMMU sees it: by physical address.
//!
//! The table walker, the software model and the debug tools read stream
//! tables, context descriptors, page tables and queues through this trait.
//! On the host it is backed by a sparse simulated memory; in the kernel by
//! real memory. All accesses are little-endian (the driver never sets the
//! big-endian ENDI bits).

/// An access that the memory system could not complete.
///
/// For the table walker this becomes an external abort on the walk
/// (`F_WALK_EABT`); for fetches of configuration structures it becomes the
/// corresponding fetch fault (`F_STE_FETCH`, `F_CD_FETCH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalAbort {
    /// The physical address whose access failed.
    pub pa: u64,
}

/// Physical memory as seen by an SMMU.
///
/// Methods take `&self`: implementations use interior mutability, because the
/// memory is shared with the CPU (the driver, and the processes whose page
/// tables are walked) exactly as real memory is.
pub trait PhysMem {
    /// Reads the naturally aligned 64-bit word at `pa`.
    fn read_u64(&self, pa: u64) -> Result<u64, ExternalAbort>;

    /// Writes the naturally aligned 64-bit word at `pa`.
    fn write_u64(&self, pa: u64, value: u64) -> Result<(), ExternalAbort>;

    /// Atomically replaces the 64-bit word at `pa` with `new` if it equals
    /// `old`; returns the value found (equal to `old` on success).
    ///
    /// Used for hardware updates of the Access flag and dirty state (HTTU),
    /// which must not lose a concurrent CPU update of the same descriptor.
    fn compare_exchange_u64(&self, pa: u64, old: u64, new: u64) -> Result<u64, ExternalAbort>;

    /// Reads `buf.len()` bytes starting at `pa`.
    fn read_bytes(&self, pa: u64, buf: &mut [u8]) -> Result<(), ExternalAbort>;

    /// Writes `buf` starting at `pa`.
    fn write_bytes(&self, pa: u64, buf: &[u8]) -> Result<(), ExternalAbort>;
}
