// SPDX-License-Identifier: GPL-2.0

//! Entry writer transition cases, runnable anywhere.
//!
//! The cases are those of the upstream KUnit suite for the C driver's entry
//! writer (every STE and CD transition it checks, each direction a separate
//! case, with the same expected sync counts and hitless/breaking outcome),
//! followed by cases this implementation adds (update-safe `EATS`, nested
//! configurations, E2H StreamWorld, HTTU, quiet SVA CD with a forced stall
//! model).
//!
//! Everything is `no_std` and allocation-free: [`run`] builds each pair of
//! entries on the stack, performs the update through a
//! [`CheckingSink`](super::CheckingSink) and reports a [`CaseResult`]
//! through a callback, so the same cases can run under `cargo test` and
//! in-kernel under KUnit.
//!
//! Differences in inputs from the C suite, none of which changes the
//! transitions' behaviour: addresses are given aligned to their fields (the
//! C suite relies on masking of unaligned values), and `S1CDMax` is 20 (the C
//! suite's `0xff` is truncated to 31 by its field macro, a value beyond the
//! architectural SubstreamID size that the Rust builder rejects).

use super::{check_transition, Entry, UpdateKind, Violation, WriteError};
use crate::hw::cd::{Cacheability, Cd, CdError, CdHttu, Granule, S1PagingCd, SvaCd};
use crate::hw::regs::{Oas, Shareability};
use crate::hw::ste::{CdTableSte, S1Dss, S1Fmt, S2DomainSte, Ste, SteCaps, SteError, Vtcr};

/// The outcome of one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseResult {
    /// Name of the case (upstream KUnit name where ported, with a
    /// direction suffix where the upstream case checks both directions).
    pub name: &'static str,
    /// Whether every expectation held.
    pub passed: bool,
    /// Syncs the writer issued.
    pub syncs: u32,
    /// Syncs expected.
    pub expected_syncs: u32,
    /// Whether no observable state was invalid.
    pub hitless: bool,
    /// Whether the transition was expected to be hitless.
    pub expected_hitless: bool,
    /// What the checker found, if anything.
    pub violation: Option<Violation>,
    /// Builder or writer error that prevented the case from running.
    pub error: Option<CaseError>,
}

/// Why a case could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseError {
    /// An STE builder rejected the case's inputs.
    Ste(SteError),
    /// A CD builder rejected the case's inputs.
    Cd(CdError),
    /// The writer refused the target.
    Write(WriteError),
}

impl From<SteError> for CaseError {
    fn from(e: SteError) -> Self {
        Self::Ste(e)
    }
}

impl From<CdError> for CaseError {
    fn from(e: CdError) -> Self {
        Self::Cd(e)
    }
}

/// Totals of a [`run`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: u32,
    /// Cases that failed.
    pub failed: u32,
}

/// The SMMU of the upstream suite: it can stall and override attributes.
const CAPS: SteCaps = SteCaps {
    attr_types_ovr: true,
    stalls: true,
    stall_forced: false,
    e2h: false,
};

/// A CD table address (the upstream one, 64-byte aligned).
pub const CDTAB_PA: u64 = 0xf0f0_f0f0_f0c0;
/// A second CD table address.
pub const CDTAB2_PA: u64 = 0x4b_4b4b_4b40;
/// A table address (the upstream one, 16-byte aligned).
pub const TTB_PA: u64 = 0x000d_beef_dead_bee0;

/// Device features of a case, as in the upstream suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Feat {
    None,
    Ats,
    Stall,
}

fn cdtable_ste(s1dss: S1Dss, cd_table: u64, feat: Feat) -> Result<Ste, CaseError> {
    Ok(Ste::cd_table(
        &CAPS,
        &CdTableSte {
            cd_table,
            s1fmt: S1Fmt::TwoLevel64K,
            s1cdmax: 20,
            s1dss,
            ats: feat == Feat::Ats,
            stall: feat == Feat::Stall,
        },
    )?)
}

