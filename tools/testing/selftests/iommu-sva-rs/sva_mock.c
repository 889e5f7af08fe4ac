// SPDX-License-Identifier: GPL-2.0
/*
 * SVA core tests through the mock IOMMU (CONFIG_IOMMU_SVA_RS_MOCK):
 * device features, bind/unbind and PASIDs, PASID width limits, I/O page
 * faults injected on the process's own memory and the page responses the
 * core sends, teardown with faults in flight, process exit without unbind,
 * and concurrency.
 *
 * The same tests must pass with the upstream C SVA core and with the Rust
 * one (CONFIG_IOMMU_SVA_RUST). Tests of the Rust core's deliberate
 * differences from 6.12 skip on the C core.
 */
#define _GNU_SOURCE
#include "../kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommu-sva-rs-mock.h>

#define MOCK_PATH	"/dev/iommu-sva-rs-mock"
#define RESP_TIMEOUT_MS	5000
#define NO_RESP_MS	200

#define R IOMMU_SVA_RS_MOCK_PERM_READ
#define W IOMMU_SVA_RS_MOCK_PERM_WRITE
#define X IOMMU_SVA_RS_MOCK_PERM_EXEC
#define LAST IOMMU_SVA_RS_MOCK_FAULT_LAST

#define RESP_SUCCESS IOMMU_SVA_RS_MOCK_RESP_SUCCESS
#define RESP_INVALID IOMMU_SVA_RS_MOCK_RESP_INVALID

/* Device roles: two 20-bit PASID devices and one 8-bit */
#define DEV_A	0
#define DEV_B	1
#define DEV_8	2

static long page_size;

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int mock_open(void)
{
	return open(MOCK_PATH, O_RDWR | O_CLOEXEC);
}

static int feature(int fd, __u32 dev, __u32 feat, bool enable)
{
	struct iommu_sva_rs_mock_feature f = { .dev = dev, .feat = feat };

	return xioctl(fd, enable ? IOMMU_SVA_RS_MOCK_ENABLE_FEATURE :
			  IOMMU_SVA_RS_MOCK_DISABLE_FEATURE, &f);
}

/* Both features on, whatever the state before */
static int features_on(int fd, __u32 dev)
{
	int ret = feature(fd, dev, IOMMU_SVA_RS_MOCK_FEAT_IOPF, true);

	if (ret && ret != -EBUSY)
		return ret;
	ret = feature(fd, dev, IOMMU_SVA_RS_MOCK_FEAT_SVA, true);
	return ret == -EBUSY ? 0 : ret;
}

static int features_off(int fd, __u32 dev)
{
	int ret = feature(fd, dev, IOMMU_SVA_RS_MOCK_FEAT_SVA, false);

	if (ret && ret != -EINVAL)
		return ret;
	ret = feature(fd, dev, IOMMU_SVA_RS_MOCK_FEAT_IOPF, false);
	return ret == -EINVAL ? 0 : ret;
}

static int bind(int fd, __u32 dev, __u32 *handle, __u32 *pasid)
{
	struct iommu_sva_rs_mock_bind b = { .dev = dev };
	int ret = xioctl(fd, IOMMU_SVA_RS_MOCK_BIND, &b);

	if (!ret) {
		if (handle)
			*handle = b.handle;
		if (pasid)
			*pasid = b.pasid;
	}
	return ret;
}

static int unbind(int fd, __u32 handle)
{
	struct iommu_sva_rs_mock_handle h = { .handle = handle };

	return xioctl(fd, IOMMU_SVA_RS_MOCK_UNBIND, &h);
}

static int get_pasid(int fd, __u32 handle, __u32 *pasid)
{
	struct iommu_sva_rs_mock_handle h = { .handle = handle };
	int ret = xioctl(fd, IOMMU_SVA_RS_MOCK_GET_PASID, &h);

	*pasid = h.pasid;
	return ret;
}

static int pasid_state(int fd, __u32 dev, __u32 pasid)
{
	struct iommu_sva_rs_mock_dev_op op = { .dev = dev, .pasid = pasid };
	int ret = xioctl(fd, IOMMU_SVA_RS_MOCK_PASID_STATE, &op);

	return ret ? ret : (int)op.value;
}

static int reset_responses(int fd, __u32 dev)
{
	struct iommu_sva_rs_mock_dev_op op = { .dev = dev };

	return xioctl(fd, IOMMU_SVA_RS_MOCK_RESET_RESPONSES, &op);
}

/* Returns the ioctl error; *result is iommu_report_device_fault()'s */
static int inject(int fd, __u32 dev, __u32 pasid, void *addr, __u32 perm,
		  __u32 grpid, __u32 flags, int *result)
{
	struct iommu_sva_rs_mock_fault f = {
		.dev = dev, .pasid = pasid, .addr = (uintptr_t)addr,
		.perm = perm, .grpid = grpid, .flags = flags,
	};
	int ret = xioctl(fd, IOMMU_SVA_RS_MOCK_INJECT_FAULT, &f);

	if (result)
		*result = f.result;
	return ret;
}

