// SPDX-License-Identifier: GPL-2.0
/*
 * SVA core benchmark for iommu-sva-rs, through the test-only mock IOMMU
 * (/dev/iommu-sva-rs-mock, CONFIG_IOMMU_SVA_RS_MOCK). It runs unchanged on
 * the upstream C SVA core and on the Rust one: the mock's INFO ioctl says
 * which is built, and only the core differs between the two.
 *
 *   sva_bench [-t SECONDS] [-n COUNT]
 *
 * -t is the length of each measurement (default 2 s), -n caps the number
 * of operations of each thread in each measurement (default: no cap).
 * Prints one "SVA-RS-BENCH <name>=<value>" line per measurement:
 *
 *   cpu_fault_per_s    first-touch CPU write faults per second on fresh
 *                      anonymous memory: the floor of what the IOMMU path
 *                      costs on top of handle_mm_fault()
 *   iopf_rt_per_s_1t   injected I/O page fault round trips per second, one
 *                      thread: a one-page write request (last of its
 *                      group) on a never-touched page, then its page
 *                      response, before the next request
 *   iopf_rt_per_s_2t   the same from two threads at once, summed; each
 *                      thread has a mock device (and a group index range)
 *                      of its own
 *   bind_unbind_per_s  iommu_sva_bind_device() + iommu_sva_unbind_device()
 *                      pairs per second on one device with no other bond
 *
 * The results are checked so that they cannot be faked: every response
 * must be SUCCESS, every faulted page must then be present in the
 * process's page table as a private page of its own (a write fault, not
 * the zero page) while the pages not yet requested stay absent, and no
 * response may be left unclaimed at the end. Any error or failed check is
 * reported on stderr and the exit status is non-zero.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommu-sva-rs-mock.h>

#define MOCK_PATH	"/dev/iommu-sva-rs-mock"
#define PAGEMAP_PATH	"/proc/self/pagemap"

/* Fresh memory is mapped REGION_PAGES at a time and used page by page */
#define REGION_PAGES	8192
/* Operations between two clock reads */
#define BATCH		64
#define RESP_TIMEOUT_MS	5000
#define MAX_THREADS	2
/* Group indices per thread: thread i uses [i * GRPIDS, (i + 1) * GRPIDS) */
#define GRPIDS		((IOMMU_SVA_RS_MOCK_MAX_GRPID + 1) / MAX_THREADS)

/* /proc/self/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_MMAP_EXCLUSIVE	(1ULL << 56)
#define PM_FILE			(1ULL << 61)
#define PM_PRESENT		(1ULL << 63)

struct bench {
	int fd;
	int pagemap_fd;		/* -1: presence checked with mincore() */
	struct iommu_sva_rs_mock_info info;
	__u32 devs[MAX_THREADS];
	unsigned int nr_devs;
	bool enabled[MAX_THREADS][2];	/* features this run turned on */
	double seconds;
	unsigned long max_ops;
	int stop;
};

/* One measuring thread */
struct worker {
	struct bench *b;
	unsigned int index;
	__u32 dev;
	__u32 pasid;
	unsigned long ops;
	double busy;		/* seconds spent in timed batches */
	int err;
	pthread_t thread;
};

static long page_size;
static pthread_barrier_t start_barrier;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *ioctl_name(unsigned long cmd)
{
	switch (cmd) {
	case IOMMU_SVA_RS_MOCK_INFO:
		return "INFO";
	case IOMMU_SVA_RS_MOCK_ENABLE_FEATURE:
		return "ENABLE_FEATURE";
	case IOMMU_SVA_RS_MOCK_DISABLE_FEATURE:
		return "DISABLE_FEATURE";
	case IOMMU_SVA_RS_MOCK_BIND:
		return "BIND";
	case IOMMU_SVA_RS_MOCK_UNBIND:
		return "UNBIND";
	case IOMMU_SVA_RS_MOCK_INJECT_FAULT:
		return "INJECT_FAULT";
	case IOMMU_SVA_RS_MOCK_WAIT_RESPONSE:
		return "WAIT_RESPONSE";
	case IOMMU_SVA_RS_MOCK_RESET_RESPONSES:
		return "RESET_RESPONSES";
	case IOMMU_SVA_RS_MOCK_PASID_STATE:
		return "PASID_STATE";
	default:
		return "?";
	}
}

