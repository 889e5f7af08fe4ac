// SPDX-License-Identifier: GPL-2.0

//! Probe of one SMMUv3 instance: register mapping, identification, and the
//! quiescent state the SMMU is left in.

use crate::hw::regs::{offsets, Aidr, Cr0, Features, Gbpa, IdRegs, Idr0, Idr1, Idr3, Idr5, Iidr};
use kernel::{
    bindings, c_str, debugfs, dev_err, dev_info, device::Device, io_mem::IoMem, platform,
    prelude::*, str::CString, types::ARef,
};

/// Size of the register file the driver needs: pages 0 and 1.
const SMMU_REG_SIZE: usize = 0x20000;

/// How long to wait for `CR0ACK`/`GBPA.Update`, in microseconds.
const ACK_TIMEOUT_US: u32 = 1_000_000;

/// Smallest command queue (log2 entries) the driver will run with.
const MIN_CMDQ_LOG2: u8 = 2;

kernel::of_id_table!(SMMU_OF_TABLE, (), [(c_str!("arm,smmu-v3"), ())]);

/// One probed SMMUv3.
pub(crate) struct SmmuV3 {
    regs: IoMem,
    dev: ARef<Device>,
    _debugfs: Option<debugfs::Dir>,
}

impl platform::Driver for SmmuV3 {
    type IdInfo = ();
    const NAME: &'static CStr = c_str!("arm-smmu-v3-rs");
    const OF_ID_TABLE: kernel::of::IdTable<()> = SMMU_OF_TABLE;

    fn probe(pdev: &platform::Device, _info: Option<&'static ()>) -> Result<Pin<KBox<Self>>> {
        let dev: ARef<Device> = pdev.as_dev().into();
        let regs = pdev.ioremap_resource(0, SMMU_REG_SIZE).inspect_err(|e| {
            dev_err!(
                &dev,
                "cannot map {SMMU_REG_SIZE:#x} bytes of registers: {e:?}\n"
            );
        })?;

        let ids = read_id_regs(&regs)?;
        let features = Features::decode(&ids);
        dev_info!(&dev, "{features}\n");
        if let Err(why) = features.check_usable(MIN_CMDQ_LOG2) {
            dev_err!(&dev, "unsupported SMMU, not using it: {why:?}\n");
            return Err(ENODEV);
        }

        quiesce(&regs, &dev)?;
        dev_info!(
            &dev,
            "translation not implemented yet: SMMU left disabled, DMA from devices behind it bypasses it (GBPA.ABORT=0)\n"
        );

        let debugfs = debugfs_dir(&dev, &ids, &features)
            .inspect_err(|e| dev_info!(&dev, "no debugfs entries: {e:?}\n"))
            .ok();

        Ok(KBox::pin(
            Self {
                regs,
                dev,
                _debugfs: debugfs,
            },
            GFP_KERNEL,
        )?)
    }
}

impl Drop for SmmuV3 {
    fn drop(&mut self) {
        // The SMMU was never enabled; keep it quiescent for whoever probes
        // it next.
        let _ = quiesce(&self.regs, &self.dev);
    }
}

fn read_id_regs(regs: &IoMem) -> Result<IdRegs> {
    Ok(IdRegs {
        idr0: Idr0::from_raw(regs.read32_relaxed(offsets::IDR0)?),
        idr1: Idr1::from_raw(regs.read32_relaxed(offsets::IDR1)?),
        idr3: Idr3::from_raw(regs.read32_relaxed(offsets::IDR3)?),
        idr5: Idr5::from_raw(regs.read32_relaxed(offsets::IDR5)?),
        iidr: Iidr::from_raw(regs.read32_relaxed(offsets::IIDR)?),
        aidr: Aidr::from_raw(regs.read32_relaxed(offsets::AIDR)?),
    })
}

/// Polls `cond` every microsecond until it holds or `ACK_TIMEOUT_US` passes.
fn poll(mut cond: impl FnMut() -> Result<bool>) -> Result {
    for _ in 0..ACK_TIMEOUT_US {
        if cond()? {
            return Ok(());
        }
        // SAFETY: busy-wait with no preconditions.
        unsafe { bindings::__udelay(1) };
    }
    Err(Error::from_errno(-(bindings::ETIMEDOUT as i32)))
}

/// Disables the SMMU (every `SMMU_CR0` enable off, acknowledged) and makes
/// incoming transactions bypass it, through the `SMMU_GBPA` update protocol.
fn quiesce(regs: &IoMem, dev: &Device) -> Result {
    let cr0 = Cr0::from_raw(regs.read32_relaxed(offsets::CR0)?);
    if cr0.raw() != 0 {
        dev_info!(dev, "SMMU was left enabled ({cr0:?}); disabling\n");
        regs.write32(0, offsets::CR0)?;
        poll(|| Ok(regs.read32_relaxed(Cr0::ACK_OFFSET)? == 0)).inspect_err(|_| {
            dev_err!(dev, "CR0ACK did not clear\n");
        })?;
    }

    poll(|| Ok(!Gbpa::from_raw(regs.read32_relaxed(offsets::GBPA)?).update()))?;
    let gbpa = Gbpa::from_raw(regs.read32_relaxed(offsets::GBPA)?);
    if gbpa.abort() {
        regs.write32(
            gbpa.with_abort(false).with_update(true).raw(),
            offsets::GBPA,
        )?;
        poll(|| Ok(!Gbpa::from_raw(regs.read32_relaxed(offsets::GBPA)?).update()))
            .inspect_err(|_| dev_err!(dev, "GBPA update did not complete\n"))?;
    }
    Ok(())
}

/// `/sys/kernel/debug/iommu/arm-smmu-v3-rs/<device>/{features,idr}`.
fn debugfs_dir(dev: &Device, ids: &IdRegs, features: &Features) -> Result<debugfs::Dir> {
    let root = debugfs::PersistentDir::in_iommu(c_str!("arm-smmu-v3-rs"))?;
    let mut dir = root.subdir(dev.name_cstr())?;
    dir.add_text(
        c_str!("features"),
        CString::try_from_fmt(format_args!("{features}\n"))?,
    )?;
    dir.add_text(
        c_str!("idr"),
        CString::try_from_fmt(format_args!(
            "IDR0 {:#010x}\nIDR1 {:#010x}\nIDR3 {:#010x}\nIDR5 {:#010x}\nIIDR {:#010x}\nAIDR {:#010x}\n",
            ids.idr0.raw(),
            ids.idr1.raw(),
            ids.idr3.raw(),
            ids.idr5.raw(),
            ids.iidr.raw(),
            ids.aidr.raw()
        ))?,
    )?;
    Ok(dir)
}
