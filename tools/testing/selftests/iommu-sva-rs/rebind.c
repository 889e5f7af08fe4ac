// SPDX-License-Identifier: GPL-2.0
/*
 * Driver unbind and rebind behind the IOMMU: the virtio-blk and the NVMe
 * disk are unbound from their driver through sysfs and bound again, twice;
 * after each rebind, data written before the unbind reads back intact and
 * fresh O_DIRECT writes read back intact. The device keeps its IOMMU group
 * (its DMA domain is re-attached, its queues and MSI-X doorbells remapped).
 */
#define _GNU_SOURCE
#include "../kselftest_harness.h"
#include "sva_rs_util.h"

#define MiB (1ull << 20)
#define OLD_OFF (100 * MiB)
#define OLD_LEN (1 * MiB)
#define NEW_OFF (104 * MiB)
#define NEW_LEN (4 * MiB)
#define BS (64u << 10)

FIXTURE(disk)
{
	char bdf[32];
	char driver[64];
	void *buf;
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
	self->buf = NULL;
	ASSERT_EQ(0, pci_find(variant->vendor, variant->device, -1, self->bdf, sizeof(self->bdf)))
		TH_LOG("no %s PCI device (boot.sh adds one)", variant->what);
	pci_driver(self->bdf, self->driver, sizeof(self->driver));
	ASSERT_NE(0, self->driver[0]) TH_LOG("%s %s has no driver", variant->what, self->bdf);
	ASSERT_EQ(0, posix_memalign(&self->buf, 4096, BS));
}

FIXTURE_TEARDOWN(disk)
{
	char path[PATH_MAX], drv[64];

	free(self->buf);
	/* Leave the disk bound, whatever happened. */
	if (self->bdf[0] && self->driver[0]) {
		pci_driver(self->bdf, drv, sizeof(drv));
		if (!drv[0]) {
			snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", self->driver);
			write_text(path, self->bdf);
		}
	}
}

/* O_DIRECT I/O of [off, off + len) with pattern @seed; returns the first
 * mismatching disk offset, -1 if all matched, -2 on an I/O error.
 */
static long long disk_io(struct _test_data_disk *self, const char *bdev, bool write, uint64_t off,
			 uint64_t len, uint64_t seed)
{
	char dev[64];
	long long bad = -1;
	int fd;

	snprintf(dev, sizeof(dev), "/dev/%s", bdev);
	fd = open(dev, (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return -2;
	for (uint64_t pos = off; pos < off + len && bad == -1; pos += BS) {
		long long o;

		if (write) {
			pattern_fill(self->buf, BS, seed, pos);
			if (pwrite(fd, self->buf, BS, pos) != BS)
				bad = -2;
			continue;
		}
		if (pread(fd, self->buf, BS, pos) != BS) {
			bad = -2;
			continue;
		}
		o = pattern_check(self->buf, BS, seed, pos);
		if (o >= 0)
			bad = pos + o;
	}
	if (write && bad == -1 && fsync(fd))
		bad = -2;
	close(fd);
	return bad;
}

TEST_F_TIMEOUT(disk, unbind_rebind_io, 120)
{
	char bdev[32], path[PATH_MAX], drv[64];
	const uint64_t seed = 0x4eb14d00ull ^ variant->device;
	int group = pci_iommu_group(self->bdf);

	ASSERT_EQ(0, pci_block_device(self->bdf, bdev, sizeof(bdev), 5000));
	ASSERT_EQ(-1, disk_io(self, bdev, true, OLD_OFF, OLD_LEN, seed));

	for (int round = 0; round < 2; round++) {
		long long bad;

		ASSERT_EQ(0, pci_unbind(self->bdf))
			TH_LOG("cannot unbind %s from %s", self->bdf, self->driver);
		snprintf(path, sizeof(path), "/sys/block/%s", bdev);
		EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s still there after unbind", bdev);
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", self->driver);
		ASSERT_EQ(0, write_text(path, self->bdf))
			TH_LOG("cannot bind %s to %s again", self->bdf, self->driver);
		pci_driver(self->bdf, drv, sizeof(drv));
		ASSERT_EQ(0, strcmp(drv, self->driver));
		ASSERT_EQ(group, pci_iommu_group(self->bdf)) TH_LOG("IOMMU group changed");
		ASSERT_EQ(0, pci_block_device(self->bdf, bdev, sizeof(bdev), 10000))
			TH_LOG("%s %s: no block device after rebind", variant->what, self->bdf);

		bad = disk_io(self, bdev, false, OLD_OFF, OLD_LEN, seed);
		ASSERT_EQ(-1, bad)
			TH_LOG("round %d: /dev/%s: data written before the unbind: %s at 0x%llx",
			       round, bdev, bad == -2 ? "I/O error" : "mismatch", bad);
		ASSERT_EQ(-1, disk_io(self, bdev, true, NEW_OFF, NEW_LEN, seed + round + 1))
			TH_LOG("round %d: /dev/%s: write after rebind failed", round, bdev);
		bad = disk_io(self, bdev, false, NEW_OFF, NEW_LEN, seed + round + 1);
		ASSERT_EQ(-1, bad)
			TH_LOG("round %d: /dev/%s: read back after rebind: %s at 0x%llx", round, bdev,
			       bad == -2 ? "I/O error" : "mismatch", bad);
	}
	printf("# %s %s (/dev/%s) unbound and rebound twice, data intact\n", variant->what,
	       self->bdf, bdev);
}

TEST_HARNESS_MAIN
