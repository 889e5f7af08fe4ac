// SPDX-License-Identifier: GPL-2.0

//! The register file: reads, writes and their side effects, queue
//! geometry, interrupt signalling and global errors.

use super::{bump, ModelConfig, Smmu};
use crate::hw::bits::genmask;
use crate::hw::mem::PhysMem;
use crate::hw::queue::{Queue, Q_OVERFLOW_FLAG};
use crate::hw::regs::{
    offsets as off, CmdqCons, CmdqProd, Cr0, Cr2, Gbpa, Gerror, IrqCtrl, REG_FRAME_SIZE,
};

/// Writable bits of `SMMU_CR1`.
const CR1_MASK: u32 = 0xfff;
/// Writable bits of `SMMU_GBPA` (without `Update`).
const GBPA_MASK: u32 = 0x001f_3f1f;
/// `SMMU_*_IRQ_CFG0.ADDR`.
const IRQ_ADDR_MASK: u64 = genmask(51, 2);
/// `SMMU_*_IRQ_CFG2`: `SH` and `MemAttr`.
const IRQ_CFG2_MASK: u32 = 0x3f;
/// `SMMU_STRTAB_BASE`: `RA` and `ADDR`.
const STRTAB_BASE_MASK: u64 = (1 << 62) | genmask(51, 6);
/// `SMMU_STRTAB_BASE_CFG`: `FMT`, `SPLIT`, `LOG2SIZE`.
const STRTAB_CFG_MASK: u32 = 0x3_07ff;
/// `SMMU_*Q_BASE`: `RA`/`WA`, `ADDR`, `LOG2SIZE`.
const QBASE_MASK: u64 = (1 << 62) | genmask(51, 5) | 0x1f;
/// Queue base address field, bits [51:5].
const QBASE_ADDR: u64 = genmask(51, 5);
/// The `WR`/`RD` index field of the queue pointer registers.
pub(super) const QPTR_MASK: u32 = CmdqProd::WR_MASK;

/// MSI configuration of one interrupt source.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MsiCfg {
    pub(super) addr: u64,
    pub(super) data: u32,
    pub(super) attr: u32,
}

/// One queue's base, producer and consumer registers.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct QueueRegs {
    pub(super) base: u64,
    pub(super) prod: u32,
    pub(super) cons: u32,
}

impl QueueRegs {
    /// The queue geometry: `LOG2SIZE` capped to the implemented maximum.
    pub(super) fn queue(&self, max_log2: u8) -> Queue {
        // LOG2SIZE is 5 bits; max_log2 is at most 19 (sanitised config).
        let l = ((self.base & 0x1f) as u32).min(u32::from(max_log2));
        Queue::clamped(l)
    }

    /// Physical address of the entry `p` points at, for `entry_bytes`
    /// entries. The base is aligned down to the queue size, as an
    /// implementation may ignore low address bits of a misaligned base.
    pub(super) fn entry_addr(&self, q: &Queue, p: u32, entry_bytes: usize) -> u64 {
        let size = q.bytes(entry_bytes) as u64;
        let base = self.base & QBASE_ADDR & !size.saturating_sub(1);
        base.wrapping_add(q.offset(p, entry_bytes) as u64)
    }
}

/// The SMMU's registers.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RegFile {
    pub(super) cr0: u32,
    pub(super) cr1: u32,
    pub(super) cr2: u32,
    pub(super) gbpa: u32,
    pub(super) irq_ctrl: u32,
    pub(super) gerror: u32,
    pub(super) gerrorn: u32,
    pub(super) gerror_irq: MsiCfg,
    pub(super) strtab_base: u64,
    pub(super) strtab_base_cfg: u32,
    pub(super) cmdq: QueueRegs,
    pub(super) eventq: QueueRegs,
    pub(super) eventq_irq: MsiCfg,
    pub(super) priq: QueueRegs,
    pub(super) priq_irq: MsiCfg,
}

impl RegFile {
    /// The reset state.
    pub(super) fn reset(cfg: &ModelConfig) -> Self {
        Self {
            gbpa: if cfg.gbpa_abort_at_reset {
                Gbpa::ABORT_BIT
            } else {
                0
            },
            ..Self::default()
        }
    }

    pub(super) fn cr0(&self) -> Cr0 {
        Cr0::from_raw(self.cr0)
    }

