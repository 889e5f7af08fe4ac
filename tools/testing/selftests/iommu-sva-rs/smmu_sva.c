// SPDX-License-Identifier: GPL-2.0
/*
 * Shared Virtual Addressing end to end, through the Rust SMMUv3 driver and
 * its software SMMUv3 model (CONFIG_ARM_SMMU_V3_RUST_SVA_TEST): the test DMA
 * devices /dev/smmu-sva-test.N (include/uapi/linux/smmu-sva-test.h) reach
 * the process's memory only through the PASID bound to its mm, translated
 * by the model through the stream table, the PASID table and the CPU's own
 * page tables, with I/O page faults resolved by the kernel.
 *
 *   device 0: StreamID 0x10, 20-bit PASIDs, faults as PRI page requests
 *   device 1: StreamID 0x11, 20-bit PASIDs, faults as stalled transactions
 *   device 2: StreamID 0x12,  8-bit PASIDs, PRI
 *   device 3: StreamID 0x13, 20-bit PASIDs, PRI, translates through ATS:
 *             asks the SMMU for translations and caches them in its own
 *             ATC, which only CMD_ATC_INV empties
 *   device 4: StreamID 0x14 on a second model SMMU with broadcast TLB
 *             maintenance (BTM), 20-bit PASIDs, PRI
 *   device 5: StreamID 0x15 on the BTM model, PRI and ATS
 *
 * Every functional test runs on devices 0, 1, 3, 4 and 5 (fixture
 * variants). Behind the BTM model the driver shares the process's CPU
 * ASID: the CPUs' own TLB invalidations (replayed to the model as the
 * interconnect would deliver them) must keep its TLB coherent, and the
 * driver must send no TLB invalidation command of its own on munmap,
 * mprotect...; behind the other model it must send them.
 * The tests check data (by the CPU and by the device), job results and the
 * model's counters, not just return codes: a missing TLB or ATC
 * invalidation shows up as a device access through a stale translation.
 * On device 3 the ATC counters must show the ATC filled by DMA and
 * invalidated by munmap, mprotect, UNBIND...; on the other devices they
 * must not move (tests do not run concurrently: the counters are global).
 *
 * cd_leaves, on device 0 alone, reads the driver's debugfs view of its CD
 * table; dma_with_disk_io runs SVA DMA next to O_DIRECT I/O on /dev/vda,
 * which sits behind QEMU's own (hardware) SMMUv3.
 *
 * Without the test driver (a kernel without the model, the C variant)
 * every test skips; with the driver but without its devices, they fail.
 */
#define _GNU_SOURCE
#include "../kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/smmu-sva-test.h>

#include "sva_rs_util.h"

#define DRIVER_DIR	"/sys/bus/platform/drivers/smmu-sva-test"
#define DEV_FMT		"/dev/smmu-sva-test.%d"
#define NR_DEVS		6
#define DEV_PRI		0
#define DEV_STALL	1
#define DEV_NARROW	2
#define DEV_ATS		3
#define DEV_BTM		4
#define DEV_BTM_ATS	5

/* Argument that makes the binary run exec_child() (exec while bound). */
#define EXEC_CHILD_ARG	"--smmu-sva-exec-child"

#define MiB		(1ul << 20)
#define CHILD_WAIT_MS	60000

/* Patterns: no zero byte, all bytes of a pattern distinct. */
#define PAT_A		0x0123456789abcdefull
#define PAT_B		0xfedcba9876543210ull
#define PAT_C		0x5aa5c33c0ff01ee1ull
#define PAT_D		0x1122334455667788ull

/* Written into the out fields before a job: a field left alone shows. */
#define DONE_UNSET	0xdeadbeefdeadbeefull
#define RESULT_UNSET	0x7eadbeef
#define FAULTS_UNSET	0xdeadbeefu

static const struct {
	__u32 sid, pasid_bits, fault_mode;
	bool ats, btm;
} expect_dev[NR_DEVS] = {
	[DEV_PRI] = { 0x10, 20, SMMU_SVA_TEST_FAULT_PRI, false, false },
	[DEV_STALL] = { 0x11, 20, SMMU_SVA_TEST_FAULT_STALL, false, false },
	[DEV_NARROW] = { 0x12, 8, SMMU_SVA_TEST_FAULT_PRI, false, false },
	[DEV_ATS] = { 0x13, 20, SMMU_SVA_TEST_FAULT_PRI, true, false },
	[DEV_BTM] = { 0x14, 20, SMMU_SVA_TEST_FAULT_PRI, false, true },
	[DEV_BTM_ATS] = { 0x15, 20, SMMU_SVA_TEST_FAULT_PRI, true, true },
};

static long page_size;

/* ---- small helpers ---- */

static const char *errname(int err)
{
	static __thread char buf[4][40];
	static __thread int next;
	char *s = buf[next++ % 4];
	const char *n;

	if (!err)
		return "0";
	n = strerrorname_np(err < 0 ? -err : err);
	if (n)
		snprintf(s, sizeof(buf[0]), "%s%s", err < 0 ? "-" : "", n);
	else
		snprintf(s, sizeof(buf[0]), "%d", err);
	return s;
}

static const char *opname(__u32 op)
{
	switch (op) {
	case SMMU_SVA_TEST_DMA_FILL:
		return "FILL";
	case SMMU_SVA_TEST_DMA_CHECK:
		return "CHECK";
	case SMMU_SVA_TEST_DMA_COPY:
		return "COPY";
	}
	return "op?";
}

static void status_str(int status, char *s, size_t n)
{
	if (status == -1)
		snprintf(s, n, "timed out (killed)");
	else if (status < 0)
		snprintf(s, n, "waitpid failed");
	else if (WIFEXITED(status))
		snprintf(s, n, "exit code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(s, n, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(s, n, "status %#x", status);
}

/*
 * Waits up to @ms for child @pid, killing it when it takes longer. Returns
 * its wait status, -1 on timeout, -2 when waitpid failed.
 */
static int wait_child(pid_t pid, int ms)
{
	long long deadline = now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -2;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(5);
	}
}

static bool child_ok(int status)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* In forked children: no harness macros there (they would unwind into it). */
#define CHILD_FAIL(code, fmt, ...) do { \
	fprintf(stderr, "# %s: child %d: " fmt "\n", __func__, getpid(), ##__VA_ARGS__); \
	_exit(code); \
} while (0)

static void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Is the page of @addr present in this process's page tables? */
static bool present(const void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return false;
	if (pread(fd, &ent, sizeof(ent), (uintptr_t)addr / page_size * sizeof(ent)) != sizeof(ent))
		ent = 0;
	close(fd);
	return ent >> 63;
}

/* Permissions ("rw-p") of the mapping holding @addr, from /proc/self/maps. */
static void map_perms(const void *addr, char perms[5])
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	copy_str(perms, 5, "none");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3)
			continue;
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			copy_str(perms, 5, p);
			break;
		}
	}
	fclose(f);
}

/* ---- the uapi's data pattern: byte i of a range is byte i % 8 of @pat ---- */

static inline uint8_t pat_byte(uint64_t pat, size_t i)
{
	return (uint8_t)(pat >> (8 * (i % 8)));
}

/* The 64-bit little-endian word that starts at byte @i of the range */
static inline uint64_t pat_word(uint64_t pat, size_t i)
{
	unsigned int s = 8 * (i % 8);

	return s ? pat >> s | pat << (64 - s) : pat;
}

static void pat_fill(void *buf, size_t len, uint64_t pat)
{
	uint8_t *p = buf;
	size_t i = 0;

	for (; i < len && ((uintptr_t)(p + i) & 7); i++)
		p[i] = pat_byte(pat, i);
	if (i + 8 <= len) {
		uint64_t w = pat_word(pat, i);

		for (; i + 8 <= len; i += 8)
			*(uint64_t *)(p + i) = w;
	}
	for (; i < len; i++)
		p[i] = pat_byte(pat, i);
}

/* Offset of the first byte of @buf that differs from the pattern, or -1 */
static long long pat_check(const void *buf, size_t len, uint64_t pat)
{
	const uint8_t *p = buf;
	size_t i = 0;

	for (; i < len && ((uintptr_t)(p + i) & 7); i++)
		if (p[i] != pat_byte(pat, i))
			return i;
	if (i + 8 <= len) {
		uint64_t w = pat_word(pat, i);

		for (; i + 8 <= len; i += 8)
			if (*(const uint64_t *)(p + i) != w)
				break;
	}
	for (; i < len; i++)
		if (p[i] != pat_byte(pat, i))
			return i;
	return -1;
}

/* Offset of the first byte of @buf that is not @val, or -1 */
static long long byte_check(const void *buf, size_t len, uint8_t val)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != val)
			return i;
	return -1;
}

/* ---- the device ---- */

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static void dev_path(int dev, char *buf, size_t len)
{
	snprintf(buf, len, DEV_FMT, dev);
}

