// SPDX-License-Identifier: GPL-2.0

//! Index arithmetic of the circular command, event and PRI queues
//! (IHI 0070 §3.5 "Command and Event queues", and the `SMMU_*Q_PROD` /
//! `SMMU_*Q_CONS` register descriptions).
//!
//! A queue has `2^n` entries, `n` being the `LOG2SIZE` field of its base
//! register (0 to 19). Its PROD and CONS values are 32-bit register images:
//!
//! * bits `[n-1:0]`: index of the entry (WR / RD);
//! * bit `n`: wrap flag, toggled each time the index wraps to 0;
//! * bit 31: overflow flag (`OVFLG` in the producer, `OVACKFLG` in the
//!   consumer of the event and PRI queues);
//! * bits `[30:n+1]`: zero, except `SMMU_CMDQ_CONS.ERR` in bits `[30:24]`.
//!
//! The queue is empty when index and wrap of PROD and CONS are equal, and
//! full when the indexes are equal but the wrap flags differ.
//!
//! All functions take arbitrary `u32` values without panicking; only
//! [`Queue::validate`] rejects values with stray bits, which is how the
//! driver must treat values read back from hardware.

use core::fmt;

/// Largest supported `LOG2SIZE` (`SMMU_IDR1.CMDQS`/`EVENTQS`/`PRIQS` are at
/// most 19).
pub const MAX_LOG2SIZE: u32 = 19;

/// Overflow flag of a PROD/CONS value, bit 31.
pub const Q_OVERFLOW_FLAG: u32 = 1 << 31;

/// Size of a command queue entry in bytes.
pub const CMDQ_ENTRY_BYTES: usize = 16;
/// Size of an event queue entry in bytes.
pub const EVTQ_ENTRY_BYTES: usize = 32;
/// Size of a PRI queue entry in bytes.
pub const PRIQ_ENTRY_BYTES: usize = 16;

/// Error from queue arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// `LOG2SIZE` above [`MAX_LOG2SIZE`].
    BadSize(u32),
    /// A PROD/CONS value has bits set between the wrap flag and bit 31
    /// (outside any bits the caller said to ignore).
    StrayBits(u32),
    /// PROD is more than one queue size ahead of CONS.
    Inconsistent {
        /// Producer value.
        prod: u32,
        /// Consumer value.
        cons: u32,
    },
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            QueueError::BadSize(n) => write!(f, "queue LOG2SIZE {n} too large"),
            QueueError::StrayBits(v) => write!(f, "queue pointer {v:#x} has stray bits"),
            QueueError::Inconsistent { prod, cons } => {
                write!(f, "queue prod {prod:#x} and cons {cons:#x} inconsistent")
            }
        }
    }
}

/// Geometry of one circular queue.
///
/// # Invariants
///
/// `log2size <= MAX_LOG2SIZE`, so `1 << (log2size + 1)` fits in a `u32` well
/// below the overflow flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Queue {
    log2size: u32,
}

impl Queue {
    /// Queue of `2^log2size` entries.
    pub const fn new(log2size: u32) -> Result<Queue, QueueError> {
        if log2size > MAX_LOG2SIZE {
            Err(QueueError::BadSize(log2size))
        } else {
            Ok(Queue { log2size })
        }
    }

    /// Queue of `2^min(log2size, MAX_LOG2SIZE)` entries: a `LOG2SIZE` read
    /// from a register is capped to the largest supported size, as an SMMU
    /// caps a programmed size to its `IDR1` maximum. Never fails.
    pub const fn clamped(log2size: u32) -> Queue {
        let log2size = if log2size > MAX_LOG2SIZE {
            MAX_LOG2SIZE
        } else {
            log2size
        };
        Queue { log2size }
    }

    /// `LOG2SIZE`.
    pub const fn log2size(&self) -> u32 {
        self.log2size
    }

    /// Number of entries, `2^LOG2SIZE`.
    pub const fn entries(&self) -> u32 {
        1 << self.log2size
    }

    /// Mask of the index bits.
    pub const fn index_mask(&self) -> u32 {
        self.entries() - 1
    }

    /// The wrap flag bit.
    pub const fn wrap_bit(&self) -> u32 {
        self.entries()
    }

    /// Mask of the index and wrap bits.
    const fn wrap_index_mask(&self) -> u32 {
        (self.entries() << 1) - 1
    }

    /// Index part (`Q_IDX`).
    pub const fn index(&self, p: u32) -> u32 {
        p & self.index_mask()
    }

    /// Wrap flag (`Q_WRP`).
    pub const fn wrap(&self, p: u32) -> bool {
        p & self.wrap_bit() != 0
    }

    /// Overflow flag (`Q_OVF`).
    pub const fn ovf(&self, p: u32) -> bool {
        p & Q_OVERFLOW_FLAG != 0
    }

    /// Builds a value from its parts.
    pub const fn make(&self, index: u32, wrap: bool, ovf: bool) -> u32 {
        (index & self.index_mask())
            | if wrap { self.wrap_bit() } else { 0 }
            | if ovf { Q_OVERFLOW_FLAG } else { 0 }
    }

