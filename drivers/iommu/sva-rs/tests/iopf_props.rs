// SPDX-License-Identifier: GPL-2.0

//! IOPF group assembly against a reference model: grouping, bounded
//! partial lists, exactly one response per group across completion,
//! discard, PASID removal and device removal.

use iommu_sva::sva::errno::Errno;
use iommu_sva::sva::iopf::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, VecDeque};

const P: usize = 6;
const G: usize = 4;
type Dev = IopfDevice<u32, P, G>;

/// A sink that fails after `room` faults.
struct VecSink {
    faults: Vec<Fault>,
    room: usize,
}

impl FaultSink for VecSink {
    fn push(&mut self, fault: &Fault) -> Result<(), SinkFull> {
        if self.faults.len() >= self.room {
            return Err(SinkFull);
        }
        self.faults.push(*fault);
        Ok(())
    }
}

fn sink(room: usize) -> VecSink {
    VecSink {
        faults: Vec::new(),
        room,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Queued,
    Running,
    Orphaned,
}

#[derive(Default)]
struct Model {
    partial: VecDeque<Fault>,
    groups: BTreeMap<u64, (Fault, St)>,
    removed: bool,
    /// Responses per dispatched token, over the whole run.
    answers: BTreeMap<u64, usize>,
    dispatched: Vec<u64>,
}

impl Model {
    fn slots_used(&self) -> usize {
        self.groups.len()
    }

    fn answer(&mut self, token: u64) {
        *self.answers.entry(token).or_default() += 1;
    }
}

#[derive(Clone, Debug)]
enum Op {
    Report {
        fault: Fault,
        route: bool,
        room: usize,
    },
    Start(usize),
    Complete(usize, RespCode),
    RemovePasid(Option<u32>),
    RemoveDevice,
    Reopen,
    Discard,
}

fn fault() -> impl Strategy<Value = Fault> {
    (
        any::<bool>(),
        0u32..3,
        0u32..4,
        prop::bool::weighted(0.35),
        any::<bool>(),
        0u32..16,
        any::<u64>(),
        prop::bool::weighted(0.02),
    )
        .prop_map(|(pv, pasid, grpid, last, np, perm, addr, bad)| {
            let mut flags = 0;
            if pv {
                flags |= PAGE_REQUEST_PASID_VALID;
            }
            if last {
                flags |= PAGE_REQUEST_LAST_PAGE;
            }
            if np {
                flags |= PAGE_RESPONSE_NEEDS_PASID;
            }
            Fault {
                kind: if bad { 2 } else { FAULT_TYPE_PAGE_REQ },
                flags,
                pasid,
                grpid,
                perm,
                addr,
                private_data: [addr ^ 1, addr ^ 2],
            }
        })
}

fn op() -> impl Strategy<Value = Op> {
    let code = prop_oneof![
        Just(RespCode::Success),
        Just(RespCode::Invalid),
        Just(RespCode::Failure)
    ];
    prop_oneof![
        12 => (fault(), prop::bool::weighted(0.9), prop_oneof![9 => Just(usize::MAX), 1 => 0usize..4])
            .prop_map(|(fault, route, room)| Op::Report { fault, route, room }),
        3 => (0usize..32).prop_map(Op::Start),
        3 => (0usize..32, code).prop_map(|(i, c)| Op::Complete(i, c)),
        1 => proptest::option::of(0u32..3).prop_map(Op::RemovePasid),
        1 => Just(Op::RemoveDevice),
        1 => Just(Op::Reopen),
        1 => Just(Op::Discard),
    ]
}

fn sorted(mut v: Vec<Response>) -> Vec<(u32, u32, u32, u64)> {
    let mut out: Vec<_> = v
        .drain(..)
        .map(|r| (r.code.raw(), r.last.pasid, r.last.grpid, r.last.addr))
        .collect();
    out.sort();
    out
}

fn run_op(d: &mut Dev, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::Report { fault, route, room } => {
            let mut s = sink(*room);
            let got = d.report(fault, route.then_some(7), &mut s);
            if fault.kind != FAULT_TYPE_PAGE_REQ {
                prop_assert_eq!(got, Err(Errno::EINVAL));
                return Ok(());
            }
            let got = got.unwrap();
            let key = fault.key();
            let last = fault.last_page();
            if m.removed || !route {
                if last {
                    m.partial.retain(|f| f.key() != key);
                    let r = Response {
                        code: RespCode::Invalid,
                        last: *fault,
                    };
                    prop_assert_eq!(got, Reported::Rejected(Some(r)));
                } else {
                    prop_assert_eq!(got, Reported::Rejected(None));
                }
                prop_assert!(s.faults.is_empty());
                return Ok(());
            }
            if !last {
                let evicted = if m.partial.len() == P {
                    m.partial.pop_front()
                } else {
                    None
                };
                m.partial.push_back(*fault);
                prop_assert_eq!(got, Reported::Partial { evicted });
                return Ok(());
            }
            let mut group: Vec<Fault> = m
                .partial
                .iter()
                .filter(|f| f.key() == key)
                .copied()
                .collect();
            m.partial.retain(|f| f.key() != key);
            group.push(*fault);
            let abort = Reported::Aborted(Response {
                code: RespCode::Failure,
                last: *fault,
            });
            if group.len() > *room || m.slots_used() == G {
                prop_assert_eq!(got, abort);
                return Ok(());
            }
            match got {
                Reported::Dispatched {
                    token,
                    route,
                    faults,
                } => {
                    prop_assert_eq!(route, 7);
                    prop_assert_eq!(faults, group.len());
                    prop_assert_eq!(&s.faults, &group);
                    let t = token.to_raw();
                    prop_assert!(!m.groups.contains_key(&t));
                    prop_assert!(!m.dispatched.contains(&t), "token reused");
                    m.groups.insert(t, (*fault, St::Queued));
                    m.dispatched.push(t);
                }
                other => prop_assert!(false, "expected dispatch, got {:?}", other),
            }
        }
        Op::Start(i) => {
            let Some(&t) = m.dispatched.get(i % m.dispatched.len().max(1)) else {
                return Ok(());
            };
            let got = d.start(GroupToken::from_raw(t));
            match m.groups.get_mut(&t) {
                Some((_, st @ St::Queued)) => {
                    prop_assert_eq!(got, Ok(7));
                    *st = St::Running;
                }
                Some(_) => prop_assert_eq!(got, Err(Errno::EINVAL)),
                None => prop_assert_eq!(got, Err(Errno::ENOENT)),
            }
        }
        Op::Complete(i, code) => {
            let Some(&t) = m.dispatched.get(i % m.dispatched.len().max(1)) else {
                return Ok(());
            };
            let got = d.complete(GroupToken::from_raw(t), *code);
            match m.groups.remove(&t) {
                Some((last, St::Queued | St::Running)) => {
                    prop_assert_eq!(got, Ok(Some(Response { code: *code, last })));
                    m.answer(t);
                }
                Some((_, St::Orphaned)) => prop_assert_eq!(got, Ok(None)),
                None => prop_assert_eq!(got, Err(Errno::ENOENT)),
            }
        }
        Op::RemovePasid(p) => {
            let mut got = Vec::new();
            let busy = d.remove_pasid(*p, |r| got.push(r));
            m.partial.retain(|f| f.pasid() != *p);
            let mut expect = Vec::new();
            let mut answered = Vec::new();
            for (&t, (last, st)) in m.groups.iter_mut() {
                if last.pasid() != *p || *st == St::Orphaned {
                    continue;
                }
                expect.push(Response {
                    code: RespCode::Invalid,
                    last: *last,
                });
                answered.push(t);
                *st = St::Orphaned;
            }
            for t in answered {
                m.answer(t);
            }
            // Queued ones are freed by `settle`, started ones stay orphaned.
            prop_assert_eq!(sorted(got), sorted(expect));
            prop_assert_eq!(busy, d.busy(*p));
        }
        Op::RemoveDevice => {
            let mut got = Vec::new();
            let still = d.remove_device(|r| got.push(r));
            m.removed = true;
            m.partial.clear();
            let mut expect = Vec::new();
            let mut answered = Vec::new();
            for (&t, (last, st)) in m.groups.iter_mut() {
                if *st == St::Orphaned {
                    continue;
                }
                expect.push(Response {
                    code: RespCode::Invalid,
                    last: *last,
                });
                answered.push(t);
                *st = St::Orphaned;
            }
            for t in answered {
                m.answer(t);
            }
            prop_assert_eq!(sorted(got), sorted(expect));
            prop_assert!(still <= G);
        }
        Op::Reopen => {
            d.reopen();
            m.removed = false;
        }
        Op::Discard => {
            prop_assert_eq!(d.discard_partial(), m.partial.len());
            m.partial.clear();
        }
    }
    Ok(())
}

