// SPDX-License-Identifier: GPL-2.0

//! The bond state machine against a reference model, driven by a simulated
//! kernel ("world") that performs the actions and can fail any of them.

use iommu_sva::sva::bond::*;
use iommu_sva::sva::errno::Errno;
use iommu_sva::sva::map::ArrayMap;
use iommu_sva::sva::pasid::PasidBitmap;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

type Core<const N: usize> = SvaCore<
    ArrayMap<DevId, DeviceState, 8>,
    ArrayMap<MmId, MmState, N>,
    ArrayMap<DomainKey, DomainState, N>,
    ArrayMap<BondKey, BondState, N>,
>;

fn core<const N: usize>() -> Core<N> {
    SvaCore::new(
        ArrayMap::new(),
        ArrayMap::new(),
        ArrayMap::new(),
        ArrayMap::new(),
    )
}

const EIO: Errno = match Errno::new(5) {
    Some(e) => e,
    None => Errno::EINVAL,
};

/// Kinds of actions, for comparing traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    AllocPasid,
    FreePasid,
    AllocDomain,
    FreeDomain,
    Attach,
    Detach,
    Flush,
    IopfAdd,
    IopfRemove,
}

fn kind(a: &Action) -> Kind {
    match a {
        Action::AllocPasid { .. } => Kind::AllocPasid,
        Action::FreePasid { .. } => Kind::FreePasid,
        Action::AllocDomain { .. } => Kind::AllocDomain,
        Action::FreeDomain { .. } => Kind::FreeDomain,
        Action::AttachPasid { .. } => Kind::Attach,
        Action::DetachPasid { .. } => Kind::Detach,
        Action::FlushFaults { .. } => Kind::Flush,
        Action::IopfAddDevice { .. } => Kind::IopfAdd,
        Action::IopfRemoveDevice { .. } => Kind::IopfRemove,
    }
}

/// The simulated kernel: global PASID IDA, live domains, PASID table of
/// each device, IOPF queue membership.
struct World {
    words: Vec<u64>,
    pasids: BTreeSet<u32>,
    domains: BTreeMap<DomainCookie, (MmId, IommuId, DomainId)>,
    next_cookie: usize,
    attached: BTreeMap<(DevId, u32), DomainCookie>,
    queued: BTreeSet<DevId>,
    attaches: usize,
    detaches: usize,
    flushed: Vec<(DevId, u32)>,
    trace: Vec<Action>,
    fail_at: Option<usize>,
}

impl World {
    fn new() -> Self {
        World {
            words: vec![0; 1],
            pasids: BTreeSet::new(),
            domains: BTreeMap::new(),
            next_cookie: 0x1000,
            attached: BTreeMap::new(),
            queued: BTreeSet::new(),
            attaches: 0,
            detaches: 0,
            flushed: Vec::new(),
            trace: Vec::new(),
            fail_at: None,
        }
    }

    fn alloc_pasid(&mut self, limit: u32) -> Option<u32> {
        // The world's IDA is a `PasidBitmap` rebuilt from the set, so the
        // core is tested against the allocator the kernel may use.
        let mut a = PasidBitmap::new(&mut self.words);
        for &p in &self.pasids {
            let q = a.alloc(p + 1).unwrap();
            assert!(q <= p);
        }
        // Free what was allocated only as filler.
        for q in 1..a.capacity() {
            if a.is_allocated(q) && !self.pasids.contains(&q) {
                a.free(q).unwrap();
            }
        }
        let p = a.alloc(limit).ok()?;
        self.pasids.insert(p);
        Some(p)
    }
}

