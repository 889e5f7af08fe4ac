// SPDX-License-Identifier: GPL-2.0

//! Property tests of register decoding: any ID register values decode and
//! print without panicking, reserved encodings are reported as such, and
//! register field accessors round-trip.

use proptest::prelude::*;
use smmuv3::hw::regs::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decode_any_id_registers(r in any::<[u32; 6]>()) {
        let regs = IdRegs {
            idr0: Idr0::from_raw(r[0]),
            idr1: Idr1::from_raw(r[1]),
            idr3: Idr3::from_raw(r[2]),
            idr5: Idr5::from_raw(r[3]),
            iidr: Iidr::from_raw(r[4]),
            aidr: Aidr::from_raw(r[5]),
        };
        let f = Features::decode(&regs);
        let line = format!("{f}");
        prop_assert!(line.starts_with("SMMUv3."));
        prop_assert!(!line.contains('\n'));
        let _ = (f.pgsize_bitmap(), f.va_bits(), f.asid_bits(), f.vmid_bits());
        let _ = f.check_usable(6);
        prop_assert_eq!(f.oas_bits().is_none(), r[3] & 7 == 7);
        prop_assert_eq!(matches!(f.stall_model, StallModel::Reserved(_)), (r[0] >> 24) & 3 == 3);
        prop_assert_eq!(f.sidsize as u32, r[1] & 0x3f);
        prop_assert_eq!(f.ssidsize as u32, (r[1] >> 6) & 0x1f);
        if f.check_usable(6).is_ok() {
            prop_assert!(f.sidsize <= 32 && f.ssidsize <= 20 && (f.s1p || f.s2p));
        }
        let _ = format!("{:?} {:?}", regs.idr0, f);
    }

    #[test]
    fn oas_round_trip(raw in any::<u32>()) {
        let o = Oas::decode(raw);
        prop_assert_eq!(u32::from(o.raw()), raw & 7);
        if let Some(bits) = o.bits() {
            prop_assert_eq!(Oas::from_bits(bits), Some(o));
        }
    }

    #[test]
    fn register_setters_round_trip(base in any::<u32>(), v in any::<u32>(), addr in any::<u64>()) {
        let cfg = StrtabBaseCfg::from_raw(base);
        match cfg.with_log2size(v) {
            Ok(c) => {
                prop_assert!(v < 64);
                prop_assert_eq!(c.log2size(), v);
                prop_assert_eq!(c.split(), cfg.split());
                prop_assert_eq!(c.fmt(), cfg.fmt());
            }
            Err(e) => prop_assert_eq!(e.value, u64::from(v)),
        }
        match CmdqBase::default().with_addr(addr) {
            Ok(b) => prop_assert_eq!(b.addr(), addr),
            Err(_) => prop_assert!(addr & !CmdqBase::ADDR.mask() != 0),
        }
        let c = CmdqCons::from_raw(base);
        let _ = (c.err(), c.err().name(), c.rd());
        let g = Gerror::from_raw(base);
        let n = Gerror::from_raw(v);
        let active = g.active(n);
        prop_assert_eq!(active.raw() & !Gerror::ERR_MASK, 0);
        prop_assert_eq!(n.acknowledge(active).active(g).raw(), 0);
        let _ = format!("{active}");
    }
}
