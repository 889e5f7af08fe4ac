// SPDX-License-Identifier: GPL-2.0

//! Interrupt handlers.
//!
//! C header: [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h)
//!
//! A [`ThreadedRegistration`] requests an interrupt line with a hard-IRQ
//! handler and a thread function, both methods of a shared handler object.
//! Dropping the registration frees the line, which waits for running
//! handlers to return, so the handler object outlives every call.

use crate::{
    bindings,
    error::{to_result, Result},
    ffi::{c_int, c_void},
    str::CStr,
    sync::Arc,
};

/// What a handler did with an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqReturn {
    /// Not ours.
    None,
    /// Handled.
    Handled,
    /// Handled in part; run the thread function.
    WakeThread,
}

impl IrqReturn {
    fn into_raw(self) -> bindings::irqreturn_t {
        match self {
            IrqReturn::None => bindings::irqreturn_IRQ_NONE,
            IrqReturn::Handled => bindings::irqreturn_IRQ_HANDLED,
            IrqReturn::WakeThread => bindings::irqreturn_IRQ_WAKE_THREAD,
        }
    }
}

/// A handler with a hard-IRQ half and a threaded half.
pub trait ThreadedHandler: Send + Sync + 'static {
    /// Runs in hard-IRQ context; must not sleep. The default wakes the
    /// thread.
    fn handle(&self) -> IrqReturn {
        IrqReturn::WakeThread
    }

    /// Runs in the IRQ thread; may sleep.
    fn thread_fn(&self) -> IrqReturn;
}

/// An interrupt line requested for a [`ThreadedHandler`].
///
/// # Invariants
///
/// The line `irq` is requested with `dev_id` equal to the address of the
/// object `handler` points to, until drop.
pub struct ThreadedRegistration<T: ThreadedHandler> {
    irq: u32,
    handler: Arc<T>,
}

/// # Safety
///
/// Called only by the IRQ core, with the `dev_id` registered with the line.
unsafe extern "C" fn hard_irq<T: ThreadedHandler>(
    _irq: c_int,
    dev_id: *mut c_void,
) -> bindings::irqreturn_t {
    // SAFETY: `dev_id` is the handler registered with this line, alive until
    // `free_irq` returns (type invariant of `ThreadedRegistration`).
    let h = unsafe { &*(dev_id as *const T) };
    h.handle().into_raw()
}

/// # Safety
///
/// Called only by the IRQ core, with the `dev_id` registered with the line.
unsafe extern "C" fn thread_fn<T: ThreadedHandler>(
    _irq: c_int,
    dev_id: *mut c_void,
) -> bindings::irqreturn_t {
    // SAFETY: as in `hard_irq`.
    let h = unsafe { &*(dev_id as *const T) };
    h.thread_fn().into_raw()
}

impl<T: ThreadedHandler> ThreadedRegistration<T> {
    /// Requests `irq` for `handler`; `name` shows in `/proc/interrupts` and
    /// must live as long as the registration (use a static string).
    pub fn new(irq: u32, name: &'static CStr, flags: u64, handler: Arc<T>) -> Result<Self> {
        let dev_id = &*handler as *const T as *mut c_void;
        // SAFETY: the callbacks match the C prototypes; `dev_id` stays valid
        // because `self` keeps `handler` alive until after `free_irq`.
        to_result(unsafe {
            bindings::request_threaded_irq(
                irq,
                Some(hard_irq::<T>),
                Some(thread_fn::<T>),
                flags as _,
                name.as_char_ptr(),
                dev_id,
            )
        })?;
        // INVARIANT: requested above with this handler.
        Ok(Self { irq, handler })
    }

    /// The handler object.
    pub fn handler(&self) -> &Arc<T> {
        &self.handler
    }
}

impl<T: ThreadedHandler> Drop for ThreadedRegistration<T> {
    fn drop(&mut self) {
        let dev_id = &*self.handler as *const T as *mut c_void;
        // SAFETY: the line was requested with this `dev_id` (type invariant);
        // `free_irq` waits for running handlers before returning.
        unsafe { bindings::free_irq(self.irq, dev_id) };
    }
}

/// Interrupts are disabled on the local CPU until this guard is dropped
/// (`local_irq_save`/`local_irq_restore`).
///
/// Take it before a lock that code running in hard-IRQ context may also
/// take, and drop it after the lock guard.
///
/// # Invariants
///
/// `flags` is the value `local_irq_save` returned on this CPU; the guard is
/// not `Send`, so it is restored on the same CPU.
pub struct LocalIrqDisabled {
    flags: crate::ffi::c_ulong,
    _not_send: core::marker::PhantomData<*mut ()>,
}

/// Disables interrupts on the local CPU until the returned guard drops.
pub fn local_irq_save() -> LocalIrqDisabled {
    // SAFETY: no preconditions; the flags are restored by the guard.
    let flags = unsafe { bindings::sva_rs_local_irq_save() };
    LocalIrqDisabled {
        flags,
        _not_send: core::marker::PhantomData,
    }
}

impl Drop for LocalIrqDisabled {
    fn drop(&mut self) {
        // SAFETY: `flags` came from `local_irq_save` on this CPU (invariant).
        unsafe { bindings::local_irq_restore(self.flags) };
    }
}