impl Executor for World {
    fn perform(&mut self, action: &Action) -> ActionResult {
        let idx = self.trace.len();
        self.trace.push(*action);
        let inject = self.fail_at == Some(idx);
        match *action {
            Action::AllocPasid { limit, .. } => {
                if inject {
                    return Err(EIO);
                }
                self.alloc_pasid(limit)
                    .map(ActionValue::Pasid)
                    .ok_or(Errno::ENOSPC)
            }
            Action::FreePasid { pasid } => {
                assert!(
                    self.pasids.remove(&pasid),
                    "free of unallocated PASID {pasid}"
                );
                Ok(ActionValue::Unit)
            }
            Action::AllocDomain {
                mm, iommu, domain, ..
            } => {
                if inject {
                    return Err(Errno::ENOMEM);
                }
                let c = DomainCookie(self.next_cookie);
                self.next_cookie += 1;
                self.domains.insert(c, (mm, iommu, domain));
                Ok(ActionValue::Domain(c))
            }
            Action::FreeDomain { domain } => {
                let d = self
                    .domains
                    .remove(&domain.cookie)
                    .expect("free of unknown domain");
                assert_eq!(d.2, domain.id);
                assert!(
                    !self.attached.values().any(|c| *c == domain.cookie),
                    "domain freed while attached"
                );
                Ok(ActionValue::Unit)
            }
            Action::AttachPasid { dev, domain, pasid } => {
                assert!(
                    self.domains.contains_key(&domain.cookie),
                    "attach of dead domain"
                );
                assert!(pasid != 0);
                if inject {
                    return Err(EIO);
                }
                assert!(
                    !self.attached.contains_key(&(dev, pasid)),
                    "PASID attached twice"
                );
                self.attached.insert((dev, pasid), domain.cookie);
                self.attaches += 1;
                Ok(ActionValue::Unit)
            }
            Action::DetachPasid { dev, domain, pasid } => {
                assert_eq!(self.attached.remove(&(dev, pasid)), Some(domain.cookie));
                self.detaches += 1;
                Ok(ActionValue::Unit)
            }
            Action::FlushFaults { dev, pasid } => {
                assert!(
                    !self.attached.contains_key(&(dev, pasid)),
                    "flush before detach"
                );
                self.flushed.push((dev, pasid));
                Ok(ActionValue::Unit)
            }
            Action::IopfAddDevice { dev } => {
                if inject {
                    return Err(Errno::EBUSY);
                }
                assert!(self.queued.insert(dev));
                Ok(ActionValue::Unit)
            }
            Action::IopfRemoveDevice { dev } => {
                assert!(self.queued.remove(&dev));
                Ok(ActionValue::Unit)
            }
        }
    }
}

/// The reference model.
#[derive(Clone, Debug)]
struct Model {
    devs: BTreeMap<DevId, (DeviceInfo, bool, bool)>,
    pasid: BTreeMap<MmId, u32>,
    bonds: BTreeMap<(DevId, MmId), (u32, Bond)>,
    domains: BTreeMap<(MmId, IommuId), (DomainCookie, u32)>,
    queued: BTreeSet<DevId>,
}

