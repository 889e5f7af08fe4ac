// SPDX-License-Identifier: GPL-2.0

//! What the modelled SMMU implements, and the ID registers that say so.

use crate::hw::bits::Field;
use crate::hw::queue::MAX_LOG2SIZE;
use crate::hw::regs::{
    Aidr, Features, Httu, IdRegs, Idr0, Idr1, Idr3, Idr5, Iidr, Oas, StallModel,
};

/// The features and sizes of a modelled SMMU.
///
/// Every field maps onto an ID register field (named in its documentation);
/// [`ModelConfig::id_regs`] produces the registers. Values out of their
/// architectural range are clamped when the model is created (see
/// [`ModelConfig::sanitized`]), never rejected, so any value is safe.
///
/// Fixed parts of the model that are not configurable: stage 1 only
/// (`S1P = 1`, `S2P = 0`), AArch64 little-endian tables (`TTF = AArch64`,
/// `TTENDIAN = LE`), coherent table and queue access (`COHACC = 1`), no
/// presets, no ATOS/VATOS, no ECMDQ, no MPAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelConfig {
    /// `IDR1.SIDSIZE`: StreamID bits (at most 32).
    pub sidsize: u8,
    /// `IDR1.SSIDSIZE`: SubstreamID bits (at most 20; 0 disables substreams).
    pub ssidsize: u8,
    /// `IDR0.ST_LVL`: 2-level stream tables.
    pub two_level_strtab: bool,
    /// `IDR0.CD2L`: 2-level CD tables.
    pub cd2l: bool,
    /// `IDR0.PRI`: the PRI queue and `CMD_PRI_RESP`.
    pub pri: bool,
    /// `IDR0.ATS`: ATS translation requests and `CMD_ATC_INV`.
    pub ats: bool,
    /// `IDR0.STALL_MODEL`.
    pub stall_model: StallModel,
    /// `IDR5.STALL_MAX`: stalled transactions outstanding at once (further
    /// capped by the model's stall table capacity).
    pub stall_max: u16,
    /// `IDR0.TERM_MODEL`: terminated transactions are always aborted
    /// (`CD.A` is ignored, RAZ/WI never happens).
    pub term_model: bool,
    /// `IDR3.RIL`: range TLB invalidation.
    pub ril: bool,
    /// `IDR0.BTM`: broadcast TLB maintenance (see
    /// [`Smmu::broadcast_tlbi`](crate::model::Smmu::broadcast_tlbi)).
    pub btm: bool,
    /// `IDR0.HTTU`: hardware Access flag / dirty state updates.
    pub httu: Httu,
    /// `IDR0.MSI`: message signalled interrupts and `CMD_SYNC` MSI writes.
    pub msi: bool,
    /// `IDR0.SEV`: `CMD_SYNC` with `CS = SIG_SEV`.
    pub sev: bool,
    /// `IDR0.HYP`: the EL2 StreamWorld and the `TLBI_EL2_*` commands.
    pub hyp: bool,
    /// `IDR0.ASID16`: 16-bit ASIDs (otherwise ASIDs are 8 bits).
    pub asid16: bool,
    /// `IDR3.STT`: small translation tables.
    pub stt: bool,
    /// `IDR5.VAX`: 52-bit virtual addresses with the 64KB granule.
    pub vax: bool,
    /// `IDR1.CMDQS`: log2 of the largest command queue (at most 19).
    pub cmdqs: u8,
    /// `IDR1.EVENTQS`: log2 of the largest event queue (at most 19).
    pub eventqs: u8,
    /// `IDR1.PRIQS`: log2 of the largest PRI queue (at most 19).
    pub priqs: u8,
    /// `IDR5.OAS`: output address size.
    pub oas: Oas,
    /// `IDR5.GRAN4K`.
    pub gran4k: bool,
    /// `IDR5.GRAN16K`.
    pub gran16k: bool,
    /// `IDR5.GRAN64K`.
    pub gran64k: bool,
    /// `IDR1.ATTR_TYPES_OVR` (advertised only; the model ignores memory
    /// attributes).
    pub attr_types_ovr: bool,
    /// `AIDR.ArchMinorRev`.
    pub arch_minor_rev: u8,
    /// Reset value of `SMMU_GBPA.ABORT`: whether traffic is aborted while
    /// the SMMU is disabled, before software writes `SMMU_GBPA`.
    pub gbpa_abort_at_reset: bool,
}