/* An ioctl on the mock; prints what failed. Returns 0 or -errno. */
static int mock_ioctl(struct bench *b, unsigned long cmd, void *arg, __u32 dev)
{
	int err;

	if (!ioctl(b->fd, cmd, arg))
		return 0;
	err = errno;
	fprintf(stderr, "sva_bench: %s on mock device %u: %s\n",
		ioctl_name(cmd), dev, strerror(err));
	return -err;
}

static bool stopped(struct bench *b)
{
	return __atomic_load_n(&b->stop, __ATOMIC_RELAXED);
}

static void stop_all(struct bench *b)
{
	__atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
}

static int bind(struct bench *b, __u32 dev, __u32 *handle, __u32 *pasid)
{
	struct iommu_sva_rs_mock_bind arg = { .dev = dev };
	int ret = mock_ioctl(b, IOMMU_SVA_RS_MOCK_BIND, &arg, dev);

	if (ret)
		return ret;
	if (!arg.handle) {
		fprintf(stderr, "sva_bench: BIND on mock device %u returned handle 0\n", dev);
		return -EPROTO;
	}
	*handle = arg.handle;
	if (pasid)
		*pasid = arg.pasid;
	return 0;
}

static int unbind(struct bench *b, __u32 dev, __u32 handle)
{
	struct iommu_sva_rs_mock_handle arg = { .handle = handle };

	return mock_ioctl(b, IOMMU_SVA_RS_MOCK_UNBIND, &arg, dev);
}

/* 1 if a domain is set on @pasid of @dev, 0 if not, or -errno */
static int pasid_state(struct bench *b, __u32 dev, __u32 pasid)
{
	struct iommu_sva_rs_mock_dev_op arg = { .dev = dev, .pasid = pasid };
	int ret = mock_ioctl(b, IOMMU_SVA_RS_MOCK_PASID_STATE, &arg, dev);

	return ret ? ret : (int)arg.value;
}

/* Drops the recorded responses of @dev; their number in *@count */
static int reset_responses(struct bench *b, __u32 dev, __u32 *count)
{
	struct iommu_sva_rs_mock_dev_op arg = { .dev = dev };
	int ret = mock_ioctl(b, IOMMU_SVA_RS_MOCK_RESET_RESPONSES, &arg, dev);

	if (!ret && count)
		*count = arg.value;
	return ret;
}

/* IOPF then SVA on @dev; "already enabled" (-EBUSY) is fine */
static int features_on(struct bench *b, unsigned int i)
{
	static const __u32 feats[2] = {
		IOMMU_SVA_RS_MOCK_FEAT_IOPF, IOMMU_SVA_RS_MOCK_FEAT_SVA
	};
	unsigned int f;

	for (f = 0; f < 2; f++) {
		struct iommu_sva_rs_mock_feature arg = {
			.dev = b->devs[i], .feat = feats[f],
		};

		if (!ioctl(b->fd, IOMMU_SVA_RS_MOCK_ENABLE_FEATURE, &arg)) {
			b->enabled[i][f] = true;
		} else if (errno != EBUSY) {
			int err = errno;

			fprintf(stderr, "sva_bench: enabling %s on mock device %u: %s\n",
				f ? "SVA" : "IOPF", b->devs[i], strerror(err));
			return -err;
		}
	}
	return 0;
}

/*
 * Turns off, in reverse order, what features_on() turned on. Called once
 * the benchmark's file is closed, which unbinds any bond an error left
 * behind (SVA is not disabled under a bond), through a file of its own.
 */