fn devices() -> Vec<(DevId, DeviceInfo)> {
    let d = |iommu, bits: u32, iopf, sva| DeviceInfo {
        iommu: IommuId(iommu),
        max_pasids: if bits == 99 { 0 } else { 1 << bits },
        iopf_capable: iopf,
        sva_capable: sva,
    };
    vec![
        (DevId(0), d(0, 6, true, true)),
        (DevId(1), d(0, 3, false, true)),
        (DevId(2), d(1, 6, true, true)),
        (DevId(3), d(1, 2, true, true)),
        (DevId(4), d(1, 4, true, false)),
        (DevId(5), d(0, 99, false, true)),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Bind(u64, u64, Option<usize>),
    Unbind(usize),
    Enable(u64, Feature, Option<usize>),
    Disable(u64, Feature),
    Drop(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let feat = prop_oneof![Just(Feature::Sva), Just(Feature::Iopf)];
    let fail = proptest::option::weighted(0.15, 0usize..3);
    prop_oneof![
        8 => (0u64..7, 0u64..6, fail.clone()).prop_map(|(d, m, f)| Op::Bind(d, m, f)),
        6 => (0usize..64).prop_map(Op::Unbind),
        3 => (0u64..7, feat.clone(), fail).prop_map(|(d, f, x)| Op::Enable(d, f, x)),
        1 => (0u64..7, feat).prop_map(|(d, f)| Op::Disable(d, f)),
        1 => (0u64..6).prop_map(Op::Drop),
    ]
}

fn check_consistent<const N: usize>(core: &Core<N>, m: &Model, w: &World) {
    assert!(!core.in_flight());
    // One PASID per mm, all distinct, all allocated in the world.
    let set: BTreeSet<u32> = m.pasid.values().copied().collect();
    assert_eq!(set.len(), m.pasid.len());
    assert_eq!(set, w.pasids);
    for mm in 0..6 {
        let mm = MmId(mm);
        assert_eq!(core.mm(mm).map(|s| s.pasid()), m.pasid.get(&mm).copied());
        let nb = m.bonds.keys().filter(|(_, x)| *x == mm).count() as u32;
        assert_eq!(core.mm(mm).map_or(0, |s| s.bonds()), nb);
    }
    // Every bond: the same PASID attached to the (mm, iommu) domain.
    let mut expect_attached = BTreeMap::new();
    for (&(dev, mm), &(users, bond)) in &m.bonds {
        assert!(users > 0);
        let pasid = m.pasid[&mm];
        assert_eq!(bond.pasid(), pasid);
        let iommu = m.devs[&dev].0.iommu;
        let (cookie, _) = m.domains[&(mm, iommu)];
        expect_attached.insert((dev, pasid), cookie);
        assert_eq!(core.bond(dev, mm).map(|b| b.users()), Some(users));
    }
    assert_eq!(expect_attached, w.attached);
    // Domains: one per (mm, iommu), users = bonds behind that iommu.
    assert_eq!(m.domains.len(), w.domains.len());
    for (&(mm, iommu), &(cookie, users)) in &m.domains {
        let n = m
            .bonds
            .keys()
            .filter(|(d, x)| *x == mm && m.devs[d].0.iommu == iommu)
            .count() as u32;
        assert_eq!(users, n);
        assert!(users > 0);
        let (wm, wi, id) = w.domains[&cookie];
        assert_eq!((wm, wi), (mm, iommu));
        let cd = core.domain(mm, iommu).unwrap();
        assert_eq!(
            (cd.id(), cd.cookie(), cd.users()),
            (id, Some(cookie), users)
        );
    }
    for (&dev, &(_, iopf, sva)) in &m.devs {
        let s = core.device(dev).unwrap();
        assert_eq!((s.iopf_enabled(), s.sva_enabled()), (iopf, sva));
        let nb = m.bonds.keys().filter(|(d, _)| *d == dev).count() as u32;
        assert_eq!(s.bonds(), nb);
        if nb > 0 {
            assert!(sva);
        }
    }
    assert_eq!(m.queued, w.queued);
    assert_eq!(w.attaches - w.detaches, w.attached.len());
}

/// Runs one op on the core and the model, comparing results and traces.
fn step<const N: usize>(
    core: &mut Core<N>,
    m: &mut Model,
    w: &mut World,
    handles: &mut Vec<Bond>,
    op: &Op,
) {
    w.trace.clear();
    match *op {
        Op::Bind(d, mm, fail) => {
            let (dev, mm) = (DevId(d), MmId(mm));
            w.fail_at = fail;
            let got = core.run(w, |c| c.bind(dev, mm));
            let (expect, kinds) = model_bind(m, w, dev, mm, fail);
            assert_eq!(
                w.trace.iter().map(kind).collect::<Vec<_>>(),
                kinds,
                "{op:?}"
            );
            match (got, expect) {
                (Ok(Outcome::Bound(b)), Ok(())) => {
                    let e = m.bonds.entry((dev, mm)).or_insert((0, b));
                    assert_eq!(e.1, b, "same handle for the same pair");
                    e.0 += 1;
                    handles.push(b);
                }
                (Err(g), Err(e)) => assert_eq!(g, e, "{op:?}"),
                (g, e) => panic!("{op:?}: core {g:?}, model {e:?}"),
            }
        }
        Op::Unbind(i) => {
            let Some(&h) = handles.get(i % handles.len().max(1)) else {
                return;
            };
            w.fail_at = None;
            let got = core.run(w, |c| c.unbind(&h));
            let live = m.bonds.get(&(h.dev(), h.mm())).is_some_and(|b| b.1 == h);
            if !live {
                assert_eq!(got, Err(Errno::ENOENT));
                assert!(w.trace.is_empty());
                return;
            }
            let key = (h.dev(), h.mm());
            let users = &mut m.bonds.get_mut(&key).unwrap().0;
            *users -= 1;
            if *users > 0 {
                assert_eq!(
                    got,
                    Ok(Outcome::Unbound {
                        detached: false,
                        domain_freed: false
                    })
                );
                assert!(w.trace.is_empty());
                return;
            }
            m.bonds.remove(&key);
            let iommu = m.devs[&h.dev()].0.iommu;
            let dom = m.domains.get_mut(&(h.mm(), iommu)).unwrap();
            dom.1 -= 1;
            let freed = dom.1 == 0;
            let mut kinds = vec![Kind::Detach, Kind::Flush];
            if freed {
                m.domains.remove(&(h.mm(), iommu));
                kinds.push(Kind::FreeDomain);
            }
            assert_eq!(w.trace.iter().map(kind).collect::<Vec<_>>(), kinds);
            assert_eq!(w.flushed.last(), Some(&(h.dev(), h.pasid())));
            assert_eq!(
                got,
                Ok(Outcome::Unbound {
                    detached: true,
                    domain_freed: freed
                })
            );
        }
        Op::Enable(d, feat, fail) => {
            let dev = DevId(d);
            w.fail_at = fail;
            let got = core.run(w, |c| c.enable_feature(dev, feat));
            let mut kinds = vec![];
            let expect = match m.devs.get_mut(&dev) {
                None => Err(Errno::ENODEV),
                Some((info, iopf, sva)) => match feat {
                    Feature::Iopf if !info.iopf_capable => Err(Errno::EINVAL),
                    Feature::Iopf if *iopf => Err(Errno::EBUSY),
                    Feature::Iopf => {
                        *iopf = true;
                        Ok(())
                    }
                    Feature::Sva if !info.sva_capable => Err(Errno::EINVAL),
                    Feature::Sva if *sva => Err(Errno::EBUSY),
                    Feature::Sva if !info.iopf_capable => {
                        *sva = true;
                        Ok(())
                    }
                    Feature::Sva if !*iopf => Err(Errno::EINVAL),
                    Feature::Sva => {
                        kinds.push(Kind::IopfAdd);
                        if fail == Some(0) {
                            Err(Errno::EBUSY)
                        } else {
                            *sva = true;
                            m.queued.insert(dev);
                            Ok(())
                        }
                    }
                },
            };
            assert_eq!(w.trace.iter().map(kind).collect::<Vec<_>>(), kinds);
            assert_eq!(got.map(|_| ()), expect, "{op:?}");
        }
        Op::Disable(d, feat) => {
            let dev = DevId(d);
            w.fail_at = None;
            let got = core.run(w, |c| c.disable_feature(dev, feat));
            let nb = m.bonds.keys().filter(|(x, _)| *x == dev).count();
            let mut kinds = vec![];
            let expect = match m.devs.get_mut(&dev) {
                None => Err(Errno::EINVAL),
                Some((_, iopf, sva)) => match feat {
                    Feature::Iopf if !*iopf => Err(Errno::EINVAL),
                    Feature::Iopf if *sva => Err(Errno::EBUSY),
                    Feature::Iopf => {
                        *iopf = false;
                        Ok(())
                    }
                    Feature::Sva if !*sva => Err(Errno::EINVAL),
                    Feature::Sva if nb > 0 => Err(Errno::EBUSY),
                    Feature::Sva => {
                        *sva = false;
                        if m.queued.remove(&dev) {
                            kinds.push(Kind::IopfRemove);
                        }
                        Ok(())
                    }
                },
            };
            assert_eq!(w.trace.iter().map(kind).collect::<Vec<_>>(), kinds);
            assert_eq!(got.map(|_| ()), expect, "{op:?}");
        }
        Op::Drop(mm) => {
            let mm = MmId(mm);
            w.fail_at = None;
            let got = core.run(w, |c| c.mm_pasid_drop(mm));
            if m.bonds.keys().any(|(_, x)| *x == mm) {
                assert_eq!(got, Err(Errno::EBUSY));
                assert!(w.trace.is_empty());
            } else {
                let p = m.pasid.remove(&mm);
                assert_eq!(got, Ok(Outcome::PasidDropped(p)));
                let kinds = if p.is_some() {
                    vec![Kind::FreePasid]
                } else {
                    vec![]
                };
                assert_eq!(w.trace.iter().map(kind).collect::<Vec<_>>(), kinds);
            }
        }
    }
}

/// The model's bind: expected result and action kinds; updates the model's
/// PASID and domain tables (bond users are updated by the caller).
fn model_bind(
    m: &mut Model,
    w: &World,
    dev: DevId,
    mm: MmId,
    fail: Option<usize>,
) -> (Result<(), Errno>, Vec<Kind>) {
    let mut kinds = vec![];
    let Some(&(info, _, sva)) = m.devs.get(&dev) else {
        return (Err(Errno::ENODEV), kinds);
    };
    if !sva {
        return (Err(Errno::EINVAL), kinds);
    }
    let limit = info.max_pasids;
    match m.pasid.get(&mm) {
        Some(&p) if p >= limit => return (Err(Errno::EOVERFLOW), kinds),
        None if limit <= 1 => return (Err(Errno::ENOSPC), kinds),
        Some(_) => {}
        None => {
            kinds.push(Kind::AllocPasid);
            if fail == Some(0) {
                return (Err(EIO), kinds);
            }
            let used: BTreeSet<u32> = m.pasid.values().copied().collect();
            let Some(p) = (1..limit.min(64)).find(|p| !used.contains(p)) else {
                return (Err(Errno::ENOSPC), kinds);
            };
            m.pasid.insert(mm, p);
        }
    }
    if m.bonds.contains_key(&(dev, mm)) {
        return (Ok(()), kinds);
    }
    let key = (mm, info.iommu);
    if m.domains.contains_key(&key) {
        kinds.push(Kind::Attach);
        if fail == Some(kinds.len() - 1) {
            return (Err(EIO), kinds);
        }
        m.domains.get_mut(&key).unwrap().1 += 1;
        return (Ok(()), kinds);
    }
    kinds.push(Kind::AllocDomain);
    if fail == Some(kinds.len() - 1) {
        return (Err(Errno::ENOMEM), kinds);
    }
    kinds.push(Kind::Attach);
    if fail == Some(kinds.len() - 1) {
        kinds.push(Kind::FreeDomain);
        return (Err(EIO), kinds);
    }
    // The world hands out cookies in order.
    m.domains.insert(key, (DomainCookie(w.next_cookie - 1), 1));
    (Ok(()), kinds)
}

fn setup<const N: usize>() -> (Core<N>, Model, World) {
    let mut c = core::<N>();
    let mut m = Model {
        devs: BTreeMap::new(),
        pasid: BTreeMap::new(),
        bonds: BTreeMap::new(),
        domains: BTreeMap::new(),
        queued: BTreeSet::new(),
    };
    for (id, info) in devices() {
        c.add_device(id, info).unwrap();
        m.devs.insert(id, (info, false, false));
    }
    (c, m, World::new())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bond_machine_matches_model(ops in prop::collection::vec(op(), 1..120)) {
        let (mut c, mut m, mut w) = setup::<64>();
        let mut handles = Vec::new();
        for op in &ops {
            step(&mut c, &mut m, &mut w, &mut handles, op);
            check_consistent(&c, &m, &w);
        }
        // Tear everything down: every attach is matched by a detach and
        // every domain and PASID is freed.
        let live: Vec<(u32, Bond)> = m.bonds.values().copied().collect();
        for (users, b) in live {
            for _ in 0..users {
                step(&mut c, &mut m, &mut w, &mut vec![b], &Op::Unbind(0));
                check_consistent(&c, &m, &w);
            }
        }
        for mm in 0..6 {
            step(&mut c, &mut m, &mut w, &mut handles, &Op::Drop(mm));
        }
        check_consistent(&c, &m, &w);
        prop_assert!(w.attached.is_empty());
        prop_assert!(w.domains.is_empty());
        prop_assert!(w.pasids.is_empty());
        prop_assert_eq!(w.attaches, w.detaches);
        // Every stale handle is refused.
        for h in &handles {
            prop_assert_eq!(c.unbind(h), Err(Errno::ENOENT));
        }
    }

    /// Tiny storage: every `-ENOMEM` path unwinds to a consistent state.
    #[test]
    fn storage_exhaustion_unwinds(ops in prop::collection::vec(op(), 1..80)) {
        let (mut c, mut m, mut w) = setup::<2>();
        for d in 0..4 {
            let dev = DevId(d);
            let _ = c.run(&mut w, |c| c.enable_feature(dev, Feature::Iopf));
            let _ = c.run(&mut w, |c| c.enable_feature(dev, Feature::Sva));
        }
        w.trace.clear();
        let mut handles: Vec<Bond> = Vec::new();
        for op in &ops {
            w.trace.clear();
            w.fail_at = None;
            let r = match *op {
                Op::Bind(d, mm, _) => c.run(&mut w, |c| c.bind(DevId(d), MmId(mm))),
                Op::Unbind(i) => match handles.get(i % handles.len().max(1)) {
                    Some(h) => c.run(&mut w, |c| c.unbind(h)),
                    None => continue,
                },
                Op::Drop(mm) => c.run(&mut w, |c| c.mm_pasid_drop(MmId(mm))),
                _ => continue,
            };
            if let Ok(Outcome::Bound(b)) = r {
                handles.push(b);
            }
            prop_assert!(!c.in_flight());
            // World and core agree on attachments and domains.
            let mut n = 0;
            for d in 0..6 {
                for mm in 0..6 {
                    if let Some(b) = c.bond(DevId(d), MmId(mm)) {
                        prop_assert!(b.users() > 0);
                        n += 1;
                        let p = c.mm(MmId(mm)).unwrap().pasid();
                        prop_assert!(w.attached.contains_key(&(DevId(d), p)));
                    }
                }
            }
            prop_assert_eq!(n, w.attached.len());
            let mut nd = 0;
            for mm in 0..6 {
                for i in 0..2 {
                    if let Some(d) = c.domain(MmId(mm), IommuId(i)) {
                        nd += 1;
                        prop_assert!(w.domains.contains_key(&d.cookie().unwrap()));
                    }
                }
            }
            prop_assert_eq!(nd, w.domains.len());
            let np = (0..6).filter(|mm| c.mm(MmId(*mm)).is_some()).count();
            prop_assert_eq!(np, w.pasids.len());
        }
        let _ = &mut m;
    }
}

#[test]
fn feature_errno_table() {
    let (mut c, _, mut w) = setup::<8>();
    let unknown = DevId(42);
    let iopf_dev = DevId(0); // IOPF and SVA capable
    let no_iopf = DevId(1); // SVA capable, handles its own faults
    let no_sva = DevId(4); // IOPF capable, not SVA capable

    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(unknown, Feature::Iopf))
            .map(|_| ()),
        Err(Errno::ENODEV)
    );
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(unknown, Feature::Sva))
            .map(|_| ()),
        Err(Errno::ENODEV)
    );
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(unknown, Feature::Iopf))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(unknown, Feature::Sva))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );

    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(no_iopf, Feature::Iopf))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(no_sva, Feature::Sva))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    // SVA before IOPF on a device that needs IOPF.
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(iopf_dev, Feature::Sva))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(iopf_dev, Feature::Iopf))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(iopf_dev, Feature::Iopf))
            .map(|_| ()),
        Ok(())
    );
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(iopf_dev, Feature::Iopf))
            .map(|_| ()),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        c.run(&mut w, |c| c.bind(iopf_dev, MmId(0))).map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(iopf_dev, Feature::Sva))
            .map(|_| ()),
        Ok(())
    );
    assert!(w.queued.contains(&iopf_dev));
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(iopf_dev, Feature::Sva))
            .map(|_| ()),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(iopf_dev, Feature::Iopf))
            .map(|_| ()),
        Err(Errno::EBUSY)
    );
    let b = match c.run(&mut w, |c| c.bind(iopf_dev, MmId(0))) {
        Ok(Outcome::Bound(b)) => b,
        e => panic!("{e:?}"),
    };
    assert_eq!(b.pasid(), 1);
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(iopf_dev, Feature::Sva))
            .map(|_| ()),
        Err(Errno::EBUSY)
    );
    assert_eq!(c.remove_device(iopf_dev), Err(Errno::EBUSY));
    assert_eq!(c.run(&mut w, |c| c.unbind(&b)).map(|_| ()), Ok(()));
    assert_eq!(
        c.run(&mut w, |c| c.unbind(&b)).map(|_| ()),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(iopf_dev, Feature::Sva))
            .map(|_| ()),
        Ok(())
    );
    assert!(!w.queued.contains(&iopf_dev));
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(iopf_dev, Feature::Sva))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(iopf_dev, Feature::Iopf))
            .map(|_| ()),
        Ok(())
    );
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(iopf_dev, Feature::Iopf))
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(c.remove_device(iopf_dev), Ok(()));
    assert_eq!(c.remove_device(iopf_dev), Err(Errno::ENODEV));

    // A device that handles its own faults enables SVA without IOPF and
    // without joining an IOPF queue.
    assert_eq!(
        c.run(&mut w, |c| c.enable_feature(no_iopf, Feature::Sva))
            .map(|_| ()),
        Ok(())
    );
    assert!(!w.queued.contains(&no_iopf));
    assert_eq!(
        c.run(&mut w, |c| c.disable_feature(no_iopf, Feature::Sva))
            .map(|_| ()),
        Ok(())
    );

    assert_eq!(Feature::from_raw(0), Ok(Feature::Sva));
    assert_eq!(Feature::from_raw(1), Ok(Feature::Iopf));
    assert_eq!(Feature::from_raw(2), Err(Errno::EINVAL));
}