/* The response code, or -ETIMEDOUT / another -errno */
static int wait_resp(int fd, __u32 dev, __u32 pasid, __u32 grpid, __u32 ms)
{
	struct iommu_sva_rs_mock_response r = {
		.dev = dev, .pasid = pasid, .grpid = grpid, .timeout_ms = ms,
	};
	int ret = xioctl(fd, IOMMU_SVA_RS_MOCK_WAIT_RESPONSE, &r);

	return ret ? ret : (int)r.code;
}

/* A complete one-page group; returns the response code or -errno */
static int fault1(int fd, __u32 dev, __u32 pasid, void *addr, __u32 perm,
		  __u32 grpid)
{
	int result, ret;

	ret = inject(fd, dev, pasid, addr, perm, grpid, LAST, &result);
	if (ret)
		return ret;
	return wait_resp(fd, dev, pasid, grpid, RESP_TIMEOUT_MS);
}

/* /proc/self/pagemap entry: bit 63 present, bits 0-54 PFN (root) */
static uint64_t pagemap(void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent),
		  ((uintptr_t)addr / page_size) * sizeof(ent)) != sizeof(ent))
		ent = 0;
	close(fd);
	return ent;
}

static bool present(void *addr)
{
	return pagemap(addr) >> 63;
}

static uint64_t pfn(void *addr)
{
	return pagemap(addr) & ((1ull << 55) - 1);
}

static void *map_pages(size_t n, int prot)
{
	void *p = mmap(NULL, n * page_size, prot, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(mock)
{
	int fd;
	struct iommu_sva_rs_mock_info info;
};

FIXTURE_SETUP(mock)
{
	page_size = sysconf(_SC_PAGESIZE);
	self->fd = mock_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, MOCK_PATH " missing (CONFIG_IOMMU_SVA_RS_MOCK=n)");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_SVA_RS_MOCK_INFO, &self->info));
	ASSERT_LE(3, self->info.nr_devs);
	ASSERT_EQ(20, self->info.pasid_bits[DEV_A]);
	ASSERT_EQ(20, self->info.pasid_bits[DEV_B]);
	ASSERT_EQ(8, self->info.pasid_bits[DEV_8]);
	for (__u32 d = 0; d < self->info.nr_devs; d++) {
		ASSERT_EQ(0, features_on(self->fd, d));
		ASSERT_EQ(0, reset_responses(self->fd, d));
	}
}

FIXTURE_TEARDOWN(mock)
{
	if (self->fd >= 0)
		close(self->fd);
}

static bool rust_core(struct iommu_sva_rs_mock_info *info)
{
	return info->core == IOMMU_SVA_RS_MOCK_CORE_RUST;
}

TEST_F(mock, info)
{
	TH_LOG("SVA core: %s", rust_core(&self->info) ? "Rust" : "C");
}

/* Feature enable/disable in both orders: the errors 6.12 gives */
TEST_F(mock, features)
{
	int fd = self->fd;
	enum { IOPF = IOMMU_SVA_RS_MOCK_FEAT_IOPF,
	       SVA = IOMMU_SVA_RS_MOCK_FEAT_SVA };

	ASSERT_EQ(0, features_off(fd, DEV_B));
	/* SVA needs IOPF first */
	EXPECT_EQ(-EINVAL, feature(fd, DEV_B, SVA, true));
	EXPECT_EQ(0, feature(fd, DEV_B, IOPF, true));
	EXPECT_EQ(-EBUSY, feature(fd, DEV_B, IOPF, true));
	EXPECT_EQ(0, feature(fd, DEV_B, SVA, true));
	EXPECT_EQ(-EBUSY, feature(fd, DEV_B, SVA, true));
	/* IOPF cannot go while SVA uses it */
	EXPECT_EQ(-EBUSY, feature(fd, DEV_B, IOPF, false));
	EXPECT_EQ(0, feature(fd, DEV_B, SVA, false));
	EXPECT_EQ(-EINVAL, feature(fd, DEV_B, SVA, false));
	EXPECT_EQ(0, feature(fd, DEV_B, IOPF, false));
	EXPECT_EQ(-EINVAL, feature(fd, DEV_B, IOPF, false));
	/* and again, to show the state machine is reusable */
	EXPECT_EQ(0, feature(fd, DEV_B, IOPF, true));
	EXPECT_EQ(0, feature(fd, DEV_B, SVA, true));
	/* unknown features */
	EXPECT_EQ(-EINVAL, feature(fd, DEV_B, 0, true));
	EXPECT_EQ(-EINVAL, feature(fd, DEV_B, 3, false));
	EXPECT_EQ(-EINVAL, feature(fd, DEV_B, 0xffffffff, true));
}

TEST_F(mock, bind_unbind)
{
	__u32 h1, h2, p1, p2, p;
	int fd = self->fd;

	ASSERT_EQ(0, bind(fd, DEV_A, &h1, &p1));
	EXPECT_LT(0, p1);
	EXPECT_GT(1u << 20, p1);
	EXPECT_EQ(0, get_pasid(fd, h1, &p));
	EXPECT_EQ(p1, p);
	EXPECT_EQ(1, pasid_state(fd, DEV_A, p1));
	EXPECT_EQ(0, pasid_state(fd, DEV_B, p1));

	/* A second bond of the same mm and device: same PASID, refcounted */
	ASSERT_EQ(0, bind(fd, DEV_A, &h2, &p2));
	EXPECT_NE(h1, h2);
	EXPECT_EQ(p1, p2);
	EXPECT_EQ(0, unbind(fd, h1));
	EXPECT_EQ(1, pasid_state(fd, DEV_A, p1));
	EXPECT_EQ(-EINVAL, get_pasid(fd, h1, &p));
	EXPECT_EQ(-EINVAL, unbind(fd, h1));
	EXPECT_EQ(0, unbind(fd, h2));
	EXPECT_EQ(0, pasid_state(fd, DEV_A, p1));

	/* The mm keeps its PASID for life */
	ASSERT_EQ(0, bind(fd, DEV_A, &h1, &p));
	EXPECT_EQ(p1, p);
	EXPECT_EQ(0, unbind(fd, h1));
}

