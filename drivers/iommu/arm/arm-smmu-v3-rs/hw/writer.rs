// SPDX-License-Identifier: GPL-2.0

//! Hitless update of live Stream Table Entries and Context Descriptors.
//!
//! # The problem
//!
//! An STE or CD is 64 bytes, but the SMMU only guarantees single-copy
//! atomicity of 64-bit reads, in any order, and it may cache entries until
//! told otherwise (`CMD_CFGI_STE`/`CMD_CFGI_CD` followed by `CMD_SYNC`; a
//! *sync* below). Rewriting a live entry qword by qword can therefore expose
//! the hardware to a mixture of the old and new contents that is neither
//! configuration.
//!
//! # The rule
//!
//! Every state the SMMU can observe must, on the bits that state makes the
//! SMMU read ([`Entry::used`]), equal the old entry or the new entry, or be
//! invalid (`V == 0`, which terminates traffic: a *break*). Breaks are used
//! only when unavoidable, and as few syncs as possible are issued.
//!
//! # The algorithm
//!
//! Let `cur_used = used(cur)` and `target_used = used(target)`.
//!
//! 1. Bits `cur` does not use may be changed at any time without the SMMU
//!    noticing. Set all of them to their target values: this gives
//!    `unused_update = (cur & cur_used) | (target & !cur_used)`.
//! 2. A qword is *critical* if, after that, it still differs from `target`
//!    in bits `target` uses.
//! 3. No critical qword: the entries already agree on everything either of
//!    them uses; write any remaining (unused) differences with one sync.
//! 4. Exactly one critical qword: *hitless* update in up to three phases,
//!    each followed by a sync if it wrote anything:
//!    - (a) write `unused_update` to every other qword (the SMMU still
//!      sees `cur`);
//!    - (b) write the critical qword's target value with one 64-bit store;
//!      at that instant the entry switches from `cur` to `target` (all
//!      other bits `target` uses are already in place);
//!    - (c) write the remaining qwords' target values (bits `target` does
//!      not use, e.g. old stage 2 fields when leaving a stage 2
//!      configuration).
//! 5. Two or more critical qwords: no single store can switch the
//!    configuration, so *break*: clear qword 0 (including `V`) and sync;
//!    write qwords 1..7 and sync; write qword 0 and sync.
//!
//! The final sync of (4c) only cleans bits the new configuration ignores; it
//! is kept so that when the call returns the SMMU can hold no cached copy
//! differing from table memory.
//!
//! # Update-safe bits
//!
//! Some bits are used by both entries yet their exact transition point does
//! not matter ([`Entry::update_safe`]); the STE's `MEV` and `EATS`
//! abort/translate are examples, see
//! [`Ste::update_safe_bits`](crate::hw::ste::Ste::update_safe_bits) for the
//! reasoning. They are treated as unused by `cur`, so they change in phase
//! (a) and cannot make a qword critical. This turns e.g. "S2 domain without
//! ATS" to "CD table with ATS" from a break into a hitless update.
//!
//! # Using it
//!
//! The driver implements [`EntrySink`] over the live entry in table memory
//! (64-bit single-copy-atomic stores; `sync` issues `CFGI_STE`/`CFGI_CD` for
//! every affected stream plus `CMD_SYNC`) and calls [`write_entry`]. Tests
//! use [`CheckingSink`], which checks the rule at every observable state,
//! including torn reads, and counts syncs. [`selftest`] runs the upstream
//! KUnit transitions, allocation-free, for the host and in-kernel KUnit.

use crate::hw::bits::ENTRY_QWORDS;

/// A 64-byte SMMU configuration structure that can be updated while live.
pub trait Entry: Copy {
    /// Short name for messages ("STE", "CD").
    const NAME: &'static str;

    /// The raw qwords.
    fn qwords(&self) -> &[u64; ENTRY_QWORDS];

    /// The entry with the given raw qwords.
    fn from_qwords(q: [u64; ENTRY_QWORDS]) -> Self;

    /// The bits the SMMU reads when the entry holds `self`.
    ///
    /// Must be a superset of what the hardware may read, and must contain
    /// the bits that decide it: if `a` and `b` agree on `a.used()`, then
    /// `a.used() == b.used()`.
    fn used(&self) -> [u64; ENTRY_QWORDS];