/* Returns the file descriptor or -errno */
static int dev_open(int dev)
{
	char path[64];
	int fd;

	dev_path(dev, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int dev_info(int fd, struct smmu_sva_test_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return xioctl(fd, SMMU_SVA_TEST_IOC_INFO, info);
}

static int dev_stats(int fd, struct smmu_sva_test_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return xioctl(fd, SMMU_SVA_TEST_IOC_STATS, st);
}

/* The IOMMU features INFO reports, without the capabilities */
static __u32 info_feats(const struct smmu_sva_test_info *info)
{
	return info->features & ~(SMMU_SVA_TEST_CAP_ATS | SMMU_SVA_TEST_CAP_BTM);
}

static bool info_ats(const struct smmu_sva_test_info *info)
{
	return info->features & SMMU_SVA_TEST_CAP_ATS;
}

static bool info_btm(const struct smmu_sva_test_info *info)
{
	return info->features & SMMU_SVA_TEST_CAP_BTM;
}

/* Bonds held through device @dev (all files), -errno on error */
static long dev_bonds(int dev)
{
	struct smmu_sva_test_info info;
	int fd = dev_open(dev), ret;

	if (fd < 0)
		return fd;
	ret = dev_info(fd, &info);
	close(fd);
	return ret ? ret : (long)info.bonds;
}

/*
 * IOPF then SVA on. The features belong to the device, not to the file:
 * another file may have enabled them already (-EBUSY then means "on").
 */
static int dev_enable(int fd)
{
	int ret = xioctl(fd, SMMU_SVA_TEST_IOC_ENABLE, NULL);

	return ret == -EBUSY ? 0 : ret;
}

static int dev_bind(int fd, __u32 *pasid)
{
	__u32 p = 0;
	int ret = xioctl(fd, SMMU_SVA_TEST_IOC_BIND, &p);

	if (!ret && pasid)
		*pasid = p;
	return ret;
}

static int dev_unbind(int fd)
{
	return xioctl(fd, SMMU_SVA_TEST_IOC_UNBIND, NULL);
}

static int dev_pasid(int fd, __u32 *pasid)
{
	return xioctl(fd, SMMU_SVA_TEST_IOC_PASID, pasid);
}

/* A new file of @dev with the features on and the caller's mm bound */
static int dev_open_bound(int dev, __u32 *pasid)
{
	int fd = dev_open(dev), ret;

	if (fd < 0)
		return fd;
	ret = dev_enable(fd);
	if (!ret)
		ret = dev_bind(fd, pasid);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static struct smmu_sva_test_dma job(__u32 op, const void *addr, size_t len, __u64 pattern)
{
	return (struct smmu_sva_test_dma){
		.size = sizeof(struct smmu_sva_test_dma),
		.op = op,
		.addr = (uintptr_t)addr,
		.len = len,
		.pattern = pattern,
		.done = DONE_UNSET,
		.result = RESULT_UNSET,
		.faults = FAULTS_UNSET,
	};
}

static struct smmu_sva_test_dma copy_job(void *dst, const void *src, size_t len)
{
	struct smmu_sva_test_dma d = job(SMMU_SVA_TEST_DMA_COPY, dst, len, 0);

	d.src = (uintptr_t)src;
	return d;
}

static int dma_run(int fd, struct smmu_sva_test_dma *d)
{
	return xioctl(fd, SMMU_SVA_TEST_IOC_DMA, d);
}

static void dma_str(char *s, size_t n, int ret, const struct smmu_sva_test_dma *d)
{
	snprintf(s, n, "%s%s of [%#llx, +%#llx) pattern %#llx%s: ioctl %s, result %s, done %#llx, faults %u",
		 opname(d->op), d->flags & SMMU_SVA_TEST_DMA_NOFAULT ? "/NOFAULT" : "",
		 (unsigned long long)d->addr, (unsigned long long)d->len,
		 (unsigned long long)d->pattern,
		 d->flags & SMMU_SVA_TEST_DMA_PASID ? " via PASID" : "",
		 errname(ret), d->result == RESULT_UNSET ? "(unset)" : errname(d->result),
		 (unsigned long long)d->done, d->faults);
}

/* Runs @d on @fd; true (else a log line) when it did the whole range */
static bool dma_ok(int fd, struct smmu_sva_test_dma *d, char *why, size_t n)
{
	int ret = dma_run(fd, d);

	dma_str(why, n, ret, d);
	return !ret && !d->result && d->done == d->len;
}

/*
 * Runs @d on @fd and compares with what is expected: the ioctl's return
 * @ret, the job's @result, and @done (-1: any). Logs the job otherwise.
 */
static bool dma_expect(struct __test_metadata *_metadata, const char *what, int fd,
		       struct smmu_sva_test_dma *d, int ret, int result, long long done)
{
	char s[256];
	int r = dma_run(fd, d);

	if (r == ret && (r || (d->result == result && (done < 0 || d->done == (__u64)done))))
		return true;
	dma_str(s, sizeof(s), r, d);
	TH_LOG("%s: %s; expected ioctl %s, result %s, done %lld", what, s, errname(ret),
	       errname(result), done);
	return false;
}

#define DMA_OK(what, fd, d) dma_expect(_metadata, what, fd, d, 0, 0, (long long)(d)->len)

/* The model counter that counts the faults of a device of @fault_mode */
static __u64 fault_counter(const struct smmu_sva_test_stats *st, __u32 fault_mode)
{
	return fault_mode == SMMU_SVA_TEST_FAULT_PRI ? st->page_requests : st->stalls;
}

static __u64 other_fault_counter(const struct smmu_sva_test_stats *st, __u32 fault_mode)
{
	return fault_mode == SMMU_SVA_TEST_FAULT_PRI ? st->stalls : st->page_requests;
}

/* What the ATS device's ATC must show between two reads of the counters */
#define ATC_REQUESTED	(1 << 0)	/* ATS translation requests were answered */
#define ATC_CACHED	(1 << 1)	/* the ATC holds translations at the end */
#define ATC_FILLED	(ATC_REQUESTED | ATC_CACHED)
/* CMD_ATC_INV executed, and the ATC holds fewer translations than before */
#define ATC_INVALIDATED	(1 << 2)

/*
 * Checks the model's ATC counters from @st0 to @st1, read around @what on
 * the device under test. A device without ATS (@ats false) moves none of
 * them: no request, no ATC entry, no CMD_ATC_INV. For the ATS device,
 * @expect (ATC_*) says what must have happened. Logs the counters otherwise.
 */
static bool atc_expect(struct __test_metadata *_metadata, const char *what, bool ats,
		       unsigned int expect, const struct smmu_sva_test_stats *st0,
		       const struct smmu_sva_test_stats *st1)
{
	__u64 reqs = st1->ats_requests - st0->ats_requests;
	__u64 invs = st1->atc_inv_commands - st0->atc_inv_commands;
	const char *bad = NULL;

	if (!ats) {
		if (reqs || invs || st1->atc_entries != st0->atc_entries)
			bad = "a device without ATS moved the ATC counters";
	} else if ((expect & ATC_REQUESTED) && !reqs) {
		bad = "the ATS device asked for no translation";
	} else if ((expect & ATC_CACHED) && !st1->atc_entries) {
		bad = "the ATC holds no translation";
	} else if ((expect & ATC_INVALIDATED) && !invs) {
		bad = "no CMD_ATC_INV (stale translations stay in the device's ATC)";
	} else if ((expect & ATC_INVALIDATED) && st1->atc_entries >= st0->atc_entries) {
		bad = "CMD_ATC_INV left the ATC as full as before";
	}
	if (!bad)
		return true;
	TH_LOG("%s: %s: ATS requests +%llu, CMD_ATC_INV +%llu, ATC entries %llu -> %llu", what,
	       bad, (unsigned long long)reqs, (unsigned long long)invs,
	       (unsigned long long)st0->atc_entries, (unsigned long long)st1->atc_entries);
	return false;
}

#define ATC_EXPECT(what, expect, st0, st1) \
	atc_expect(_metadata, what, variant->ats, expect, st0, st1)

/*
 * Checks who invalidated the model's TLB from @st0 to @st1, around a CPU
 * invalidation (@what) of a range the device used: behind the BTM model,
 * the CPUs' broadcast TLBIs and no TLBI command of the driver (it shares
 * the CPU's ASID); behind the other model, the driver's TLBI commands (a
 * private ASID), and no broadcast can apply.
 */
static bool tlbi_expect(struct __test_metadata *_metadata, const char *what, bool btm,
			const struct smmu_sva_test_stats *st0,
			const struct smmu_sva_test_stats *st1)
{
	__u64 cmds = st1->tlbi_commands - st0->tlbi_commands;
	__u64 bcast = st1->broadcast_tlbis - st0->broadcast_tlbis;
	const char *bad = NULL;

	if (btm && cmds)
		bad = "TLBI commands for a shared CPU ASID";
	else if (btm && !bcast)
		bad = "no broadcast TLBI reached the BTM model";
	else if (!btm && bcast)
		bad = "broadcast TLBIs applied by an SMMU without BTM";
	else if (!btm && !cmds)
		bad = "no TLBI command for a private ASID";
	if (!bad)
		return true;
	TH_LOG("%s: %s: TLBI commands +%llu, broadcast TLBIs +%llu", what, bad,
	       (unsigned long long)cmds, (unsigned long long)bcast);
	return false;
}

#define TLBI_EXPECT(what, st0, st1) tlbi_expect(_metadata, what, variant->btm, st0, st1)

/* ---- capabilities ---- */

static bool cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0;
	return d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN);
}

/* Drops CAP_SYS_ADMIN from this process's effective set; 0 or -errno */
static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return cap_sys_admin() ? -EPERM : 0;
}

/* ---- pipes between a test and its children ---- */

struct chan {
	int to_child[2], to_parent[2];
};

static int chan_open(struct chan *c)
{
	if (pipe(c->to_child))
		return -errno;
	if (pipe(c->to_parent)) {
		close(c->to_child[0]);
		close(c->to_child[1]);
		return -errno;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * After fork, each side closes the other's ends: when one side dies, the
 * other's read ends (EOF) rather than blocking.
 */
static void chan_parent(struct chan *c)
{
	close_fd(&c->to_child[0]);
	close_fd(&c->to_parent[1]);
}

static void chan_child(struct chan *c)
{
	close_fd(&c->to_child[1]);
	close_fd(&c->to_parent[0]);
}

static void chan_close(struct chan *c)
{
	close_fd(&c->to_child[0]);
	close_fd(&c->to_child[1]);
	close_fd(&c->to_parent[0]);
	close_fd(&c->to_parent[1]);
}

static bool xwrite(int fd, const void *buf, size_t n)
{
	return write(fd, buf, n) == (ssize_t)n;
}

static bool xread(int fd, void *buf, size_t n)
{
	return read(fd, buf, n) == (ssize_t)n;
}

/* ---- fixture: the device of the variant, features on, no bond ---- */

FIXTURE(sva)
{
	int fd;
	struct smmu_sva_test_info info;
};

FIXTURE_VARIANT(sva)
{
	int dev;		/* device under test */
	int other;		/* another 20-bit device */
	__u32 fault_mode;
	bool ats;		/* the device translates through ATS */
	bool btm;		/* behind the model with BTM */
};

FIXTURE_VARIANT_ADD(sva, pri)
{
	.dev = DEV_PRI,
	.other = DEV_STALL,
	.fault_mode = SMMU_SVA_TEST_FAULT_PRI,
};

FIXTURE_VARIANT_ADD(sva, stall)
{
	.dev = DEV_STALL,
	.other = DEV_PRI,
	.fault_mode = SMMU_SVA_TEST_FAULT_STALL,
};

FIXTURE_VARIANT_ADD(sva, ats)
{
	.dev = DEV_ATS,
	.other = DEV_STALL,
	.fault_mode = SMMU_SVA_TEST_FAULT_PRI,
	.ats = true,
};

/* other: the same mm behind both models, one ASID shared and one private */
FIXTURE_VARIANT_ADD(sva, btm)
{
	.dev = DEV_BTM,
	.other = DEV_STALL,
	.fault_mode = SMMU_SVA_TEST_FAULT_PRI,
	.btm = true,
};

/* other: two devices of the BTM model in one domain */
FIXTURE_VARIANT_ADD(sva, btm_ats)
{
	.dev = DEV_BTM_ATS,
	.other = DEV_BTM,
	.fault_mode = SMMU_SVA_TEST_FAULT_PRI,
	.ats = true,
	.btm = true,
};

FIXTURE_SETUP(sva)
{
	char path[64];
	int ret;

	page_size = sysconf(_SC_PAGESIZE);
	self->fd = -1;
	if (access(DRIVER_DIR, F_OK))
		SKIP(return, "%s missing: kernel without the SMMUv3 model's test devices",
		     DRIVER_DIR);
	for (int i = 0; i < NR_DEVS; i++) {
		dev_path(i, path, sizeof(path));
		ASSERT_EQ(0, access(path, F_OK))
			TH_LOG("%s missing although the smmu-sva-test driver is registered (device tree nodes missing? probe failed? see dmesg)",
			       path);
	}
	self->fd = dev_open(variant->dev);
	ASSERT_LE(0, self->fd) TH_LOG("open device %d: %s", variant->dev, errname(self->fd));
	ASSERT_EQ(0, dev_info(self->fd, &self->info));
	ASSERT_EQ(variant->fault_mode, self->info.fault_mode)
		TH_LOG("device %d reports fault mode %u", variant->dev, self->info.fault_mode);
	ASSERT_EQ(variant->ats, info_ats(&self->info))
		TH_LOG("device %d: SMMU_SVA_TEST_CAP_ATS %s (features %#x)", variant->dev,
		       info_ats(&self->info) ? "set" : "clear", self->info.features);
	ASSERT_EQ(variant->btm, info_btm(&self->info))
		TH_LOG("device %d: SMMU_SVA_TEST_CAP_BTM %s (features %#x)", variant->dev,
		       info_btm(&self->info) ? "set" : "clear", self->info.features);
	ret = dev_enable(self->fd);
	ASSERT_EQ(0, ret) TH_LOG("ENABLE (IOPF, SVA) on device %d: %s", variant->dev, errname(ret));
}

FIXTURE_TEARDOWN(sva)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* What each device is; BIND gives a PASID in range; INFO counts bonds */
TEST_F(sva, info)
{
	struct smmu_sva_test_info info;
	__u32 pasid = 0, p2 = 0;
	int fd2;

	for (int i = 0; i < NR_DEVS; i++) {
		int fd = dev_open(i);

		ASSERT_LE(0, fd) TH_LOG("open device %d: %s", i, errname(fd));
		ASSERT_EQ(0, dev_info(fd, &info));
		TH_LOG("device %d: sid %#x, %u PASID bits, fault mode %u, features %#x, %u bonds",
		       i, info.sid, info.pasid_bits, info.fault_mode, info.features, info.bonds);
		EXPECT_EQ(expect_dev[i].sid, info.sid) TH_LOG("device %d StreamID", i);
		EXPECT_EQ(expect_dev[i].pasid_bits, info.pasid_bits) TH_LOG("device %d PASID bits", i);
		EXPECT_EQ(expect_dev[i].fault_mode, info.fault_mode) TH_LOG("device %d fault mode", i);
		EXPECT_EQ(expect_dev[i].ats, info_ats(&info))
			TH_LOG("device %d: SMMU_SVA_TEST_CAP_ATS %s", i,
			       info_ats(&info) ? "set" : "clear");
		EXPECT_EQ(expect_dev[i].btm, info_btm(&info))
			TH_LOG("device %d: SMMU_SVA_TEST_CAP_BTM %s", i,
			       info_btm(&info) ? "set" : "clear");
		EXPECT_EQ(0, info_feats(&info) & ~(SMMU_SVA_TEST_FEAT_IOPF | SMMU_SVA_TEST_FEAT_SVA))
			TH_LOG("device %d: unknown feature bits %#x", i, info.features);
		EXPECT_EQ(0, info.bonds) TH_LOG("device %d has bonds left over", i);
		close(fd);
	}

	ASSERT_EQ(0, dev_info(self->fd, &info));
	EXPECT_EQ(SMMU_SVA_TEST_FEAT_IOPF | SMMU_SVA_TEST_FEAT_SVA, info_feats(&info));
	EXPECT_EQ(variant->ats, info_ats(&info));

	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	EXPECT_LT(0, pasid) TH_LOG("PASID 0 is never an SVA PASID");
	EXPECT_GT(1u << info.pasid_bits, pasid);
	EXPECT_EQ(0, dev_pasid(self->fd, &p2));
	EXPECT_EQ(pasid, p2);
	EXPECT_EQ(1, dev_bonds(variant->dev));
	EXPECT_EQ(0, dev_bonds(variant->other));

	/* A second file of the same mm: the same PASID, one more bond */
	fd2 = dev_open_bound(variant->dev, &p2);
	ASSERT_LE(0, fd2) TH_LOG("second file: %s", errname(fd2));
	EXPECT_EQ(pasid, p2);
	EXPECT_EQ(2, dev_bonds(variant->dev));
	close(fd2);
	EXPECT_EQ(1, dev_bonds(variant->dev)) TH_LOG("close did not drop the bond");
	EXPECT_EQ(0, dev_unbind(self->fd));
	EXPECT_EQ(0, dev_bonds(variant->dev));
	EXPECT_NE(0, dev_pasid(self->fd, &p2)) TH_LOG("PASID of an unbound file: %u", p2);
}

/* ENABLE before BIND; DISABLE refused while bonds exist */
TEST_F(sva, enable_disable)
{
	struct smmu_sva_test_dma d;
	struct smmu_sva_test_info info;
	char *buf = map_anon(page_size, PROT_READ | PROT_WRITE);
	__u32 pasid;
	int fd2, ret;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, xioctl(self->fd, SMMU_SVA_TEST_IOC_DISABLE, NULL));
	ASSERT_EQ(0, dev_info(self->fd, &info));
	EXPECT_EQ(0, info_feats(&info));
	/* ATS is what the device is, not a feature DISABLE turns off */
	EXPECT_EQ(variant->ats, info_ats(&info)) TH_LOG("features %#x after DISABLE", info.features);
	ret = xioctl(self->fd, SMMU_SVA_TEST_IOC_DISABLE, NULL);
	TH_LOG("DISABLE when disabled: %s", errname(ret));

	EXPECT_EQ(-EINVAL, dev_bind(self->fd, &pasid)) TH_LOG("BIND without ENABLE");
	EXPECT_EQ(0, dev_bonds(variant->dev));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, page_size, PAT_A);
	EXPECT_EQ(-ENOENT, dma_run(self->fd, &d));

	EXPECT_EQ(0, xioctl(self->fd, SMMU_SVA_TEST_IOC_ENABLE, NULL));
	ASSERT_EQ(0, dev_info(self->fd, &info));
	EXPECT_EQ(SMMU_SVA_TEST_FEAT_IOPF | SMMU_SVA_TEST_FEAT_SVA, info_feats(&info));
	EXPECT_EQ(variant->ats, info_ats(&info));
	ret = xioctl(self->fd, SMMU_SVA_TEST_IOC_ENABLE, NULL);
	EXPECT_TRUE(!ret || ret == -EBUSY) TH_LOG("ENABLE when enabled: %s", errname(ret));

	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	EXPECT_EQ(-EBUSY, xioctl(self->fd, SMMU_SVA_TEST_IOC_DISABLE, NULL));
	/* the features belong to the device: another file cannot either */
	fd2 = dev_open(variant->dev);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EBUSY, xioctl(fd2, SMMU_SVA_TEST_IOC_DISABLE, NULL));
	close(fd2);
	ASSERT_EQ(0, dev_info(self->fd, &info));
	EXPECT_EQ(SMMU_SVA_TEST_FEAT_IOPF | SMMU_SVA_TEST_FEAT_SVA, info_feats(&info));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, page_size, PAT_A);
	EXPECT_TRUE(DMA_OK("FILL after a refused DISABLE", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, page_size, PAT_A));

	EXPECT_EQ(0, dev_unbind(self->fd));
	EXPECT_EQ(0, xioctl(self->fd, SMMU_SVA_TEST_IOC_DISABLE, NULL));
	ASSERT_EQ(0, dev_info(self->fd, &info));
	EXPECT_EQ(0, info_feats(&info));
	EXPECT_EQ(variant->ats, info_ats(&info));
	/* and the state machine is reusable */
	EXPECT_EQ(0, xioctl(self->fd, SMMU_SVA_TEST_IOC_ENABLE, NULL));
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, page_size, PAT_A);
	EXPECT_TRUE(DMA_OK("CHECK after DISABLE and ENABLE", self->fd, &d));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, page_size);
}