static void features_restore(struct bench *b)
{
	static const __u32 feats[2] = {
		IOMMU_SVA_RS_MOCK_FEAT_IOPF, IOMMU_SVA_RS_MOCK_FEAT_SVA
	};
	unsigned int i;
	int fd, f;

	for (i = 0; i < b->nr_devs; i++)
		if (b->enabled[i][0] || b->enabled[i][1])
			break;
	if (i == b->nr_devs)
		return;
	fd = open(MOCK_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "sva_bench: warning: %s: %s; IOPF and SVA stay enabled\n",
			MOCK_PATH, strerror(errno));
		return;
	}
	for (i = 0; i < b->nr_devs; i++) {
		for (f = 1; f >= 0; f--) {
			struct iommu_sva_rs_mock_feature arg = {
				.dev = b->devs[i], .feat = feats[f],
			};

			if (!b->enabled[i][f])
				continue;
			if (ioctl(fd, IOMMU_SVA_RS_MOCK_DISABLE_FEATURE, &arg))
				fprintf(stderr, "sva_bench: warning: disabling %s on mock device %u: %s\n",
					f ? "SVA" : "IOPF", b->devs[i], strerror(errno));
			b->enabled[i][f] = false;
		}
	}
	close(fd);
}

/* REGION_PAGES of fresh, never-touched anonymous memory, or NULL */
static char *map_region(void)
{
	size_t len = (size_t)REGION_PAGES * page_size;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "sva_bench: mmap of %zu bytes: %s\n", len, strerror(errno));
		return NULL;
	}
	/* One page per fault: no huge page may map the neighbours too */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/*
 * Checks a region of which the first @used pages were write-faulted: each
 * of those must be present, anonymous and mapped only here (a page of its
 * own, not the shared zero page a read fault maps), every other page must
 * still be absent. Without pagemap, only presence is checked, with
 * mincore(). Returns 0 or -EIO.
 */
static int check_region(struct bench *b, const char *what, char *buf,
			unsigned long used, uint64_t *ents)
{
	size_t len = (size_t)REGION_PAGES * sizeof(*ents);
	unsigned char *vec = (unsigned char *)ents;
	unsigned long i;

	if (b->pagemap_fd >= 0) {
		off_t off = (uintptr_t)buf / page_size * sizeof(*ents);
		ssize_t n = pread(b->pagemap_fd, ents, len, off);

		if (n != (ssize_t)len) {
			fprintf(stderr, "sva_bench: reading %s: %s\n", PAGEMAP_PATH,
				n < 0 ? strerror(errno) : "short read");
			return -EIO;
		}
	} else if (mincore(buf, (size_t)REGION_PAGES * page_size, vec)) {
		fprintf(stderr, "sva_bench: mincore: %s\n", strerror(errno));
		return -EIO;
	}

	for (i = 0; i < REGION_PAGES; i++) {
		bool present, own;

		if (b->pagemap_fd >= 0) {
			present = ents[i] & PM_PRESENT;
			own = present && !(ents[i] & PM_FILE) &&
			      (ents[i] & PM_MMAP_EXCLUSIVE);
		} else {
			present = vec[i] & 1;
			own = present;
		}
		if (i < used && !own) {
			fprintf(stderr, "sva_bench: %s: page %lu of %lu %s after its write fault\n",
				what, i, used, present ? "is not a private page" : "is not present");
			return -EIO;
		}
		if (i >= used && present) {
			fprintf(stderr, "sva_bench: %s: page %lu was never faulted but is present\n",
				what, i);
			return -EIO;
		}
	}
	return 0;
}

/*
 * Runs @op on fresh pages of REGION_PAGES regions, timed in batches of
 * BATCH pages, until the measurement time is over, @max_ops is reached or
 * another thread stopped. Each region is checked before it is unmapped.
 */
static int run_pages(struct worker *w, const char *what,
		     int (*op)(struct worker *w, char *page, unsigned long n),
		     double start)
{
	struct bench *b = w->b;
	uint64_t *ents;
	char *buf = NULL;
	unsigned long used = 0, i;
	int ret = 0;

	ents = malloc(REGION_PAGES * sizeof(*ents));
	if (!ents) {
		fprintf(stderr, "sva_bench: out of memory\n");
		return -ENOMEM;
	}
	while (!ret && !stopped(b) && now() - start < b->seconds &&
	       (!b->max_ops || w->ops < b->max_ops)) {
		unsigned long n = BATCH;
		double t0;

		if (buf && used == REGION_PAGES) {
			ret = check_region(b, what, buf, used, ents);
			munmap(buf, (size_t)REGION_PAGES * page_size);
			buf = NULL;
			if (ret)
				break;
		}
		if (!buf) {
			buf = map_region();
			if (!buf) {
				ret = -ENOMEM;
				break;
			}
			used = 0;
		}
		if (REGION_PAGES - used < n)
			n = REGION_PAGES - used;
		if (b->max_ops && b->max_ops - w->ops < n)
			n = b->max_ops - w->ops;
		t0 = now();
		for (i = 0; i < n && !ret; i++)
			ret = op(w, buf + (used + i) * page_size, w->ops + i);
		w->busy += now() - t0;
		/* a failed operation may have faulted its page or not */
		if (ret)
			break;
		used += n;
		w->ops += n;
	}
	if (buf) {
		if (!ret)
			ret = check_region(b, what, buf, used, ents);
		munmap(buf, (size_t)REGION_PAGES * page_size);
	}
	free(ents);
	return ret;
}