    /// Bits used by both `cur` and `target` that may nevertheless change
    /// in any order relative to the rest of the update (default: none).
    fn update_safe(_cur: &Self, _target: &Self) -> [u64; ENTRY_QWORDS] {
        [0; ENTRY_QWORDS]
    }

    /// Whether the entry is valid (`V == 1`).
    fn is_valid(&self) -> bool;
}

/// The live entry the writer updates.
pub trait EntrySink {
    /// Reads qword `index` (0..8) of the live entry.
    fn read_qword(&self, index: usize) -> u64;

    /// Stores `value` to qword `index` (0..8) of the live entry with one
    /// single-copy-atomic 64-bit write.
    fn write_qword(&mut self, index: usize, value: u64);

    /// Makes all previous writes visible to the SMMU and waits until it can
    /// no longer use anything it read before (CFGI + CMD_SYNC).
    fn sync(&mut self);

    /// Called once before the first write: order earlier writes to
    /// structures the new entry points to (CD tables, page tables) before
    /// the entry itself (`dma_wmb()`). Default: nothing.
    fn publish_barrier(&mut self) {}
}

/// How an update was carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateKind {
    /// Nothing the SMMU uses differed; at most unused bits were rewritten.
    NoUsedChange,
    /// One critical qword: the switch was a single 64-bit store.
    Hitless {
        /// Index of the critical qword.
        critical: usize,
    },
    /// Several critical qwords: the entry was made invalid in between.
    Breaking,
}

/// One phase of an update: write the masked qwords' values, then sync if
/// anything changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Values to write.
    pub value: [u64; ENTRY_QWORDS],
    /// Bit `i` set: qword `i` is written (if it differs).
    pub qwords: u8,
}

/// The sequence of writes that takes a live entry from `cur` to `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// How the update proceeds.
    pub kind: UpdateKind,
    /// The phases, in order; at most three.
    pub phases: [Phase; 3],
    /// Number of meaningful entries of `phases`.
    pub len: usize,
}

/// Why the writer refused an update (nothing was written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The target sets bits its own configuration does not use; the entry
    /// builder and the `used` function disagree.
    TargetSetsUnusedBits {
        /// The first offending qword.
        qword: usize,
        /// The offending bits of it.
        bits: u64,
    },
}

/// The result of [`write_entry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteReport {
    /// How the update proceeded.
    pub kind: UpdateKind,
    /// Number of syncs issued.
    pub syncs: u32,
    /// Number of qword stores issued.
    pub writes: u32,
}

const ALL_QWORDS: u8 = 0xff;

/// Computes the update from `cur` to `target` without performing it.
pub fn plan<E: Entry>(cur: &E, target: &E) -> Result<Plan, WriteError> {
    let cur_q = cur.qwords();
    let target_q = target.qwords();
    let mut cur_used = cur.used();
    let target_used = target.used();
    let safe = E::update_safe(cur, target);

    let mut unused_update = [0u64; ENTRY_QWORDS];
    let mut critical: u8 = 0;
    for i in 0..ENTRY_QWORDS {
        let stray = target_q[i] & !target_used[i];
        if stray != 0 {
            return Err(WriteError::TargetSetsUnusedBits {
                qword: i,
                bits: stray,
            });
        }
        // Update-safe bits count only where both entries use them; they
        // are then free to change early, like unused bits.
        cur_used[i] &= !(safe[i] & cur_used[i] & target_used[i]);
        unused_update[i] = (cur_q[i] & cur_used[i]) | (target_q[i] & !cur_used[i]);
        if unused_update[i] & target_used[i] != target_q[i] {
            critical |= 1 << i;
        }
    }

    let empty = Phase {
        value: [0; ENTRY_QWORDS],
        qwords: 0,
    };
    let all = |value| Phase {
        value,
        qwords: ALL_QWORDS,
    };
    let mut plan = Plan {
        kind: UpdateKind::NoUsedChange,
        phases: [empty; 3],
        len: 0,
    };
    match critical.count_ones() {
        0 => {
            plan.phases[0] = all(*target_q);
            plan.len = 1;
        }
        1 => {
            let c = critical.trailing_zeros() as usize;
            plan.kind = UpdateKind::Hitless { critical: c };
            plan.phases[0] = Phase {
                value: unused_update,
                qwords: ALL_QWORDS & !(1 << c),
            };
            plan.phases[1] = Phase {
                value: *target_q,
                qwords: 1 << c,
            };
            plan.phases[2] = all(*target_q);
            plan.len = 3;
        }
        _ => {
            plan.kind = UpdateKind::Breaking;
            let mut invalid = *cur_q;
            invalid[0] = 0;
            plan.phases[0] = Phase {
                value: invalid,
                qwords: 1,
            };
            plan.phases[1] = Phase {
                value: *target_q,
                qwords: ALL_QWORDS & !1,
            };
            plan.phases[2] = Phase {
                value: *target_q,
                qwords: 1,
            };
            plan.len = 3;
        }
    }
    Ok(plan)
}