TEST_F(mock, same_mm_two_devices)
{
	__u32 ha, hb, pa, pb;

	ASSERT_EQ(0, bind(self->fd, DEV_A, &ha, &pa));
	ASSERT_EQ(0, bind(self->fd, DEV_B, &hb, &pb));
	EXPECT_EQ(pa, pb);
	EXPECT_EQ(1, pasid_state(self->fd, DEV_A, pa));
	EXPECT_EQ(1, pasid_state(self->fd, DEV_B, pa));
	EXPECT_EQ(0, unbind(self->fd, ha));
	EXPECT_EQ(0, pasid_state(self->fd, DEV_A, pa));
	EXPECT_EQ(1, pasid_state(self->fd, DEV_B, pa));
	EXPECT_EQ(0, unbind(self->fd, hb));
}

TEST_F(mock, two_processes_two_pasids)
{
	__u32 h, p, child_pasid = 0;
	int pipefd[2], status;
	pid_t pid;

	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &p));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = mock_open();
		__u32 ch, cp = 0;

		if (fd < 0 || bind(fd, DEV_A, &ch, &cp))
			_exit(1);
		if (write(pipefd[1], &cp, sizeof(cp)) != sizeof(cp))
			_exit(2);
		_exit(unbind(fd, ch) ? 3 : 0);
	}
	close(pipefd[1]);
	EXPECT_EQ(sizeof(child_pasid),
		  read(pipefd[0], &child_pasid, sizeof(child_pasid)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_NE(0, child_pasid);
	EXPECT_NE(p, child_pasid);
	close(pipefd[0]);
	EXPECT_EQ(0, unbind(self->fd, h));
}

/*
 * PASID width: hold PASIDs in child processes until the 8-bit device's
 * space (1..255) is exhausted (-ENOSPC for a new mm), then a process whose
 * PASID is >= 256 binds to a 20-bit device but not to the 8-bit one
 * (-EOVERFLOW).
 */
#define MAX_HOLDERS 300

struct holder_msg {
	int bind8;	/* result of binding DEV_8 first */
	int bind_a;	/* then DEV_A */
	int bind8_again;
	__u32 pasid;
};

TEST_F(mock, pasid_width)
{
	int ready[2], hold[2], status, n, i;
	bool enospc = false, eoverflow = false;
	pid_t pids[MAX_HOLDERS];
	struct holder_msg m;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(hold));
	for (n = 0; n < MAX_HOLDERS && !enospc; n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (!pids[n]) {
			int fd = mock_open();
			char c;

			close(hold[1]);
			memset(&m, 0, sizeof(m));
			m.bind8 = fd < 0 ? -ENODEV : bind(fd, DEV_8, NULL, &m.pasid);
			if (m.bind8 == -ENOSPC) {
				m.bind_a = bind(fd, DEV_A, NULL, &m.pasid);
				m.bind8_again = bind(fd, DEV_8, NULL, NULL);
			}
			if (write(ready[1], &m, sizeof(m)) != sizeof(m))
				_exit(1);
			/* keep the mm, hence its PASID, until told */
			(void)!read(hold[0], &c, 1);
			_exit(0);
		}
		ASSERT_EQ(sizeof(m), read(ready[0], &m, sizeof(m)));
		if (m.bind8 == -ENOSPC) {
			enospc = true;
			TH_LOG("8-bit PASID space exhausted after %d processes", n);
			EXPECT_EQ(0, m.bind_a);
			EXPECT_LE(256, m.pasid);
			EXPECT_EQ(-EOVERFLOW, m.bind8_again);
			eoverflow = m.bind8_again == -EOVERFLOW;
		} else {
			EXPECT_EQ(0, m.bind8);
			EXPECT_GT(256, m.pasid);
			if (m.bind8)
				break;
		}
	}
	close(hold[1]);
	for (i = 0; i < n; i++)
		waitpid(pids[i], &status, 0);
	close(hold[0]);
	close(ready[0]);
	close(ready[1]);
	EXPECT_TRUE(enospc);
	EXPECT_TRUE(eoverflow);
}