/* 1. Never-touched memory: the device faults it in, writes and reads it */
TEST_F(sva, fill_check_fresh)
{
	const size_t len = 64 * page_size;
	struct smmu_sva_test_stats st0, st1;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	long long off;
	__u32 pasid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_FALSE(present(buf));
	ASSERT_FALSE(present(buf + len - page_size));

	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	EXPECT_TRUE(DMA_OK("first FILL", self->fd, &d));
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	TH_LOG("first FILL of %zu pages: %u faults; model: %llu page requests, %llu stalls, %llu ATS requests, %llu ATC entries",
	       len / page_size, d.faults,
	       (unsigned long long)(st1.page_requests - st0.page_requests),
	       (unsigned long long)(st1.stalls - st0.stalls),
	       (unsigned long long)(st1.ats_requests - st0.ats_requests),
	       (unsigned long long)st1.atc_entries);
	EXPECT_TRUE(ATC_EXPECT("first FILL", ATC_FILLED, &st0, &st1));
	/* an ATS device sends a page request only for a translation refused */
	if (variant->ats)
		EXPECT_LT(d.faults, st1.ats_requests - st0.ats_requests)
			TH_LOG("fewer ATS requests than page requests plus one");
	EXPECT_LT(0, d.faults) TH_LOG("a FILL over never-touched memory waited for no fault");
	EXPECT_NE(FAULTS_UNSET, d.faults);
	EXPECT_LE(d.faults, fault_counter(&st1, variant->fault_mode) -
			    fault_counter(&st0, variant->fault_mode))
		TH_LOG("the model counted fewer %s than the job waited for",
		       variant->fault_mode == SMMU_SVA_TEST_FAULT_PRI ? "page requests" : "stalls");
	EXPECT_EQ(0, other_fault_counter(&st1, variant->fault_mode) -
		     other_fault_counter(&st0, variant->fault_mode))
		TH_LOG("the device used the other fault mechanism");
	EXPECT_TRUE(present(buf));
	EXPECT_TRUE(present(buf + len - page_size));

	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	EXPECT_TRUE(DMA_OK("CHECK", self->fd, &d));
	EXPECT_EQ(0, d.faults);
	off = pat_check(buf, len, PAT_A);
	EXPECT_EQ(-1, off) TH_LOG("the CPU sees byte %lld = %#x, not the pattern", off,
				  off >= 0 ? (uint8_t)buf[off] : 0);

	/* The pages are there now: no fault */
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("second FILL", self->fd, &d));
	EXPECT_EQ(0, d.faults) TH_LOG("FILL over present, dirty pages faulted");
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	EXPECT_EQ(0, fault_counter(&st1, variant->fault_mode) -
		     fault_counter(&st0, variant->fault_mode));
	EXPECT_TRUE(ATC_EXPECT("second FILL", 0, &st0, &st1));
	off = pat_check(buf, len, PAT_B);
	EXPECT_EQ(-1, off) TH_LOG("second pattern: CPU byte %lld differs", off);
	EXPECT_LT(0, st1.commands);

	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/* 1b. A malloc'd buffer at an odd address: exact bounds, the pattern's phase */
TEST_F(sva, fill_check_malloc)
{
	const size_t len = 1 * MiB, slack = 64;
	struct smmu_sva_test_dma d;
	uint8_t *m = malloc(len + 2 * slack), *buf = m + slack + 3;
	long long off;
	__u32 pasid;

	ASSERT_NE(NULL, m);
	memset(m, 0x77, slack + 3);
	memset(buf + len, 0x77, slack - 3);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));

	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL", self->fd, &d));
	EXPECT_LT(0, d.faults) TH_LOG("malloc'd memory was expected to be untouched");
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("CHECK", self->fd, &d));
	off = pat_check(buf, len, PAT_C);
	EXPECT_EQ(-1, off) TH_LOG("CPU byte %lld differs (pattern counted from the start address)",
				  off);
	off = byte_check(m, slack + 3, 0x77);
	EXPECT_EQ(-1, off) TH_LOG("the device wrote byte %lld before the range", off - slack - 3);
	off = byte_check(buf + len, slack - 3, 0x77);
	EXPECT_EQ(-1, off) TH_LOG("the device wrote byte %lld after the range", off);

	/* An unaligned range inside, in the other phase */
	d = job(SMMU_SVA_TEST_DMA_FILL, buf + 4093, 10000, PAT_D);
	EXPECT_TRUE(DMA_OK("unaligned FILL", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf + 4093, 10000, PAT_D));
	EXPECT_EQ(-1, pat_check(buf, 4093, PAT_C));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf + 4093, 10000, PAT_D);
	EXPECT_TRUE(DMA_OK("unaligned CHECK", self->fd, &d));
	EXPECT_EQ(0, dev_unbind(self->fd));
	free(m);
}

/* CHECK reports where the first difference is */
TEST_F(sva, check_reports_difference)
{
	const size_t len = 8 * page_size;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	const size_t bad = 5 * page_size + 13;
	__u32 pasid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	pat_fill(buf, len, PAT_A);
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	EXPECT_TRUE(DMA_OK("CHECK of what the CPU wrote", self->fd, &d));
	/* byte 3 of each word differs */
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A ^ (0xffull << 24));
	EXPECT_TRUE(dma_expect(_metadata, "CHECK, byte 3 differs", self->fd, &d, 0, -EILSEQ, 3));
	buf[bad] ^= 0x40;
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	EXPECT_TRUE(dma_expect(_metadata, "CHECK, one byte changed", self->fd, &d, 0, -EILSEQ,
			       bad));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/* COPY: device reads one range and writes another */
TEST_F(sva, copy)
{
	const size_t len = 16 * page_size;
	struct smmu_sva_test_dma d;
	char *src = map_anon(len, PROT_READ | PROT_WRITE);
	char *dst = map_anon(len, PROT_READ | PROT_WRITE);
	char *ro = map_anon(len, PROT_READ);
	long long off;
	__u32 pasid;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	pattern_fill(src, len, 0x5eed, 0);
	d = copy_job(dst, src, len);
	EXPECT_TRUE(DMA_OK("COPY into never-touched memory", self->fd, &d));
	EXPECT_LT(0, d.faults);
	off = pattern_check(dst, len, 0x5eed, 0);
	EXPECT_EQ(-1, off) TH_LOG("destination byte %lld differs from the source", off);
	/* unaligned, overlapping nothing */
	d = copy_job(dst + 5, src + 1001, len - 2000);
	EXPECT_TRUE(DMA_OK("unaligned COPY", self->fd, &d));
	EXPECT_EQ(0, memcmp(dst + 5, src + 1001, len - 2000));

	/* from a hole: nothing read, nothing written */
	munmap(src, len);
	memset(dst, 0x11, len);
	d = copy_job(dst, src, len);
	EXPECT_TRUE(dma_expect(_metadata, "COPY from unmapped memory", self->fd, &d, 0, -EFAULT,
			       0));
	EXPECT_EQ(-1, byte_check(dst, len, 0x11));
	/* into read-only memory */
	d = copy_job(ro, dst, len);
	EXPECT_TRUE(dma_expect(_metadata, "COPY into read-only memory", self->fd, &d, 0, -EFAULT,
			       0));
	EXPECT_EQ(-1, byte_check(ro, len, 0));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(dst, len);
	munmap(ro, len);
}

/* 2. No write access through a read-only mapping; reads are fine */
TEST_F(sva, fill_readonly)
{
	const size_t len = 4 * page_size;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char *fresh = map_anon(len, PROT_READ);
	char *rw = map_anon(len, PROT_READ | PROT_WRITE);
	char perms[5];
	long long off;
	__u32 pasid;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, fresh);
	ASSERT_NE(NULL, rw);
	memset(buf, 0x5a, len);
	ASSERT_EQ(0, mprotect(buf, len, PROT_READ));
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));

	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	EXPECT_TRUE(dma_expect(_metadata, "FILL of read-only memory", self->fd, &d, 0, -EFAULT,
			       0));
	off = byte_check(buf, len, 0x5a);
	EXPECT_EQ(-1, off) TH_LOG("the device wrote read-only memory at byte %lld", off);
	map_perms(buf, perms);
	EXPECT_STREQ("r--p", perms) TH_LOG("the fault made the mapping writable");
	/* reading it is allowed */
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, 0x5a5a5a5a5a5a5a5aull);
	EXPECT_TRUE(DMA_OK("CHECK of read-only memory", self->fd, &d));

	/* never-touched read-only memory: not populated with the pattern */
	d = job(SMMU_SVA_TEST_DMA_FILL, fresh, len, PAT_A);
	EXPECT_TRUE(dma_expect(_metadata, "FILL of never-touched read-only memory", self->fd, &d,
			       0, -EFAULT, 0));
	off = byte_check(fresh, len, 0);
	EXPECT_EQ(-1, off) TH_LOG("read-only memory holds %#x at byte %lld", (uint8_t)fresh[off],
				  off);
	map_perms(fresh, perms);
	EXPECT_STREQ("r--p", perms);

	/* the device and the bond still work */
	d = job(SMMU_SVA_TEST_DMA_FILL, rw, len, PAT_B);
	EXPECT_TRUE(DMA_OK("FILL after the faults", self->fd, &d));
	EXPECT_EQ(-1, pat_check(rw, len, PAT_B));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
	munmap(fresh, len);
	munmap(rw, len);
}

/* 3. Unmapped addresses */
TEST_F(sva, unmapped)
{
	const size_t len = 2 * page_size;
	struct smmu_sva_test_dma d;
	char *hole = map_anon(len, PROT_READ | PROT_WRITE);
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char *rw = map_anon(len, PROT_READ | PROT_WRITE);
	char s[256];
	__u32 pasid;
	int ret;

	ASSERT_NE(NULL, hole);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rw);
	ASSERT_EQ(0, munmap(hole, len));
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));

	d = job(SMMU_SVA_TEST_DMA_FILL, hole, len, PAT_A);
	EXPECT_TRUE(dma_expect(_metadata, "FILL of a hole", self->fd, &d, 0, -EFAULT, 0));
	d = job(SMMU_SVA_TEST_DMA_CHECK, hole, len, PAT_A);
	EXPECT_TRUE(dma_expect(_metadata, "CHECK of a hole", self->fd, &d, 0, -EFAULT, 0));

	/* a range that runs into a hole stops there */
	ASSERT_EQ(0, munmap(buf + page_size, page_size));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
	EXPECT_TRUE(dma_expect(_metadata, "FILL running into a hole", self->fd, &d, 0, -EFAULT,
			       page_size));
	EXPECT_EQ(-1, pat_check(buf, page_size, PAT_B)) TH_LOG("the mapped page is not filled");

	/* beyond user space: whatever the error, nothing happens */
	d = job(SMMU_SVA_TEST_DMA_FILL, (void *)0xffffff8000000000ul, 64, PAT_A);
	ret = dma_run(self->fd, &d);
	dma_str(s, sizeof(s), ret, &d);
	EXPECT_TRUE(ret == -EINVAL ||
		    (!ret && (d.result == -EFAULT || d.result == -EIO) && !d.done))
		TH_LOG("FILL of a kernel address: %s", s);

	d = job(SMMU_SVA_TEST_DMA_FILL, rw, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL after the faults", self->fd, &d));
	EXPECT_EQ(-1, pat_check(rw, len, PAT_C));
	d = job(SMMU_SVA_TEST_DMA_CHECK, rw, len, PAT_C);
	EXPECT_TRUE(DMA_OK("CHECK after the faults", self->fd, &d));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, page_size);
	munmap(rw, len);
}