    pub(super) fn cr2(&self) -> Cr2 {
        Cr2::from_raw(self.cr2)
    }
}

/// An interrupt source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IrqLine {
    Eventq,
    Priq,
    Gerror,
}

/// Replaces the low (`hi == false`) or high half of `reg` with `v`.
fn set_half(reg: u64, hi: bool, v: u32) -> u64 {
    if hi {
        (reg & 0xffff_ffff) | (u64::from(v) << 32)
    } else {
        (reg & !0xffff_ffff) | u64::from(v)
    }
}

/// The low (`hi == false`) or high half of `reg`.
fn half(reg: u64, hi: bool) -> u32 {
    if hi {
        (reg >> 32) as u32
    } else {
        reg as u32
    }
}

impl<
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    > Smmu<CFG, TLB, ATC, STALLS, PRIS>
{
    /// Reads the 32-bit register at byte `offset` from the SMMU base.
    ///
    /// Implemented: `IDR0`-`IDR5`, `IIDR`, `AIDR`, `CR0`, `CR0ACK`, `CR1`,
    /// `CR2`, `GBPA`, `IRQ_CTRL`, `IRQ_CTRLACK`, `GERROR`, `GERRORN`, the
    /// three `*_IRQ_CFG0/1/2` sets, `STRTAB_BASE`, `STRTAB_BASE_CFG`, the
    /// `CMDQ`, `EVENTQ` and `PRIQ` `BASE`, `PROD` and `CONS` (the event and
    /// PRI queue `PROD`/`CONS` in page 1 only). A 64-bit register reads as
    /// two 32-bit halves (`offset` and `offset + 4`). Everything else,
    /// including misaligned offsets, reads as zero.
    pub fn read32(&self, offset: usize) -> u32 {
        if offset & 3 != 0 || offset >= REG_FRAME_SIZE {
            return 0;
        }
        let r = &self.regs;
        let hi = offset & 7 == 4;
        let base64 = offset & !7;
        match offset {
            off::IDR0 => return self.ids.idr0.raw(),
            off::IDR1 => return self.ids.idr1.raw(),
            off::IDR3 => return self.ids.idr3.raw(),
            off::IDR5 => return self.ids.idr5.raw(),
            off::IIDR => return self.ids.iidr.raw(),
            off::AIDR => return self.ids.aidr.raw(),
            off::CR0 | off::CR0ACK => return r.cr0,
            off::CR1 => return r.cr1,
            off::CR2 => return r.cr2,
            off::GBPA => return r.gbpa,
            off::IRQ_CTRL | off::IRQ_CTRLACK => return r.irq_ctrl,
            off::GERROR => return r.gerror,
            off::GERRORN => return r.gerrorn,
            off::GERROR_IRQ_CFG1 => return r.gerror_irq.data,
            off::GERROR_IRQ_CFG2 => return r.gerror_irq.attr,
            off::STRTAB_BASE_CFG => return r.strtab_base_cfg,
            off::CMDQ_PROD => return r.cmdq.prod,
            off::CMDQ_CONS => return r.cmdq.cons,
            off::EVENTQ_IRQ_CFG1 => return r.eventq_irq.data,
            off::EVENTQ_IRQ_CFG2 => return r.eventq_irq.attr,
            off::PRIQ_IRQ_CFG1 => return r.priq_irq.data,
            off::PRIQ_IRQ_CFG2 => return r.priq_irq.attr,
            off::EVENTQ_PROD => return r.eventq.prod,
            off::EVENTQ_CONS => return r.eventq.cons,
            off::PRIQ_PROD => return r.priq.prod,
            off::PRIQ_CONS => return r.priq.cons,
            _ => {}
        }
        match base64 {
            off::GERROR_IRQ_CFG0 => half(r.gerror_irq.addr, hi),
            off::STRTAB_BASE => half(r.strtab_base, hi),
            off::CMDQ_BASE => half(r.cmdq.base, hi),
            off::EVENTQ_BASE => half(r.eventq.base, hi),
            off::EVENTQ_IRQ_CFG0 => half(r.eventq_irq.addr, hi),
            off::PRIQ_BASE => half(r.priq.base, hi),
            off::PRIQ_IRQ_CFG0 => half(r.priq_irq.addr, hi),
            _ => 0,
        }
    }

    /// Reads 64 bits at `offset`: a 64-bit register, or two adjacent 32-bit
    /// registers (low word first).
    pub fn read64(&self, offset: usize) -> u64 {
        let lo = self.read32(offset);
        let hi = offset.checked_add(4).map_or(0, |o| self.read32(o));
        u64::from(lo) | (u64::from(hi) << 32)
    }

    /// Writes 64 bits at `offset`: a 64-bit register, or two adjacent 32-bit
    /// registers (low word first, with the side effects of each write).
    pub fn write64<M: PhysMem + ?Sized>(&mut self, mem: &M, offset: usize, value: u64) {
        if offset & 7 == 0 && self.write_reg64(offset, value) {
            return;
        }
        self.write32(mem, offset, value as u32);
        if let Some(o) = offset.checked_add(4) {
            self.write32(mem, o, (value >> 32) as u32);
        }
    }

    /// Writes a whole 64-bit register; false if `offset` is not one.
    fn write_reg64(&mut self, offset: usize, value: u64) -> bool {
        match offset {
            off::GERROR_IRQ_CFG0
            | off::STRTAB_BASE
            | off::CMDQ_BASE
            | off::EVENTQ_BASE
            | off::EVENTQ_IRQ_CFG0
            | off::PRIQ_BASE
            | off::PRIQ_IRQ_CFG0 => {
                self.set_reg64(offset, value);
                true
            }
            _ => false,
        }
    }

    /// Stores a 64-bit register, honouring its mask and when it may be
    /// written.
    fn set_reg64(&mut self, offset: usize, value: u64) {
        let cr0 = self.regs.cr0();
        let (slot, mask, writable) = match offset {
            off::GERROR_IRQ_CFG0 => (&mut self.regs.gerror_irq.addr, IRQ_ADDR_MASK, true),
            off::EVENTQ_IRQ_CFG0 => (&mut self.regs.eventq_irq.addr, IRQ_ADDR_MASK, true),
            off::PRIQ_IRQ_CFG0 => (&mut self.regs.priq_irq.addr, IRQ_ADDR_MASK, true),
            off::STRTAB_BASE => (&mut self.regs.strtab_base, STRTAB_BASE_MASK, !cr0.smmuen()),
            off::CMDQ_BASE => (&mut self.regs.cmdq.base, QBASE_MASK, !cr0.cmdqen()),
            off::EVENTQ_BASE => (&mut self.regs.eventq.base, QBASE_MASK, !cr0.eventqen()),
            off::PRIQ_BASE => (&mut self.regs.priq.base, QBASE_MASK, !cr0.priqen()),
            _ => return,
        };
        if writable {
            *slot = value & mask;
        } else {
            bump(&mut self.stats.ignored_writes);
        }
    }

    /// Writes the 32-bit register at byte `offset`, with its side effects:
    /// `CR0` enables (command consumption starts when `CMDQEN` is set,
    /// stalled transactions are aborted when `SMMUEN` is cleared), `GBPA`
    /// with `Update`, `GERRORN` acknowledgements (a command queue error
    /// acknowledged restarts consumption at `CMDQ_CONS`), `CMDQ_PROD`
    /// (commands are consumed synchronously), and the event and PRI queue
    /// `CONS` registers (overflow acknowledgement). Writes to read-only or
    /// unknown registers are ignored.
    pub fn write32<M: PhysMem + ?Sized>(&mut self, mem: &M, offset: usize, value: u32) {
        if offset & 3 != 0 || offset >= REG_FRAME_SIZE {
            return;
        }
        let cr0 = self.regs.cr0();
        match offset {
            off::CR0 => return self.write_cr0(mem, value),
            off::CR1 => {
                if cr0.smmuen() || cr0.cmdqen() || cr0.eventqen() || cr0.priqen() {
                    bump(&mut self.stats.ignored_writes);
                } else {
                    self.regs.cr1 = value & CR1_MASK;
                }
                return;
            }
            off::CR2 => {
                if cr0.smmuen() {
                    bump(&mut self.stats.ignored_writes);
                } else {
                    let mut v = Cr2::from_raw(0).with_recinvsid(Cr2::from_raw(value).recinvsid());
                    if self.cfg.btm {
                        v = v.with_ptm(Cr2::from_raw(value).ptm());
                    }
                    if self.cfg.hyp {
                        v = v.with_e2h(Cr2::from_raw(value).e2h());
                    }
                    self.regs.cr2 = v.raw();
                }
                return;
            }
            off::GBPA => {
                if Gbpa::from_raw(value).update() {
                    self.regs.gbpa = value & GBPA_MASK;
                } else {
                    bump(&mut self.stats.ignored_writes);
                }
                return;
            }
            off::IRQ_CTRL => {
                let mut v = value & 0b101;
                if self.cfg.pri {
                    v |= value & 0b010;
                }
                self.regs.irq_ctrl = v;
                return;
            }
            off::GERRORN => {
                self.regs.gerrorn = value & Gerror::ERR_MASK;
                // An acknowledged command queue error restarts consumption.
                self.process_cmdq(mem);
                return;
            }
            off::GERROR_IRQ_CFG1 => {
                self.regs.gerror_irq.data = value;
                return;
            }
            off::GERROR_IRQ_CFG2 => {
                self.regs.gerror_irq.attr = value & IRQ_CFG2_MASK;
                return;
            }
            off::EVENTQ_IRQ_CFG1 => {
                self.regs.eventq_irq.data = value;
                return;
            }
            off::EVENTQ_IRQ_CFG2 => {
                self.regs.eventq_irq.attr = value & IRQ_CFG2_MASK;
                return;
            }
            off::PRIQ_IRQ_CFG1 => {
                self.regs.priq_irq.data = value;
                return;
            }
            off::PRIQ_IRQ_CFG2 => {
                self.regs.priq_irq.attr = value & IRQ_CFG2_MASK;
                return;
            }
            off::STRTAB_BASE_CFG => {
                if cr0.smmuen() {
                    bump(&mut self.stats.ignored_writes);
                } else {
                    self.regs.strtab_base_cfg = value & STRTAB_CFG_MASK;
                }
                return;
            }
            off::CMDQ_PROD => {
                self.regs.cmdq.prod = value & QPTR_MASK;
                self.process_cmdq(mem);
                return;
            }
            off::CMDQ_CONS => {
                if cr0.cmdqen() {
                    bump(&mut self.stats.ignored_writes);
                } else {
                    self.regs.cmdq.cons = value & QPTR_MASK;
                }
                return;
            }
            off::EVENTQ_PROD => {
                if cr0.eventqen() {
                    bump(&mut self.stats.ignored_writes);
                } else {
                    self.regs.eventq.prod = value & (QPTR_MASK | Q_OVERFLOW_FLAG);
                }
                return;
            }
            off::EVENTQ_CONS => {
                self.regs.eventq.cons = value & (QPTR_MASK | Q_OVERFLOW_FLAG);
                return;
            }
            off::PRIQ_PROD => {
                if cr0.priqen() {
                    bump(&mut self.stats.ignored_writes);
                } else {
                    self.regs.priq.prod = value & (QPTR_MASK | Q_OVERFLOW_FLAG);
                }
                return;
            }
            off::PRIQ_CONS => {
                self.regs.priq.cons = value & (QPTR_MASK | Q_OVERFLOW_FLAG);
                return;
            }
            _ => {}
        }
        let base64 = offset & !7;
        if self.is_reg64(base64) {
            let hi = offset & 7 == 4;
            let cur = self.reg64(base64);
            self.set_reg64(base64, set_half(cur, hi, value));
        } else {
            bump(&mut self.stats.ignored_writes);
        }
    }

    fn is_reg64(&self, offset: usize) -> bool {
        matches!(
            offset,
            off::GERROR_IRQ_CFG0
                | off::STRTAB_BASE
                | off::CMDQ_BASE
                | off::EVENTQ_BASE
                | off::EVENTQ_IRQ_CFG0
                | off::PRIQ_BASE
                | off::PRIQ_IRQ_CFG0
        )
    }

    fn reg64(&self, offset: usize) -> u64 {
        u64::from(self.read32(offset)) | (u64::from(self.read32(offset + 4)) << 32)
    }

    fn write_cr0<M: PhysMem + ?Sized>(&mut self, mem: &M, value: u32) {
        let mut mask = Cr0::CMDQEN_BIT | Cr0::EVENTQEN_BIT | Cr0::SMMUEN_BIT;
        if self.cfg.pri {
            mask |= Cr0::PRIQEN_BIT;
        }
        if self.cfg.ats {
            mask |= Cr0::ATSCHK_BIT;
        }
        let old = self.regs.cr0();
        self.regs.cr0 = value & mask;
        let new = self.regs.cr0();
        if old.smmuen() && !new.smmuen() {
            self.abort_all_stalls();
        }
        if !old.cmdqen() && new.cmdqen() {
            self.process_cmdq(mem);
        }
    }

    /// Whether `SMMU_CR0.SMMUEN` is set.
    pub(super) fn smmu_enabled(&self) -> bool {
        self.regs.cr0().smmuen()
    }

    /// Geometry of the command queue.
    pub(super) fn cmdq_queue(&self) -> Queue {
        self.regs.cmdq.queue(self.cfg.cmdqs)
    }

    /// Whether global error `bit` is active (`GERROR` and `GERRORN`
    /// differ).
    pub(super) fn gerror_active(&self, bit: u32) -> bool {
        (self.regs.gerror ^ self.regs.gerrorn) & bit != 0
    }

    /// Activates global error `bit` (toggles it in `GERROR`) unless it is
    /// already active, and signals the GERROR interrupt.
    pub(super) fn raise_gerror<M: PhysMem + ?Sized>(&mut self, mem: &M, bit: u32) {
        if self.gerror_active(bit) {
            return;
        }
        self.regs.gerror ^= bit & Gerror::ERR_MASK;
        self.signal(mem, IrqLine::Gerror);
    }

    /// Stops the command queue with error `code` (`CMDQ_CONS.ERR`).
    pub(super) fn cmdq_error<M: PhysMem + ?Sized>(&mut self, mem: &M, code: u32) {
        bump(&mut self.stats.command_errors);
        let cons = self.regs.cmdq.cons & QPTR_MASK;
        self.regs.cmdq.cons = cons | ((code << CmdqCons::ERR.lo()) & CmdqCons::ERR_MASK);
        self.raise_gerror(mem, Gerror::CMDQ_ERR_BIT);
    }

    /// Signals interrupt `line` if enabled in `IRQ_CTRL`: counts it and, if
    /// MSIs are implemented and configured, performs the MSI write.
    pub(super) fn signal<M: PhysMem + ?Sized>(&mut self, mem: &M, line: IrqLine) {
        let ctrl = IrqCtrl::from_raw(self.regs.irq_ctrl);
        let (enabled, msi, abt_bit) = match line {
            IrqLine::Eventq => (
                ctrl.eventq_irqen(),
                self.regs.eventq_irq,
                Gerror::MSI_EVENTQ_ABT_ERR_BIT,
            ),
            IrqLine::Priq => (
                ctrl.priq_irqen(),
                self.regs.priq_irq,
                Gerror::MSI_PRIQ_ABT_ERR_BIT,
            ),
            IrqLine::Gerror => (
                ctrl.gerror_irqen(),
                self.regs.gerror_irq,
                Gerror::MSI_GERROR_ABT_ERR_BIT,
            ),
        };
        if !enabled {
            return;
        }
        match line {
            IrqLine::Eventq => bump(&mut self.irqs.eventq),
            IrqLine::Priq => bump(&mut self.irqs.priq),
            IrqLine::Gerror => bump(&mut self.irqs.gerror),
        }
        if self.cfg.msi && msi.addr != 0 && !self.msi_write(mem, msi.addr, msi.data) {
            let bit = abt_bit;
            if line == IrqLine::Gerror {
                // No further interrupt for a failed GERROR MSI.
                if !self.gerror_active(bit) {
                    self.regs.gerror ^= bit;
                }
            } else {
                self.raise_gerror(mem, bit);
            }
        }
    }

    /// Performs a 32-bit MSI write; false if it aborted.
    pub(super) fn msi_write<M: PhysMem + ?Sized>(&mut self, mem: &M, addr: u64, data: u32) -> bool {
        match mem.write_bytes(addr, &data.to_le_bytes()) {
            Ok(()) => {
                bump(&mut self.irqs.msi_writes);
                true
            }
            Err(_) => {
                bump(&mut self.stats.msi_aborts);
                false
            }
        }
    }
}