/* Faults on never-touched memory: SUCCESS, the page the process sees */
TEST_F(mock, fault_success)
{
	const int n = 4;
	char *buf = map_pages(n + 1, PROT_READ | PROT_WRITE);
	__u32 h, pasid;
	uint64_t pfns[4];
	int i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	for (i = 0; i < n; i++)
		ASSERT_FALSE(present(buf + i * page_size));

	for (i = 0; i < n; i++) {
		EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid,
					       buf + i * page_size + 8, R | W, i));
		EXPECT_TRUE(present(buf + i * page_size));
		pfns[i] = pfn(buf + i * page_size);
		EXPECT_NE(0, pfns[i]);
	}
	/* Exactly one response per group */
	EXPECT_EQ(-ETIMEDOUT, wait_resp(self->fd, DEV_A, pasid, 0, NO_RESP_MS));
	/* The process sees the page the fault mapped (no new fault, no COW) */
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, buf[i * page_size]);
		buf[i * page_size] = 0x5a;
		EXPECT_EQ(pfns[i], pfn(buf + i * page_size));
	}
	/* A read fault maps the page readable (the zero page): present */
	EXPECT_FALSE(present(buf + n * page_size));
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid,
				       buf + n * page_size, R, 7));
	EXPECT_TRUE(present(buf + n * page_size));
	EXPECT_EQ(0, buf[n * page_size]);
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, (n + 1) * page_size);
}

/* File-backed shared memory: the faulted page is the page-cache page */
TEST_F(mock, fault_file_backed)
{
	static const char pattern[] = "iommu-sva-rs page request";
	char *map, *exe, buf[sizeof(pattern)];
	int mfd = memfd_create("sva_mock", MFD_CLOEXEC);
	__u32 h, pasid;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 2 * page_size));
	ASSERT_EQ(sizeof(pattern), pwrite(mfd, pattern, sizeof(pattern), 0));
	map = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   mfd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	ASSERT_FALSE(present(map));
	ASSERT_FALSE(present(map + page_size));

	/* Read fault: the process then reads what the file holds */
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, map, R, 1));
	EXPECT_TRUE(present(map));
	EXPECT_EQ(0, memcmp(map, pattern, sizeof(pattern)));

	/* Write fault, then a write through the file shows in the mapping */
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid,
				       map + page_size, R | W, 2));
	EXPECT_TRUE(present(map + page_size));
	ASSERT_EQ(sizeof(pattern),
		  pwrite(mfd, pattern, sizeof(pattern), page_size));
	EXPECT_EQ(0, memcmp(map + page_size, pattern, sizeof(pattern)));
	/* and a write through the mapping shows in the file */
	map[page_size] = '#';
	ASSERT_EQ(sizeof(buf), pread(mfd, buf, sizeof(buf), page_size));
	EXPECT_EQ('#', buf[0]);

	/* Exec fault on an executable mapping */
	exe = mmap(NULL, page_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, mfd, 0);
	ASSERT_NE(MAP_FAILED, exe);
	EXPECT_FALSE(present(exe));
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, exe, R | X, 3));
	EXPECT_TRUE(present(exe));

	/* Once unmapped, the same address is invalid */
	munmap(map, 2 * page_size);
	EXPECT_EQ(RESP_INVALID, fault1(self->fd, DEV_A, pasid, map, R, 4));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(exe, page_size);
	close(mfd);
}

/*
 * After fork, parent and child have the same address: a fault resolves in
 * the mm of the PASID it carries, and only there.
 */
TEST_F(mock, fault_routes_to_pasid_mm)
{
	char *buf = map_pages(2, PROT_READ | PROT_WRITE);
	int to_child[2], to_parent[2], status;
	__u32 h, pasid, child_pasid;
	char c = 0;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = mock_open();
		__u32 cp = 0;

		if (fd < 0 || bind(fd, DEV_A, NULL, &cp))
			_exit(1);
		if (write(to_parent[1], &cp, sizeof(cp)) != sizeof(cp) ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		/* page 0 faulted for us, page 1 for the parent */
		_exit(present(buf) && !present(buf + page_size) ? 0 : 3);
	}
	ASSERT_EQ(sizeof(child_pasid),
		  read(to_parent[0], &child_pasid, sizeof(child_pasid)));
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	ASSERT_NE(pasid, child_pasid);
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, child_pasid, buf,
				       R | W, 1));
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, buf + page_size,
				       R | W, 2));
	EXPECT_FALSE(present(buf));
	EXPECT_TRUE(present(buf + page_size));
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) TH_LOG("child saw the wrong pages");
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, 2 * page_size);
}

/*
 * A bond outlives its process when another process holds the file: faults
 * on the dead mm's PASID are answered INVALID, and the bond unbinds.
 */
TEST_F(mock, fault_on_exited_mm)
{
	__u32 child[2] = {};
	int pipefd[2], status, result;
	char *buf = map_pages(1, PROT_READ | PROT_WRITE);
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 m[2];

		/* bind on the inherited file: the bond belongs to the file */
		if (bind(self->fd, DEV_A, &m[0], &m[1]))
			_exit(1);
		_exit(write(pipefd[1], m, sizeof(m)) == sizeof(m) ? 0 : 2);
	}
	ASSERT_EQ(sizeof(child), read(pipefd[0], child, sizeof(child)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* the child is gone, its bond and PASID are not */
	EXPECT_EQ(1, pasid_state(self->fd, DEV_A, child[1]));
	ASSERT_EQ(0, inject(self->fd, DEV_A, child[1], buf, R | W, 1, LAST,
			    &result));
	EXPECT_EQ(0, result);
	EXPECT_EQ(RESP_INVALID, wait_resp(self->fd, DEV_A, child[1], 1,
					  RESP_TIMEOUT_MS));
	EXPECT_FALSE(present(buf));
	EXPECT_EQ(0, unbind(self->fd, child[0]));
	EXPECT_EQ(0, pasid_state(self->fd, DEV_A, child[1]));
	munmap(buf, page_size);
}

/* Write fault on a read-only mapping: INVALID, nothing mapped */
TEST_F(mock, fault_write_readonly)
{
	char *buf = map_pages(1, PROT_READ);
	__u32 h, pasid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	EXPECT_EQ(RESP_INVALID, fault1(self->fd, DEV_A, pasid, buf, W, 1));
	EXPECT_FALSE(present(buf));
	EXPECT_EQ(RESP_INVALID, fault1(self->fd, DEV_A, pasid, buf, R | W, 2));
	EXPECT_FALSE(present(buf));
	/* exec is not granted either */
	EXPECT_EQ(RESP_INVALID, fault1(self->fd, DEV_A, pasid, buf, R | X, 3));
	EXPECT_FALSE(present(buf));
	/* but reading is fine */
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, buf, R, 4));
	EXPECT_TRUE(present(buf));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, page_size);
}