/// The VTCR of the upstream suite's stage 2 domain.
const VTCR: Vtcr = Vtcr {
    t0sz: 4,
    sl0: 3,
    irgn0: Cacheability::WriteThrough,
    orgn0: Cacheability::WriteBackWriteAlloc,
    sh0: Shareability::InnerShareable,
    tg: Granule::Size16K,
    ps: Oas::Bits36,
};

fn s2_cfg(feat: Feat) -> S2DomainSte {
    S2DomainSte {
        vmid: 0,
        s2ttb: TTB_PA,
        vtcr: VTCR,
        ats: feat == Feat::Ats,
        stall: feat == Feat::Stall,
        hw_access: false,
        hw_dirty: false,
    }
}

fn s2_ste(feat: Feat) -> Result<Ste, CaseError> {
    Ok(Ste::s2_domain(&CAPS, &s2_cfg(feat))?)
}

fn s1_cd(asid: u16) -> Result<Cd, CaseError> {
    Ok(Cd::s1_paging(&S1PagingCd {
        asid,
        ttb0: TTB_PA,
        t0sz: 4,
        tg0: Granule::Size16K,
        irgn0: Cacheability::WriteThrough,
        orgn0: Cacheability::WriteBackWriteAlloc,
        sh0: Shareability::InnerShareable,
        ips: Oas::Bits36,
        mair: 0x0abc_def0_1234_5678,
        stall: false,
        httu: CdHttu::None,
    })?)
}

fn sva_cfg(asid: u16) -> SvaCd {
    SvaCd {
        asid,
        pgd: 0x0000_4321_0000_0000,
        t0sz: 16,
        tg0: Granule::Size4K,
        ips: Oas::Bits48,
        mair: 0x0000_0000_0444_ff00,
        stall: false,
        httu: CdHttu::None,
    }
}

fn sva_cd(asid: u16) -> Result<Cd, CaseError> {
    Ok(Cd::sva(&sva_cfg(asid))?)
}

fn sva_quiet_cd(asid: u16) -> Result<Cd, CaseError> {
    Ok(Cd::sva_quiet(&sva_cfg(asid), false)?)
}

/// A transition under test.
enum Pair {
    Ste(Ste, Ste),
    Cd(Cd, Cd),
}

/// A case: name, constructor of the two entries, expected syncs and
/// whether it must be hitless.
struct Case {
    name: &'static str,
    make: fn() -> Result<Pair, CaseError>,
    syncs: u32,
    hitless: bool,
}

fn result_of<E: Entry>(case: &Case, init: &E, target: &E) -> CaseResult {
    let (sink, res) = check_transition(init, target);
    let mut r = CaseResult {
        name: case.name,
        passed: false,
        syncs: sink.syncs,
        expected_syncs: case.syncs,
        hitless: !sink.saw_invalid,
        expected_hitless: case.hitless,
        violation: sink.violation,
        error: None,
    };
    match res {
        Err(e) => r.error = Some(CaseError::Write(e)),
        Ok(report) => {
            // A hitless transition must not have planned a break either.
            let kind_ok = !case.hitless || report.kind != UpdateKind::Breaking;
            r.passed = r.violation.is_none()
                && r.syncs == r.expected_syncs
                && report.syncs == r.syncs
                && r.hitless == r.expected_hitless
                && kind_ok;
        }
    }
    r
}

fn run_case(case: &Case) -> CaseResult {
    match (case.make)() {
        Ok(Pair::Ste(a, b)) => result_of(case, &a, &b),
        Ok(Pair::Cd(a, b)) => result_of(case, &a, &b),
        Err(e) => CaseResult {
            name: case.name,
            passed: false,
            syncs: 0,
            expected_syncs: case.syncs,
            hitless: false,
            expected_hitless: case.hitless,
            violation: None,
            error: Some(e),
        },
    }
}

macro_rules! ste_case {
    ($name:literal, $syncs:literal, $hitless:literal, $make:expr) => {
        Case {
            name: $name,
            make: || {
                let (a, b): (Ste, Ste) = $make()?;
                Ok(Pair::Ste(a, b))
            },
            syncs: $syncs,
            hitless: $hitless,
        }
    };
}

