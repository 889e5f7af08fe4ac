// SPDX-License-Identifier: GPL-2.0

//! Judges the serial console log of a QEMU run of the iommu-sva-rs kernel.
//!
//! QEMU exits with status 0 even when the kernel panics, so a run is judged
//! only by what the console shows:
//!
//! - KUnit results (KTAP, printed by the kernel during boot, possibly
//!   prefixed with printk timestamps); only leaf test cases are counted, a
//!   suite's own result line is not a test;
//! - kselftest results (TAP) of each binary the initramfs ran, framed by
//!   `SVA-RS-KSELFTEST-BEGIN name` / `SVA-RS-KSELFTEST-END name rc=N`; a
//!   binary that never reached its END marker, or exited non-zero without
//!   reporting a failed test, counts as one failure;
//! - kernel errors (panic, oops, BUG, WARNING, ...), each a failure;
//! - the end marker `SVA-RS-END`, whose absence is a failure.

use std::fmt;

/// Outcome of one test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Skipped (passed with a SKIP directive).
    Skip,
}

/// One test result found in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// Which tier reported it: `kunit`, `kselftest` or `kernel`.
    pub tier: &'static str,
    /// Qualified name (suite/case, binary/case, or the offending log line).
    pub name: String,
    /// Its outcome.
    pub outcome: Outcome,
}

/// Everything the judge found in one log.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// Every test, in log order.
    pub results: Vec<TestResult>,
    /// Whether the end marker was seen.
    pub reached_end: bool,
}

impl Verdict {
    /// Number of results of `tier` (any tier if `None`) with `outcome`.
    pub fn count(&self, tier: Option<&str>, outcome: Outcome) -> usize {
        self.results
            .iter()
            .filter(|r| tier.is_none_or(|t| r.tier == t) && r.outcome == outcome)
            .count()
    }

    /// Whether the run is a success.
    pub fn ok(&self) -> bool {
        self.reached_end && self.count(None, Outcome::Fail) == 0
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for tier in ["kunit", "kselftest", "kernel"] {
            writeln!(
                f,
                "{tier}: {} passed, {} failed, {} skipped",
                self.count(Some(tier), Outcome::Pass),
                self.count(Some(tier), Outcome::Fail),
                self.count(Some(tier), Outcome::Skip)
            )?;
        }
        for r in self.results.iter().filter(|r| r.outcome == Outcome::Fail) {
            writeln!(f, "FAILED {}: {}", r.tier, r.name)?;
        }
        if !self.reached_end {
            writeln!(f, "FAILED boot: the console never showed the end marker")?;
        }
        Ok(())
    }
}

/// Removes a printk timestamp (`[   12.345678] `) and a trailing CR.
fn strip_printk(line: &str) -> &str {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if let Some(rest) = line.strip_prefix('[') {
        if let Some(end) = rest.find("] ") {
            let stamp = rest[..end].trim();
            if !stamp.is_empty() && stamp.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return &rest[end + 2..];
            }
        }
    }
    line
}

/// A parsed `ok N name # directive` / `not ok N name` line.
struct TapLine<'a> {
    ok: bool,
    name: &'a str,
    skip: bool,
}

fn parse_tap_result(s: &str) -> Option<TapLine<'_>> {
    let (ok, rest) = if let Some(r) = s.strip_prefix("ok ") {
        (true, r)
    } else if let Some(r) = s.strip_prefix("not ok ") {
        (false, r)
    } else {
        return None;
    };
    let (num, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (name, directive) = match rest.split_once(" # ") {
        Some((n, d)) => (n, d),
        None => (rest.strip_suffix(" #").unwrap_or(rest), ""),
    };
    let name = name.strip_prefix("- ").unwrap_or(name);
    Some(TapLine {
        ok,
        name: name.trim(),
        skip: directive
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("SKIP"),
    })
}

fn outcome(t: &TapLine<'_>) -> Outcome {
    match (t.ok, t.skip) {
        (false, _) => Outcome::Fail,
        (true, true) => Outcome::Skip,
        (true, false) => Outcome::Pass,
    }
}

