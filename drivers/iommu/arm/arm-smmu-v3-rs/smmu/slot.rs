// SPDX-License-Identifier: GPL-2.0

//! Raw access to one live 512-bit entry (a stream table entry or a context
//! descriptor) in coherent memory the SMMU reads.

use core::marker::PhantomData;

use crate::hw::bits::ENTRY_QWORDS;
use crate::hw::cd::Cd;
use crate::hw::ste::Ste;
use crate::hw::writer::Entry;
use crate::smmu::backend::{CoherentBuf, MemFault};
use crate::smmu::error::SmmuError;

/// One live entry of type `E`, at byte offset `off` of `buf`, for the ID
/// `id` (a StreamID for an STE, a SubstreamID for a CD).
///
/// # Invariants
///
/// `off + 64 <= buf.size()`: the whole entry lies inside the buffer.
pub struct EntrySlot<'a, B, E> {
    buf: &'a B,
    off: usize,
    id: u32,
    _entry: PhantomData<E>,
}

/// The live STE of one StreamID.
pub type SteSlot<'a, B> = EntrySlot<'a, B, Ste>;

/// The live CD of one SubstreamID.
pub type CdSlot<'a, B> = EntrySlot<'a, B, Cd>;

impl<'a, B: CoherentBuf, E: Entry> EntrySlot<'a, B, E> {
    /// A slot for the entry at `off` in `buf`; the caller has checked that
    /// the entry lies inside the buffer.
    pub(crate) fn new(buf: &'a B, off: usize, id: u32) -> Self {
        // INVARIANT: guaranteed by the caller (table geometry).
        Self {
            buf,
            off,
            id,
            _entry: PhantomData,
        }
    }

    /// The address the SMMU reads the entry from.
    pub fn dma_addr(&self) -> u64 {
        self.buf.dma_addr().saturating_add(self.off as u64)
    }

    /// Reads qword `index` (0..8).
    pub fn read_qword(&self, index: usize) -> Result<u64, SmmuError> {
        Ok(self.buf.read_u64(self.qword_off(index)?)?)
    }

    /// Writes qword `index` (0..8) with one 64-bit store, without any
    /// invalidation (and, for a CD, without updating its table's count of
    /// valid CDs: for tests and debugging only).
    pub fn write_qword(&self, index: usize, value: u64) -> Result<(), SmmuError> {
        Ok(self.buf.write_u64(self.qword_off(index)?, value)?)
    }

    /// Reads the whole entry (not atomically: qword by qword).
    pub fn read(&self) -> Result<E, SmmuError> {
        let mut q = [0u64; ENTRY_QWORDS];
        for (i, w) in q.iter_mut().enumerate() {
            *w = self.read_qword(i)?;
        }
        Ok(E::from_qwords(q))
    }

    /// Whether the live entry is valid (its `V` bit, in qword 0).
    pub(crate) fn is_valid(&self) -> Result<bool, SmmuError> {
        let mut q = [0u64; ENTRY_QWORDS];
        q[0] = self.read_qword(0)?;
        Ok(E::from_qwords(q).is_valid())
    }

    /// The buffer (for its `dma_wmb`).
    pub fn buf(&self) -> &B {
        self.buf
    }

    fn qword_off(&self, index: usize) -> Result<usize, SmmuError> {
        if index >= ENTRY_QWORDS {
            return Err(SmmuError::Mem(MemFault {
                offset: self.off.saturating_add(index.saturating_mul(8)),
            }));
        }
        Ok(self.off + index * 8)
    }
}

impl<B: CoherentBuf> EntrySlot<'_, B, Ste> {
    /// The StreamID.
    pub fn sid(&self) -> u32 {
        self.id
    }
}

impl<B: CoherentBuf> EntrySlot<'_, B, Cd> {
    /// The SubstreamID.
    pub fn ssid(&self) -> u32 {
        self.id
    }
}