macro_rules! cd_case {
    ($name:literal, $syncs:literal, $hitless:literal, $make:expr) => {
        Case {
            name: $name,
            make: || {
                let (a, b): (Cd, Cd) = $make()?;
                Ok(Pair::Cd(a, b))
            },
            syncs: $syncs,
            hitless: $hitless,
        }
    };
}

fn bypass() -> Ste {
    Ste::bypass(&CAPS)
}

fn ssid0_ats() -> Result<Ste, CaseError> {
    cdtable_ste(S1Dss::Ssid0, CDTAB_PA, Feat::Ats)
}

fn s1dss_bypass_ats() -> Result<Ste, CaseError> {
    cdtable_ste(S1Dss::Bypass, CDTAB_PA, Feat::Ats)
}

/// The cases ported from the upstream KUnit suite, in its order.
static UPSTREAM: &[Case] = &[
    // Bypass uses qwords 0-1, abort only qword 0: set qword 0, then clean
    // qword 1.
    ste_case!(
        "write_ste_test_bypass_to_abort",
        2,
        true,
        || -> Result<_, CaseError> { Ok((bypass(), Ste::abort())) }
    ),
    // Set qword 1 (unused by abort), then switch qword 0.
    ste_case!(
        "write_ste_test_abort_to_bypass",
        2,
        true,
        || -> Result<_, CaseError> { Ok((Ste::abort(), bypass())) }
    ),
    ste_case!(
        "write_ste_test_cdtable_to_abort",
        2,
        true,
        || -> Result<_, CaseError> { Ok((ssid0_ats()?, Ste::abort())) }
    ),
    ste_case!(
        "write_ste_test_abort_to_cdtable",
        2,
        true,
        || -> Result<_, CaseError> { Ok((Ste::abort(), ssid0_ats()?)) }
    ),
    // Prepare the unused bits of qword 1, switch qword 0, clean up.
    ste_case!(
        "write_ste_test_cdtable_to_bypass",
        3,
        true,
        || -> Result<_, CaseError> { Ok((ssid0_ats()?, bypass())) }
    ),
    ste_case!(
        "write_ste_test_bypass_to_cdtable",
        3,
        true,
        || -> Result<_, CaseError> { Ok((bypass(), ssid0_ats()?)) }
    ),
    // Only qword 1 changes: one store.
    ste_case!(
        "write_ste_test_cdtable_s1dss_change/ssid0_to_bypass",
        1,
        true,
        || -> Result<_, CaseError> { Ok((ssid0_ats()?, s1dss_bypass_ats()?)) }
    ),
    ste_case!(
        "write_ste_test_cdtable_s1dss_change/bypass_to_ssid0",
        1,
        true,
        || -> Result<_, CaseError> { Ok((s1dss_bypass_ats()?, ssid0_ats()?)) }
    ),
    ste_case!(
        "write_ste_test_s1dssbypass_to_stebypass",
        2,
        true,
        || -> Result<_, CaseError> { Ok((s1dss_bypass_ats()?, bypass())) }
    ),
    ste_case!(
        "write_ste_test_stebypass_to_s1dssbypass",
        2,
        true,
        || -> Result<_, CaseError> { Ok((bypass(), s1dss_bypass_ats()?)) }
    ),
    ste_case!(
        "write_ste_test_s2_to_abort",
        2,
        true,
        || -> Result<_, CaseError> { Ok((s2_ste(Feat::Ats)?, Ste::abort())) }
    ),
    ste_case!(
        "write_ste_test_abort_to_s2",
        2,
        true,
        || -> Result<_, CaseError> { Ok((Ste::abort(), s2_ste(Feat::Ats)?)) }
    ),
    ste_case!(
        "write_ste_test_s2_to_bypass",
        2,
        true,
        || -> Result<_, CaseError> { Ok((s2_ste(Feat::Ats)?, bypass())) }
    ),
    ste_case!(
        "write_ste_test_bypass_to_s2",
        2,
        true,
        || -> Result<_, CaseError> { Ok((bypass(), s2_ste(Feat::Ats)?)) }
    ),
    ste_case!(
        "write_ste_test_s1_to_s2",
        3,
        true,
        || -> Result<_, CaseError> { Ok((ssid0_ats()?, s2_ste(Feat::Ats)?)) }
    ),
    ste_case!(
        "write_ste_test_s2_to_s1",
        3,
        true,
        || -> Result<_, CaseError> { Ok((s2_ste(Feat::Ats)?, ssid0_ats()?)) }
    ),
    // Changing the CD table pointer (qword 0) and S1DSS (qword 1) at once
    // cannot be done with one store.
    ste_case!(
        "write_ste_test_non_hitless",
        3,
        false,
        || -> Result<_, CaseError> {
            Ok((
                ssid0_ats()?,
                cdtable_ste(S1Dss::Bypass, CDTAB2_PA, Feat::Ats)?,
            ))
        }
    ),
    // From or to an invalid (all zero) CD.
    cd_case!(
        "write_cd_test_s1_clear/clear_to_s1",
        2,
        false,
        || -> Result<_, CaseError> { Ok((Cd::invalid(), s1_cd(1997)?)) }
    ),
    cd_case!(
        "write_cd_test_s1_clear/s1_to_clear",
        2,
        false,
        || -> Result<_, CaseError> { Ok((s1_cd(1997)?, Cd::invalid())) }
    ),
    // The ASID is in qword 0 only.
    cd_case!(
        "write_cd_test_s1_change_asid/778_to_1997",
        1,
        true,
        || -> Result<_, CaseError> { Ok((s1_cd(778)?, s1_cd(1997)?)) }
    ),
    cd_case!(
        "write_cd_test_s1_change_asid/1997_to_778",
        1,
        true,
        || -> Result<_, CaseError> { Ok((s1_cd(1997)?, s1_cd(778)?)) }
    ),
    ste_case!(
        "write_ste_test_s1_to_s2_stall",
        3,
        true,
        || -> Result<_, CaseError> {
            Ok((
                cdtable_ste(S1Dss::Ssid0, CDTAB_PA, Feat::Stall)?,
                s2_ste(Feat::Stall)?,
            ))
        }
    ),
    ste_case!(
        "write_ste_test_s2_to_s1_stall",
        3,
        true,
        || -> Result<_, CaseError> {
            Ok((
                s2_ste(Feat::Stall)?,
                cdtable_ste(S1Dss::Ssid0, CDTAB_PA, Feat::Stall)?,
            ))
        }
    ),
    cd_case!(
        "write_cd_test_sva_clear/clear_to_sva",
        2,
        false,
        || -> Result<_, CaseError> { Ok((Cd::invalid(), sva_cd(1997)?)) }
    ),
    cd_case!(
        "write_cd_test_sva_clear/sva_to_clear",
        2,
        false,
        || -> Result<_, CaseError> { Ok((sva_cd(1997)?, Cd::invalid())) }
    ),
    // TTB0 is ignored once EPD0 is set, so only qword 0 is critical.
    cd_case!(
        "write_cd_test_sva_release/sva_to_quiet",
        2,
        true,
        || -> Result<_, CaseError> { Ok((sva_cd(1997)?, sva_quiet_cd(1997)?)) }
    ),
    cd_case!(
        "write_cd_test_sva_release/quiet_to_sva",
        2,
        true,
        || -> Result<_, CaseError> { Ok((sva_quiet_cd(1997)?, sva_cd(1997)?)) }
    ),
];