/// Updates the live entry behind `sink` to `target`, hitlessly if possible
/// (see the module documentation).
///
/// The current value is read from the sink. On error nothing is written.
pub fn write_entry<E: Entry, S: EntrySink>(
    sink: &mut S,
    target: &E,
) -> Result<WriteReport, WriteError> {
    let mut cur = [0u64; ENTRY_QWORDS];
    for (i, q) in cur.iter_mut().enumerate() {
        *q = sink.read_qword(i);
    }
    let plan = plan(&E::from_qwords(cur), target)?;
    sink.publish_barrier();

    let mut report = WriteReport {
        kind: plan.kind,
        syncs: 0,
        writes: 0,
    };
    for phase in plan.phases.iter().take(plan.len) {
        let mut changed = false;
        for (i, live) in cur.iter_mut().enumerate() {
            if phase.qwords & (1 << i) != 0 && *live != phase.value[i] {
                sink.write_qword(i, phase.value[i]);
                *live = phase.value[i];
                report.writes = report.writes.wrapping_add(1);
                changed = true;
            }
        }
        if changed {
            sink.sync();
            report.syncs = report.syncs.wrapping_add(1);
        }
    }
    Ok(report)
}

/// What a [`CheckingSink`] found wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A state the SMMU could observe (possibly a torn read mixing qwords
    /// written in the same sync interval) is valid but equals neither the
    /// initial nor the target entry on the bits it uses.
    Inconsistent {
        /// Number of syncs before the interval the state belongs to.
        phase: u32,
        /// The state.
        state: [u64; ENTRY_QWORDS],
    },
    /// Writes were left without a following sync.
    UnsyncedWrites,
    /// The live entry does not equal the target at the end.
    WrongFinalValue,
    /// A qword was written more often within one sync interval than the
    /// checker tracks.
    TooManyWrites,
    /// A qword index outside 0..8 was accessed.
    BadIndex,
}

/// Most distinct values a [`CheckingSink`] tracks per qword per interval.
const MAX_VALUES: usize = 4;

/// An [`EntrySink`] over an in-memory entry that checks the hitless rule.
///
/// Between two syncs the SMMU may read each qword at any time, so it can
/// observe any combination of, per qword, the value at the start of the
/// interval or any value written during it. At each sync (and at
/// [`CheckingSink::finish`]) every such combination is checked: it must be
/// invalid or equal the initial or target entry on the bits it uses (update
/// safe bits of the transition excepted). This is stricter than checking
/// only the states at sync points.
///
/// # Invariants
///
/// `counts[i]` is in `1..=MAX_VALUES` and `values[i][..counts[i]]` are the
/// distinct values qword `i` has held since the last sync, the first being
/// its value at that sync.
#[derive(Clone, Copy, Debug)]
pub struct CheckingSink<E: Entry> {
    live: [u64; ENTRY_QWORDS],
    init: E,
    target: E,
    safe: [u64; ENTRY_QWORDS],
    values: [[u64; MAX_VALUES]; ENTRY_QWORDS],
    counts: [usize; ENTRY_QWORDS],
    dirty: bool,
    /// Number of syncs issued.
    pub syncs: u32,
    /// Number of qword writes issued.
    pub writes: u32,
    /// Whether an observable state had `V == 0` (a break, or an initial or
    /// target entry that is invalid).
    pub saw_invalid: bool,
    /// The first violation found, if any.
    pub violation: Option<Violation>,
}

