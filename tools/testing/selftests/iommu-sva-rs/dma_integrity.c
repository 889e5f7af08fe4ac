// SPDX-License-Identifier: GPL-2.0
/*
 * Data integrity through the IOMMU: two concurrent workers write
 * pseudo-random data (reproducible from a seed and the disk offset) with
 * O_DIRECT to disjoint halves of a region of the virtio-blk and the NVMe
 * disk, then read everything back and compare. Block sizes 4 KiB (8 MiB),
 * 64 KiB (24 MiB) and 1 MiB (32 MiB): 64 MiB per disk. Every byte crosses the IOMMU twice
 * (device reads on write, device writes on read), through whatever domain
 * the boot configuration gives the disk. The devices' MSI-X interrupts must
 * be delivered during the I/O (their doorbell writes are translated too).
 *
 * SVA_RS_SEED=<hex> in the environment replays a run with another seed
 * (BOOT_ARGS="SVA_RS_SEED=..." puts it in init's environment).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "sva_rs_util.h"

#define MiB (1ull << 20)
#define WORKERS 2

struct job {
	const char *dev;
	uint64_t start, len;
	size_t bs;
	uint64_t seed;
	bool write;
	long long bad;		/* first mismatching disk offset, or -1 */
	int err;		/* errno of a failed syscall, or 0 */
	const char *what;	/* the failed syscall */
};

static void *worker(void *arg)
{
	struct job *j = arg;
	void *buf = NULL;
	int fd;

	j->bad = -1;
	fd = open(j->dev, (j->write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		j->err = errno;
		j->what = "open";
		return NULL;
	}
	if (posix_memalign(&buf, 4096, j->bs)) {
		j->err = ENOMEM;
		j->what = "posix_memalign";
		close(fd);
		return NULL;
	}
	for (uint64_t pos = j->start; pos < j->start + j->len; pos += j->bs) {
		ssize_t n;
		long long off;

		if (j->write) {
			pattern_fill(buf, j->bs, j->seed, pos);
			n = pwrite(fd, buf, j->bs, pos);
		} else {
			memset(buf, 0, j->bs);
			n = pread(fd, buf, j->bs, pos);
		}
		if (n != (ssize_t)j->bs) {
			j->err = n < 0 ? errno : EIO;
			j->what = j->write ? "pwrite" : "pread";
			break;
		}
		if (!j->write) {
			off = pattern_check(buf, j->bs, j->seed, pos);
			if (off >= 0) {
				j->bad = pos + off;
				break;
			}
		}
	}
	if (j->write && !j->err && fsync(fd)) {
		j->err = errno;
		j->what = "fsync";
	}
	free(buf);
	close(fd);
	return NULL;
}

FIXTURE(disk)
{
	char bdf[32];
	char dev[64];
	char domain[32];
	uint64_t seed;
};

FIXTURE_VARIANT(disk)
{
	const char *what;
	int vendor, device;
};

FIXTURE_VARIANT_ADD(disk, virtio_blk)
{
	.what = "virtio-blk",
	.vendor = 0x1af4,
	.device = 0x1042,
};

FIXTURE_VARIANT_ADD(disk, nvme)
{
	.what = "NVMe",
	.vendor = 0x1b36,
	.device = 0x0010,
};

FIXTURE_SETUP(disk)
{
	char name[32];
	const char *env = getenv("SVA_RS_SEED");

	ASSERT_EQ(0, pci_find(variant->vendor, variant->device, -1, self->bdf, sizeof(self->bdf)))
		TH_LOG("no %s PCI device %04x:%04x (boot.sh adds one)", variant->what,
		       variant->vendor, variant->device);
	ASSERT_EQ(0, pci_block_device(self->bdf, name, sizeof(name), 5000))
		TH_LOG("%s %s has no block device", variant->what, self->bdf);
	snprintf(self->dev, sizeof(self->dev), "/dev/%s", name);
	pci_domain_type(self->bdf, self->domain, sizeof(self->domain));
	self->seed = env ? strtoull(env, NULL, 16) : 0x5eed0000c0ffeeull;
	self->seed ^= (uint64_t)variant->device << 32;
}

FIXTURE_TEARDOWN(disk)
{
}

/*
 * Writes [start, start + len) of the disk with @bs-sized O_DIRECT requests
 * from WORKERS threads (one half each), reads it all back the same way and
 * compares; checks that the device's MSI-X interrupts fired meanwhile.
 */
static void run(struct __test_metadata *_metadata, struct _test_data_disk *self,
		const struct _fixture_variant_disk *variant, uint64_t start, uint64_t len, size_t bs)
{
	struct job jobs[WORKERS];
	pthread_t th[WORKERS];
	uint64_t seed = self->seed ^ bs;
	long long irq0, irq1, t0;
	int msix;

	irq0 = pci_msi_count(self->bdf, &msix);
	ASSERT_LE(0, irq0) TH_LOG("%s %s has no MSI/MSI-X vector", variant->what, self->bdf);
	ASSERT_LT(0, msix) TH_LOG("%s %s uses MSI, not MSI-X", variant->what, self->bdf);
	t0 = now_ms();
	for (int pass = 0; pass < 2; pass++) {
		for (int w = 0; w < WORKERS; w++) {
			jobs[w] = (struct job) {
				.dev = self->dev,
				.start = start + w * (len / WORKERS),
				.len = len / WORKERS,
				.bs = bs,
				.seed = seed,
				.write = pass == 0,
			};
			ASSERT_EQ(0, pthread_create(&th[w], NULL, worker, &jobs[w]));
		}
		for (int w = 0; w < WORKERS; w++)
			pthread_join(th[w], NULL);
		for (int w = 0; w < WORKERS; w++) {
			EXPECT_EQ(0, jobs[w].err)
				TH_LOG("%s worker %d: %s: %s", self->dev, w, jobs[w].what,
				       strerror(jobs[w].err));
			EXPECT_EQ(-1, jobs[w].bad)
				TH_LOG("%s (%s, bs %zu, seed 0x%llx): first mismatch at disk offset 0x%llx (worker %d's region 0x%llx+0x%llx)",
				       self->dev, variant->what, bs, (unsigned long long)seed,
				       jobs[w].bad, w, (unsigned long long)jobs[w].start,
				       (unsigned long long)jobs[w].len);
		}
		if (_metadata->exit_code)
			return;
	}
	irq1 = pci_msi_count(self->bdf, &msix);
	printf("# %s (%s, domain %s): bs %zu, %llu MiB written and verified in %lld ms, %lld MSI-X interrupts, seed 0x%llx\n",
	       self->dev, variant->what, self->domain[0] ? self->domain : "none", bs,
	       (unsigned long long)(len / MiB), now_ms() - t0, irq1 - irq0,
	       (unsigned long long)seed);
	EXPECT_LT(irq0, irq1) TH_LOG("no MSI-X interrupt of %s %s was delivered during the I/O",
				     variant->what, self->bdf);
}

TEST_F_TIMEOUT(disk, bs_4k, 240)
{
	run(_metadata, self, variant, 0, 8 * MiB, 4096);
}

TEST_F_TIMEOUT(disk, bs_64k, 240)
{
	run(_metadata, self, variant, 8 * MiB, 24 * MiB, 64 << 10);
}

TEST_F_TIMEOUT(disk, bs_1m, 240)
{
	run(_metadata, self, variant, 32 * MiB, 32 * MiB, 1 << 20);
}

TEST_HARNESS_MAIN