/// Removal frees queued groups at once: the model keeps them as orphans
/// only if they had started. Fix up after a removal op.
fn settle(d: &Dev, m: &mut Model, before: &BTreeMap<u64, (Fault, St)>) {
    m.groups.retain(|t, (_, st)| {
        *st != St::Orphaned || before.get(t).is_none_or(|(_, b)| *b != St::Queued)
    });
    let _ = d;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn assembly_matches_model(ops in prop::collection::vec(op(), 1..150)) {
        let mut d = Dev::new();
        let mut m = Model::default();
        for op in &ops {
            let before = m.groups.clone();
            run_op(&mut d, &mut m, op)?;
            settle(&d, &mut m, &before);
            // Bounded memory and consistent counts.
            prop_assert!(d.partial_len() <= P);
            prop_assert_eq!(d.partial_len(), m.partial.len());
            let pending = m.groups.values().filter(|(_, s)| *s != St::Orphaned).count();
            prop_assert_eq!(d.pending(), pending);
            for p in [None, Some(0), Some(1), Some(2)] {
                let busy = m.groups.values().filter(|(l, s)| *s == St::Orphaned && l.pasid() == p).count();
                prop_assert_eq!(d.busy(p), busy);
            }
            prop_assert_eq!(d.is_quiescent(), m.groups.is_empty());
            prop_assert_eq!(d.is_removed(), m.removed);
        }
        // Remove the device, let every handler finish: every dispatched
        // group was answered exactly once.
        let before = m.groups.clone();
        run_op(&mut d, &mut m, &Op::RemoveDevice)?;
        settle(&d, &mut m, &before);
        let left: Vec<u64> = m.groups.keys().copied().collect();
        for t in left {
            prop_assert_eq!(d.complete(GroupToken::from_raw(t), RespCode::Success), Ok(None));
            m.groups.remove(&t);
        }
        prop_assert!(d.is_quiescent());
        for t in &m.dispatched {
            prop_assert_eq!(m.answers.get(t).copied(), Some(1), "group {:#x}", t);
            prop_assert_eq!(d.complete(GroupToken::from_raw(*t), RespCode::Success), Err(Errno::ENOENT));
        }
    }
}