#[test]
fn pasid_errno_table() {
    let (mut c, _, mut w) = setup::<8>();
    for d in [0, 1, 2, 3, 5] {
        let dev = DevId(d);
        let _ = c.run(&mut w, |c| c.enable_feature(dev, Feature::Iopf));
        assert_eq!(
            c.run(&mut w, |c| c.enable_feature(dev, Feature::Sva)),
            Ok(Outcome::Feature)
        );
    }
    // Device 3 has 4 PASIDs: 1, 2, 3; the fourth mm finds no space.
    for mm in 0..3 {
        assert!(c.run(&mut w, |c| c.bind(DevId(3), MmId(mm))).is_ok());
    }
    assert_eq!(
        c.run(&mut w, |c| c.bind(DevId(3), MmId(3))),
        Err(Errno::ENOSPC)
    );
    // The failed bind took no PASID.
    assert!(c.mm(MmId(3)).is_none());
    // mm 4 gets PASID 4 through device 0 (64 PASIDs), which device 3 cannot
    // use.
    assert!(c.run(&mut w, |c| c.bind(DevId(0), MmId(4))).is_ok());
    assert_eq!(c.mm(MmId(4)).unwrap().pasid(), 4);
    assert_eq!(
        c.run(&mut w, |c| c.bind(DevId(3), MmId(4))),
        Err(Errno::EOVERFLOW)
    );
    // Device 5 has no PASID support at all.
    assert_eq!(
        c.run(&mut w, |c| c.bind(DevId(5), MmId(5))),
        Err(Errno::ENOSPC)
    );
    assert_eq!(
        c.run(&mut w, |c| c.bind(DevId(9), MmId(5))),
        Err(Errno::ENODEV)
    );
    // Dropping an mm with bonds is refused; without, it frees the PASID.
    assert_eq!(
        c.run(&mut w, |c| c.mm_pasid_drop(MmId(4))),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        c.run(&mut w, |c| c.mm_pasid_drop(MmId(3))),
        Ok(Outcome::PasidDropped(None))
    );
}