/// Cases beyond the upstream suite.
static EXTRA: &[Case] = &[
    // EATS abort<->translate is update-safe: without that, qwords 0 and 1
    // would both be critical and the update would break.
    ste_case!(
        "extra_s2_noats_to_s1_ats",
        3,
        true,
        || -> Result<_, CaseError> { Ok((s2_ste(Feat::None)?, ssid0_ats()?)) }
    ),
    ste_case!(
        "extra_s1_ats_to_s2_noats",
        3,
        true,
        || -> Result<_, CaseError> { Ok((ssid0_ats()?, s2_ste(Feat::None)?)) }
    ),
    // Only EATS changes: one store.
    ste_case!(
        "extra_s1_ats_toggle",
        1,
        true,
        || -> Result<_, CaseError> {
            Ok((
                cdtable_ste(S1Dss::Ssid0, CDTAB_PA, Feat::None)?,
                ssid0_ats()?,
            ))
        }
    ),
    // S2S=1 excludes EATS from the update-safe bits (S2S with EATS!=0 is
    // ILLEGAL), so this one has to break.
    ste_case!(
        "extra_s2_stall_to_s1_ats",
        3,
        false,
        || -> Result<_, CaseError> { Ok((s2_ste(Feat::Stall)?, ssid0_ats()?)) }
    ),
    // A new stage 2 domain: VMID (qword 2) and table (qword 3) both change.
    ste_case!(
        "extra_s2_change_domain",
        3,
        false,
        || -> Result<_, CaseError> {
            let a = s2_ste(Feat::Ats)?;
            let b = Ste::s2_domain(
                &CAPS,
                &S2DomainSte {
                    vmid: 7,
                    s2ttb: 0x1000,
                    ..s2_cfg(Feat::Ats)
                },
            )?;
            Ok((a, b))
        }
    ),
    // Same VMID, new table: only qword 3.
    ste_case!(
        "extra_s2_change_table",
        1,
        true,
        || -> Result<_, CaseError> {
            let a = s2_ste(Feat::Ats)?;
            let b = Ste::s2_domain(
                &CAPS,
                &S2DomainSte {
                    s2ttb: 0x1000,
                    ..s2_cfg(Feat::Ats)
                },
            )?;
            Ok((a, b))
        }
    ),
    // Enabling stage 2 HTTU changes qword 2 only.
    ste_case!(
        "extra_s2_enable_httu",
        1,
        true,
        || -> Result<_, CaseError> {
            let a = s2_ste(Feat::Ats)?;
            let b = Ste::s2_domain(
                &CAPS,
                &S2DomainSte {
                    hw_dirty: true,
                    ..s2_cfg(Feat::Ats)
                },
            )?;
            Ok((a, b))
        }
    ),
    // Adding stage 2 under an existing CD table (nested): the stage 2
    // fields, SHCFG and S2TTB are unused by the S1-only entry (and the VMID
    // stays 0), so they are written first; Config in qword 0 then switches.
    // Nothing is left to clean: 2 syncs.
    ste_case!("extra_s1_to_nested", 2, true, || -> Result<_, CaseError> {
        let s1 = CdTableSte {
            cd_table: CDTAB_PA,
            s1fmt: S1Fmt::TwoLevel64K,
            s1cdmax: 20,
            s1dss: S1Dss::Ssid0,
            ats: true,
            stall: false,
        };
        let a = Ste::cd_table(&CAPS, &s1)?;
        let b = Ste::nested(&CAPS, &s1, &s2_cfg(Feat::None))?;
        Ok((a, b))
    }),
    // Reverse: switch Config first, then clear the stage 2 fields: 2 syncs.
    ste_case!("extra_nested_to_s1", 2, true, || -> Result<_, CaseError> {
        let s1 = CdTableSte {
            cd_table: CDTAB_PA,
            s1fmt: S1Fmt::TwoLevel64K,
            s1cdmax: 20,
            s1dss: S1Dss::Ssid0,
            ats: true,
            stall: false,
        };
        let a = Ste::nested(&CAPS, &s1, &s2_cfg(Feat::None))?;
        let b = Ste::cd_table(&CAPS, &s1)?;
        Ok((a, b))
    }),
    // EL2 StreamWorld: STRW changes along with Config.
    ste_case!(
        "extra_e2h_bypass_to_cdtable",
        3,
        true,
        || -> Result<_, CaseError> {
            let caps = SteCaps { e2h: true, ..CAPS };
            let b = Ste::cd_table(
                &caps,
                &CdTableSte {
                    cd_table: CDTAB_PA,
                    s1fmt: S1Fmt::Linear,
                    s1cdmax: 0,
                    s1dss: S1Dss::Terminate,
                    ats: false,
                    stall: false,
                },
            )?;
            Ok((Ste::bypass(&caps), b))
        }
    ),
    ste_case!(
        "extra_invalid_to_abort",
        1,
        false,
        || -> Result<_, CaseError> { Ok((Ste::invalid(), Ste::abort())) }
    ),
    ste_case!(
        "extra_abort_to_invalid",
        1,
        false,
        || -> Result<_, CaseError> { Ok((Ste::abort(), Ste::invalid())) }
    ),
    ste_case!("extra_same_entry", 0, true, || -> Result<_, CaseError> {
        Ok((ssid0_ats()?, ssid0_ats()?))
    }),
    // Paging CD gaining HTTU: qword 0 only.
    cd_case!(
        "extra_cd_enable_httu",
        1,
        true,
        || -> Result<_, CaseError> {
            let a = s1_cd(5)?;
            let mut b = a;
            b.set_httu(CdHttu::AccessDirty);
            Ok((a, b))
        }
    ),
    // New page table and new ASID: qwords 0 and 1 critical.
    cd_case!(
        "extra_cd_change_table_and_asid",
        3,
        false,
        || -> Result<_, CaseError> {
            let a = s1_cd(5)?;
            let mut b = s1_cd(6)?;
            b.set_ttb0(0x2000)
                .map_err(|e| CaseError::Cd(CdError::Field(e)))?;
            Ok((a, b))
        }
    ),
    // With a forced stall model the quiet CD keeps S and R.
    cd_case!(
        "extra_sva_to_quiet_stall_forced",
        2,
        true,
        || -> Result<_, CaseError> {
            let cfg = SvaCd {
                stall: true,
                ..sva_cfg(3)
            };
            Ok((Cd::sva(&cfg)?, Cd::sva_quiet(&cfg, true)?))
        }
    ),
    // Quiet CD to a different process (new ASID): TTB0 is unused by the
    // quiet CD, so it still needs only qword 0 as the switch.
    cd_case!(
        "extra_quiet_to_other_sva",
        2,
        true,
        || -> Result<_, CaseError> { Ok((sva_quiet_cd(3)?, sva_cd(4)?)) }
    ),
];