fn pr(pasid: Option<u32>, grpid: u32, last: bool, addr: u64) -> Fault {
    let mut flags = 0;
    if pasid.is_some() {
        flags |= PAGE_REQUEST_PASID_VALID;
    }
    if last {
        flags |= PAGE_REQUEST_LAST_PAGE;
    }
    Fault {
        kind: FAULT_TYPE_PAGE_REQ,
        flags,
        pasid: pasid.unwrap_or(0),
        grpid,
        perm: PERM_READ,
        addr,
        private_data: [0; 2],
    }
}

#[test]
fn flood_of_unfinished_groups_is_bounded() {
    let mut d: IopfDevice<u32, 32, 8> = IopfDevice::new();
    let mut s = sink(usize::MAX);
    let mut evicted = 0;
    for i in 0..100_000u64 {
        let f = pr(Some(1), (i % 512) as u32, false, i << 12);
        match d.report(&f, Some(1), &mut s).unwrap() {
            Reported::Partial { evicted: Some(e) } => {
                assert_eq!(e.addr, (i - 32) << 12);
                evicted += 1;
            }
            Reported::Partial { evicted: None } => {}
            r => panic!("{r:?}"),
        }
        assert!(d.partial_len() <= 32);
    }
    assert_eq!(evicted, 100_000 - 32);
    // A legitimate group still completes with the pages that survived.
    let last_grp = (99_999 % 512) as u32;
    let r = d
        .report(&pr(Some(1), last_grp, true, 7), Some(1), &mut s)
        .unwrap();
    assert!(matches!(r, Reported::Dispatched { faults: 2, .. }), "{r:?}");
    assert_eq!(s.faults.len(), 2);
    assert_eq!(s.faults[0].addr, 99_999 << 12);
    assert_eq!(d.partial_len(), 31);
}