impl<E: Entry> CheckingSink<E> {
    /// A live entry holding `init`, about to be updated to `target`.
    pub fn new(init: &E, target: &E) -> Self {
        let mut safe = E::update_safe(init, target);
        let (iu, tu) = (init.used(), target.used());
        for i in 0..ENTRY_QWORDS {
            safe[i] &= iu[i] & tu[i];
        }
        let mut sink = Self {
            live: *init.qwords(),
            init: *init,
            target: *target,
            safe,
            values: [[0; MAX_VALUES]; ENTRY_QWORDS],
            counts: [1; ENTRY_QWORDS],
            dirty: false,
            syncs: 0,
            writes: 0,
            saw_invalid: false,
            violation: None,
        };
        sink.restart_interval();
        sink
    }

    /// The live entry.
    pub fn entry(&self) -> E {
        E::from_qwords(self.live)
    }

    fn restart_interval(&mut self) {
        for i in 0..ENTRY_QWORDS {
            self.values[i][0] = self.live[i];
            self.counts[i] = 1;
        }
    }

    fn fail(&mut self, v: Violation) {
        if self.violation.is_none() {
            self.violation = Some(v);
        }
    }

    /// Whether `state` equals `reference` on the bits `state` uses, update
    /// safe bits excepted.
    fn matches(&self, state: &E, reference: &E) -> bool {
        let used = state.used();
        let (s, r) = (state.qwords(), reference.qwords());
        (0..ENTRY_QWORDS).all(|i| (s[i] ^ r[i]) & used[i] & !self.safe[i] == 0)
    }

    /// Checks every combination observable in the current interval.
    fn check_interval(&mut self) {
        let mut choice = [0usize; ENTRY_QWORDS];
        loop {
            let mut q = [0u64; ENTRY_QWORDS];
            for i in 0..ENTRY_QWORDS {
                q[i] = self.values[i][choice[i]];
            }
            let state = E::from_qwords(q);
            if !state.is_valid() {
                self.saw_invalid = true;
            } else if !self.matches(&state, &self.init) && !self.matches(&state, &self.target) {
                let phase = self.syncs;
                self.fail(Violation::Inconsistent { phase, state: q });
            }
            // Next combination (odometer over the per-qword choices).
            let mut i = 0;
            loop {
                if i == ENTRY_QWORDS {
                    return;
                }
                choice[i] += 1;
                if choice[i] < self.counts[i] {
                    break;
                }
                choice[i] = 0;
                i += 1;
            }
        }
    }

    /// Ends the update: checks the last interval, that no write was left
    /// unsynced and that the live entry equals the target.
    pub fn finish(&mut self) {
        self.check_interval();
        if self.dirty {
            self.fail(Violation::UnsyncedWrites);
        }
        if self.live != *self.target.qwords() {
            self.fail(Violation::WrongFinalValue);
        }
    }
}

impl<E: Entry> EntrySink for CheckingSink<E> {
    fn read_qword(&self, index: usize) -> u64 {
        self.live.get(index).copied().unwrap_or(0)
    }

    fn write_qword(&mut self, index: usize, value: u64) {
        if index >= ENTRY_QWORDS {
            self.fail(Violation::BadIndex);
            return;
        }
        self.live[index] = value;
        self.writes = self.writes.wrapping_add(1);
        self.dirty = true;
        let n = self.counts[index];
        if self.values[index][..n].contains(&value) {
            return;
        }
        if n == MAX_VALUES {
            self.fail(Violation::TooManyWrites);
            return;
        }
        self.values[index][n] = value;
        self.counts[index] = n + 1;
    }

    fn sync(&mut self) {
        self.check_interval();
        self.syncs = self.syncs.wrapping_add(1);
        self.dirty = false;
        self.restart_interval();
    }
}

/// Runs one checked transition: updates a copy of `init` to `target` through
/// a [`CheckingSink`] and returns the sink (with its counts and findings)
/// and the writer's result.
pub fn check_transition<E: Entry>(
    init: &E,
    target: &E,
) -> (CheckingSink<E>, Result<WriteReport, WriteError>) {
    let mut sink = CheckingSink::new(init, target);
    let result = write_entry(&mut sink, target);
    if result.is_ok() {
        sink.finish();
    }
    (sink, result)
}

pub mod selftest;