    /// Checks a value read from a PROD/CONS register: bits between the wrap
    /// flag and bit 31 must be zero unless they are in `ignore` (pass
    /// `0x7f00_0000` for `SMMU_CMDQ_CONS`, whose ERR field lives there).
    /// Returns the value with the ignored bits cleared.
    pub const fn validate(&self, raw: u32, ignore: u32) -> Result<u32, QueueError> {
        let stray = raw & !self.wrap_index_mask() & !Q_OVERFLOW_FLAG & !ignore;
        if stray != 0 {
            Err(QueueError::StrayBits(raw))
        } else {
            Ok(raw & (self.wrap_index_mask() | Q_OVERFLOW_FLAG))
        }
    }

    /// Whether the queue is empty.
    pub const fn is_empty(&self, prod: u32, cons: u32) -> bool {
        (prod ^ cons) & self.wrap_index_mask() == 0
    }

    /// Whether the queue is full.
    pub const fn is_full(&self, prod: u32, cons: u32) -> bool {
        (prod ^ cons) & self.wrap_index_mask() == self.wrap_bit()
    }

    /// Number of entries between CONS and PROD (produced, not yet
    /// consumed). Fails if the values are more than a queue apart, which
    /// only garbage can produce.
    pub const fn used(&self, prod: u32, cons: u32) -> Result<u32, QueueError> {
        let d = prod.wrapping_sub(cons) & self.wrap_index_mask();
        if d > self.entries() {
            Err(QueueError::Inconsistent { prod, cons })
        } else {
            Ok(d)
        }
    }

    /// Number of free entries.
    pub const fn free(&self, prod: u32, cons: u32) -> Result<u32, QueueError> {
        match self.used(prod, cons) {
            Ok(u) => Ok(self.entries() - u),
            Err(e) => Err(e),
        }
    }

    /// Whether `n` more entries can be produced (`queue_has_space`).
    pub const fn has_space(&self, prod: u32, cons: u32, n: u32) -> bool {
        match self.free(prod, cons) {
            Ok(f) => f >= n,
            Err(_) => false,
        }
    }

    /// Advances index and wrap of `p` by `n` entries, keeping its overflow
    /// flag and clearing any other bits (`queue_inc_prod_n`). `n` may be
    /// larger than the queue.
    pub const fn advance(&self, p: u32, n: u32) -> u32 {
        let wi = (p & self.wrap_index_mask()).wrapping_add(n) & self.wrap_index_mask();
        wi | (p & Q_OVERFLOW_FLAG)
    }

    /// Advances by one entry (`queue_inc_cons`).
    pub const fn inc(&self, p: u32) -> u32 {
        self.advance(p, 1)
    }

    /// Whether a consumer at `cons` has consumed the entry at `target`
    /// (`queue_consumed`): true when `cons` is strictly past `target`, given
    /// that `target` was produced at most one queue size before.
    pub const fn consumed(&self, cons: u32, target: u32) -> bool {
        let (ci, ti) = (self.index(cons), self.index(target));
        if self.wrap(cons) == self.wrap(target) {
            ci > ti
        } else {
            ci <= ti
        }
    }

    /// Consumer value acknowledging the producer's overflow flag
    /// (`queue_sync_cons_ovf`): `cons` with bit 31 copied from `prod`.
    pub const fn ack_overflow(&self, cons: u32, prod: u32) -> u32 {
        (cons & !Q_OVERFLOW_FLAG) | (prod & Q_OVERFLOW_FLAG)
    }

    /// Whether a newly read producer value reports an overflow the
    /// consumer has not acknowledged (bit 31 differs).
    pub const fn overflowed(&self, prod: u32, cons: u32) -> bool {
        (prod ^ cons) & Q_OVERFLOW_FLAG != 0
    }

    /// Byte offset of the entry `p` points at, for entries of `entry_bytes`
    /// bytes ([`CMDQ_ENTRY_BYTES`], [`EVTQ_ENTRY_BYTES`],
    /// [`PRIQ_ENTRY_BYTES`]). At most `2^19 * entry_bytes`, saturating.
    pub const fn offset(&self, p: u32, entry_bytes: usize) -> usize {
        (self.index(p) as usize).saturating_mul(entry_bytes)
    }

    /// Size in bytes of the whole queue for entries of `entry_bytes` bytes,
    /// saturating.
    pub const fn bytes(&self, entry_bytes: usize) -> usize {
        (self.entries() as usize).saturating_mul(entry_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_entry_queue() {
        let q = Queue::new(0).unwrap();
        assert!(q.is_empty(0, 0));
        let p = q.inc(0);
        assert_eq!(p, 1);
        assert!(q.is_full(p, 0));
        assert_eq!(q.inc(p), 0);
    }

    #[test]
    fn clamped_caps_the_size() {
        for n in 0..=MAX_LOG2SIZE {
            assert_eq!(Queue::clamped(n), Queue::new(n).unwrap());
        }
        for n in [MAX_LOG2SIZE + 1, 31, 32, u32::MAX] {
            assert_eq!(Queue::clamped(n).log2size(), MAX_LOG2SIZE);
        }
    }
}