#[test]
fn groups_are_keyed_by_pasid_too() {
    let mut d: IopfDevice<u32, 8, 4> = IopfDevice::new();
    let mut s = sink(usize::MAX);
    d.report(&pr(Some(1), 5, false, 0x1000), Some(1), &mut s)
        .unwrap();
    d.report(&pr(Some(2), 5, false, 0x2000), Some(2), &mut s)
        .unwrap();
    d.report(&pr(None, 5, false, 0x3000), Some(0), &mut s)
        .unwrap();
    let r = d
        .report(&pr(Some(2), 5, true, 0x4000), Some(2), &mut s)
        .unwrap();
    assert!(matches!(
        r,
        Reported::Dispatched {
            route: 2,
            faults: 2,
            ..
        }
    ));
    assert_eq!(
        s.faults.iter().map(|f| f.addr).collect::<Vec<_>>(),
        [0x2000, 0x4000]
    );
    assert_eq!(d.partial_len(), 2);
}

/// The token of a group that must have been dispatched.
fn token(r: Reported<u32>) -> GroupToken {
    match r {
        Reported::Dispatched { token, .. } => token,
        r => panic!("{r:?}"),
    }
}

#[test]
fn removal_protocol() {
    let mut d: IopfDevice<u32, 8, 4> = IopfDevice::new();
    let mut s = sink(usize::MAX);
    let a = token(
        d.report(&pr(Some(1), 1, true, 0xa000), Some(1), &mut s)
            .unwrap(),
    );
    let b = token(
        d.report(&pr(Some(1), 2, true, 0xb000), Some(1), &mut s)
            .unwrap(),
    );
    let c = token(
        d.report(&pr(Some(2), 3, true, 0xc000), Some(2), &mut s)
            .unwrap(),
    );
    d.report(&pr(Some(1), 4, false, 0xd000), Some(1), &mut s)
        .unwrap();
    // `a`'s handler is running when PASID 1 is removed.
    assert_eq!(d.start(a), Ok(1));
    let mut sent = Vec::new();
    assert_eq!(d.remove_pasid(Some(1), |r| sent.push(r)), 1);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|r| r.code == RespCode::Invalid));
    assert_eq!(d.partial_len(), 0);
    // The queued work for `b` must not touch the removed PASID.
    assert_eq!(d.start(b), Err(Errno::ENOENT));
    assert_eq!(d.complete(b, RespCode::Success), Err(Errno::ENOENT));
    // The running handler finishes; no second response.
    assert_eq!(d.busy(Some(1)), 1);
    assert_eq!(d.complete(a, RespCode::Success), Ok(None));
    assert_eq!(d.busy(Some(1)), 0);
    // Other PASIDs are untouched.
    assert_eq!(d.start(c), Ok(2));
    let r = d.complete(c, RespCode::Success).unwrap().unwrap();
    assert_eq!(
        (r.code, r.grpid(), r.pasid_field()),
        (RespCode::Success, 3, 2)
    );
    assert_eq!(d.complete(c, RespCode::Success), Err(Errno::ENOENT));
    // Device removal answers the rest and refuses new requests.
    let e = token(
        d.report(&pr(None, 9, true, 0xe000), Some(0), &mut s)
            .unwrap(),
    );
    let mut sent = Vec::new();
    assert_eq!(d.remove_device(|r| sent.push(r)), 0);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].key(),
        GroupKey {
            pasid: None,
            grpid: 9
        }
    );
    assert!(d.is_quiescent());
    assert_eq!(d.start(e), Err(Errno::ENOENT));
    let r = d.report(&pr(Some(1), 1, true, 0), Some(1), &mut s).unwrap();
    assert!(matches!(
        r,
        Reported::Rejected(Some(Response {
            code: RespCode::Invalid,
            ..
        }))
    ));
    let r = d
        .report(&pr(Some(1), 1, false, 0), Some(1), &mut s)
        .unwrap();
    assert_eq!(r, Reported::Rejected(None));
}

