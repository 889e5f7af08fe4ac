// SPDX-License-Identifier: GPL-2.0
/*
 * SVA through the Rust SMMUv3 driver and its software model: the test
 * devices of include/uapi/linux/smmu-sva-test.h.
 *
 * Prints "SVA-RS-BENCH name=value" lines:
 *   model_iopf_pri_per_s    device page faults resolved per second, PRI
 *   model_iopf_stall_per_s  the same with stalled transactions
 *   model_bind_unbind_per_s bind+unbind pairs per second
 *   munmap_unbound_us       munmap of 1 MiB of touched memory, mm not bound
 *   munmap_bound_us         the same with the mm bound (invalidation cost)
 *
 * Usage: smmu_sva_bench [-t SECONDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/smmu-sva-test.h>

#define REGION	(1 << 20)
#define PAGE	4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int open_dev(int n)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/smmu-sva-test.%d", n);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "smmu_sva_bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (ioctl(fd, SMMU_SVA_TEST_IOC_ENABLE)) {
		fprintf(stderr, "smmu_sva_bench: enable: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Device @n with the caller's mm bound to it, or -1. */
static int open_bound(int n)
{
	__u32 pasid;
	int fd = open_dev(n);

	if (fd < 0)
		return -1;
	if (ioctl(fd, SMMU_SVA_TEST_IOC_BIND, &pasid)) {
		fprintf(stderr, "smmu_sva_bench: bind: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int fill(int fd, void *addr, size_t len, __u32 *faults)
{
	struct smmu_sva_test_dma d = {
		.size = sizeof(d),
		.op = SMMU_SVA_TEST_DMA_FILL,
		.addr = (uintptr_t)addr,
		.len = len,
		.pattern = 0x5aa5f00fdeadbeefULL,
	};

	if (ioctl(fd, SMMU_SVA_TEST_IOC_DMA, &d))
		return -errno;
	if (d.result || d.done != len)
		return d.result ? d.result : -EIO;
	*faults = d.faults;
	return 0;
}

/* Device faults resolved per second: DMA over fresh memory, page by page. */
static int iopf_rate(int dev, const char *name, double secs)
{
	__u32 faults = 0;
	double t0, t, busy = 0;
	long total = 0;
	int fd, ret;

	fd = open_bound(dev);
	if (fd < 0)
		return -1;
	t0 = now();
	do {
		void *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			break;
		t = now();
		ret = fill(fd, p, REGION, &faults);
		busy += now() - t;
		munmap(p, REGION);
		if (ret) {
			fprintf(stderr, "smmu_sva_bench: DMA: %s\n", strerror(-ret));
			close(fd);
			return -1;
		}
		total += faults;
	} while (now() - t0 < secs);
	close(fd);
	printf("SVA-RS-BENCH %s=%.0f\n", name, total / busy);
	return 0;
}

static int bind_rate(double secs)
{
	double t0 = now();
	long n = 0;
	__u32 pasid;
	int fd = open_dev(0);

	if (fd < 0)
		return -1;
	do {
		if (ioctl(fd, SMMU_SVA_TEST_IOC_BIND, &pasid) ||
		    ioctl(fd, SMMU_SVA_TEST_IOC_UNBIND)) {
			fprintf(stderr, "smmu_sva_bench: bind/unbind: %s\n", strerror(errno));
			close(fd);
			return -1;
		}
		n++;
	} while (now() - t0 < secs);
	printf("SVA-RS-BENCH model_bind_unbind_per_s=%.0f\n", n / (now() - t0));
	close(fd);
	return 0;
}

/* Mean munmap time of 1 MiB of CPU-touched memory. */
static double munmap_us(double secs)
{
	double t0 = now(), spent = 0;
	long n = 0;

	do {
		char *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		double t;

		if (p == MAP_FAILED)
			return -1;
		for (size_t i = 0; i < REGION; i += PAGE)
			p[i] = 1;
		t = now();
		munmap(p, REGION);
		spent += now() - t;
		n++;
	} while (now() - t0 < secs);
	return spent * 1e6 / n;
}

static int munmap_cost(double secs)
{
	int fd;

	printf("SVA-RS-BENCH munmap_unbound_us=%.1f\n", munmap_us(secs));
	fd = open_bound(0);
	if (fd < 0)
		return -1;
	printf("SVA-RS-BENCH munmap_bound_us=%.1f\n", munmap_us(secs));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	double secs = 2;
	int opt, ret = 0;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't') {
			fprintf(stderr, "usage: %s [-t SECONDS]\n", argv[0]);
			return 2;
		}
		secs = atof(optarg);
	}
	if (access("/dev/smmu-sva-test.0", F_OK)) {
		printf("smmu_sva_bench: no model test devices, nothing to measure\n");
		return 0;
	}
	ret |= iopf_rate(0, "model_iopf_pri_per_s", secs);
	ret |= iopf_rate(1, "model_iopf_stall_per_s", secs);
	ret |= bind_rate(secs);
	ret |= munmap_cost(secs);
	return ret ? 1 : 0;
}