/// Kernel log lines that mean something went wrong, whatever the tests say.
const KERNEL_ERRORS: &[&str] = &[
    "Kernel panic",
    "Internal error:",
    "Unable to handle kernel",
    "BUG:",
    "WARNING: CPU:",
    "WARNING: possible",
    "UBSAN:",
    "KASAN:",
    "rust_kernel: panicked",
    "panicked at",
    "INFO: task",
    "rcu: INFO",
    "Call trace:",
];

/// Tracks KTAP nesting to count only leaf KUnit cases.
#[derive(Default)]
struct Ktap {
    /// `children[d]`: whether a result at depth `d + 1` was seen since the
    /// last result at depth `d`.
    children: Vec<bool>,
    /// Subtest names announced with `# Subtest:` per depth.
    names: Vec<Option<String>>,
}

impl Ktap {
    fn line(&mut self, s: &str, out: &mut Vec<TestResult>) {
        let depth = s.len() - s.trim_start_matches(' ').len();
        let depth = depth / 4;
        let body = s.trim_start_matches(' ');
        if let Some(name) = body.strip_prefix("# Subtest: ") {
            if self.names.len() <= depth {
                self.names.resize(depth + 1, None);
            }
            self.names[depth] = Some(name.trim().to_string());
            return;
        }
        let Some(t) = parse_tap_result(body) else {
            return;
        };
        if self.children.len() <= depth + 1 {
            self.children.resize(depth + 2, false);
        }
        let had_children = std::mem::replace(&mut self.children[depth + 1], false);
        if depth > 0 {
            self.children[depth] = true;
        }
        if had_children {
            return; // a suite (or parameterised test) line, not a test
        }
        let parent = self.names.get(depth).and_then(|n| n.clone());
        let name = match parent {
            Some(p) if depth > 0 => format!("{p}.{}", t.name),
            _ => t.name.to_string(),
        };
        out.push(TestResult {
            tier: "kunit",
            name,
            outcome: outcome(&t),
        });
    }
}