/* Unmapped address, unbound PASID, no PASID */
TEST_F(mock, fault_invalid)
{
	char *buf = map_pages(2, PROT_READ | PROT_WRITE);
	__u32 h, pasid;
	int result;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, munmap(buf, 2 * page_size));
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	EXPECT_EQ(RESP_INVALID, fault1(self->fd, DEV_A, pasid, buf, R, 1));
	EXPECT_EQ(RESP_INVALID, fault1(self->fd, DEV_A, pasid, NULL, R, 2));
	EXPECT_EQ(RESP_INVALID,
		  fault1(self->fd, DEV_A, pasid, (void *)-4096L, R | W, 3));

	/* A PASID nobody bound: reported as an error, answered INVALID */
	ASSERT_EQ(0, inject(self->fd, DEV_A, pasid + 1, buf, R, 4, LAST, &result));
	EXPECT_EQ(-EINVAL, result);
	EXPECT_EQ(RESP_INVALID, wait_resp(self->fd, DEV_A, pasid + 1, 4,
					  RESP_TIMEOUT_MS));
	/* Bound on DEV_A only */
	ASSERT_EQ(0, inject(self->fd, DEV_B, pasid, buf, R, 5, LAST, &result));
	EXPECT_EQ(-EINVAL, result);
	EXPECT_EQ(RESP_INVALID, wait_resp(self->fd, DEV_B, pasid, 5,
					  RESP_TIMEOUT_MS));
	/* No PASID: no SVA domain behind it */
	ASSERT_EQ(0, inject(self->fd, DEV_A, 0, buf, R, 6,
			    LAST | IOMMU_SVA_RS_MOCK_FAULT_NO_PASID, &result));
	EXPECT_EQ(-EINVAL, result);
	EXPECT_EQ(RESP_INVALID, wait_resp(self->fd, DEV_A, 0, 6,
					  RESP_TIMEOUT_MS));
	EXPECT_EQ(0, unbind(self->fd, h));
}

/* Several requests, one group: one response for all, all pages present */
TEST_F(mock, fault_group)
{
	const int n = 8;
	char *buf = map_pages(n, PROT_READ | PROT_WRITE);
	__u32 h, pasid;
	int i, result;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, inject(self->fd, DEV_A, pasid, buf + i * page_size,
				    R | W, 42, i == n - 1 ? LAST : 0, &result));
		EXPECT_EQ(0, result);
		if (i < n - 1)
			/* a partial group is not answered */
			EXPECT_EQ(-ETIMEDOUT, wait_resp(self->fd, DEV_A, pasid,
							42, 20));
	}
	EXPECT_EQ(RESP_SUCCESS, wait_resp(self->fd, DEV_A, pasid, 42,
					  RESP_TIMEOUT_MS));
	EXPECT_EQ(-ETIMEDOUT, wait_resp(self->fd, DEV_A, pasid, 42, NO_RESP_MS));
	for (i = 0; i < n; i++)
		EXPECT_TRUE(present(buf + i * page_size));

	/* An error in a group makes the whole group's response INVALID */
	munmap(buf + 3 * page_size, page_size);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, inject(self->fd, DEV_A, pasid, buf + i * page_size,
				    R, 43, i == n - 1 ? LAST : 0, &result));
	}
	EXPECT_EQ(RESP_INVALID, wait_resp(self->fd, DEV_A, pasid, 43,
					  RESP_TIMEOUT_MS));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, n * page_size);
}

/* Unbind with groups in flight: each answered exactly once, no crash */
TEST_F(mock, unbind_with_faults_queued)
{
	const int n = 64;
	char *buf = map_pages(n, PROT_READ | PROT_WRITE);
	__u32 h, pasid;
	int i, result, code, ok = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	/* partial groups that never complete */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, inject(self->fd, DEV_A, pasid, buf + i * page_size,
				    R, 400 + i, 0, &result));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, inject(self->fd, DEV_A, pasid, buf + i * page_size,
				    R | W, i, LAST, &result));
	EXPECT_EQ(0, unbind(self->fd, h));
	EXPECT_EQ(0, pasid_state(self->fd, DEV_A, pasid));
	for (i = 0; i < n; i++) {
		code = wait_resp(self->fd, DEV_A, pasid, i, RESP_TIMEOUT_MS);
		EXPECT_TRUE(code == RESP_SUCCESS || code == RESP_INVALID)
			TH_LOG("group %d: %d", i, code);
		ok += code == RESP_SUCCESS;
	}
	TH_LOG("%d of %d groups resolved before the unbind completed", ok, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(-ETIMEDOUT, wait_resp(self->fd, DEV_A, pasid, i, 0));

	/* The device and the mm still work */
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, buf, R | W, 500 % 512));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, n * page_size);
}