/*
 * A NOFAULT job ends with -EFAULT at the first fault without waiting for it.
 * A PRI device then sends no page request: the kernel never sees the fault.
 * The ATS device asks for a translation, is refused one, and sends no page
 * request either. A stalling device cannot avoid the stall, which the
 * kernel still resolves (populating the page), but nothing may be written
 * once the job has ended.
 */
TEST_F(sva, nofault)
{
	const size_t len = 4 * page_size;
	struct smmu_sva_test_stats st0, st1;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	__u32 pasid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	d.flags = SMMU_SVA_TEST_DMA_NOFAULT;
	EXPECT_TRUE(dma_expect(_metadata, "NOFAULT FILL of never-touched memory", self->fd, &d, 0,
			       -EFAULT, 0));
	/* let a stall the job did not wait for be resolved */
	sleep_ms(100);
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	TH_LOG("NOFAULT FILL: job faults %u, model fault counter +%llu, first page %s",
	       d.faults, (unsigned long long)(fault_counter(&st1, variant->fault_mode) -
					      fault_counter(&st0, variant->fault_mode)),
	       present(buf) ? "populated" : "not populated");
	if (variant->fault_mode == SMMU_SVA_TEST_FAULT_PRI) {
		EXPECT_EQ(0, d.faults);
		EXPECT_EQ(0, fault_counter(&st1, variant->fault_mode) -
			     fault_counter(&st0, variant->fault_mode))
			TH_LOG("a NOFAULT job on a PRI device sent a page request");
		EXPECT_FALSE(present(buf)) TH_LOG("a NOFAULT job on a PRI device populated memory");
	}
	EXPECT_TRUE(ATC_EXPECT("NOFAULT FILL", ATC_REQUESTED, &st0, &st1));
	if (variant->ats)
		EXPECT_EQ(st0.atc_entries, st1.atc_entries)
			TH_LOG("the ATC cached a translation that grants nothing");
	EXPECT_EQ(-1, byte_check(buf, len, 0))
		TH_LOG("memory written by a NOFAULT job that failed (or after it ended)");

	memset(buf, 1, len);
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	d.flags = SMMU_SVA_TEST_DMA_NOFAULT;
	EXPECT_TRUE(DMA_OK("NOFAULT FILL of present memory", self->fd, &d));
	EXPECT_EQ(0, d.faults);
	EXPECT_EQ(-1, pat_check(buf, len, PAT_A));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	d.flags = SMMU_SVA_TEST_DMA_NOFAULT;
	EXPECT_TRUE(DMA_OK("NOFAULT CHECK", self->fd, &d));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/*
 * 4. munmap while bound, then a fresh mapping at the same address: the
 * device must see the new pages. The device's TLB (and the ATS device's
 * ATC) holds the old ones.
 */
TEST_F(sva, munmap_remap)
{
	const size_t len = 16 * page_size;
	struct smmu_sva_test_stats st0, st1, st2, st3, st4;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	__u32 pasid;
	void *p;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("FILL", self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("CHECK", self->fd, &d));
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	EXPECT_LT(0, st1.tlb_entries) TH_LOG("the model's TLB is empty after a DMA: test is moot");
	EXPECT_TRUE(ATC_EXPECT("FILL and CHECK", ATC_FILLED, &st0, &st1));

	ASSERT_EQ(0, munmap(buf, len));
	p = mmap(buf, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(buf, p);
	pat_fill(buf, len, PAT_B);
	ASSERT_EQ(0, dev_stats(self->fd, &st2));
	TH_LOG("munmap: %llu TLB invalidation commands, TLB %llu -> %llu entries; %llu ATC invalidation commands, ATC %llu -> %llu entries",
	       (unsigned long long)(st2.tlbi_commands - st1.tlbi_commands),
	       (unsigned long long)st1.tlb_entries, (unsigned long long)st2.tlb_entries,
	       (unsigned long long)(st2.atc_inv_commands - st1.atc_inv_commands),
	       (unsigned long long)st1.atc_entries, (unsigned long long)st2.atc_entries);
	EXPECT_TRUE(ATC_EXPECT("munmap", ATC_INVALIDATED, &st1, &st2));
	EXPECT_TRUE(TLBI_EXPECT("munmap", &st1, &st2));

	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("CHECK of the new pages (stale TLB or ATC: old pages)", self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	EXPECT_TRUE(dma_expect(_metadata, "CHECK for the old content", self->fd, &d, 0, -EILSEQ,
			       0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL of the new pages", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_C));
	ASSERT_EQ(0, dev_stats(self->fd, &st3));
	EXPECT_TRUE(ATC_EXPECT("DMA on the new pages", ATC_FILLED, &st2, &st3));
	EXPECT_EQ(0, dev_unbind(self->fd));
	ASSERT_EQ(0, dev_stats(self->fd, &st4));
	EXPECT_TRUE(ATC_EXPECT("UNBIND", ATC_INVALIDATED, &st3, &st4));
	munmap(buf, len);
}

/*
 * 4b. The same with the old pages kept alive (moved away by mremap): a stale
 * translation would reach live pages that still hold the old content.
 */
TEST_F(sva, mremap_away)
{
	const size_t len = 16 * page_size;
	struct smmu_sva_test_stats st0, st1, st2;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char *away = map_anon(len, PROT_NONE);
	__u32 pasid;
	void *p;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, away);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("FILL", self->fd, &d));
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	EXPECT_TRUE(ATC_EXPECT("FILL", ATC_FILLED, &st0, &st1));

	p = mremap(buf, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, away);
	ASSERT_EQ(away, p);
	p = mmap(buf, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(buf, p);
	pat_fill(buf, len, PAT_B);
	ASSERT_EQ(0, dev_stats(self->fd, &st2));
	EXPECT_TRUE(ATC_EXPECT("mremap", ATC_INVALIDATED, &st1, &st2));
	EXPECT_TRUE(TLBI_EXPECT("mremap", &st1, &st2));

	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("CHECK of the new pages (stale TLB or ATC: moved pages)", self->fd,
			   &d));
	/* the moved pages, through their new address */
	EXPECT_EQ(-1, pat_check(away, len, PAT_A));
	d = job(SMMU_SVA_TEST_DMA_CHECK, away, len, PAT_A);
	EXPECT_TRUE(DMA_OK("CHECK of the moved pages", self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_FILL, away, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL of the moved pages", self->fd, &d));
	EXPECT_EQ(-1, pat_check(away, len, PAT_C));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_B)) TH_LOG("a write went to the old address");
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
	munmap(away, len);
}

/* 4c. mprotect(PROT_READ) after a FILL: the device loses write access */
TEST_F(sva, mprotect_revokes_write)
{
	const size_t len = 8 * page_size;
	struct smmu_sva_test_stats st0, st1, st2;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	long long off;
	__u32 pasid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("FILL", self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
	ASSERT_TRUE(DMA_OK("FILL with the translations cached", self->fd, &d));
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	EXPECT_TRUE(ATC_EXPECT("FILL", ATC_FILLED, &st0, &st1));

	ASSERT_EQ(0, mprotect(buf, len, PROT_READ));
	ASSERT_EQ(0, dev_stats(self->fd, &st2));
	EXPECT_TRUE(ATC_EXPECT("mprotect(PROT_READ)", ATC_INVALIDATED, &st1, &st2));
	EXPECT_TRUE(TLBI_EXPECT("mprotect(PROT_READ)", &st1, &st2));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(dma_expect(_metadata, "FILL after mprotect(PROT_READ)", self->fd, &d, 0,
			       -EFAULT, 0));
	off = pat_check(buf, len, PAT_B);
	EXPECT_EQ(-1, off) TH_LOG("written through a revoked permission at byte %lld", off);
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("CHECK of the read-only pages", self->fd, &d));

	ASSERT_EQ(0, mprotect(buf, len, PROT_READ | PROT_WRITE));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL after mprotect(PROT_READ | PROT_WRITE)", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_C));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/* 4d. MADV_DONTNEED drops the pages: the device sees zeroes again */
TEST_F(sva, madvise_dontneed)
{
	const size_t len = 8 * page_size;
	struct smmu_sva_test_stats st0, st1, st2;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	__u32 pasid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("FILL", self->fd, &d));
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	EXPECT_TRUE(ATC_EXPECT("FILL", ATC_FILLED, &st0, &st1));
	ASSERT_EQ(0, madvise(buf, len, MADV_DONTNEED));
	ASSERT_EQ(0, dev_stats(self->fd, &st2));
	EXPECT_TRUE(ATC_EXPECT("MADV_DONTNEED", ATC_INVALIDATED, &st1, &st2));
	EXPECT_TRUE(TLBI_EXPECT("MADV_DONTNEED", &st1, &st2));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	EXPECT_TRUE(dma_expect(_metadata,
			       "CHECK after MADV_DONTNEED (stale TLB or ATC: freed pages)",
			       self->fd, &d, 0, -EILSEQ, 0));
	EXPECT_EQ(-1, byte_check(buf, len, 0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("FILL after MADV_DONTNEED", self->fd, &d));
	EXPECT_LT(0, d.faults);
	EXPECT_EQ(-1, pat_check(buf, len, PAT_B));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/*
 * 4e. UNBIND drops the bond's cached translations. The pages are moved
 * away while unbound (nothing tells the device then) and kept alive; bound
 * again, the mm has the same PASID, and a translation cached across the
 * UNBIND (TLB, or the ATS device's ATC) would reach the moved pages.
 */
TEST_F(sva, unbind_remap)
{
	const size_t len = 8 * page_size;
	struct smmu_sva_test_stats st0, st1, st2;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char *away = map_anon(len, PROT_NONE);
	long long off;
	__u32 pasid, p2;
	void *p;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, away);
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("FILL", self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("CHECK", self->fd, &d));
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	EXPECT_LT(0, st1.tlb_entries) TH_LOG("the model's TLB is empty after a DMA: test is moot");
	EXPECT_TRUE(ATC_EXPECT("FILL and CHECK", ATC_FILLED, &st0, &st1));
	ASSERT_EQ(0, dev_unbind(self->fd));
	ASSERT_EQ(0, dev_stats(self->fd, &st2));
	EXPECT_TRUE(ATC_EXPECT("UNBIND", ATC_INVALIDATED, &st1, &st2));
	/* none of the bond's translations is left */
	if (variant->ats)
		EXPECT_GE(st0.atc_entries, st2.atc_entries)
			TH_LOG("ATC: %llu entries before BIND, %llu after UNBIND",
			       (unsigned long long)st0.atc_entries,
			       (unsigned long long)st2.atc_entries);

	p = mremap(buf, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, away);
	ASSERT_EQ(away, p);
	p = mmap(buf, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(buf, p);
	pat_fill(buf, len, PAT_B);
	ASSERT_EQ(0, dev_bind(self->fd, &p2));
	EXPECT_EQ(pasid, p2) TH_LOG("the mm's PASID changed across UNBIND: test is moot");

	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("CHECK of the new pages after UNBIND and BIND (stale translation: moved pages)",
			   self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL of the new pages", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_C));
	off = pat_check(away, len, PAT_A);
	EXPECT_EQ(-1, off) TH_LOG("the moved pages changed at byte %lld (stale translation)", off);
	d = job(SMMU_SVA_TEST_DMA_CHECK, away, len, PAT_A);
	EXPECT_TRUE(DMA_OK("CHECK of the moved pages", self->fd, &d));
	EXPECT_EQ(0, dev_unbind(self->fd));
	EXPECT_EQ(0, dev_bonds(variant->dev));
	munmap(buf, len);
	munmap(away, len);
}

/*
 * 5. Two processes, two PASIDs: each fills the same virtual range of its
 * own mm. Root may direct a job at another process's PASID.
 */
struct two_report {
	__u32 pasid;
	int stage;		/* 0: all good, else where the child failed */
	char why[256];
};

static void child_report(int fd, struct two_report *r, int stage, const char *why)
{
	r->stage = stage;
	copy_str(r->why, sizeof(r->why), why);
	if (!xwrite(fd, r, sizeof(*r)))
		_exit(100);
}

TEST_F(sva, two_processes)
{
	const size_t len = 8 * page_size;
	struct smmu_sva_test_dma d;
	struct two_report r = {};
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	struct chan ch;
	__u32 pasid;
	char c = 0, st[64];
	int status, ret;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, chan_open(&ch));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char why[256];
		int fd;

		chan_child(&ch);
		fd = dev_open_bound(variant->dev, &r.pasid);
		if (fd < 0)
			child_report(ch.to_parent[1], &r, 1, errname(fd));
		else
			child_report(ch.to_parent[1], &r, 0, "");
		if (fd < 0 || !xread(ch.to_child[0], &c, 1))
			_exit(1);
		d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
		if (!dma_ok(fd, &d, why, sizeof(why))) {
			child_report(ch.to_parent[1], &r, 2, why);
			_exit(2);
		}
		d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
		if (!dma_ok(fd, &d, why, sizeof(why))) {
			child_report(ch.to_parent[1], &r, 3, why);
			_exit(3);
		}
		if (pat_check(buf, len, PAT_B) >= 0) {
			child_report(ch.to_parent[1], &r, 4, "the child's CPU does not see its pattern");
			_exit(4);
		}
		child_report(ch.to_parent[1], &r, 0, "");
		/* the parent may now write our first page through our PASID */
		if (!xread(ch.to_child[0], &c, 1))
			_exit(5);
		if (c == 'w' && pat_check(buf, page_size, PAT_D) >= 0)
			CHILD_FAIL(6, "the parent's job on our PASID did not land in our memory");
		if (pat_check(buf + (c == 'w' ? page_size : 0),
			      len - (c == 'w' ? page_size : 0), PAT_B) >= 0)
			CHILD_FAIL(7, "our memory changed under us");
		_exit(0);
	}
	chan_parent(&ch);
	ASSERT_TRUE(xread(ch.to_parent[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.stage) TH_LOG("child could not bind: %s", r.why);
	EXPECT_NE(0, r.pasid);
	EXPECT_NE(pasid, r.pasid) TH_LOG("two processes got the same PASID %u", pasid);
	EXPECT_EQ(2, dev_bonds(variant->dev));

	/* both fill the same addresses at the same time */
	ASSERT_TRUE(xwrite(ch.to_child[1], "g", 1));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	EXPECT_TRUE(DMA_OK("parent's FILL", self->fd, &d));
	ASSERT_TRUE(xread(ch.to_parent[0], &r, sizeof(r)));
	EXPECT_EQ(0, r.stage) TH_LOG("child failed at stage %d: %s", r.stage, r.why);
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	EXPECT_TRUE(DMA_OK("parent's CHECK", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_A)) TH_LOG("the child's DMA reached our memory");

	/* a job on another process's PASID: root only */
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	d.flags = SMMU_SVA_TEST_DMA_PASID;
	d.pasid = r.pasid;
	if (cap_sys_admin()) {
		EXPECT_TRUE(DMA_OK("CHECK of the child's memory through its PASID", self->fd, &d));
		d = job(SMMU_SVA_TEST_DMA_FILL, buf, page_size, PAT_D);
		d.flags = SMMU_SVA_TEST_DMA_PASID;
		d.pasid = r.pasid;
		EXPECT_TRUE(DMA_OK("FILL of the child's memory through its PASID", self->fd, &d));
		EXPECT_EQ(-1, pat_check(buf, len, PAT_A))
			TH_LOG("a job on the child's PASID wrote our memory");
		c = 'w';
	} else {
		ret = dma_run(self->fd, &d);
		EXPECT_EQ(-EPERM, ret) TH_LOG("DMA on another PASID without CAP_SYS_ADMIN");
		TH_LOG("not root: the privileged part is skipped");
		c = 'r';
	}
	ASSERT_TRUE(xwrite(ch.to_child[1], &c, 1));
	status = wait_child(pid, CHILD_WAIT_MS);
	status_str(status, st, sizeof(st));
	EXPECT_TRUE(child_ok(status)) TH_LOG("child: %s", st);
	EXPECT_EQ(1, dev_bonds(variant->dev)) TH_LOG("the child's bond outlived it");
	chan_close(&ch);
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/* 6. One mm on two devices: one PASID; one device writes, the other reads */
TEST_F(sva, same_mm_two_devices)
{
	const size_t len = 16 * page_size;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	__u32 pasid, p2;
	int fd2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	fd2 = dev_open_bound(variant->other, &p2);
	ASSERT_LE(0, fd2) TH_LOG("bind on device %d: %s", variant->other, errname(fd2));
	EXPECT_EQ(pasid, p2) TH_LOG("one mm, two PASIDs");
	EXPECT_EQ(1, dev_bonds(variant->dev));
	EXPECT_EQ(1, dev_bonds(variant->other));

	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	EXPECT_TRUE(DMA_OK("FILL on the first device", self->fd, &d));
	EXPECT_LT(0, d.faults);
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
	EXPECT_TRUE(DMA_OK("CHECK on the second device", fd2, &d));
	EXPECT_EQ(0, d.faults);
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("FILL on the second device", fd2, &d));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("CHECK on the first device", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_B));

	/* unbinding one device leaves the other's bond working */
	EXPECT_EQ(0, dev_unbind(self->fd));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_EQ(-ENOENT, dma_run(self->fd, &d)) TH_LOG("DMA on an unbound file");
	ASSERT_EQ(0, madvise(buf, len, MADV_DONTNEED));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL on the second device after the first unbound", fd2, &d));
	EXPECT_LT(0, d.faults);
	EXPECT_EQ(-1, pat_check(buf, len, PAT_C));
	/* the mm keeps its PASID */
	ASSERT_EQ(0, dev_bind(self->fd, &p2));
	EXPECT_EQ(pasid, p2);
	EXPECT_EQ(0, dev_unbind(self->fd));
	close(fd2);
	EXPECT_EQ(0, dev_bonds(variant->other));
	munmap(buf, len);
}

/*
 * 7. fork() while bound: the pages are now copy-on-write in both mms. The
 * parent's DMA writes must break COW in the parent (a cached writable
 * translation would write the page the child shares); the child binds on
 * its own file, gets its own PASID, and its DMA writes stay in its mm.
 */
TEST_F(sva, fork_while_bound)
{
	const size_t len = 8 * page_size;
	struct smmu_sva_test_stats st0, st1, st2;
	struct smmu_sva_test_dma d;
	struct two_report r = {};
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	struct chan ch;
	char c, st[64];
	long long off;
	__u32 pasid;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	ASSERT_TRUE(DMA_OK("FILL before fork", self->fd, &d));
	ASSERT_EQ(0, dev_stats(self->fd, &st1));
	EXPECT_TRUE(ATC_EXPECT("FILL before fork", ATC_FILLED, &st0, &st1));
	ASSERT_EQ(0, chan_open(&ch));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char why[256];
		int fd;

		chan_child(&ch);
		if (!xread(ch.to_child[0], &c, 1))
			_exit(1);
		if (pat_check(buf, len, PAT_A) >= 0)
			child_report(ch.to_parent[1], &r, 2,
				     "the parent's DMA after fork wrote pages the child shares");
		fd = dev_open_bound(variant->dev, &r.pasid);
		if (fd < 0) {
			child_report(ch.to_parent[1], &r, 3, errname(fd));
			_exit(3);
		}
		d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
		if (!dma_ok(fd, &d, why, sizeof(why))) {
			child_report(ch.to_parent[1], &r, 4, why);
			_exit(4);
		}
		d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_C);
		if (!dma_ok(fd, &d, why, sizeof(why))) {
			child_report(ch.to_parent[1], &r, 5, why);
			_exit(5);
		}
		if (pat_check(buf, len, PAT_C) >= 0) {
			child_report(ch.to_parent[1], &r, 6, "the child's CPU misses its DMA's data");
			_exit(6);
		}
		child_report(ch.to_parent[1], &r, r.stage, r.why);
		_exit(r.stage);
	}
	chan_parent(&ch);
	/* the child waits for "g": only the fork wrote the counters since */
	ASSERT_EQ(0, dev_stats(self->fd, &st2));
	EXPECT_TRUE(ATC_EXPECT("fork (write-protects the parent's pages)", ATC_INVALIDATED, &st1,
			       &st2));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("parent's FILL after fork (COW break)", self->fd, &d));
	EXPECT_LT(0, d.faults)
		TH_LOG("no fault writing copy-on-write pages: a stale writable translation?");
	ASSERT_TRUE(xwrite(ch.to_child[1], "g", 1));
	ASSERT_TRUE(xread(ch.to_parent[0], &r, sizeof(r)));
	EXPECT_EQ(0, r.stage) TH_LOG("child: stage %d: %s", r.stage, r.why);
	EXPECT_NE(0, r.pasid);
	EXPECT_NE(pasid, r.pasid) TH_LOG("the child's mm got the parent's PASID");
	status = wait_child(pid, CHILD_WAIT_MS);
	status_str(status, st, sizeof(st));
	EXPECT_TRUE(child_ok(status)) TH_LOG("child: %s", st);

	off = pat_check(buf, len, PAT_B);
	EXPECT_EQ(-1, off) TH_LOG("the parent's copy changed at byte %lld (the child's DMA?)", off);
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("parent's CHECK after the child's DMA", self->fd, &d));
	chan_close(&ch);
	EXPECT_EQ(0, dev_unbind(self->fd));
	EXPECT_EQ(0, dev_bonds(variant->dev));
	munmap(buf, len);
}

/*
 * After exec, with the pre-exec file (bound to the old, dead mm) still
 * open: a job through it must not reach the new mm; a fresh bond works.
 */
static int exec_child(int fd, int dev)
{
	const size_t len = 2 * page_size;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char why[256];
	__u32 pasid;
	int fd2, ret;

	if (!buf)
		CHILD_FAIL(20, "mmap");
	memset(buf, 0x33, len);
	for (int round = 0; round < 2; round++) {
		d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
		ret = dma_run(fd, &d);
		dma_str(why, sizeof(why), ret, &d);
		fprintf(stderr, "# exec child: job through the pre-exec bond: %s\n", why);
		if (!(ret == -ENOENT ||
		      (!ret && (d.result == -ENOENT || d.result == -EFAULT || d.result == -EIO))))
			CHILD_FAIL(21, "a job through the dead mm's bond did not fail: %s", why);
		if (byte_check(buf, len, 0x33) >= 0)
			CHILD_FAIL(22, "a job through the dead mm's bond wrote the new mm");
		if (round)
			break;
		fd2 = dev_open_bound(dev, &pasid);
		if (fd2 < 0)
			CHILD_FAIL(23, "bind after exec: %s", errname(fd2));
		d = job(SMMU_SVA_TEST_DMA_FILL, buf + page_size, page_size, PAT_B);
		if (!dma_ok(fd2, &d, why, sizeof(why)))
			CHILD_FAIL(24, "FILL after exec: %s", why);
		if (pat_check(buf + page_size, page_size, PAT_B) >= 0)
			CHILD_FAIL(25, "FILL after exec did not land");
		memset(buf, 0x33, len);
	}
	return 0;
}

TEST_F(sva, exec_while_bound)
{
	const size_t len = 4 * page_size;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char st[64];
	int status;
	__u32 pasid;

	ASSERT_NE(NULL, buf);
	for (int round = 0; round < 2; round++) {
		/* busybox runs the applet argv[0] names */
		const char *prog = round ? "/proc/self/exe" : "/bin/true";
		const char *name = round ? "smmu_sva" : "true";
		pid_t pid;

		if (access(prog, X_OK)) {
			TH_LOG("%s missing: round skipped", prog);
			continue;
		}
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			char fdarg[16], devarg[16], why[256];
			int fd = dev_open(variant->dev);

			/* no O_CLOEXEC: the file (and its bond) survives exec */
			if (fd < 0 || fcntl(fd, F_SETFD, 0) || dev_enable(fd) || dev_bind(fd, NULL))
				CHILD_FAIL(10, "open/enable/bind failed");
			d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
			if (!dma_ok(fd, &d, why, sizeof(why)))
				CHILD_FAIL(11, "FILL before exec: %s", why);
			snprintf(fdarg, sizeof(fdarg), "%d", fd);
			snprintf(devarg, sizeof(devarg), "%d", variant->dev);
			execl(prog, name, EXEC_CHILD_ARG, fdarg, devarg, (char *)NULL);
			CHILD_FAIL(12, "exec %s: %s", prog, strerror(errno));
		}
		status = wait_child(pid, CHILD_WAIT_MS);
		status_str(status, st, sizeof(st));
		EXPECT_TRUE(child_ok(status)) TH_LOG("%s child: %s", prog, st);
		EXPECT_EQ(0, dev_bonds(variant->dev)) TH_LOG("bond left after the exec'd child exited");
	}
	/* the device works */
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL after exec", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_C));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/* 8. A process binds, DMAs and exits without unbind or close */
struct bg_job {
	int fd;
	int started;		/* __atomic */
	int ret;
	struct smmu_sva_test_dma d;
};

static void *bg_job_fn(void *arg)
{
	struct bg_job *b = arg;

	__atomic_store_n(&b->started, 1, __ATOMIC_RELEASE);
	b->ret = dma_run(b->fd, &b->d);
	return NULL;
}

TEST_F_TIMEOUT(sva, exit_without_unbind, 180)
{
	const size_t len = 8 * page_size;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	long bonds0 = dev_bonds(variant->dev);
	__u32 pasid, cp;
	int pipefd[2], status;
	char st[64];

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bonds0);
	/* rounds 0-2: exit after a DMA; round 3: exit with a DMA in flight */
	for (int round = 0; round < 4; round++) {
		pid_t pid;

		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct bg_job b = {};
			pthread_t t;
			char why[256];

			b.fd = dev_open_bound(variant->dev, &cp);
			if (b.fd < 0)
				CHILD_FAIL(1, "bind: %s", errname(b.fd));
			d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
			if (!dma_ok(b.fd, &d, why, sizeof(why)))
				CHILD_FAIL(2, "FILL: %s", why);
			if (!xwrite(pipefd[1], &cp, sizeof(cp)))
				_exit(3);
			if (round < 3)
				_exit(0);
			b.d = job(SMMU_SVA_TEST_DMA_FILL, map_anon(16 * MiB, PROT_READ | PROT_WRITE),
				  16 * MiB, PAT_B);
			if (!b.d.addr || pthread_create(&t, NULL, bg_job_fn, &b))
				CHILD_FAIL(4, "thread");
			while (!__atomic_load_n(&b.started, __ATOMIC_ACQUIRE))
				sleep_ms(1);
			sleep_ms(5);
			_exit(0);
		}
		close(pipefd[1]);
		cp = 0;
		EXPECT_TRUE(xread(pipefd[0], &cp, sizeof(cp))) TH_LOG("round %d: child sent no PASID",
								      round);
		close(pipefd[0]);
		status = wait_child(pid, CHILD_WAIT_MS);
		status_str(status, st, sizeof(st));
		EXPECT_TRUE(child_ok(status)) TH_LOG("round %d: child %s", round, st);
		EXPECT_EQ(bonds0, dev_bonds(variant->dev))
			TH_LOG("round %d: the exited child's bond (PASID %u) is still counted", round,
			       cp);
	}
	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("FILL after the children exited", self->fd, &d));
	EXPECT_LT(0, d.faults);
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_C);
	EXPECT_TRUE(DMA_OK("CHECK after the children exited", self->fd, &d));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(buf, len);
}