static int cpu_touch(struct worker *w, char *page, unsigned long n)
{
	__atomic_store_n(page, 1, __ATOMIC_RELAXED);
	return 0;
}

/* One page request, last of its group, then its response */
static int iopf_round_trip(struct worker *w, char *page, unsigned long n)
{
	struct bench *b = w->b;
	__u32 grpid = w->index * GRPIDS + n % GRPIDS;
	struct iommu_sva_rs_mock_fault flt = {
		.dev = w->dev,
		.pasid = w->pasid,
		.addr = (uintptr_t)page,
		.perm = IOMMU_SVA_RS_MOCK_PERM_WRITE,
		.grpid = grpid,
		.flags = IOMMU_SVA_RS_MOCK_FAULT_LAST,
	};
	struct iommu_sva_rs_mock_response resp = {
		.dev = w->dev,
		.pasid = w->pasid,
		.grpid = grpid,
		.timeout_ms = RESP_TIMEOUT_MS,
	};
	int ret;

	ret = mock_ioctl(b, IOMMU_SVA_RS_MOCK_INJECT_FAULT, &flt, w->dev);
	if (ret)
		return ret;
	if (flt.result) {
		fprintf(stderr, "sva_bench: page request %#llx (PASID %u, group %u) on mock device %u: reported %d (%s)\n",
			(unsigned long long)flt.addr, w->pasid, grpid, w->dev,
			flt.result, strerror(-flt.result));
		return -EIO;
	}
	ret = mock_ioctl(b, IOMMU_SVA_RS_MOCK_WAIT_RESPONSE, &resp, w->dev);
	if (ret)
		return ret;
	if (resp.code != IOMMU_SVA_RS_MOCK_RESP_SUCCESS) {
		fprintf(stderr, "sva_bench: page request %#llx (PASID %u, group %u) on mock device %u: response %u, not SUCCESS\n",
			(unsigned long long)flt.addr, w->pasid, grpid, w->dev, resp.code);
		return -EIO;
	}
	return 0;
}

static void *iopf_thread(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start_barrier);
	w->err = run_pages(w, "I/O page fault", iopf_round_trip, now());
	if (w->err)
		stop_all(w->b);
	return NULL;
}

static void print_rate(const char *name, unsigned long ops, double busy)
{
	printf("SVA-RS-BENCH %s=%.1f\n", name, busy > 0 ? ops / busy : 0.0);
}

static int bench_cpu_fault(struct bench *b)
{
	struct worker w = { .b = b };
	int ret = run_pages(&w, "CPU fault", cpu_touch, now());

	if (ret)
		return ret;
	printf("sva_bench: %lu CPU faults in %.3f s\n", w.ops, w.busy);
	print_rate("cpu_fault_per_s", w.ops, w.busy);
	return 0;
}

/*
 * Round trips from @nr threads, thread i on device devs[i % nr_devs]. The
 * mock matches a response to its waiter by (device, PASID, group index),
 * and every thread has its own group indices, so no thread can take
 * another's response even when two threads share a device.
 */