/*
 * Partial groups left behind by an unbind, then SVA disabled (the device
 * leaves the IOPF queue) and enabled again: the device still works.
 */
TEST_F(mock, disable_sva_with_partial_faults)
{
	char *buf = map_pages(2, PROT_READ | PROT_WRITE);
	__u32 h, pasid;
	int i, result, code;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_B, &h, &pasid));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, inject(self->fd, DEV_B, pasid, buf, R, 100 + i, 0,
				    &result));
	EXPECT_EQ(0, unbind(self->fd, h));
	EXPECT_EQ(0, feature(self->fd, DEV_B, IOMMU_SVA_RS_MOCK_FEAT_SVA, false));
	EXPECT_EQ(-ENODEV, inject(self->fd, DEV_B, pasid, buf, R, 1, LAST,
				  &result));
	for (i = 0; i < 3; i++) {
		/* 6.12 drops partial groups silently; at most one answer */
		code = wait_resp(self->fd, DEV_B, pasid, 100 + i, 0);
		if (!rust_core(&self->info))
			EXPECT_EQ(-ETIMEDOUT, code);
		EXPECT_EQ(-ETIMEDOUT, wait_resp(self->fd, DEV_B, pasid,
						100 + i, 0));
	}
	EXPECT_EQ(0, feature(self->fd, DEV_B, IOMMU_SVA_RS_MOCK_FEAT_SVA, true));
	ASSERT_EQ(0, bind(self->fd, DEV_B, &h, &pasid));
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_B, pasid, buf, R | W, 100));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, 2 * page_size);
}

/* A process binds, faults and exits without unbind or close */
TEST_F(mock, exit_without_unbind)
{
	int pipefd[2], status, round, code;
	__u32 child_pasid, h, pasid;

	for (round = 0; round < 3; round++) {
		pid_t pid;

		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int fd = mock_open();
			char *p = map_pages(1, PROT_READ | PROT_WRITE);
			__u32 ch, cp = 0;
			int result;

			if (fd < 0 || !p || bind(fd, DEV_A, &ch, &cp) ||
			    bind(fd, DEV_B, &ch, &cp))
				_exit(1);
			/* leave a group in flight too */
			if (inject(fd, DEV_A, cp, p, W, 9, LAST, &result))
				_exit(2);
			if (write(pipefd[1], &cp, sizeof(cp)) != sizeof(cp))
				_exit(3);
			_exit(0);
		}
		close(pipefd[1]);
		EXPECT_EQ(sizeof(child_pasid),
			  read(pipefd[0], &child_pasid, sizeof(child_pasid)));
		close(pipefd[0]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, status);
		EXPECT_EQ(0, pasid_state(self->fd, DEV_A, child_pasid));
		EXPECT_EQ(0, pasid_state(self->fd, DEV_B, child_pasid));
		code = wait_resp(self->fd, DEV_A, child_pasid, 9, RESP_TIMEOUT_MS);
		EXPECT_TRUE(code == RESP_SUCCESS || code == RESP_INVALID)
			TH_LOG("child's group: %d", code);
	}
	/* The devices can bind again */
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	EXPECT_EQ(0, unbind(self->fd, h));
	ASSERT_EQ(0, bind(self->fd, DEV_B, &h, &pasid));
	EXPECT_EQ(0, unbind(self->fd, h));
}

/* Two threads binding, unbinding and faulting for two seconds */
struct stress {
	int fd;
	bool stop;	/* __atomic */
	char *buf;
	int npages;
	int errors;	/* __atomic */
	long faults, binds;
	__u32 pasid;
	char what[128];
};

static void stress_err(struct stress *s, const char *what, int v)
{
	if (!__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED))
		snprintf(s->what, sizeof(s->what), "%s: %d", what, v);
}

static void *stress_faulter(void *arg)
{
	struct stress *s = arg;
	__u32 h, pasid, grpid = 0;
	int i = 0, code, result;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		char *page = s->buf + (i++ % s->npages) * page_size;

		if (bind(s->fd, DEV_A, &h, &pasid)) {
			stress_err(s, "faulter bind", errno);
			break;
		}
		s->pasid = pasid;
		madvise(page, page_size, MADV_DONTNEED);
		grpid = (grpid + 1) % 256;
		if (inject(s->fd, DEV_A, pasid, page, R | W, grpid, LAST,
			   &result) || result)
			stress_err(s, "inject", result);
		code = wait_resp(s->fd, DEV_A, pasid, grpid, RESP_TIMEOUT_MS);
		if (code != RESP_SUCCESS)
			stress_err(s, "response", code);
		s->faults++;
		if (unbind(s->fd, h))
			stress_err(s, "faulter unbind", -1);
	}
	return NULL;
}

