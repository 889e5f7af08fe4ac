// SPDX-License-Identifier: GPL-2.0

//! Open Firmware (device tree) match tables.
//!
//! C header: [`include/linux/mod_devicetable.h`](srctree/include/linux/mod_devicetable.h)
//!
//! A driver declares the `compatible` strings it binds with [`of_id_table!`]
//! and attaches per-entry data of its own type; the bus abstraction hands the
//! data of the matching entry to `probe`.

use crate::{bindings, ffi::c_void, str::CStr};

/// Builds one `struct of_device_id` matching `compatible`, recording
/// `index + 1` in its `data` field (0 means "no match data").
///
/// Used by [`of_id_table!`]; the index selects the entry's driver data.
/// Compatible strings longer than the C field (127 bytes and the NUL) fail at
/// compile time.
pub const fn raw_id(compatible: &CStr, index: usize) -> bindings::of_device_id {
    // SAFETY: `of_device_id` is plain data for which all-zeroes is valid
    // (empty strings, null data pointer).
    let mut id: bindings::of_device_id = unsafe { core::mem::zeroed() };
    let src = compatible.as_bytes_with_nul();
    assert!(
        src.len() <= id.compatible.len(),
        "compatible string too long"
    );
    let mut i = 0;
    while i < src.len() {
        id.compatible[i] = src[i] as _;
        i += 1;
    }
    // The pointer only carries the index and is never dereferenced.
    id.data = core::ptr::null::<c_void>().wrapping_byte_add(index + 1);
    id
}

/// The zeroed entry that terminates a table.
pub const fn raw_id_end() -> bindings::of_device_id {
    // SAFETY: all-zeroes is the documented table terminator.
    unsafe { core::mem::zeroed() }
}

/// A raw, NUL-terminated `of_device_id` array as the driver core wants it.
///
/// # Invariants
///
/// The array ends with an all-zero entry and the `data` field of entry `i`
/// holds `i + 1` (not a pointer). The pointers it contains are never
/// dereferenced by Rust code, and the C side only reads the table.
#[repr(transparent)]
pub struct RawIdArray<const N: usize>(pub [bindings::of_device_id; N]);

// SAFETY: the table is immutable and its `data` fields are indices, not
// pointers to shared state, so sharing it between threads is sound.
unsafe impl<const N: usize> Sync for RawIdArray<N> {}

/// A device tree match table with driver data of type `T` per entry.
///
/// # Invariants
///
/// `raw` points to a [`RawIdArray`] with one entry per element of `info`
/// followed by the terminator, and lives for `'static`.
pub struct IdTable<T: 'static> {
    raw: *const bindings::of_device_id,
    info: &'static [T],
}

// SAFETY: an `IdTable` only refers to immutable `'static` data.
unsafe impl<T: Sync> Sync for IdTable<T> {}
// SAFETY: as above, nothing in it is tied to a thread.
unsafe impl<T: Sync> Send for IdTable<T> {}

impl<T: 'static> IdTable<T> {
    /// Creates a table; used by [`of_id_table!`].
    ///
    /// # Safety
    ///
    /// `raw` must point to a `'static` [`RawIdArray`] whose entries `0..info.len()`
    /// carry their own index plus one in `data`, terminated by [`raw_id_end`].
    pub const unsafe fn new(raw: *const bindings::of_device_id, info: &'static [T]) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { raw, info }
    }

    /// The table in the form `struct device_driver.of_match_table` expects.
    pub fn as_raw(&self) -> *const bindings::of_device_id {
        self.raw
    }

    /// Returns the driver data of the entry whose `data` field is `data`.
    ///
    /// Returns `None` without match data (a device bound without an OF
    /// match) and for a value that is not an entry of this table, so a
    /// match from some other table can never index out of bounds.
    pub fn info_from_match_data(&self, data: *const c_void) -> Option<&'static T> {
        (data as usize)
            .checked_sub(1)
            .and_then(|i| self.info.get(i))
    }
}

/// Declares a device tree match table with per-entry driver data.
///
/// # Examples
///
/// ```
/// use kernel::{c_str, of};
///
/// struct Info {
///     quirks: u32,
/// }
///
/// kernel::of_id_table!(MY_OF_TABLE, Info, [
///     (c_str!("vendor,dev-v1"), Info { quirks: 0 }),
///     (c_str!("vendor,dev-v2"), Info { quirks: 1 }),
/// ]);
/// assert!(!MY_OF_TABLE.as_raw().is_null());
/// ```
#[macro_export]
macro_rules! of_id_table {
    ($name:ident, $info_ty:ty, [$(($compat:expr, $info:expr)),+ $(,)?]) => {
        const $name: $crate::of::IdTable<$info_ty> = {
            const INFO: &[$info_ty] = &[$($info),+];
            const N: usize = INFO.len();
            static RAW: $crate::of::RawIdArray<{ N + 1 }> = {
                let compat: [&$crate::str::CStr; N] = [$($compat),+];
                let mut raw = [$crate::of::raw_id_end(); N + 1];
                let mut i = 0;
                while i < N {
                    raw[i] = $crate::of::raw_id(compat[i], i);
                    i += 1;
                }
                $crate::of::RawIdArray(raw)
            };
            // SAFETY: `RAW` is a `'static` array built above with one entry per
            // element of `INFO`, each carrying its index, then the terminator.
            unsafe { $crate::of::IdTable::new(RAW.0.as_ptr(), INFO) }
        };
    };
}