#[test]
fn protocol_misuse_is_an_error() {
    let (mut c, _, mut w) = setup::<8>();
    assert_eq!(c.resume(Ok(ActionValue::Unit)), Err(Errno::EINVAL));
    let _ = c.run(&mut w, |c| c.enable_feature(DevId(1), Feature::Sva));
    let s = c.bind(DevId(1), MmId(0)).unwrap();
    assert!(matches!(s, Step::Need(Action::AllocPasid { limit: 8, .. })));
    // Everything else is busy while an operation is in flight.
    assert_eq!(c.bind(DevId(1), MmId(1)), Err(Errno::EBUSY));
    assert_eq!(c.mm_pasid_drop(MmId(0)), Err(Errno::EBUSY));
    assert_eq!(c.enable_feature(DevId(0), Feature::Iopf), Err(Errno::EBUSY));
    assert_eq!(c.add_device(DevId(7), devices()[0].1), Err(Errno::EBUSY));
    // A PASID outside [1, limit) is handed back and the bind fails.
    assert_eq!(
        c.resume(Ok(ActionValue::Pasid(8))),
        Ok(Step::Need(Action::FreePasid { pasid: 8 }))
    );
    assert_eq!(c.resume(Ok(ActionValue::Unit)), Err(Errno::EINVAL));
    assert!(!c.in_flight());
    let _ = c.bind(DevId(1), MmId(0)).unwrap();
    assert_eq!(
        c.resume(Ok(ActionValue::Pasid(0))),
        Ok(Step::Need(Action::FreePasid { pasid: 0 }))
    );
    assert_eq!(c.resume(Ok(ActionValue::Unit)), Err(Errno::EINVAL));
    // A result of the wrong kind is a failed action.
    let _ = c.bind(DevId(1), MmId(0)).unwrap();
    assert_eq!(c.resume(Ok(ActionValue::Unit)), Err(Errno::EINVAL));
    assert!(c.mm(MmId(0)).is_none());
    let _ = c.bind(DevId(1), MmId(0)).unwrap();
    let s = c.resume(Ok(ActionValue::Pasid(3))).unwrap();
    assert!(matches!(s, Step::Need(Action::AllocDomain { .. })));
    assert_eq!(c.resume(Ok(ActionValue::Pasid(3))), Err(Errno::EINVAL));
    // The PASID stays with the mm after a failed bind, as in 6.12.
    assert_eq!(c.mm(MmId(0)).unwrap().pasid(), 3);
    assert!(c.domain(MmId(0), IommuId(0)).is_none());
    assert!(c.bond(DevId(1), MmId(0)).is_none());
    let s = c.bind(DevId(1), MmId(0)).unwrap();
    assert!(matches!(s, Step::Need(Action::AllocDomain { .. })));
    let s = c.resume(Ok(ActionValue::Domain(DomainCookie(7)))).unwrap();
    assert!(matches!(
        s,
        Step::Need(Action::AttachPasid { pasid: 3, .. })
    ));
    let s = c.resume(Ok(ActionValue::Domain(DomainCookie(7)))).unwrap();
    assert!(
        matches!(s, Step::Need(Action::FreeDomain { domain }) if domain.cookie == DomainCookie(7))
    );
    assert_eq!(c.resume(Ok(ActionValue::Unit)), Err(Errno::EINVAL));
    assert!(c.domain(MmId(0), IommuId(0)).is_none());
}