#[test]
fn response_rules() {
    let mut f = pr(Some(7), 3, true, 0x1000);
    f.private_data = [0x1234, 0x5678];
    f.flags |= 1 << 3 | 1 << 31; // old PRIV_DATA bit and an unknown bit are kept
    let mut d: IopfDevice<u32, 4, 2> = IopfDevice::new();
    let mut s = sink(usize::MAX);
    // No handler: INVALID right away, with the whole request.
    let r = d.report(&f, None, &mut s).unwrap();
    let Reported::Rejected(Some(resp)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(resp.code, RespCode::Invalid);
    assert_eq!(resp.last, f);
    assert_eq!(
        resp.pasid(),
        None,
        "no NEEDS_PASID, no PASID in the response"
    );
    assert_eq!(resp.pasid_field(), 7);
    f.flags |= PAGE_RESPONSE_NEEDS_PASID;
    let Reported::Rejected(Some(resp)) = d.report(&f, None, &mut s).unwrap() else {
        panic!()
    };
    assert_eq!(resp.pasid(), Some(7));
    // NEEDS_PASID without a valid PASID carries none.
    let mut g = f;
    g.flags &= !PAGE_REQUEST_PASID_VALID;
    let Reported::Rejected(Some(resp)) = d.report(&g, None, &mut s).unwrap() else {
        panic!()
    };
    assert_eq!(resp.pasid(), None);
    // Not the last request and no handler: no response at all.
    let mut p = f;
    p.flags &= !PAGE_REQUEST_LAST_PAGE;
    assert_eq!(d.report(&p, None, &mut s), Ok(Reported::Rejected(None)));
    // Other fault types are refused without response.
    let mut u = f;
    u.kind = 0;
    assert_eq!(d.report(&u, Some(1), &mut s), Err(Errno::EINVAL));
    // Sink or table exhaustion: FAILURE, as 6.12's abort path.
    let mut tiny = sink(0);
    let r = d.report(&f, Some(1), &mut tiny).unwrap();
    assert!(matches!(
        r,
        Reported::Aborted(Response {
            code: RespCode::Failure,
            ..
        })
    ));
    for _ in 0..2 {
        assert!(matches!(
            d.report(&f, Some(1), &mut s).unwrap(),
            Reported::Dispatched { .. }
        ));
    }
    let r = d.report(&f, Some(1), &mut s).unwrap();
    assert!(matches!(
        r,
        Reported::Aborted(Response {
            code: RespCode::Failure,
            ..
        })
    ));
    // Codes match enum iommu_page_response_code.
    assert_eq!(RespCode::Success.raw(), 0);
    assert_eq!(RespCode::Invalid.raw(), 1);
    assert_eq!(RespCode::Failure.raw(), 2);
    assert_eq!(RespCode::from_raw(2), Some(RespCode::Failure));
    assert_eq!(RespCode::from_raw(3), None);
    // Flag values match include/linux/iommu.h.
    assert_eq!(PAGE_REQUEST_PASID_VALID, 1);
    assert_eq!(PAGE_REQUEST_LAST_PAGE, 2);
    assert_eq!(PAGE_RESPONSE_NEEDS_PASID, 4);
    assert_eq!((PERM_READ, PERM_WRITE, PERM_EXEC, PERM_PRIV), (1, 2, 4, 8));
    // Forged tokens are merely unknown.
    for raw in [0u64, u64::MAX, 1 << 32, 0xffff_ffff] {
        let t = GroupToken::from_raw(raw);
        assert_eq!(GroupToken::from_raw(t.to_raw()), t);
        let _ = d.start(t);
    }
    assert_eq!(
        d.complete(GroupToken::from_raw(u64::MAX), RespCode::Success),
        Err(Errno::ENOENT)
    );
}

#[test]
fn zero_capacity_partial_list() {
    let mut d: IopfDevice<u32, 0, 1> = IopfDevice::new();
    let mut s = sink(usize::MAX);
    let f = pr(Some(1), 1, false, 0x1000);
    assert_eq!(
        d.report(&f, Some(1), &mut s),
        Ok(Reported::Partial { evicted: Some(f) })
    );
    assert_eq!(d.partial_len(), 0);
}

/// `busy_route` counts only the removed handler's started groups, so a
/// PASID removal never waits for another handler at the same PASID.
#[test]
fn busy_by_route() {
    let mut d: IopfDevice<u32, 4, 4> = IopfDevice::new();
    let mut s = sink(usize::MAX);
    let a = token(
        d.report(&pr(Some(1), 1, true, 0), Some(10), &mut s)
            .unwrap(),
    );
    let b = token(
        d.report(&pr(Some(1), 2, true, 0), Some(20), &mut s)
            .unwrap(),
    );
    assert_eq!(d.start(a), Ok(10));
    assert_eq!(d.start(b), Ok(20));
    assert_eq!(d.busy_route(10), 0);
    assert_eq!(d.remove_pasid(Some(1), |_| {}), 2);
    assert_eq!(d.busy_route(10), 1);
    assert_eq!(d.busy_route(20), 1);
    assert_eq!(d.complete(b, RespCode::Success), Ok(None));
    assert_eq!(d.busy_route(20), 0);
    assert_eq!(d.busy_route(10), 1);
    assert_eq!(d.complete(a, RespCode::Success), Ok(None));
    assert!(d.is_quiescent());
}

/// A device initialised in place behaves like a new one, slot search
/// included (a full table aborts, a freed slot is found again).
#[test]
fn init_in_place_is_new() {
    let mut storage =
        std::boxed::Box::new(core::mem::MaybeUninit::<IopfDevice<u32, 2, 3>>::uninit());
    let d = IopfDevice::init_in_place(&mut storage);
    let mut s = sink(usize::MAX);
    assert!(d.is_quiescent());
    assert_eq!(d.partial_len(), 0);
    let mut toks = Vec::new();
    for g in 0..3 {
        match d.report(&pr(Some(1), g, true, 0), Some(1), &mut s).unwrap() {
            Reported::Dispatched { token, .. } => toks.push(token),
            r => panic!("{r:?}"),
        }
    }
    assert!(matches!(
        d.report(&pr(Some(1), 7, true, 0), Some(1), &mut s).unwrap(),
        Reported::Aborted(_)
    ));
    assert!(d.complete(toks[1], RespCode::Success).unwrap().is_some());
    assert!(matches!(
        d.report(&pr(Some(1), 8, true, 0), Some(1), &mut s).unwrap(),
        Reported::Dispatched { .. }
    ));
}