static int bench_iopf(struct bench *b, unsigned int nr, const char *name)
{
	struct worker w[MAX_THREADS] = {};
	__u32 handles[MAX_THREADS] = {};
	unsigned long ops = 0;
	double rate = 0;
	unsigned int i, started = 0;
	int ret = 0, err;

	for (i = 0; i < nr && !ret; i++) {
		w[i].b = b;
		w[i].index = i;
		w[i].dev = b->devs[i % b->nr_devs];
		ret = bind(b, w[i].dev, &handles[i], &w[i].pasid);
	}
	if (ret)
		goto unbind;

	ret = pthread_barrier_init(&start_barrier, NULL, nr);
	if (ret) {
		fprintf(stderr, "sva_bench: pthread_barrier_init: %s\n", strerror(ret));
		ret = -ret;
		goto unbind;
	}
	b->stop = 0;
	for (i = 0; i < nr; i++) {
		err = pthread_create(&w[i].thread, NULL, iopf_thread, &w[i]);
		if (err) {
			fprintf(stderr, "sva_bench: pthread_create: %s\n", strerror(err));
			ret = -err;
			break;
		}
		started++;
	}
	if (started < nr) {
		/* Nobody will pass the barrier: the threads cannot be released */
		fprintf(stderr, "sva_bench: %u of %u threads started\n", started, nr);
		exit(1);
	}
	for (i = 0; i < nr; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].err && !ret)
			ret = w[i].err;
		ops += w[i].ops;
		if (w[i].busy > 0)
			rate += w[i].ops / w[i].busy;
	}
	pthread_barrier_destroy(&start_barrier);

unbind:
	for (i = 0; i < nr; i++) {
		if (handles[i] && unbind(b, w[i].dev, handles[i]) && !ret)
			ret = -EIO;
	}
	if (ret)
		return ret;

	/* Every response was claimed by exactly one waiter */
	for (i = 0; i < b->nr_devs; i++) {
		__u32 left;

		ret = reset_responses(b, b->devs[i], &left);
		if (ret)
			return ret;
		if (left) {
			fprintf(stderr, "sva_bench: %u page responses on mock device %u that no request waited for\n",
				left, b->devs[i]);
			return -EIO;
		}
	}
	printf("sva_bench: %u thread(s): %lu round trips\n", nr, ops);
	for (i = 0; i < nr; i++)
		printf("sva_bench: thread %u: mock device %u, PASID %u: %lu round trips in %.3f s\n",
		       i, w[i].dev, w[i].pasid, w[i].ops, w[i].busy);
	printf("SVA-RS-BENCH %s=%.1f\n", name, rate);
	return 0;
}

/* One bind + unbind, checking that the PASID is set then cleared */
static int bind_unbind_checked(struct bench *b, __u32 dev)
{
	__u32 handle, pasid;
	int ret, state;

	ret = bind(b, dev, &handle, &pasid);
	if (ret)
		return ret;
	state = pasid_state(b, dev, pasid);
	ret = unbind(b, dev, handle);
	if (state < 0 || ret)
		return state < 0 ? state : ret;
	if (state != 1) {
		fprintf(stderr, "sva_bench: no domain on PASID %u of mock device %u after BIND\n",
			pasid, dev);
		return -EIO;
	}
	state = pasid_state(b, dev, pasid);
	if (state < 0)
		return state;
	if (state) {
		fprintf(stderr, "sva_bench: PASID %u of mock device %u still set after UNBIND\n",
			pasid, dev);
		return -EIO;
	}
	return 0;
}

static int bench_bind_unbind(struct bench *b)
{
	__u32 dev = b->devs[0], handle;
	unsigned long ops = 0, i;
	double start, busy = 0;
	int ret;

	/* The first bond of the mm on the device: a full bind, not a refcount */
	ret = bind_unbind_checked(b, dev);
	if (ret)
		return ret;
	start = now();
	while (now() - start < b->seconds && (!b->max_ops || ops < b->max_ops)) {
		unsigned long n = BATCH;
		double t0;

		if (b->max_ops && b->max_ops - ops < n)
			n = b->max_ops - ops;
		t0 = now();
		for (i = 0; i < n; i++) {
			ret = bind(b, dev, &handle, NULL);
			if (ret)
				return ret;
			ret = unbind(b, dev, handle);
			if (ret)
				return ret;
		}
		busy += now() - t0;
		ops += n;
	}
	ret = bind_unbind_checked(b, dev);
	if (ret)
		return ret;
	printf("sva_bench: mock device %u: %lu bind+unbind pairs in %.3f s\n", dev, ops, busy);
	print_rate("bind_unbind_per_s", ops, busy);
	return 0;
}