/* 9. UNBIND while a DMA job faults its way through a large buffer */
struct racer {
	int fd;
	char *buf;
	size_t len;
	int armed;		/* __atomic: set just before each job */
	int stop;		/* __atomic */
	int bad;
	long jobs, interrupted;
	char what[256];
};

static void *racer_fn(void *arg)
{
	struct racer *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		struct smmu_sva_test_dma d = job(SMMU_SVA_TEST_DMA_FILL, r->buf, r->len, PAT_A);
		int ret;

		madvise(r->buf, r->len, MADV_DONTNEED);
		__atomic_store_n(&r->armed, 1, __ATOMIC_RELEASE);
		ret = dma_run(r->fd, &d);
		r->jobs++;
		if (ret == -ENOENT)
			break;		/* unbound before the job started */
		if (!ret && !d.result)
			continue;
		if (!ret && (d.result == -ENOENT || d.result == -EFAULT || d.result == -EIO)) {
			r->interrupted++;
			continue;
		}
		r->bad++;
		dma_str(r->what, sizeof(r->what), ret, &d);
		break;
	}
	return NULL;
}

TEST_F_TIMEOUT(sva, unbind_during_dma, 300)
{
	const size_t len = 8 * MiB;
	struct racer r = { .fd = self->fd, .len = len };
	struct smmu_sva_test_dma d;
	long jobs = 0, interrupted = 0;
	__u32 pasid;

	r.buf = map_anon(len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r.buf);
	for (int round = 0; round < 8; round++) {
		struct timespec ts;
		long long t0;
		pthread_t t;
		int ret;

		ASSERT_EQ(0, dev_bind(self->fd, &pasid));
		r.armed = 0;
		r.stop = 0;
		r.jobs = r.interrupted = 0;
		ASSERT_EQ(0, pthread_create(&t, NULL, racer_fn, &r));
		while (!__atomic_load_n(&r.armed, __ATOMIC_ACQUIRE))
			sleep_ms(1);
		sleep_ms(1 + 3 * round);
		t0 = now_ms();
		ret = dev_unbind(self->fd);
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		EXPECT_EQ(0, ret) TH_LOG("round %d: UNBIND with a job in flight: %s", round,
					 errname(ret));
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 60;
		ret = pthread_timedjoin_np(t, NULL, &ts);
		ASSERT_EQ(0, ret) TH_LOG("round %d: the DMA job did not return 60 s after UNBIND",
					 round);
		TH_LOG("round %d: UNBIND took %lld ms; %ld jobs, %ld ended by the unbind", round,
		       now_ms() - t0, r.jobs, r.interrupted);
		EXPECT_EQ(0, r.bad) TH_LOG("round %d: %s", round, r.what);
		EXPECT_EQ(0, dev_bonds(variant->dev));
		jobs += r.jobs;
		interrupted += r.interrupted;
	}
	TH_LOG("%ld jobs, %ld of them ended by an UNBIND", jobs, interrupted);

	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	d = job(SMMU_SVA_TEST_DMA_FILL, r.buf, 16 * page_size, PAT_B);
	EXPECT_TRUE(DMA_OK("FILL after the races", self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_CHECK, r.buf, 16 * page_size, PAT_B);
	EXPECT_TRUE(DMA_OK("CHECK after the races", self->fd, &d));
	EXPECT_EQ(-1, pat_check(r.buf, 16 * page_size, PAT_B));
	EXPECT_EQ(0, dev_unbind(self->fd));
	munmap(r.buf, len);
}

/*
 * 10. A PASID above 1024 (second level of the PASID table) works; a device
 * too narrow for it refuses the bind.
 */
struct big_report {
	int bind, bind8, dma8;
	__u32 pasid;
	int stage;
	char why[256];
};

TEST_F(sva, large_pasid)
{
	const size_t len = 8 * page_size;
	struct big_report r = {};
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	__u32 n = 1100;
	int pipefd[2], status, hold, ret;
	char st[64];
	pid_t pid;

	ASSERT_NE(NULL, buf);
	if (!cap_sys_admin())
		SKIP(return, "HOLD_PASIDS needs CAP_SYS_ADMIN");
	hold = dev_open(variant->dev);
	ASSERT_LE(0, hold);
	ret = xioctl(hold, SMMU_SVA_TEST_IOC_HOLD_PASIDS, &n);
	ASSERT_EQ(0, ret) TH_LOG("HOLD_PASIDS(%u): %s", n, errname(ret));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct smmu_sva_test_dma d;
		int fd, fd8;

		fd = dev_open_bound(variant->dev, &r.pasid);
		r.bind = fd < 0 ? fd : 0;
		r.stage = 1;
		if (fd >= 0) {
			d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
			r.stage = 2;
			if (dma_ok(fd, &d, r.why, sizeof(r.why))) {
				d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_A);
				r.stage = 3;
			}
			if (r.stage == 3 && dma_ok(fd, &d, r.why, sizeof(r.why)))
				r.stage = pat_check(buf, len, PAT_A) < 0 ? 0 : 4;
		}
		fd8 = dev_open(DEV_NARROW);
		r.bind8 = fd8 < 0 ? fd8 : dev_enable(fd8);
		if (!r.bind8)
			r.bind8 = dev_bind(fd8, NULL);
		if (fd8 >= 0) {
			d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
			r.dma8 = dma_run(fd8, &d);
		}
		/* the wide device still works after the refused bind */
		if (!r.stage && fd >= 0) {
			d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_C);
			if (!dma_ok(fd, &d, r.why, sizeof(r.why)) || pat_check(buf, len, PAT_C) >= 0)
				r.stage = 5;
		}
		_exit(xwrite(pipefd[1], &r, sizeof(r)) ? 0 : 1);
	}
	close(pipefd[1]);
	ASSERT_TRUE(xread(pipefd[0], &r, sizeof(r)));
	close(pipefd[0]);
	status = wait_child(pid, CHILD_WAIT_MS);
	status_str(status, st, sizeof(st));
	EXPECT_TRUE(child_ok(status)) TH_LOG("child: %s", st);
	TH_LOG("child: PASID %u on device %d; 8-bit device: BIND %s, DMA %s", r.pasid, variant->dev,
	       errname(r.bind8), errname(r.dma8));
	EXPECT_EQ(0, r.bind) TH_LOG("BIND with %u PASIDs held: %s", n, errname(r.bind));
	EXPECT_LT(1024, r.pasid) TH_LOG("HOLD_PASIDS(%u) did not push the next PASID above 1024", n);
	EXPECT_EQ(0, r.stage) TH_LOG("DMA with PASID %u, stage %d: %s", r.pasid, r.stage, r.why);
	EXPECT_GT(0, r.bind8) TH_LOG("an 8-bit PASID device accepted PASID %u", r.pasid);
	EXPECT_EQ(-ENOENT, r.dma8) TH_LOG("DMA on the 8-bit device without a bond");
	EXPECT_EQ(0, dev_bonds(DEV_NARROW));
	EXPECT_EQ(0, dev_bonds(variant->dev));
	close(hold);
	munmap(buf, len);
}

