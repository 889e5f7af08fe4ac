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
    ffi::{c_int, c_void},
    str::{CStr, CString},
    sync::Arc,
    types::ForeignOwnable,
};
use core::{fmt, marker::PhantomData};

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
    /// Data of `add_display` files: a foreign-owned `Arc<T>` and how to
    /// release it.
    owned: KVec<OwnedData>,
}

/// A foreign-owned `Arc<T>` and the function that releases it.
type OwnedData = (*const c_void, unsafe fn(*const c_void));

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
            owned: KVec::new(),
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

impl Dir {
    /// Adds a read-only file `name` whose contents are `data` formatted with
    /// `Display`, anew each time the file is opened.
    pub fn add_display<T: fmt::Display + Send + Sync + 'static>(
        &mut self,
        name: &CStr,
        data: Arc<T>,
    ) -> Result {
        self.owned.reserve(1, GFP_KERNEL)?;
        let ptr = data.into_foreign();
        // SAFETY: `ptr` is released in `drop`, after `debugfs_remove`; read only.
        let f = unsafe {
            bindings::debugfs_create_file(
                name.as_char_ptr(),
                0o444,
                self.dentry,
                ptr as *mut c_void,
                &DisplayFile::<T>::FOPS,
            )
        };
        // Cannot fail: capacity was reserved above.
        let _ = self.owned.push((ptr, release_arc::<T>), GFP_KERNEL);
        if crate::error::from_err_ptr(f).is_err() {
            return Err(ENOENT);
        }
        Ok(())
    }
}

/// # Safety
///
/// `ptr` must come from `Arc::<T>::into_foreign` and not be used afterwards.
unsafe fn release_arc<T: Send + Sync + 'static>(ptr: *const c_void) {
    // SAFETY: guaranteed by the caller.
    drop(unsafe { <Arc<T> as ForeignOwnable>::from_foreign(ptr) });
}

struct DisplayFile<T>(PhantomData<T>);

impl<T: fmt::Display + Send + Sync + 'static> DisplayFile<T> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
        read: Some(bindings::seq_read),
        llseek: Some(bindings::seq_lseek),
        release: Some(bindings::single_release),
        // SAFETY: all-zero is "no operation" for the remaining fields.
        ..unsafe { core::mem::zeroed() }
    };

    /// # Safety
    ///
    /// Called by the VFS with a valid inode and file of a file created by
    /// `add_display::<T>`.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `i_private` is the `T` given to `debugfs_create_file`.
        unsafe { bindings::single_open(file, Some(Self::show), (*inode).i_private) }
    }

    /// # Safety
    ///
    /// Called by `seq_read` with the `seq_file` set up by `open`.
    unsafe extern "C" fn show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: `private` is the directory's `into_foreign` pointer, still held.
        let data = unsafe { <Arc<T> as ForeignOwnable>::borrow((*m).private) };
        let mut w = SeqWriter(m);
        let _ = fmt::write(&mut w, format_args!("{}", &*data));
        0
    }
}

/// Formats into a `seq_file`.
struct SeqWriter(*mut bindings::seq_file);

impl fmt::Write for SeqWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `self.0` is the live `seq_file` of `show`; bytes are copied.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: removes the directory created in `create` and all files in
        // it; after this no reader can reach the blobs or the `Display`
        // data, which are freed right after.
        unsafe { bindings::debugfs_remove(self.dentry) };
        for &(ptr, release) in self.owned.iter() {
            // SAFETY: From `into_foreign` of its type, released once, file gone.
            unsafe { release(ptr) };
        }
    }
}