/// Judges a whole console log.
pub fn judge(log: &str) -> Verdict {
    let mut v = Verdict::default();
    let mut ktap: Option<Ktap> = None;
    // Current kselftest binary: (name, failures seen).
    let mut kselftest: Option<(String, usize)> = None;

    for raw in log.lines() {
        let line = strip_printk(raw);

        if let Some(name) = line.strip_prefix("SVA-RS-KSELFTEST-BEGIN ") {
            if let Some((prev, _)) = kselftest.take() {
                v.results.push(TestResult {
                    tier: "kselftest",
                    name: format!("{prev}: ended without its END marker (crashed?)"),
                    outcome: Outcome::Fail,
                });
            }
            kselftest = Some((name.trim().to_string(), 0));
            ktap = None;
            continue;
        }
        if let Some(rest) = line.strip_prefix("SVA-RS-KSELFTEST-END ") {
            let rc = rest
                .rsplit_once("rc=")
                .map(|(_, rc)| rc.trim())
                .unwrap_or("?");
            if let Some((name, fails)) = kselftest.take() {
                if rc != "0" && fails == 0 {
                    v.results.push(TestResult {
                        tier: "kselftest",
                        name: format!("{name}: exited with status {rc}"),
                        outcome: Outcome::Fail,
                    });
                }
            }
            continue;
        }
        if line.starts_with("SVA-RS-END") {
            v.reached_end = true;
            continue;
        }
        if let Some(err) = KERNEL_ERRORS.iter().find(|e| line.contains(*e)) {
            // "Call trace:" follows the line that explains it; report it only
            // if nothing else was reported just before.
            let dup = *err == "Call trace:" && v.results.last().is_some_and(|r| r.tier == "kernel");
            if !dup {
                v.results.push(TestResult {
                    tier: "kernel",
                    name: line.trim().to_string(),
                    outcome: Outcome::Fail,
                });
            }
            continue;
        }

        if let Some((bin, fails)) = kselftest.as_mut() {
            // kselftest TAP: results at column 0 only.
            if let Some(t) = parse_tap_result(line) {
                let o = outcome(&t);
                if o == Outcome::Fail {
                    *fails += 1;
                }
                v.results.push(TestResult {
                    tier: "kselftest",
                    name: format!("{bin}.{}", t.name),
                    outcome: o,
                });
            }
            continue;
        }

        if line.trim_start().starts_with("KTAP version") && line.starts_with('K') {
            ktap = Some(Ktap::default());
            continue;
        }
        if let Some(k) = ktap.as_mut() {
            k.line(line, &mut v.results);
        }
    }
    if let Some((name, _)) = kselftest {
        v.results.push(TestResult {
            tier: "kselftest",
            name: format!("{name}: ended without its END marker (crashed?)"),
            outcome: Outcome::Fail,
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUNIT: &str = "\
[    0.5] KTAP version 1
[    0.5] 1..2
[    0.5]     KTAP version 1
[    0.5]     # Subtest: suite_a
[    0.5]     # module: foo
[    0.5]     1..2
[    0.5]     ok 1 case_one
[    0.5]     not ok 2 case_two
[    0.5] not ok 1 suite_a
[    0.5]     KTAP version 1
[    0.5]     # Subtest: suite_b
[    0.5]     1..1
[    0.5]         KTAP version 1
[    0.5]         # Subtest: param_case
[    0.5]         ok 1 p0
[    0.5]         ok 2 p1 # SKIP not here
[    0.5]     ok 1 param_case
[    0.5] ok 2 suite_b
";

    #[test]
    fn kunit_counts_leaf_cases_only() {
        let v = judge(&format!("{KUNIT}SVA-RS-END mode=check\n"));
        assert_eq!(v.count(Some("kunit"), Outcome::Pass), 2, "{v}");
        assert_eq!(v.count(Some("kunit"), Outcome::Fail), 1, "{v}");
        assert_eq!(v.count(Some("kunit"), Outcome::Skip), 1, "{v}");
        assert!(v.results.iter().any(|r| r.name == "suite_a.case_two"));
        assert!(!v.ok());
    }

    #[test]
    fn kselftest_binaries_and_crashes() {
        let log = "\
SVA-RS-KSELFTEST-BEGIN a
TAP version 13
1..2
ok 1 global.x
ok 2 global.y # SKIP no hw
SVA-RS-KSELFTEST-END a rc=0
SVA-RS-KSELFTEST-BEGIN b
ok 1 global.z
SVA-RS-KSELFTEST-END b rc=1
SVA-RS-KSELFTEST-BEGIN c
ok 1 global.w
SVA-RS-END mode=check
";
        let v = judge(log);
        assert_eq!(v.count(Some("kselftest"), Outcome::Pass), 3, "{v}");
        assert_eq!(v.count(Some("kselftest"), Outcome::Skip), 1, "{v}");
        // b exited 1 without a failed test; c never finished.
        assert_eq!(v.count(Some("kselftest"), Outcome::Fail), 2, "{v}");
    }

    #[test]
    fn kernel_errors_and_missing_end_fail_the_run() {
        let v = judge(
            "[    1.0] Unable to handle kernel NULL pointer dereference\n[    1.0] Call trace:\n",
        );
        assert_eq!(v.count(Some("kernel"), Outcome::Fail), 1, "{v}");
        assert!(!v.reached_end);
        assert!(!v.ok());
        let v = judge("all fine\nSVA-RS-END mode=demo\n");
        assert!(v.ok());
    }

    #[test]
    fn garbage_is_not_a_test() {
        let v = judge("ok\nok x\nnot ok\nok 12abc\nKTAP version 1\nok nope\nSVA-RS-END\n");
        assert!(v.results.is_empty(), "{v}");
        assert!(v.ok());
    }
}