/* 11. Threads opening, binding, DMAing, unbinding and closing on both devices */
struct stress {
	int devs[2];
	long long deadline;
	int errors;		/* __atomic */
	__u32 pasid;		/* __atomic: one mm, one PASID */
	char what[256];
};

struct stress_thread {
	struct stress *s;
	int id;
	long rounds;
};

static void stress_err(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
}

static void *stress_fn(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	const size_t len = 8 * page_size;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char why[256];

	if (!buf) {
		stress_err(s, "thread %d: mmap", t->id);
		return NULL;
	}
	while (now_ms() < s->deadline && !__atomic_load_n(&s->errors, __ATOMIC_RELAXED)) {
		int dev = s->devs[(t->id + t->rounds) % 2];
		uint64_t pat = splitmix64(t->id * 1000003 + t->rounds) | 0x0101010101010101ull;
		struct smmu_sva_test_dma d;
		__u32 pasid = 0, expect = 0;
		int fd, ret;

		fd = dev_open_bound(dev, &pasid);
		if (fd < 0) {
			stress_err(s, "thread %d round %ld: bind device %d: %s", t->id, t->rounds, dev,
				   errname(fd));
			break;
		}
		if (!__atomic_compare_exchange_n(&s->pasid, &expect, pasid, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
		    expect != pasid)
			stress_err(s, "thread %d: PASID %u, another thread got %u", t->id, pasid,
				   expect);
		madvise(buf, len, MADV_DONTNEED);
		d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, pat);
		if (!dma_ok(fd, &d, why, sizeof(why)))
			stress_err(s, "thread %d round %ld device %d: %s", t->id, t->rounds, dev, why);
		d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, pat);
		if (!dma_ok(fd, &d, why, sizeof(why)))
			stress_err(s, "thread %d round %ld device %d: %s", t->id, t->rounds, dev, why);
		if (pat_check(buf, len, pat) >= 0)
			stress_err(s, "thread %d round %ld device %d: CPU does not see the data",
				   t->id, t->rounds, dev);
		ret = dev_unbind(fd);
		if (ret)
			stress_err(s, "thread %d: UNBIND: %s", t->id, errname(ret));
		close(fd);
		t->rounds++;
	}
	munmap(buf, len);
	return NULL;
}

TEST_F_TIMEOUT(sva, stress, 120)
{
	struct stress s = { .devs = { variant->dev, variant->other } };
	struct stress_thread th[2];
	pthread_t t[2];

	s.deadline = now_ms() + 3000;
	for (int i = 0; i < 2; i++) {
		th[i] = (struct stress_thread){ .s = &s, .id = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, stress_fn, &th[i]));
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%ld + %ld rounds, PASID %u", th[0].rounds, th[1].rounds, s.pasid);
	EXPECT_EQ(0, s.errors) TH_LOG("first of %d errors: %s", s.errors, s.what);
	EXPECT_LT(0, th[0].rounds);
	EXPECT_LT(0, th[1].rounds);
	EXPECT_EQ(0, dev_bonds(variant->dev));
	EXPECT_EQ(0, dev_bonds(variant->other));
}

/* 12. Malformed requests are refused and change nothing */
static const struct {
	const char *what;
	int size_delta;		/* from sizeof(struct smmu_sva_test_dma) */
	__u32 op, flags;
	__u64 len;		/* 0: a valid length, 1: zero */
	__u64 reserved;
} bad_jobs[] = {
	{ "size 0", -(int)sizeof(struct smmu_sva_test_dma), SMMU_SVA_TEST_DMA_FILL, 0, 0, 0 },
	{ "size - 8", -8, SMMU_SVA_TEST_DMA_FILL, 0, 0, 0 },
	{ "size + 8", 8, SMMU_SVA_TEST_DMA_FILL, 0, 0, 0 },
	{ "op 0", 0, 0, 0, 0, 0 },
	{ "op 4", 0, 4, 0, 0, 0 },
	{ "op ~0", 0, ~0u, 0, 0, 0 },
	{ "flags 1 << 2", 0, SMMU_SVA_TEST_DMA_FILL, 1u << 2, 0, 0 },
	{ "flags 1 << 31", 0, SMMU_SVA_TEST_DMA_FILL, 1u << 31, 0, 0 },
	{ "len 0", 0, SMMU_SVA_TEST_DMA_FILL, 0, 1, 0 },
	{ "len MAX + 1", 0, SMMU_SVA_TEST_DMA_FILL, 0, SMMU_SVA_TEST_DMA_MAX + 1ull, 0 },
	{ "len ~0", 0, SMMU_SVA_TEST_DMA_FILL, 0, ~0ull, 0 },
	{ "reserved 1", 0, SMMU_SVA_TEST_DMA_FILL, 0, 0, 1 },
	{ "reserved 1 << 63", 0, SMMU_SVA_TEST_DMA_CHECK, 0, 0, 1ull << 63 },
};

