// SPDX-License-Identifier: GPL-2.0

//! Rust SVA client sample.
//!
//! Shows how a Rust driver lets its device work on a process's address
//! space with [`kernel::iommu::sva`]: enable I/O page faults and SVA on the
//! device, bind the process's mm, hand the PASID to the device, and learn
//! when the process exits before the driver unbinds.
//!
//! The "device" is the mock IOMMU's spare device (`iommu-sva-rs-mock-dev.3`,
//! from `CONFIG_IOMMU_SVA_RS_MOCK`), so the sample runs under any machine.
//! Reading `/sys/kernel/debug/iommu/sva-client/client/bind` binds the reader's
//! address space and keeps the bond, as a driver would while its device
//! works for the process; the next read first drops the previous bond.
//! Each read reports:
//!
//! ```text
//! pasid=<PASID> again=<PASID of a second bind> exits=<N> exit_pasid=<P>
//! ```
//!
//! `exits` counts the processes that exited while bound (the mm-exit
//! callback), `exit_pasid` is the PASID of the last one.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::bindings;
use kernel::c_str;
use kernel::debugfs::{Dir, PersistentDir};
use kernel::device::Device;
use kernel::iommu::sva::{Bond, Feature, FeatureGuard, Mm, MmExit};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::types::ARef;

module! {
    type: SvaClient,
    name: "rust_sva_client",
    author: "iommu-sva-rs developers",
    description: "Rust SVA client sample",
    license: "GPL",
}

/// The device this sample drives.
const DEVICE_NAME: &CStr = c_str!("iommu-sva-rs-mock-dev.3");

/// What a device driver keeps while its device works for a process.
struct Session {
    // Dropped in this order: unbind, then disable SVA, then IOPF.
    bond: Bond,
    _sva: FeatureGuard,
    _iopf: FeatureGuard,
}

/// Told by the SVA core when a bound process exits.
struct ExitCounter(Arc<Stats>);

struct Stats {
    exits: AtomicU32,
    exit_pasid: AtomicU32,
}

impl MmExit for ExitCounter {
    fn mm_exit(&self, pasid: u32) {
        // A real driver would stop its device's work on `pasid` here.
        self.0.exit_pasid.store(pasid, Ordering::Relaxed);
        self.0.exits.fetch_add(1, Ordering::Relaxed);
    }
}

#[pin_data]
struct Client {
    stats: Arc<Stats>,
    #[pin]
    session: Mutex<Option<Session>>,
}

/// Finds the device by name on the platform bus.
fn find_device() -> Result<ARef<Device>> {
    // SAFETY: Static bus; `device_match_name` takes our NUL-terminated name.
    let dev = unsafe {
        bindings::bus_find_device(
            &bindings::platform_bus_type,
            core::ptr::null_mut(),
            DEVICE_NAME.as_char_ptr().cast(),
            Some(bindings::device_match_name),
        )
    };
    let dev = core::ptr::NonNull::new(dev).ok_or(ENODEV)?;
    // SAFETY: The `ARef` takes over `bus_find_device`'s reference.
    Ok(unsafe { ARef::from_raw(dev.cast()) })
}

impl Client {
    /// Binds the reading process (a driver's "open" path).
    fn start(&self, dev: &Device) -> Result<Session> {
        let iopf = FeatureGuard::enable(dev, Feature::Iopf)?;
        let sva = FeatureGuard::enable(dev, Feature::Sva)?;
        let mm = Mm::current().ok_or(ESRCH)?;
        let bond = Bond::bind_with_exit(dev, &mm, ExitCounter(self.stats.clone()))?;
        Ok(Session {
            bond,
            _sva: sva,
            _iopf: iopf,
        })
    }

    fn bind_reader(&self, f: &mut fmt::Formatter<'_>) -> Result<fmt::Result> {
        let dev = find_device()?;
        let mut session = self.session.lock();
        // The previous process's bond, even if that process exited: the
        // unbind still works after the mm is gone.
        *session = None;
        let s = self.start(&dev)?;
        // Binding the same mm again shares the bond and its PASID.
        let mm = Mm::current().ok_or(ESRCH)?;
        let again = Bond::bind(&dev, &mm)?;
        let res = writeln!(
            f,
            "pasid={} again={} exits={} exit_pasid={}",
            s.bond.pasid(),
            again.pasid(),
            self.stats.exits.load(Ordering::Relaxed),
            self.stats.exit_pasid.load(Ordering::Relaxed)
        );
        *session = Some(s);
        Ok(res)
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bind_reader(f) {
            Ok(res) => res,
            Err(e) => writeln!(f, "error={}", e.to_errno()),
        }
    }
}

struct SvaClient {
    _dir: Dir,
}

impl kernel::Module for SvaClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let stats = Arc::new(
            Stats {
                exits: AtomicU32::new(0),
                exit_pasid: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )?;
        let client = Arc::pin_init(
            pin_init!(Client {
                stats,
                session <- new_mutex!(None, "rust_sva_client"),
            }),
            GFP_KERNEL,
        )?;
        let mut dir = PersistentDir::in_iommu(c_str!("sva-client"))?.subdir(c_str!("client"))?;
        dir.add_display(c_str!("bind"), client)?;
        pr_info!("reading /sys/kernel/debug/iommu/sva-client/client/bind binds the reader\n");
        Ok(SvaClient { _dir: dir })
    }
}
