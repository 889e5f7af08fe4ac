// SPDX-License-Identifier: GPL-2.0

//! Fixed-capacity storage for the model's caches and tables.
//!
//! Real SMMU caches have a fixed number of entries, and so do these: a
//! [`Slots`] holds at most `N` values in an inline array, with no
//! allocation. Lookups are linear scans (the capacities are small).
//!
//! # Eviction policy
//!
//! [`Slots::insert`] uses the first free slot; when every slot is in use it
//! evicts round-robin: a victim index advances by one slot on every
//! eviction, so the oldest-filled slot of a steadily full cache goes first
//! (FIFO behaviour). Evicting a cache entry is always harmless for the
//! configuration cache, TLB and ATC: the next access refetches. Tables that
//! must not lose entries (stalled transactions, pending page requests) use
//! [`Slots::try_insert`] instead, which refuses when full.

/// At most `N` values of `T`, in an inline array.
///
/// # Invariants
///
/// `victim < N` whenever `N > 0`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slots<T: Copy, const N: usize> {
    slots: [Option<T>; N],
    victim: usize,
}

impl<T: Copy, const N: usize> Slots<T, N> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self {
            slots: [None; N],
            victim: 0,
        }
    }

    /// Number of values held.
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Whether every slot is in use (always true with no slots).
    pub(crate) fn is_full(&self) -> bool {
        self.slots.iter().all(|s| s.is_some())
    }

    /// The first value satisfying `pred`.
    pub(crate) fn find(&self, mut pred: impl FnMut(&T) -> bool) -> Option<&T> {
        self.slots.iter().flatten().find(|v| pred(v))
    }

    /// The first value satisfying `pred`, mutably.
    pub(crate) fn find_mut(&mut self, mut pred: impl FnMut(&T) -> bool) -> Option<&mut T> {
        self.slots.iter_mut().flatten().find(|v| pred(v))
    }

    /// Iterates over the values held.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }

    /// Iterates mutably over the values held.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().flatten()
    }

    /// Stores `value` in a free slot; returns it back if the table is full.
    pub(crate) fn try_insert(&mut self, value: T) -> Result<(), T> {
        match self.slots.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(value);
                Ok(())
            }
            None => Err(value),
        }
    }

    /// Stores `value`, evicting round-robin if the table is full; returns
    /// the evicted value. With no slots at all the value is dropped.
    pub(crate) fn insert(&mut self, value: T) -> Option<T> {
        let value = match self.try_insert(value) {
            Ok(()) => return None,
            Err(v) => v,
        };
        if N == 0 {
            return None;
        }
        let i = self.victim % N;
        self.victim = (i + 1) % N;
        self.slots[i].replace(value)
    }

    /// Removes every value satisfying `pred`; returns how many.
    pub(crate) fn remove_where(&mut self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let mut n = 0;
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(&mut pred) {
                *slot = None;
                n += 1;
            }
        }
        n
    }

    /// Removes and returns the first value satisfying `pred`.
    pub(crate) fn take(&mut self, mut pred: impl FnMut(&T) -> bool) -> Option<T> {
        self.slots
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(&mut pred))
            .and_then(Option::take)
    }

    /// Removes everything.
    pub(crate) fn clear(&mut self) {
        self.slots = [None; N];
        self.victim = 0;
    }
}

impl<T: Copy, const N: usize> Default for Slots<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_then_evicts_round_robin() {
        let mut s: Slots<u32, 3> = Slots::new();
        assert_eq!(s.insert(1), None);
        assert_eq!(s.insert(2), None);
        assert_eq!(s.insert(3), None);
        assert!(s.is_full());
        assert_eq!(s.insert(4), Some(1));
        assert_eq!(s.insert(5), Some(2));
        assert_eq!(s.remove_where(|v| *v == 3), 1);
        assert_eq!(s.insert(6), None);
        assert_eq!(s.len(), 3);
        assert_eq!(s.try_insert(7), Err(7));
        assert_eq!(s.take(|v| *v == 5), Some(5));
        assert!(s.find(|v| *v == 5).is_none());
    }

    #[test]
    fn zero_capacity_never_panics() {
        let mut s: Slots<u8, 0> = Slots::new();
        assert_eq!(s.insert(1), None);
        assert_eq!(s.try_insert(1), Err(1));
        assert_eq!(s.len(), 0);
        assert!(s.is_full());
    }
}