impl ModelConfig {
    /// An SMMUv3.2 with everything the model can do: 16-bit StreamIDs,
    /// 20-bit SubstreamIDs, 2-level tables, ATS, PRI, stall and terminate,
    /// RIL, BTM, HTTU (access and dirty), MSIs, 48-bit OAS, all granules.
    pub const fn full() -> Self {
        Self {
            sidsize: 16,
            ssidsize: 20,
            two_level_strtab: true,
            cd2l: true,
            pri: true,
            ats: true,
            stall_model: StallModel::StallAndTerminate,
            stall_max: 8,
            term_model: false,
            ril: true,
            btm: true,
            httu: Httu::AccessDirty,
            msi: true,
            sev: true,
            hyp: true,
            asid16: true,
            stt: true,
            vax: false,
            cmdqs: 8,
            eventqs: 7,
            priqs: 7,
            oas: Oas::Bits48,
            gran4k: true,
            gran16k: true,
            gran64k: true,
            attr_types_ovr: true,
            arch_minor_rev: 2,
            gbpa_abort_at_reset: false,
        }
    }

    /// A small SMMUv3.0 close to QEMU's model: linear stream tables, no
    /// substreams, no ATS/PRI, terminate-only, no RIL/BTM/HTTU, wired
    /// interrupts only, 44-bit OAS, 4KB and 64KB granules.
    pub const fn minimal() -> Self {
        Self {
            sidsize: 16,
            ssidsize: 0,
            two_level_strtab: false,
            cd2l: false,
            pri: false,
            ats: false,
            stall_model: StallModel::TerminateOnly,
            stall_max: 0,
            term_model: false,
            ril: false,
            btm: false,
            httu: Httu::None,
            msi: false,
            sev: false,
            hyp: false,
            asid16: true,
            stt: false,
            vax: false,
            cmdqs: 8,
            eventqs: 7,
            priqs: 0,
            oas: Oas::Bits44,
            gran4k: true,
            gran16k: false,
            gran64k: true,
            attr_types_ovr: false,
            arch_minor_rev: 0,
            gbpa_abort_at_reset: false,
        }
    }

    /// The configuration with every size clamped to its architectural range:
    /// `sidsize <= 32`, `ssidsize <= 20`, queue sizes `<= 19`, a reserved
    /// `oas` replaced by 48 bits, and `stall_max` limited to `stall_capacity`
    /// (the model's stall table size) and to 0 without a stall model (as
    /// [`Features::stalls`] decodes it from the ID registers).
    pub fn sanitized(mut self, stall_capacity: usize) -> Self {
        let max_q = MAX_LOG2SIZE as u8;
        self.sidsize = self.sidsize.min(Features::MAX_SIDSIZE);
        self.ssidsize = self.ssidsize.min(Features::MAX_SSIDSIZE);
        self.cmdqs = self.cmdqs.min(max_q);
        self.eventqs = self.eventqs.min(max_q);
        self.priqs = self.priqs.min(max_q);
        self.arch_minor_rev &= 0xf;
        if self.oas.bits().is_none() {
            self.oas = Oas::Bits48;
        }
        let cap = u16::try_from(stall_capacity).unwrap_or(u16::MAX);
        self.stall_max = self.stall_max.min(cap);
        if !self.features().stalls() {
            self.stall_max = 0;
        }
        self
    }