static void *stress_binder(void *arg)
{
	struct stress *s = arg;
	__u32 ha, hb, pa, pb;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		if (bind(s->fd, DEV_A, &ha, &pa) || bind(s->fd, DEV_B, &hb, &pb)) {
			stress_err(s, "binder bind", -1);
			break;
		}
		if (pa != pb)
			stress_err(s, "PASIDs differ", pb);
		if (unbind(s->fd, hb) || unbind(s->fd, ha))
			stress_err(s, "binder unbind", -1);
		s->binds++;
	}
	return NULL;
}

TEST_F(mock, concurrent_bind_fault)
{
	struct stress s = { .fd = self->fd, .npages = 64 };
	pthread_t t1, t2;

	s.buf = map_pages(s.npages, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, s.buf);
	ASSERT_EQ(0, pthread_create(&t1, NULL, stress_faulter, &s));
	ASSERT_EQ(0, pthread_create(&t2, NULL, stress_binder, &s));
	sleep(2);
	__atomic_store_n(&s.stop, true, __ATOMIC_RELAXED);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	TH_LOG("%ld faults, %ld bind/unbind rounds", s.faults, s.binds);
	EXPECT_EQ(0, s.errors) TH_LOG("first error: %s", s.what);
	EXPECT_LT(0, s.faults);
	EXPECT_LT(0, s.binds);
	/* All bonds gone: nothing left on the devices */
	EXPECT_NE(0, s.pasid);
	EXPECT_EQ(0, pasid_state(self->fd, DEV_A, s.pasid));
	EXPECT_EQ(0, pasid_state(self->fd, DEV_B, s.pasid));
}

/* Every ioctl rejects garbage */
TEST_F(mock, ioctl_garbage)
{
	struct iommu_sva_rs_mock_feature f = { .dev = DEV_A,
		.feat = IOMMU_SVA_RS_MOCK_FEAT_IOPF };
	struct iommu_sva_rs_mock_bind b = {};
	struct iommu_sva_rs_mock_fault flt = {};
	struct iommu_sva_rs_mock_response r = {};
	struct iommu_sva_rs_mock_dev_op op = {};
	int fd = self->fd, result;
	__u32 h, pasid;

	EXPECT_EQ(-ENOTTY, xioctl(fd, _IO(IOMMU_SVA_RS_MOCK_TYPE, 0x7f), NULL));
	EXPECT_EQ(-EFAULT, xioctl(fd, IOMMU_SVA_RS_MOCK_INFO, NULL));
	EXPECT_EQ(-EFAULT, xioctl(fd, IOMMU_SVA_RS_MOCK_BIND, (void *)8));
	EXPECT_EQ(-EFAULT, xioctl(fd, IOMMU_SVA_RS_MOCK_INJECT_FAULT, NULL));
	EXPECT_EQ(-EFAULT, xioctl(fd, IOMMU_SVA_RS_MOCK_WAIT_RESPONSE, NULL));

	f.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_ENABLE_FEATURE, &f));
	f.flags = 0;
	f.dev = self->info.nr_devs;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_ENABLE_FEATURE, &f));
	f.dev = -1;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_DISABLE_FEATURE, &f));

	b.dev = 99;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_BIND, &b));
	b.dev = DEV_A;
	b.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_BIND, &b));
	EXPECT_EQ(-EINVAL, unbind(fd, 0));
	EXPECT_EQ(-EINVAL, unbind(fd, 12345));
	EXPECT_EQ(-EINVAL, get_pasid(fd, 0xffffffff, &pasid));

	ASSERT_EQ(0, bind(fd, DEV_A, &h, &pasid));
	flt.dev = DEV_A;
	flt.pasid = pasid;
	flt.perm = 1 << 4;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_INJECT_FAULT, &flt));
	flt.perm = R;
	flt.flags = 1 << 2;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_INJECT_FAULT, &flt));
	flt.flags = LAST;
	flt.grpid = IOMMU_SVA_RS_MOCK_MAX_GRPID + 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_INJECT_FAULT, &flt));
	flt.grpid = 0;
	flt.result = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_INJECT_FAULT, &flt));
	flt.result = 0;
	EXPECT_EQ(-EINVAL, inject(fd, DEV_A, 1 << 20, NULL, R, 0, LAST, &result));
	EXPECT_EQ(-EINVAL, inject(fd, DEV_8, 256, NULL, R, 0, LAST, &result));
	EXPECT_EQ(-EINVAL, inject(fd, DEV_A, 5, NULL, R, 0,
				  LAST | IOMMU_SVA_RS_MOCK_FAULT_NO_PASID, &result));
	EXPECT_EQ(-EINVAL, inject(fd, 1000, 1, NULL, R, 0, LAST, &result));

	r.dev = DEV_A;
	r.timeout_ms = IOMMU_SVA_RS_MOCK_MAX_TIMEOUT_MS + 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_WAIT_RESPONSE, &r));
	r.timeout_ms = 0;
	r.flags = 2;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_WAIT_RESPONSE, &r));
	r.flags = 0;
	r.dev = 77;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_WAIT_RESPONSE, &r));

	op.dev = DEV_8;
	op.pasid = 256;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_PASID_STATE, &op));
	op.pasid = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_RESET_RESPONSES, &op));
	op.pasid = 0;
	op.value = 3;
	EXPECT_EQ(-EINVAL, xioctl(fd, IOMMU_SVA_RS_MOCK_RESET_RESPONSES, &op));

	/* Page requests need SVA (an IOPF queue) on the device */
	ASSERT_EQ(0, features_off(fd, DEV_B));
	EXPECT_EQ(-ENODEV, inject(fd, DEV_B, pasid, NULL, R, 0, LAST, &result));
	ASSERT_EQ(0, features_on(fd, DEV_B));
	EXPECT_EQ(0, unbind(fd, h));
}