TEST_F_TIMEOUT(sva, bad_input, 120)
{
	const size_t len = 4 * page_size;
	struct smmu_sva_test_stats st;
	struct smmu_sva_test_info info;
	struct smmu_sva_test_dma d;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	char *big;
	__u32 pasid, p2, n;
	char s[256], stat[64];
	int ret, status, hold;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	memset(buf, 0x11, len);
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(SMMU_SVA_TEST_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO('x', 0x06), NULL));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, SMMU_SVA_TEST_IOC_INFO, NULL));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, SMMU_SVA_TEST_IOC_DMA, NULL));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, SMMU_SVA_TEST_IOC_INFO, &info)) TH_LOG("INFO size 0");
	info.size = sizeof(info) - 4;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, SMMU_SVA_TEST_IOC_INFO, &info));
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st) + 8;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, SMMU_SVA_TEST_IOC_STATS, &st)) TH_LOG("STATS size");
	/* the layout before the ATC counters */
	st.size = sizeof(st) - 3 * sizeof(__u64);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, SMMU_SVA_TEST_IOC_STATS, &st)) TH_LOG("STATS size");
	EXPECT_EQ(0, dev_stats(self->fd, &st));

	/* no bond */
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	EXPECT_EQ(-ENOENT, dma_run(self->fd, &d)) TH_LOG("DMA without a bond");
	EXPECT_NE(0, dev_pasid(self->fd, &p2)) TH_LOG("PASID without a bond");
	ret = dev_unbind(self->fd);
	TH_LOG("UNBIND without a bond: %s", errname(ret));

	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	/* one bond per file */
	ret = dev_bind(self->fd, &p2);
	EXPECT_NE(0, ret) TH_LOG("second BIND on one file succeeded");
	TH_LOG("second BIND on one file: %s", errname(ret));
	EXPECT_EQ(0, dev_pasid(self->fd, &p2));
	EXPECT_EQ(pasid, p2);
	EXPECT_EQ(1, dev_bonds(variant->dev));

	/* malformed jobs */
	for (size_t i = 0; i < ARRAY_SIZE(bad_jobs); i++) {
		d = job(bad_jobs[i].op, buf, bad_jobs[i].len ? bad_jobs[i].len : len, PAT_A);
		if (bad_jobs[i].len == 1)
			d.len = 0;
		d.size = sizeof(d) + bad_jobs[i].size_delta;
		d.flags = bad_jobs[i].flags;
		d.reserved = bad_jobs[i].reserved;
		d.src = (uintptr_t)buf;
		ret = dma_run(self->fd, &d);
		dma_str(s, sizeof(s), ret, &d);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("%s: %s", bad_jobs[i].what, s);
	}
	EXPECT_EQ(-1, byte_check(buf, len, 0x11)) TH_LOG("a refused job wrote memory");
	/* a range that wraps around the address space */
	d = job(SMMU_SVA_TEST_DMA_FILL, (void *)(~0ul - 100), page_size, PAT_A);
	ret = dma_run(self->fd, &d);
	dma_str(s, sizeof(s), ret, &d);
	EXPECT_TRUE(ret == -EINVAL || (!ret && (d.result == -EFAULT || d.result == -EIO)))
		TH_LOG("wrapping range: %s", s);

	/* the largest job there is */
	big = mmap(NULL, SMMU_SVA_TEST_DMA_MAX, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	d = job(SMMU_SVA_TEST_DMA_FILL, big, SMMU_SVA_TEST_DMA_MAX, PAT_D);
	EXPECT_TRUE(DMA_OK("FILL of SMMU_SVA_TEST_DMA_MAX bytes", self->fd, &d));
	EXPECT_EQ(-1, pat_check(big, SMMU_SVA_TEST_DMA_MAX, PAT_D));
	munmap(big, SMMU_SVA_TEST_DMA_MAX);

	/* an unbound PASID */
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
	d.flags = SMMU_SVA_TEST_DMA_PASID;
	d.pasid = 0xfffff;
	ret = dma_run(self->fd, &d);
	dma_str(s, sizeof(s), ret, &d);
	if (cap_sys_admin() && variant->ats) {
		/* the SMMU refuses the translation request: no context */
		EXPECT_TRUE(!ret && d.result == -ENOENT && !d.done)
			TH_LOG("ATS job on unbound PASID 0xfffff: %s", s);
	} else if (cap_sys_admin()) {
		EXPECT_TRUE(!ret && (d.result == -ENOENT || d.result == -EFAULT))
			TH_LOG("job on unbound PASID 0xfffff: %s", s);
	} else {
		EXPECT_EQ(-EPERM, ret) TH_LOG("job on a PASID without CAP_SYS_ADMIN: %s", s);
	}
	EXPECT_EQ(-1, byte_check(buf, len, 0x11));

	/* privileged ioctls without CAP_SYS_ADMIN */
	if (cap_sys_admin()) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			ret = drop_cap_sys_admin();
			if (ret)
				CHILD_FAIL(1, "cannot drop CAP_SYS_ADMIN: %s", errname(ret));
			/* even on the caller's own PASID (the file's bond) */
			d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, 0x1111111111111111ull);
			d.flags = SMMU_SVA_TEST_DMA_PASID;
			d.pasid = pasid;
			ret = dma_run(self->fd, &d);
			if (ret != -EPERM)
				CHILD_FAIL(2, "DMA_PASID without CAP_SYS_ADMIN: %s", errname(ret));
			n = 10;
			ret = xioctl(self->fd, SMMU_SVA_TEST_IOC_HOLD_PASIDS, &n);
			if (ret != -EPERM)
				CHILD_FAIL(3, "HOLD_PASIDS without CAP_SYS_ADMIN: %s", errname(ret));
			_exit(0);
		}
		status = wait_child(pid, CHILD_WAIT_MS);
		status_str(status, stat, sizeof(stat));
		EXPECT_TRUE(child_ok(status)) TH_LOG("unprivileged child: %s", stat);

		/* more PASIDs than there are */
		hold = dev_open(variant->dev);
		ASSERT_LE(0, hold);
		n = 1u << 21;
		ret = xioctl(hold, SMMU_SVA_TEST_IOC_HOLD_PASIDS, &n);
		EXPECT_NE(0, ret) TH_LOG("HOLD_PASIDS(%u) succeeded", n);
		close(hold);
	} else {
		n = 10;
		EXPECT_EQ(-EPERM, xioctl(self->fd, SMMU_SVA_TEST_IOC_HOLD_PASIDS, &n));
	}

	/* and everything still works */
	d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("FILL after the bad input", self->fd, &d));
	d = job(SMMU_SVA_TEST_DMA_CHECK, buf, len, PAT_B);
	EXPECT_TRUE(DMA_OK("CHECK after the bad input", self->fd, &d));
	EXPECT_EQ(-1, pat_check(buf, len, PAT_B));
	EXPECT_EQ(0, dev_unbind(self->fd));
	EXPECT_EQ(0, dev_bonds(variant->dev));
	munmap(buf, len);
}

/*
 * 13. SVA DMA on the model SMMU while the virtio disk does O_DIRECT I/O
 * through QEMU's hardware SMMUv3: two IOMMUs side by side, each with its
 * own driver instance, queues and invalidations, neither disturbing the
 * other's translations.
 */
#define DISK_DEV	"/dev/vda"
#define DISK_BS		(256ul << 10)
#define DISK_RO_LEN	(8 * MiB)	/* read only: [0, 8 MiB), re-read and compared */
#define DISK_RW_LEN	(8 * MiB)	/* written and read back: the disk's last 8 MiB */
#define DWD_MS		2000

struct dwd_dma {
	int fd;
	char *buf;
	size_t len;
	long long deadline;
	long long t0, t1;	/* first job started, last job ended */
	long rounds;
	unsigned long long bytes, faults;
	int bad;
	char what[320];
};

static void *dwd_dma_fn(void *arg)
{
	struct dwd_dma *t = arg;
	char why[256];

	t->t0 = now_ms();
	while (now_ms() < t->deadline && !t->bad) {
		uint64_t pat = splitmix64(0xd15c + t->rounds) | 0x0101010101010101ull;
		struct smmu_sva_test_dma d;
		long long off;

		/* every other round from scratch: faults resolved during disk I/O */
		if (!(t->rounds % 2))
			madvise(t->buf, t->len, MADV_DONTNEED);
		d = job(SMMU_SVA_TEST_DMA_FILL, t->buf, t->len, pat);
		if (!dma_ok(t->fd, &d, why, sizeof(why))) {
			snprintf(t->what, sizeof(t->what), "round %ld: %s", t->rounds, why);
			t->bad = 1;
			break;
		}
		t->faults += d.faults;
		off = pat_check(t->buf, t->len, pat);
		if (off >= 0) {
			snprintf(t->what, sizeof(t->what),
				 "round %ld: after FILL the CPU sees byte %lld = %#x, not the pattern",
				 t->rounds, off, (uint8_t)t->buf[off]);
			t->bad = 1;
			break;
		}
		d = job(SMMU_SVA_TEST_DMA_CHECK, t->buf, t->len, pat);
		if (!dma_ok(t->fd, &d, why, sizeof(why))) {
			snprintf(t->what, sizeof(t->what), "round %ld: %s", t->rounds, why);
			t->bad = 1;
			break;
		}
		t->faults += d.faults;
		t->bytes += 2 * t->len;
		t->rounds++;
	}
	t->t1 = now_ms();
	return NULL;
}

struct dwd_disk {
	int fd;
	uint64_t size;
	long long deadline;
	long long t0, t1;
	long reads, rereads, writes;
	unsigned long long rd_bytes, wr_bytes;
	uint64_t sums[DISK_RO_LEN / DISK_BS];
	bool seen[DISK_RO_LEN / DISK_BS];
	int bad;
	char what[256];
};

static uint64_t block_sum(const void *buf, size_t len)
{
	const uint64_t *w = buf;
	uint64_t s = 0;

	for (size_t i = 0; i < len / 8; i++)
		s = splitmix64(s ^ w[i]);
	return s;
}

static void *dwd_disk_fn(void *arg)
{
	struct dwd_disk *t = arg;
	const uint64_t rw_base = t->size - DISK_RW_LEN;
	uint64_t seed = splitmix64(now_ms());
	void *wbuf = NULL, *rbuf = NULL;
	long n = 0;

	if (posix_memalign(&wbuf, 4096, DISK_BS) || posix_memalign(&rbuf, 4096, DISK_BS)) {
		snprintf(t->what, sizeof(t->what), "posix_memalign failed");
		t->bad = 1;
		goto out;
	}
	t->t0 = now_ms();
	while (now_ms() < t->deadline) {
		uint64_t ro = (n % (DISK_RO_LEN / DISK_BS)) * DISK_BS;
		uint64_t rw = rw_base + (n % (DISK_RW_LEN / DISK_BS)) * DISK_BS;
		size_t blk = ro / DISK_BS;
		long long off;
		ssize_t r;
		uint64_t s;

		/* read: the same block must read the same every time */
		r = pread(t->fd, rbuf, DISK_BS, ro);
		if (r != (ssize_t)DISK_BS) {
			snprintf(t->what, sizeof(t->what), "pread at %#llx: %zd (%s)",
				 (unsigned long long)ro, r, errname(r < 0 ? errno : 0));
			t->bad = 1;
			break;
		}
		s = block_sum(rbuf, DISK_BS);
		if (t->seen[blk] && t->sums[blk] != s) {
			snprintf(t->what, sizeof(t->what),
				 "block at %#llx read differently than the first time (%#llx, then %#llx)",
				 (unsigned long long)ro, (unsigned long long)t->sums[blk],
				 (unsigned long long)s);
			t->bad = 1;
			break;
		}
		t->rereads += t->seen[blk];
		t->seen[blk] = true;
		t->sums[blk] = s;
		t->reads++;
		t->rd_bytes += DISK_BS;

		/* write a fresh pattern to the scratch region, read it back */
		pattern_fill(wbuf, DISK_BS, seed + n, rw);
		r = pwrite(t->fd, wbuf, DISK_BS, rw);
		if (r != (ssize_t)DISK_BS) {
			snprintf(t->what, sizeof(t->what), "pwrite at %#llx: %zd (%s)",
				 (unsigned long long)rw, r, errname(r < 0 ? errno : 0));
			t->bad = 1;
			break;
		}
		memset(rbuf, 0, DISK_BS);
		r = pread(t->fd, rbuf, DISK_BS, rw);
		if (r != (ssize_t)DISK_BS) {
			snprintf(t->what, sizeof(t->what), "pread at %#llx: %zd (%s)",
				 (unsigned long long)rw, r, errname(r < 0 ? errno : 0));
			t->bad = 1;
			break;
		}
		off = pattern_check(rbuf, DISK_BS, seed + n, rw);
		if (off >= 0) {
			snprintf(t->what, sizeof(t->what),
				 "disk offset %#llx read back differs from what was written",
				 (unsigned long long)(rw + off));
			t->bad = 1;
			break;
		}
		t->writes++;
		t->wr_bytes += DISK_BS;
		t->rd_bytes += DISK_BS;
		n++;
	}
	t->t1 = now_ms();
out:
	free(wbuf);
	free(rbuf);
	return NULL;
}

static double mib_per_s(unsigned long long bytes, long long ms)
{
	return ms > 0 ? (double)bytes / MiB * 1000 / ms : 0;
}