    /// The ID registers describing this configuration.
    pub fn id_regs(&self) -> IdRegs {
        let b = |v: bool| u64::from(v);
        let stall_model = match self.stall_model {
            StallModel::StallAndTerminate => 0,
            StallModel::TerminateOnly => 1,
            StallModel::StallForced => 2,
            StallModel::Reserved(r) => u64::from(r),
        };
        let httu = match self.httu {
            Httu::None => 0,
            Httu::Access => 1,
            Httu::AccessDirty => 2,
            Httu::Reserved(r) => u64::from(r),
        };
        let fields0: [(Field, u64); 17] = [
            (Idr0::ST_LVL, b(self.two_level_strtab)),
            (Idr0::TERM_MODEL, b(self.term_model)),
            (Idr0::STALL_MODEL, stall_model),
            // Little-endian tables only.
            (Idr0::TTENDIAN, 2),
            (Idr0::CD2L, b(self.cd2l)),
            (Idr0::PRI, b(self.pri)),
            (Idr0::SEV, b(self.sev)),
            (Idr0::MSI, b(self.msi)),
            (Idr0::ASID16, b(self.asid16)),
            (Idr0::ATS, b(self.ats)),
            (Idr0::HYP, b(self.hyp)),
            (Idr0::HTTU, httu),
            (Idr0::BTM, b(self.btm)),
            (Idr0::COHACC, 1),
            // AArch64 tables only.
            (Idr0::TTF, 2),
            (Idr0::S1P, 1),
            (Idr0::S2P, 0),
        ];
        let mut idr0 = 0u64;
        for (f, v) in fields0 {
            idr0 = f.set(idr0, v);
        }
        let mut idr1 = 0u64;
        for (f, v) in [
            (Idr1::ATTR_TYPES_OVR, b(self.attr_types_ovr)),
            (Idr1::CMDQS, u64::from(self.cmdqs)),
            (Idr1::EVENTQS, u64::from(self.eventqs)),
            (Idr1::PRIQS, u64::from(self.priqs)),
            (Idr1::SSIDSIZE, u64::from(self.ssidsize)),
            (Idr1::SIDSIZE, u64::from(self.sidsize)),
        ] {
            idr1 = f.set(idr1, v);
        }
        let mut idr3 = 0u64;
        for (f, v) in [(Idr3::RIL, b(self.ril)), (Idr3::STT, b(self.stt))] {
            idr3 = f.set(idr3, v);
        }
        let mut idr5 = 0u64;
        for (f, v) in [
            (Idr5::STALL_MAX, u64::from(self.stall_max)),
            (Idr5::VAX, b(self.vax)),
            (Idr5::GRAN64K, b(self.gran64k)),
            (Idr5::GRAN16K, b(self.gran16k)),
            (Idr5::GRAN4K, b(self.gran4k)),
            (Idr5::OAS, u64::from(self.oas.raw())),
        ] {
            idr5 = f.set(idr5, v);
        }
        // All fields lie within the low 32 bits.
        IdRegs {
            idr0: Idr0::from_raw(idr0 as u32),
            idr1: Idr1::from_raw(idr1 as u32),
            idr3: Idr3::from_raw(idr3 as u32),
            idr5: Idr5::from_raw(idr5 as u32),
            iidr: Iidr::from_raw(0),
            aidr: Aidr::from_raw(u32::from(self.arch_minor_rev & 0xf)),
        }
    }

    /// The features a driver decodes from [`ModelConfig::id_regs`].
    pub fn features(&self) -> Features {
        Features::decode(&self.id_regs())
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self::full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `STALL_MAX` is kept only for stall models that can stall.
    #[test]
    fn stall_max_follows_the_stall_model() {
        for (model, kept) in [
            (StallModel::StallAndTerminate, true),
            (StallModel::StallForced, true),
            (StallModel::TerminateOnly, false),
            (StallModel::Reserved(3), false),
        ] {
            let cfg = ModelConfig {
                stall_model: model,
                stall_max: 4,
                ..ModelConfig::full()
            }
            .sanitized(8);
            assert_eq!(cfg.stall_max, if kept { 4 } else { 0 }, "{model:?}");
            assert_eq!(cfg.features().stalls(), kept, "{model:?}");
        }
    }
}
