// SPDX-License-Identifier: GPL-2.0

//! Printing messages attributed to a device (`dev_info()` and friends).
//!
//! C header: [`include/linux/dev_printk.h`](srctree/include/linux/dev_printk.h)

use crate::{bindings, device::Device, ffi::c_void};
use core::fmt;

/// Kernel log levels, as the `KERN_*` prefixes of the C API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// `KERN_ERR`.
    Err,
    /// `KERN_WARNING`.
    Warning,
    /// `KERN_NOTICE`.
    Notice,
    /// `KERN_INFO`.
    Info,
    /// `KERN_DEBUG`.
    Debug,
}

impl Level {
    fn prefix(self) -> &'static [u8] {
        match self {
            Level::Err => b"\x013\0",
            Level::Warning => b"\x014\0",
            Level::Notice => b"\x015\0",
            Level::Info => b"\x016\0",
            Level::Debug => b"\x017\0",
        }
    }
}

/// Prints `args` at `level`, prefixed with the driver and device name.
///
/// Prefer the [`dev_err!`], [`dev_warn!`], [`dev_info!`] macros.
pub fn dev_printk(level: Level, dev: &Device, args: fmt::Arguments<'_>) {
    // SAFETY: the level and format strings are NUL-terminated; `%pA` makes
    // printk call back into Rust with a pointer to `args`, which outlives the
    // call; `dev` is a valid device.
    unsafe {
        bindings::_dev_printk(
            level.prefix().as_ptr().cast(),
            dev.as_raw(),
            crate::c_str!("%pA").as_char_ptr(),
            core::ptr::addr_of!(args).cast::<c_void>(),
        )
    };
}

/// Prints an error message attributed to a device.
#[macro_export]
macro_rules! dev_err {
    ($dev:expr, $($arg:tt)*) => {
        $crate::dev_printk::dev_printk($crate::dev_printk::Level::Err, $dev, format_args!($($arg)*))
    };
}

/// Prints a warning attributed to a device.
#[macro_export]
macro_rules! dev_warn {
    ($dev:expr, $($arg:tt)*) => {
        $crate::dev_printk::dev_printk($crate::dev_printk::Level::Warning, $dev, format_args!($($arg)*))
    };
}

/// Prints an informational message attributed to a device.
#[macro_export]
macro_rules! dev_info {
    ($dev:expr, $($arg:tt)*) => {
        $crate::dev_printk::dev_printk($crate::dev_printk::Level::Info, $dev, format_args!($($arg)*))
    };
}