TEST_F_TIMEOUT(sva, dma_with_disk_io, 60)
{
	const size_t len = 2 * MiB;
	struct smmu_sva_test_stats st0, st1;
	struct dwd_dma dma = { .fd = self->fd, .len = len };
	struct dwd_disk *disk = calloc(1, sizeof(*disk));
	char type[32] = "?";
	pthread_t td, tk;
	bool with_disk;
	long long ms;
	__u32 pasid;
	off_t size;

	ASSERT_NE(NULL, disk);
	dma.buf = map_anon(len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, dma.buf);
	disk->fd = open(DISK_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	with_disk = disk->fd >= 0;
	if (!with_disk) {
		TH_LOG("%s: %s: DMA only, no disk I/O", DISK_DEV, errname(errno));
	} else {
		size = lseek(disk->fd, 0, SEEK_END);
		ASSERT_LE((off_t)(DISK_RO_LEN + DISK_RW_LEN), size)
			TH_LOG("%s: size %lld", DISK_DEV, (long long)size);
		disk->size = size & ~(uint64_t)(DISK_BS - 1);
		/* the PCI device (the virtio device's parent) and its domain */
		read_text("/sys/block/vda/device/../iommu_group/type", type, sizeof(type));
	}

	ASSERT_EQ(0, dev_bind(self->fd, &pasid));
	ASSERT_EQ(0, dev_stats(self->fd, &st0));
	dma.deadline = now_ms() + DWD_MS;
	disk->deadline = dma.deadline;
	ASSERT_EQ(0, pthread_create(&td, NULL, dwd_dma_fn, &dma));
	if (with_disk)
		ASSERT_EQ(0, pthread_create(&tk, NULL, dwd_disk_fn, disk));
	pthread_join(td, NULL);
	if (with_disk)
		pthread_join(tk, NULL);
	ASSERT_EQ(0, dev_stats(self->fd, &st1));

	ms = dma.t1 - dma.t0;
	TH_LOG("device %d, PASID %u: %ld rounds of FILL+CHECK of %zu KiB in %lld ms (%.1f MiB/s), %llu faults",
	       variant->dev, pasid, dma.rounds, len >> 10, ms, mib_per_s(dma.bytes, ms), dma.faults);
	EXPECT_EQ(0, dma.bad) TH_LOG("SVA DMA next to disk I/O: %s", dma.what);
	EXPECT_LT(1, dma.rounds) TH_LOG("the DMA thread hardly ran");
	EXPECT_LT(0, dma.faults) TH_LOG("DMA after MADV_DONTNEED waited for no fault");
	EXPECT_LE(dma.faults, fault_counter(&st1, variant->fault_mode) -
			      fault_counter(&st0, variant->fault_mode));
	EXPECT_TRUE(ATC_EXPECT("DMA next to disk I/O", ATC_REQUESTED, &st0, &st1));
	if (with_disk) {
		long long overlap = (dma.t1 < disk->t1 ? dma.t1 : disk->t1) -
				    (dma.t0 > disk->t0 ? dma.t0 : disk->t0);

		ms = disk->t1 - disk->t0;
		TH_LOG("%s (domain %s): %ld reads (%ld re-reads compared) and %ld verified writes of %lu KiB in %lld ms: read %.1f MiB/s, write %.1f MiB/s; %lld ms overlap with the DMA",
		       DISK_DEV, type, disk->reads, disk->rereads, disk->writes, DISK_BS >> 10, ms,
		       mib_per_s(disk->rd_bytes, ms), mib_per_s(disk->wr_bytes, ms), overlap);
		EXPECT_EQ(0, disk->bad) TH_LOG("disk I/O next to SVA DMA: %s", disk->what);
		EXPECT_LT(1, disk->writes) TH_LOG("the disk thread hardly ran");
		EXPECT_LT(DWD_MS / 2, overlap) TH_LOG("DMA and disk I/O hardly overlapped");
		close(disk->fd);
	}
	EXPECT_EQ(0, dev_unbind(self->fd));
	EXPECT_EQ(0, dev_bonds(variant->dev));
	free(disk);
	munmap(dma.buf, len);
}

/*
 * 14. The CD table of device 0 as the driver shows it in debugfs: a PASID
 * above 1024 lives in a second-level leaf of its own, allocated by the
 * bind with a valid CD, and freed again by the unbind (and by the exit of
 * a process that did not unbind).
 */
#define DEBUGFS_DIR	"/sys/kernel/debug"
#define SMMU_STATE	DEBUGFS_DIR "/iommu/arm-smmu-v3-rs/smmu-model/state"
#define MASTER_PRI	"sva-test-0"
#define PASIDS_HELD	1100

struct cd_state {
	bool master;		/* the master's section is there */
	bool table;		/* it has a CD table */
	bool two_level;
	unsigned int ssids, leaves;
	bool cd;		/* a CD[pasid] line */
	bool cd_valid;		/* ... with V=1 */
	bool cd0_valid;		/* CD[0] (the DMA domain) with V=1 */
	char table_line[128];
	char ste_line[512];
	char cd_line[512];
};

/*
 * Parses the section of @master in the SMMU's state file: its first STE,
 * its CD table line, CD[0] and CD[@pasid] (@pasid 0: none). 0 or -errno.
 */
static int cd_state_read(const char *master, __u32 pasid, struct cd_state *s)
{
	char head[64], want[32];
	char *text, *line, *save = NULL;
	bool in = false;
	int err;

	memset(s, 0, sizeof(*s));
	text = read_all(SMMU_STATE, &err);
	if (!text)
		return err;
	snprintf(head, sizeof(head), "%s:", master);
	snprintf(want, sizeof(want), "  CD[%u] ", pasid);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char fmt[16];

		if (line[0] != ' ') {
			in = !strcmp(line, head);
			s->master |= in;
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(line, "  sid ", 6) && !s->ste_line[0]) {
			copy_str(s->ste_line, sizeof(s->ste_line), line + 2);
		} else if (sscanf(line, "  CD table: %u SSIDs, %15[^,], %u leaves", &s->ssids, fmt,
				  &s->leaves) == 3) {
			s->table = true;
			s->two_level = !strcmp(fmt, "2-level");
			copy_str(s->table_line, sizeof(s->table_line), line + 2);
		} else if (!strncmp(line, "  CD[0] ", 8)) {
			s->cd0_valid = has_field(line, "V=0x1");
		} else if (pasid && !strncmp(line, want, strlen(want))) {
			s->cd = true;
			s->cd_valid = has_field(line, "V=0x1");
			copy_str(s->cd_line, sizeof(s->cd_line), line + 2);
		}
	}
	free(text);
	return 0;
}

/* What the child of cd_leaves reports after each step */
struct cd_report {
	int err;
	__u32 pasid;
	char why[256];
};

/* Child: bind, [wait] unbind, [wait] bind again, [wait] exit still bound */
static void cd_child(struct chan *c)
{
	const size_t len = 4 * page_size;
	char *buf = map_anon(len, PROT_READ | PROT_WRITE);
	struct cd_report r;
	char go;
	int fd = -1;

	chan_child(c);
	for (int step = 0; step < 3; step++) {
		memset(&r, 0, sizeof(r));
		if (step == 1) {
			r.err = dev_unbind(fd);
			if (r.err)
				snprintf(r.why, sizeof(r.why), "UNBIND: %s", errname(r.err));
		} else {
			struct smmu_sva_test_dma d;

			if (fd < 0)
				fd = dev_open(DEV_PRI);
			r.err = fd < 0 ? fd : dev_enable(fd);
			if (!r.err)
				r.err = dev_bind(fd, &r.pasid);
			if (r.err) {
				snprintf(r.why, sizeof(r.why), "BIND: %s", errname(r.err));
			} else if (buf) {
				d = job(SMMU_SVA_TEST_DMA_FILL, buf, len, PAT_A);
				if (!dma_ok(fd, &d, r.why, sizeof(r.why)) ||
				    pat_check(buf, len, PAT_A) >= 0)
					r.err = -EIO;
			}
		}
		if (!xwrite(c->to_parent[1], &r, sizeof(r)))
			_exit(1);
		if (!xread(c->to_child[0], &go, 1))
			_exit(2);
	}
	_exit(0);	/* with the bond: the exit unbinds */
}

static void cd_log(struct __test_metadata *_metadata, const char *when, const struct cd_state *s)
{
	TH_LOG("%s: %s%s", when, s->table ? s->table_line : "no CD table",
	       s->cd0_valid ? ", CD[0] valid" : "");
}

TEST(cd_leaves)
{
	struct cd_state s0, s;
	struct cd_report r;
	struct chan c;
	char type[32] = "?", st[64];
	__u32 n = PASIDS_HELD, pasid = 0;
	unsigned int before;
	int hold, ret, status;
	bool dma;
	pid_t pid;

	page_size = sysconf(_SC_PAGESIZE);
	if (access(DRIVER_DIR, F_OK))
		SKIP(return, "%s missing: kernel without the SMMUv3 model's test devices",
		     DRIVER_DIR);
	if (!cap_sys_admin())
		SKIP(return, "HOLD_PASIDS needs CAP_SYS_ADMIN");
	if (access(DEBUGFS_DIR "/iommu", F_OK))
		mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL);
	ASSERT_EQ(0, access(SMMU_STATE, R_OK))
		TH_LOG("%s: %s (CONFIG_IOMMU_DEBUGFS is on for the Rust kernel)", SMMU_STATE,
		       errname(errno));
	read_text("/sys/bus/platform/devices/" MASTER_PRI "/iommu_group/type", type, sizeof(type));
	dma = !strncmp(type, "DMA", 3);

	ret = cd_state_read(MASTER_PRI, 0, &s0);
	ASSERT_EQ(0, ret) TH_LOG("reading %s: %s", SMMU_STATE, errname(ret));
	ASSERT_TRUE(s0.master) TH_LOG("no section \"%s:\" in %s", MASTER_PRI, SMMU_STATE);
	cd_log(_metadata, "before the bind", &s0);
	before = s0.table ? s0.leaves : 0;
	if (dma) {
		/* the DMA domain's CD 0 lives in leaf 0 */
		EXPECT_TRUE(s0.table && s0.cd0_valid)
			TH_LOG("%s in a %s domain without a valid CD[0]", MASTER_PRI, type);
		EXPECT_LE(1, before);
	}

	hold = dev_open(DEV_PRI);
	ASSERT_LE(0, hold) TH_LOG("open device %d: %s", DEV_PRI, errname(hold));
	ret = xioctl(hold, SMMU_SVA_TEST_IOC_HOLD_PASIDS, &n);
	ASSERT_EQ(0, ret) TH_LOG("HOLD_PASIDS(%u): %s", n, errname(ret));
	ASSERT_EQ(0, chan_open(&c));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		cd_child(&c);
	chan_parent(&c);

	for (int step = 0; step < 3; step++) {
		bool bound = step != 1;

		ASSERT_TRUE(xread(c.to_parent[0], &r, sizeof(r))) TH_LOG("step %d: child died", step);
		ASSERT_EQ(0, r.err) TH_LOG("step %d: %s", step, r.why);
		if (!step)
			pasid = r.pasid;
		ret = cd_state_read(MASTER_PRI, pasid, &s);
		ASSERT_EQ(0, ret) TH_LOG("reading %s: %s", SMMU_STATE, errname(ret));
		if (bound) {
			TH_LOG("%s PASID %u (%s domain): %s", step ? "bound again," : "bound,", pasid,
			       type, s.table_line);
			TH_LOG("  %s", s.ste_line);
			TH_LOG("  %s", s.cd ? s.cd_line : "no CD line for the PASID");
			EXPECT_LT(1024, r.pasid)
				TH_LOG("HOLD_PASIDS(%u) did not push the PASID above 1024", n);
			EXPECT_EQ(pasid, r.pasid) TH_LOG("the same mm bound again");
			ASSERT_TRUE(s.table) TH_LOG("no CD table while bound");
			EXPECT_TRUE(s.two_level) TH_LOG("%s", s.table_line);
			EXPECT_TRUE(has_field(s.ste_line, "S1FMT=0x2"))
				TH_LOG("the STE does not point at a 2-level table with 64KB leaves");
			EXPECT_EQ(before + 1, s.leaves)
				TH_LOG("PASID %u needs one more leaf than the %u before the bind",
				       pasid, before);
			if (dma) {
				EXPECT_LE(2, s.leaves) TH_LOG("leaf 0 (CD 0) and the PASID's leaf");
				EXPECT_TRUE(s.cd0_valid) TH_LOG("CD[0] of the DMA domain lost");
			}
			EXPECT_TRUE(s.cd_valid) TH_LOG("CD[%u] missing or not valid", pasid);
		} else {
			cd_log(_metadata, "after UNBIND", &s);
			EXPECT_EQ(before, s.table ? s.leaves : 0)
				TH_LOG("UNBIND left the PASID's leaf: %s", s.table_line);
			EXPECT_FALSE(s.cd) TH_LOG("after UNBIND: %s", s.cd_line);
			EXPECT_EQ(s0.cd0_valid, s.cd0_valid);
		}
		ASSERT_TRUE(xwrite(c.to_child[1], "g", 1));
	}
	status = wait_child(pid, CHILD_WAIT_MS);
	status_str(status, st, sizeof(st));
	EXPECT_TRUE(child_ok(status)) TH_LOG("child: %s", st);
	ret = cd_state_read(MASTER_PRI, pasid, &s);
	ASSERT_EQ(0, ret) TH_LOG("reading %s: %s", SMMU_STATE, errname(ret));
	cd_log(_metadata, "after the exit", &s);
	EXPECT_EQ(before, s.table ? s.leaves : 0)
		TH_LOG("the exit (close of the bound file) left the PASID's leaf");
	EXPECT_FALSE(s.cd) TH_LOG("after the exit: %s", s.cd_line);
	EXPECT_EQ(s0.cd0_valid, s.cd0_valid);
	EXPECT_EQ(0, dev_bonds(DEV_PRI));
	chan_close(&c);
	close(hold);
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	if (argc == 4 && !strcmp(argv[1], EXEC_CHILD_ARG))
		return exec_child(atoi(argv[2]), atoi(argv[3]));
	return test_harness_run(argc, argv);
}
