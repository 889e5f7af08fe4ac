// SPDX-License-Identifier: GPL-2.0

//! Caller-provided keyed storage.
//!
//! The SVA core cannot allocate, yet the number of mms, bonds and domains it
//! tracks is only bounded by the PASID space. It therefore keeps that state
//! in containers the caller provides through [`Map`]:
//!
//! - in the kernel, the glue implements [`Map`] with `kernel::rbtree::RBTree`
//!   (or an `XArray` for integer keys). `insert` may allocate with
//!   `GFP_KERNEL`; the glue calls the core under a mutex, so sleeping is
//!   allowed. An allocation failure is reported as [`StorageFull`], which
//!   the core turns into `-ENOMEM` and unwinds cleanly;
//! - on the host, and for small fixed-size configurations, [`ArrayMap`] is
//!   a fixed-capacity map over an inline array (no allocation at all).
//!
//! The core never iterates a [`Map`]: every lookup is by key, so a tree or
//! radix-tree implementation gives O(log n) operations.

/// The storage behind a [`Map`] is exhausted (`-ENOMEM` for the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageFull;

/// A keyed container provided by the caller.
///
/// Implementations must behave like a map: after `insert(k, v)` returned
/// `Ok`, `get(&k)` returns `v` until `remove(&k)`. The core only inserts
/// absent keys; an implementation may treat inserting a present key as a
/// replacement.
pub trait Map<K, V> {
    /// The value stored under `key`.
    fn get(&self, key: &K) -> Option<&V>;
    /// The value stored under `key`, mutably.
    fn get_mut(&mut self, key: &K) -> Option<&mut V>;
    /// Stores `value` under the absent `key`; fails when out of storage.
    fn insert(&mut self, key: K, value: V) -> Result<(), StorageFull>;
    /// Removes and returns the value stored under `key`.
    fn remove(&mut self, key: &K) -> Option<V>;
    /// Number of stored entries.
    fn len(&self) -> usize;
    /// Whether the map is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fixed-capacity [`Map`] over an inline array of `N` slots.
///
/// Operations are O(N): meant for tests and small tables (for example a few
/// dozen devices), not for the PASID-sized ones.
///
/// # Invariants
///
/// No two occupied slots hold equal keys, and `len` is the number of
/// occupied slots.
pub struct ArrayMap<K, V, const N: usize> {
    slots: [Option<(K, V)>; N],
    len: usize,
}

impl<K, V, const N: usize> ArrayMap<K, V, N> {
    /// An empty map.
    pub fn new() -> Self {
        ArrayMap {
            slots: core::array::from_fn(|_| None),
            len: 0,
        }
    }

    /// The fixed capacity `N`.
    pub fn capacity(&self) -> usize {
        N
    }

    /// Iterates over the stored entries, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots
            .iter()
            .filter_map(|s| s.as_ref().map(|(k, v)| (k, v)))
    }
}

impl<K, V, const N: usize> Default for ArrayMap<K, V, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: PartialEq, V, const N: usize> Map<K, V> for ArrayMap<K, V, N> {
    fn get(&self, key: &K) -> Option<&V> {
        self.slots.iter().find_map(|s| match s {
            Some((k, v)) if k == key => Some(v),
            _ => None,
        })
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.slots.iter_mut().find_map(|s| match s {
            Some((k, v)) if k == key => Some(v),
            _ => None,
        })
    }

    fn insert(&mut self, key: K, value: V) -> Result<(), StorageFull> {
        if let Some(v) = self.get_mut(&key) {
            *v = value;
            return Ok(());
        }
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.is_none())
            .ok_or(StorageFull)?;
        *slot = Some((key, value));
        self.len += 1;
        Ok(())
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| matches!(s, Some((k, _)) if k == key))?;
        let (_, v) = slot.take()?;
        self.len -= 1;
        Some(v)
    }

    fn len(&self) -> usize {
        self.len
    }
}