#[test]
fn same_pasid_and_domain_sharing() {
    let (mut c, _, mut w) = setup::<8>();
    for d in [0, 1, 2] {
        let _ = c.run(&mut w, |c| c.enable_feature(DevId(d), Feature::Iopf));
        c.run(&mut w, |c| c.enable_feature(DevId(d), Feature::Sva))
            .unwrap();
    }
    let bind =
        |c: &mut Core<8>, w: &mut World, d, mm| match c.run(w, |c| c.bind(DevId(d), MmId(mm))) {
            Ok(Outcome::Bound(b)) => b,
            e => panic!("{e:?}"),
        };
    let a = bind(&mut c, &mut w, 0, 9);
    let b = bind(&mut c, &mut w, 1, 9); // same IOMMU 0: domain reused
    let x = bind(&mut c, &mut w, 2, 9); // IOMMU 1: new domain
    let a2 = bind(&mut c, &mut w, 0, 9);
    assert_eq!(a, a2);
    assert_eq!(a.pasid(), b.pasid());
    assert_eq!(a.pasid(), x.pasid());
    assert_eq!(w.domains.len(), 2);
    assert_eq!(c.domain(MmId(9), IommuId(0)).unwrap().users(), 2);
    assert_eq!(c.bond(DevId(0), MmId(9)).unwrap().users(), 2);
    for h in [a, b, x, a2] {
        c.run(&mut w, |c| c.unbind(&h)).unwrap();
    }
    assert!(w.domains.is_empty() && w.attached.is_empty());
    // The PASID stays with the mm until it is dropped, and a rebind reuses it.
    assert_eq!(c.mm(MmId(9)).unwrap().pasid(), a.pasid());
    let again = bind(&mut c, &mut w, 1, 9);
    assert_eq!(again.pasid(), a.pasid());
    assert_ne!(again, b, "a new bond of the same pair has a new handle");
    assert_eq!(c.run(&mut w, |c| c.unbind(&b)), Err(Errno::ENOENT));
    c.run(&mut w, |c| c.unbind(&again)).unwrap();
    assert_eq!(
        c.run(&mut w, |c| c.mm_pasid_drop(MmId(9))),
        Ok(Outcome::PasidDropped(Some(a.pasid())))
    );
    assert!(w.pasids.is_empty());
}