static int setup(struct bench *b)
{
	unsigned int i;
	int ret;

	b->fd = open(MOCK_PATH, O_RDWR | O_CLOEXEC);
	if (b->fd < 0) {
		ret = -errno;
		fprintf(stderr, "sva_bench: %s: %s%s\n", MOCK_PATH, strerror(-ret),
			ret == -ENOENT ? " (kernel without CONFIG_IOMMU_SVA_RS_MOCK?)" : "");
		return ret;
	}
	ret = mock_ioctl(b, IOMMU_SVA_RS_MOCK_INFO, &b->info, 0);
	if (ret)
		return ret;
	if (!b->info.nr_devs || b->info.nr_devs > IOMMU_SVA_RS_MOCK_MAX_DEVS) {
		fprintf(stderr, "sva_bench: INFO reports %u mock devices\n", b->info.nr_devs);
		return -EPROTO;
	}
	/* The first MAX_THREADS devices with the widest PASIDs, in order */
	for (i = 0; i < b->info.nr_devs && b->nr_devs < MAX_THREADS; i++) {
		if (b->info.pasid_bits[i] >= 20)
			b->devs[b->nr_devs++] = i;
	}
	if (!b->nr_devs)
		b->devs[b->nr_devs++] = 0;
	for (i = 0; i < b->nr_devs; i++) {
		ret = features_on(b, i);
		if (ret)
			return ret;
		/* Responses of earlier users would be nobody's */
		ret = reset_responses(b, b->devs[i], NULL);
		if (ret)
			return ret;
	}

	b->pagemap_fd = open(PAGEMAP_PATH, O_RDONLY | O_CLOEXEC);
	if (b->pagemap_fd < 0)
		fprintf(stderr, "sva_bench: %s: %s; checking presence with mincore()\n",
			PAGEMAP_PATH, strerror(errno));

	printf("sva_bench: SVA core %s, mock devices", b->info.core == IOMMU_SVA_RS_MOCK_CORE_RUST ?
	       "Rust" : b->info.core == IOMMU_SVA_RS_MOCK_CORE_C ? "C" : "unknown");
	for (i = 0; i < b->nr_devs; i++)
		printf(" %u", b->devs[i]);
	printf(", %ld-byte pages, %.1f s per measurement\n", page_size, b->seconds);
	return 0;
}

static void print_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t SECONDS] [-n COUNT]\n"
		"  -t  length of each measurement, 0.1 to 60 s (default 2)\n"
		"  -n  at most COUNT operations per thread and measurement (default: no limit)\n",
		prog);
}

int main(int argc, char **argv)
{
	struct bench b = { .fd = -1, .pagemap_fd = -1, .seconds = 2 };
	unsigned long long count;
	char *end;
	int opt, ret;

	while ((opt = getopt(argc, argv, "t:n:h")) != -1) {
		switch (opt) {
		case 't':
			errno = 0;
			b.seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(b.seconds >= 0.1 && b.seconds <= 60)) {
				fprintf(stderr, "sva_bench: -t %s: want 0.1 to 60 seconds\n", optarg);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			count = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || !count ||
			    count > LONG_MAX) {
				fprintf(stderr, "sva_bench: -n %s: want a positive count\n", optarg);
				return 2;
			}
			b.max_ops = count;
			break;
		case 'h':
			print_usage(argv[0]);
			return 0;
		default:
			print_usage(argv[0]);
			return 2;
		}
	}
	if (optind != argc) {
		print_usage(argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	if (page_size <= 0) {
		fprintf(stderr, "sva_bench: cannot get the page size\n");
		return 1;
	}

	ret = setup(&b);
	if (!ret)
		ret = bench_cpu_fault(&b);
	if (!ret)
		ret = bench_iopf(&b, 1, "iopf_rt_per_s_1t");
	if (!ret)
		ret = bench_iopf(&b, 2, "iopf_rt_per_s_2t");
	if (!ret)
		ret = bench_bind_unbind(&b);

	if (b.fd >= 0)
		close(b.fd);
	features_restore(&b);
	if (b.pagemap_fd >= 0)
		close(b.pagemap_fd);
	if (ret) {
		fprintf(stderr, "sva_bench: failed: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
