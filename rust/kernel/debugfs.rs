// SPDX-License-Identifier: GPL-2.0

//! Debug filesystem directories and read-only text files.
//!
//! C header: [`include/linux/debugfs.h`](srctree/include/linux/debugfs.h)
//!
//! A [`Dir`] owns its directory and everything created in it: dropping it
//! removes the directory recursively *before* freeing the contents of its
//! files, so a reader can never see freed memory.

use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    bindings,
    error::{code::*, Result},
    str::{CStr, CString},
};

/// A debugfs directory that is never removed, shared by every user that
/// names it (for example one directory per driver, holding one
/// subdirectory per device).
///
/// # Invariants
///
/// `dentry` is a debugfs directory that nobody removes while the kernel
/// runs, or null when debugfs is unavailable.
#[derive(Clone, Copy)]
pub struct PersistentDir {
    dentry: *mut bindings::dentry,
}

// SAFETY: the directory is never removed; the pointer is only a handle.
unsafe impl Send for PersistentDir {}
// SAFETY: as above.
unsafe impl Sync for PersistentDir {}

impl PersistentDir {
    /// Finds or creates `name` in the IOMMU subsystem's debugfs directory
    /// (`/sys/kernel/debug/iommu/`).
    #[cfg(CONFIG_IOMMU_DEBUGFS)]
    pub fn in_iommu(name: &CStr) -> Result<Self> {
        // SAFETY: creates `/sys/kernel/debug/iommu` once; safe to repeat.
        unsafe { bindings::iommu_debugfs_setup() };
        // SAFETY: set by the call above (null if debugfs is unavailable,
        // which the calls below accept as the debugfs root).
        let parent = unsafe { bindings::iommu_debugfs_dir };
        // SAFETY: `name` is NUL-terminated and `parent` a directory or null.
        let found = unsafe { bindings::debugfs_lookup(name.as_char_ptr(), parent) };
        if !found.is_null() {
            // The lookup took a reference; the directory is never removed
            // (type invariant), so the reference is not needed to keep it.
            // SAFETY: dropping the reference `debugfs_lookup` returned.
            unsafe { bindings::dput(found) };
            return Ok(Self { dentry: found });
        }
        // SAFETY: as above.
        let dentry = unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), parent) };
        if crate::error::from_err_ptr(dentry).is_err() {
            return Err(ENOENT);
        }
        Ok(Self { dentry })
    }

    /// Creates the removable subdirectory `name`.
    pub fn subdir(&self, name: &CStr) -> Result<Dir> {
        Dir::create(name, self.dentry)
    }
}

/// A debugfs directory and the text files in it.
///
/// # Invariants
///
/// `dentry` is a directory created by `debugfs_create_dir` (or null when
/// debugfs is unavailable, in which case nothing was created). Every entry of
/// `blobs` backs a file in that directory, and stays allocated and unmoved
/// until the directory is removed.
pub struct Dir {
    dentry: *mut bindings::dentry,
    blobs: KVec<KBox<Blob>>,
}

struct Blob {
    wrapper: bindings::debugfs_blob_wrapper,
    _text: CString,
}

// SAFETY: the dentry pointer and blobs are only used at creation and drop.
unsafe impl Send for Dir {}
// SAFETY: `&Dir` only allows creating files, which debugfs serialises.
unsafe impl Sync for Dir {}

impl Dir {
    /// Creates the subdirectory `name` of `self`.
    pub fn subdir(&self, name: &CStr) -> Result<Self> {
        Self::create(name, self.dentry)
    }

    fn create(name: &CStr, parent: *mut bindings::dentry) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated; `parent` is a directory or null.
        let dentry = unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), parent) };
        if crate::error::from_err_ptr(dentry).is_err() {
            return Err(ENOENT);
        }
        // INVARIANT: a fresh directory with no files.
        Ok(Self {
            dentry,
            blobs: KVec::new(),
        })
    }

    /// Adds a read-only file `name` whose contents are `text`.
    pub fn add_text(&mut self, name: &CStr, text: CString) -> Result {
        let mut blob = KBox::new(
            Blob {
                // SAFETY: plain data, filled in below.
                wrapper: unsafe { core::mem::zeroed() },
                _text: text,
            },
            GFP_KERNEL,
        )?;
        let (data, size) = (blob._text.as_bytes().as_ptr(), blob._text.len());
        blob.wrapper.data = data as *mut _;
        blob.wrapper.size = size as _;
        self.blobs.push(blob, GFP_KERNEL)?;
        let last = self.blobs.len() - 1;
        let wrapper = core::ptr::addr_of_mut!(self.blobs[last].wrapper);
        // SAFETY: `wrapper` and the text it points to live in a `KBox` that
        // is freed only after the directory (and so this file) is removed.
        let f = unsafe {
            bindings::debugfs_create_blob(name.as_char_ptr(), 0o444, self.dentry, wrapper)
        };
        if crate::error::from_err_ptr(f).is_err() {
            return Err(ENOENT);
        }
        Ok(())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: removes the directory created in `create` and all files in
        // it; after this no reader can reach the blobs, which are freed when
        // `self.blobs` drops right after.
        unsafe { bindings::debugfs_remove(self.dentry) };
    }
}