/*
 * A hardware fault queue overflow (iopf_queue_discard_partial()) drops the
 * partial requests: a group completed afterwards holds only the requests
 * that came after the overflow.
 */
TEST_F(mock, discard_partial_on_overflow)
{
	struct iommu_sva_rs_mock_dev_op op = { .dev = DEV_A };
	char *buf = map_pages(2, PROT_READ | PROT_WRITE);
	__u32 h, pasid;
	int result;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	ASSERT_EQ(0, inject(self->fd, DEV_A, pasid, buf, W, 7, 0, &result));
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_SVA_RS_MOCK_DISCARD_PARTIAL, &op));
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, buf + page_size,
				       W, 7));
	EXPECT_TRUE(present(buf + page_size));
	EXPECT_FALSE(present(buf));
	/* Garbage is refused */
	op.pasid = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_SVA_RS_MOCK_DISCARD_PARTIAL,
				  &op));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, 2 * page_size);
}

/* The Rust core's deliberate differences from 6.12 (skip on the C core) */

TEST_F(mock, rust_bind_requires_sva)
{
	__u32 h;

	if (!rust_core(&self->info))
		SKIP(return, "C core: 6.12 binds without SVA enabled");
	ASSERT_EQ(0, features_off(self->fd, DEV_B));
	EXPECT_EQ(-EINVAL, bind(self->fd, DEV_B, &h, NULL));
	ASSERT_EQ(0, features_on(self->fd, DEV_B));
}

TEST_F(mock, rust_disable_sva_with_bonds_refused)
{
	__u32 h, pasid;

	if (!rust_core(&self->info))
		SKIP(return, "C core: 6.12 lets the driver decide");
	ASSERT_EQ(0, bind(self->fd, DEV_B, &h, &pasid));
	EXPECT_EQ(-EBUSY, feature(self->fd, DEV_B, IOMMU_SVA_RS_MOCK_FEAT_SVA,
				  false));
	EXPECT_EQ(0, unbind(self->fd, h));
}

/*
 * A device that never sends the last request of its groups: the Rust core
 * keeps a bounded partial list, evicting the oldest requests, and still
 * answers complete groups. A group whose early pages were evicted is
 * answered for the pages that remain (the device asks again for the rest).
 */
TEST_F(mock, rust_bounded_partial_list)
{
	char *buf = map_pages(3, PROT_READ | PROT_WRITE);
	char *early = buf, *flood = buf + page_size, *last = buf + 2 * page_size;
	__u32 h, pasid;
	int i, result;

	if (!rust_core(&self->info))
		SKIP(return, "C core: 6.12's partial list is unbounded");
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	/* The first page of group 5, then a flood of other groups */
	ASSERT_EQ(0, inject(self->fd, DEV_A, pasid, early, W, 5, 0, &result));
	for (i = 0; i < 100000; i++)
		ASSERT_EQ(0, inject(self->fd, DEV_A, pasid, flood, R,
				    6 + i % 500, 0, &result));
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, last, W, 5));
	EXPECT_TRUE(present(last));
	/* Evicted long ago: never resolved */
	EXPECT_FALSE(present(early));
	EXPECT_FALSE(present(flood));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, 3 * page_size);
}

/*
 * fork() while bound: the child's mm starts without a PASID and gets its
 * own when it binds; the parent's bond is untouched by the child's life.
 */
TEST_F(mock, fork_while_bound)
{
	char *buf = map_pages(2, PROT_READ | PROT_WRITE);
	__u32 h, pasid, child_pasid = 0;
	int pipefd[2], status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bind(self->fd, DEV_A, &h, &pasid));
	ASSERT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, buf, W, 1));
	buf[0] = 'p';
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = mock_open();
		__u32 ch, cp = 0;

		/* Fresh page in the child, resolved in the child's mm */
		if (fd < 0 || bind(fd, DEV_A, &ch, &cp) ||
		    fault1(fd, DEV_A, cp, buf + page_size, W, 2) != RESP_SUCCESS ||
		    !present(buf + page_size))
			_exit(1);
		buf[page_size] = 'c';
		if (write(pipefd[1], &cp, sizeof(cp)) != sizeof(cp))
			_exit(2);
		_exit(unbind(fd, ch) ? 3 : 0);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(child_pasid), read(pipefd[0], &child_pasid,
					    sizeof(child_pasid)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_NE(pasid, child_pasid);
	/* The child's fault did not touch our copy of the page */
	EXPECT_FALSE(present(buf + page_size));
	EXPECT_EQ('p', buf[0]);
	/* Our bond still resolves faults */
	EXPECT_EQ(RESP_SUCCESS, fault1(self->fd, DEV_A, pasid, buf + page_size,
				       W, 3));
	EXPECT_TRUE(present(buf + page_size));
	EXPECT_EQ(0, unbind(self->fd, h));
	munmap(buf, 2 * page_size);
}

TEST_HARNESS_MAIN
