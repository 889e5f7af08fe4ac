// SPDX-License-Identifier: GPL-2.0

//! The core's [`Map`] over a kernel red-black tree.

use crate::sva::map::{Map, StorageFull};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::rbtree::RBTree;

/// A [`Map`] backed by [`RBTree`]; inserting allocates with `GFP_KERNEL`.
///
/// # Invariants
///
/// `len` is the number of entries of `tree`.
pub(crate) struct TreeMap<K, V> {
    tree: RBTree<K, V>,
    len: usize,
}

impl<K: Ord, V> TreeMap<K, V> {
    /// An empty map.
    pub(crate) fn new() -> Self {
        TreeMap {
            tree: RBTree::new(),
            len: 0,
        }
    }
}

impl<K: Ord, V> Map<K, V> for TreeMap<K, V> {
    fn get(&self, key: &K) -> Option<&V> {
        self.tree.get(key)
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.tree.get_mut(key)
    }

    fn insert(&mut self, key: K, value: V) -> Result<(), StorageFull> {
        match self.tree.try_create_and_insert(key, value, GFP_KERNEL) {
            Ok(None) => {
                self.len += 1;
                Ok(())
            }
            // Replaced a present key: the count is unchanged.
            Ok(Some(_old)) => Ok(()),
            Err(_) => Err(StorageFull),
        }
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let v = self.tree.remove(key);
        if v.is_some() {
            self.len -= 1;
        }
        v
    }

    fn len(&self) -> usize {
        self.len
    }
}