/// Number of ported upstream cases.
pub fn upstream_case_count() -> usize {
    UPSTREAM.len()
}

/// Number of all cases.
pub fn case_count() -> usize {
    UPSTREAM.len() + EXTRA.len()
}

/// Runs every case (upstream first), reporting each result to `report`.
pub fn run(report: &mut dyn FnMut(&CaseResult)) -> Summary {
    let mut summary = Summary::default();
    for case in UPSTREAM.iter().chain(EXTRA.iter()) {
        let r = run_case(case);
        if r.passed {
            summary.passed = summary.passed.wrapping_add(1);
        } else {
            summary.failed = summary.failed.wrapping_add(1);
        }
        report(&r);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{println, vec::Vec};

    #[test]
    fn all_selftest_cases_pass() {
        let mut failures = Vec::new();
        let summary = run(&mut |r| {
            println!(
                "{:<55} {} syncs={} (want {}) hitless={} (want {})",
                r.name,
                if r.passed { "ok" } else { "FAIL" },
                r.syncs,
                r.expected_syncs,
                r.hitless,
                r.expected_hitless
            );
            if !r.passed {
                failures.push(*r);
            }
        });
        assert!(failures.is_empty(), "failed cases: {failures:#?}");
        assert_eq!(summary.passed as usize, case_count());
        assert_eq!(upstream_case_count(), 27);
    }
}
