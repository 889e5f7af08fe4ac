// SPDX-License-Identifier: GPL-2.0

//! Kernel error numbers used by the SVA core.
//!
//! The values are the generic Linux ones (`include/uapi/asm-generic/errno*.h`),
//! identical on every architecture this project targets. The glue turns an
//! [`Errno`] into a kernel `Error` with `Error::from_errno(-e.get())`.

/// A positive Linux error number.
///
/// # Invariants
///
/// The value is in `1..=4095`, the range the kernel accepts as an error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(u16);

impl Errno {
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(1);
    /// No such entry.
    pub const ENOENT: Errno = Errno(2);
    /// Out of memory (caller storage exhausted).
    pub const ENOMEM: Errno = Errno(12);
    /// Resource busy.
    pub const EBUSY: Errno = Errno(16);
    /// No such device.
    pub const ENODEV: Errno = Errno(19);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(22);
    /// No space left (PASID space exhausted).
    pub const ENOSPC: Errno = Errno(28);
    /// Value too large (PASID does not fit the device).
    pub const EOVERFLOW: Errno = Errno(75);
    /// Operation not supported.
    pub const EOPNOTSUPP: Errno = Errno(95);

    /// Builds an error number from a positive or negative kernel error code.
    ///
    /// Returns `None` for 0 and for values outside the kernel's error range
    /// (`1..=4095` in absolute value), so a value coming from a driver can
    /// never produce an invalid [`Errno`].
    pub const fn new(code: i32) -> Option<Errno> {
        let abs = code.unsigned_abs();
        if abs >= 1 && abs <= 4095 {
            // The range check makes the cast lossless.
            Some(Errno(abs as u16))
        } else {
            None
        }
    }

    /// The positive error number.
    pub fn get(self) -> i32 {
        i32::from(self.0)
    }

    /// The negative value a kernel function returns (`-EINVAL`, ...).
    pub fn to_kernel(self) -> i32 {
        -i32::from(self.0)
    }
}
