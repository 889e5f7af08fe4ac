// SPDX-License-Identifier: GPL-2.0
/*
 * IOTLB invalidation correctness, end to end: the QEMU edu device is bound
 * to vfio-pci and driven from user space; a VFIO type1 container maps user
 * buffers at chosen IOVAs in an UNMANAGED domain of the SMMU driver.
 *
 * remap_same_iova: buffer A is mapped at IOVA X, edu reads X (which fills
 * the SMMU's TLB, QEMU's IOTLB caching the translation until a TLBI), X is
 * unmapped and a different buffer B (other pages, other content) mapped at
 * the same X, and edu reads X again: it must see B. Seeing A means the unmap
 * did not invalidate the TLB. Repeated across IOVAs, mapping sizes (4 KiB to
 * 2 MiB, so that range invalidations are exercised) and pages within them.
 *
 * permission_change: a read-only mapping must refuse device writes (a
 * permission fault, memory untouched); once unmapped, device reads must
 * fault instead of hitting a stale read-only TLB entry; a new read-write
 * mapping at the same IOVA must accept writes (no stale read-only entry).
 *
 * Every edu DMA copies at most 4 KiB between memory and the device's own
 * buffer; results are DMAed back into a "sink" buffer to be compared.
 * Skipped only when the device is in no IOMMU group (the SMMU driver does
 * not translate, VFIO cannot work); identity default domains (passthrough)
 * do not matter, VFIO uses its own domain.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"
#include "sva_rs_util.h"

#define SINK_IOVA	0x80000000ull
#define SLOT		1016u	/* edu buffer slot: 4 fit in EDU_BUF_USABLE */
#define STEPS		4	/* buffers mapped in turn at one IOVA */

FIXTURE(vfio_edu)
{
	char bdf[32];
	int sid;
	int container, group, device;
	void *bar;
	size_t bar_size;
	struct edu edu;
	uint8_t *sink;
	struct kmsg_events k;
};

static int map_dma(int container, void *va, uint64_t iova, size_t size, bool writable)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static int unmap_dma(int container, uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u))
		return -errno;
	return u.size == size ? 0 : -EIO;
}

static void *alloc_buf(size_t size, uint64_t seed)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	pattern_fill(p, size, seed, 0);
	return p;
}

FIXTURE_SETUP(vfio_edu)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char path[64];
	uint16_t cmd;
	int group;

	self->container = self->group = self->device = -1;
	self->bar = MAP_FAILED;
	self->sink = NULL;
	self->k.fd = -1;
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, -1, self->bdf, sizeof(self->bdf)))
		TH_LOG("no edu PCI device %04x:%04x (boot.sh adds one)", EDU_VENDOR, EDU_DEVICE);
	self->sid = pci_sid(self->bdf);
	/*
	 * Binding a driver makes the IOMMU driver probe the device; pci-stub
	 * first, as vfio-pci refuses a device in no IOMMU group.
	 */
	ASSERT_EQ(0, pci_bind(self->bdf, "pci-stub")) TH_LOG("cannot bind %s to pci-stub", self->bdf);
	group = pci_iommu_group(self->bdf);
	if (group < 0)
		SKIP(return, "edu %s is in no IOMMU group: the SMMU driver provides no IOMMU domain for VFIO",
		     self->bdf);

	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci")) TH_LOG("cannot bind %s to vfio-pci", self->bdf);
	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, self->container) TH_LOG("/dev/vfio/vfio: %s", strerror(errno));
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	self->group = open(path, O_RDWR);
	ASSERT_LE(0, self->group) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE)
		TH_LOG("group %d is not viable (another device in it?)", group);
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_SET_CONTAINER, &self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		TH_LOG("VFIO_SET_IOMMU: %s", strerror(errno));
	self->device = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	ASSERT_LE(0, self->device) TH_LOG("VFIO_GROUP_GET_DEVICE_FD: %s", strerror(errno));

	/* Memory decoding and bus mastering, through the config region. */
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_EQ(2, pread(self->device, &cmd, 2, reg.offset + PCI_COMMAND_REG));
	cmd |= PCI_CMD_MEMORY | PCI_CMD_MASTER;
	ASSERT_EQ(2, pwrite(self->device, &cmd, 2, reg.offset + PCI_COMMAND_REG));

	memset(&reg, 0, sizeof(reg));
	reg.argsz = sizeof(reg);
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_TRUE(reg.flags & VFIO_REGION_INFO_FLAG_MMAP) TH_LOG("BAR0 cannot be mmapped");
	ASSERT_LE(EDU_BAR_SIZE, reg.size);
	self->bar_size = reg.size;
	self->bar = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, self->device, reg.offset);
	ASSERT_NE(MAP_FAILED, self->bar) TH_LOG("mmap BAR0: %s", strerror(errno));
	self->edu.bar = self->bar;
	ASSERT_TRUE(edu_alive(&self->edu)) TH_LOG("edu %s does not answer", self->bdf);

	self->sink = alloc_buf(EDU_BUF_SIZE, 0);
	ASSERT_NE(NULL, self->sink);
	ASSERT_EQ(0, map_dma(self->container, self->sink, SINK_IOVA, EDU_BUF_SIZE, true));
	ASSERT_EQ(0, kmsg_open(&self->k));
}

FIXTURE_TEARDOWN(vfio_edu)
{
	kmsg_close(&self->k);
	if (self->bar != MAP_FAILED)
		munmap(self->bar, self->bar_size);
	if (self->device >= 0)
		close(self->device);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);	/* drops every mapping */
	if (self->sink)
		munmap(self->sink, EDU_BUF_SIZE);
	if (self->bdf[0])
		pci_bind(self->bdf, NULL);
}

/* Copies the edu buffer's first @len bytes into the sink. */
static int read_back(struct _test_data_vfio_edu *self, unsigned int len)
{
	memset(self->sink, 0xa5, EDU_BUF_SIZE);
	__sync_synchronize();
	return edu_dma(&self->edu, SINK_IOVA, 0, len, true);
}

static const struct remap_case {
	uint64_t iova;
	size_t size;
	size_t off;	/* DMA offset in the mapping; step s adds s * 0x40 */
	unsigned int cnt;
} remap_cases[] = {
	{ 0x00100000ull, 0x1000, 0x000, SLOT },		/* one page */
	{ 0x40000000ull, 0x2000, 0xe00, SLOT },		/* straddles both pages */
	{ 0x123450000ull, 0x10000, 0xf000, SLOT - 64 },	/* last page of 64 KiB */
	{ 0xfffe00000ull, 0x200000, 0x1ff100, 512 },	/* last page of 2 MiB */
	{ 0xff00000000ull, 0x4000, 0x2080, 768 },	/* near the edu's 40-bit limit */
	{ 0x00003000ull, 0x3000, 0x1000, SLOT - 256 },	/* low IOVA, middle page */
};

TEST_F_TIMEOUT(vfio_edu, remap_same_iova, 120)
{
	uint64_t seed = 0xa11ce000ull;
	int stale_cases = 0, bad_cases = 0;

	for (size_t c = 0; c < ARRAY_SIZE(remap_cases); c++) {
		const struct remap_case *rc = &remap_cases[c];
		uint8_t *buf[STEPS];
		size_t off[STEPS];

		/* Map buffer s, let edu read it into slot s, unmap; next s. */
		for (int s = 0; s < STEPS; s++) {
			buf[s] = alloc_buf(rc->size, seed + c * STEPS + s);
			ASSERT_NE(NULL, buf[s]);
			off[s] = rc->off + s * 0x40;
			ASSERT_EQ(0, map_dma(self->container, buf[s], rc->iova, rc->size, s & 1))
				TH_LOG("map 0x%zx bytes at iova 0x%llx: %s", rc->size,
				       (unsigned long long)rc->iova, strerror(errno));
			ASSERT_EQ(0, edu_dma(&self->edu, rc->iova + off[s], s * SLOT, rc->cnt, false));
			ASSERT_EQ(0, unmap_dma(self->container, rc->iova, rc->size));
		}
		ASSERT_EQ(0, read_back(self, STEPS * SLOT));
		/*
		 * Check every case, page by page, to tell which kinds of
		 * unmap left a stale translation behind.
		 */
		bool case_stale = false, case_bad = false;

		for (int s = 0; s < STEPS; s++) {
			const uint8_t *got = self->sink + s * SLOT;

			for (size_t p = off[s]; p < off[s] + rc->cnt; p = (p | 0xfff) + 1) {
				size_t n = min_size((p | 0xfff) + 1, off[s] + rc->cnt) - p;
				const uint8_t *g = got + (p - off[s]);
				int old = -1;

				if (!memcmp(g, buf[s] + p, n))
					continue;
				for (int o = 0; o < s && old < 0; o++)
					if (!memcmp(g, buf[o] + p, n))
						old = o;
				if (old >= 0)
					TH_LOG("mapping 0x%zx at iova 0x%llx, #%d: DMA at iova 0x%llx read the pages of mapping #%d, unmapped since: stale IOTLB entry (TLB not invalidated on unmap)",
					       rc->size, (unsigned long long)rc->iova, s,
					       (unsigned long long)(rc->iova + p), old);
				else
					TH_LOG("mapping 0x%zx at iova 0x%llx, #%d: DMA at iova 0x%llx read wrong data",
					       rc->size, (unsigned long long)rc->iova, s,
					       (unsigned long long)(rc->iova + p));
				case_stale |= old >= 0;
				case_bad |= old < 0;
			}
		}
		stale_cases += case_stale;
		bad_cases += case_bad;
		for (int s = 0; s < STEPS; s++)
			munmap(buf[s], rc->size);
	}
	printf("# %zu IOVAs x %d mappings: %d with stale translations, %d with other wrong data\n",
	       ARRAY_SIZE(remap_cases), STEPS, stale_cases, bad_cases);
	EXPECT_EQ(0, stale_cases) TH_LOG("DMA after unmap + map used the old translation");
	EXPECT_EQ(0, bad_cases);
}

static int expect_fault(struct __test_metadata *_metadata, struct _test_data_vfio_edu *self,
			uint64_t iova, unsigned int id, const char *what)
{
	struct smmu_event ev;
	int found = kmsg_wait_event(&self->k, self->sid, iova, 1u << (id - 0x10), 3000, &ev);

	if (found)
		printf("# %s: event 0x%x sid 0x%x addr 0x%llx\n", what, ev.id, ev.sid,
		       (unsigned long long)ev.addr);
	else
		kmsg_dump_seen(&self->k);
	return found;
}

TEST_F_TIMEOUT(vfio_edu, permission_change, 60)
{
	const uint64_t x = 0x200000000ull;
	uint8_t *a, *b;

	a = alloc_buf(4096, 0xaaaa);
	b = alloc_buf(4096, 0xbbbb);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);

	/* Slot 1 := pattern P, from the sink. */
	pattern_fill(self->sink, EDU_BUF_SIZE, 0x9999, 0);
	ASSERT_EQ(0, edu_dma(&self->edu, SINK_IOVA, SLOT, SLOT, false));

	/* Read-only A at X: reads work (and fill the TLB)... */
	ASSERT_EQ(0, map_dma(self->container, a, x, 4096, false));
	ASSERT_EQ(0, edu_dma(&self->edu, x, 0, SLOT, false));
	/* ...writes fault and leave A alone (4 bytes: one access, one event). */
	ASSERT_EQ(0, edu_dma(&self->edu, x, SLOT, 4, true));
	EXPECT_TRUE(expect_fault(_metadata, self, x, EVT_F_PERMISSION, "write to read-only"))
		TH_LOG("no F_PERMISSION event for sid 0x%x at iova 0x%llx", self->sid,
		       (unsigned long long)x);
	EXPECT_EQ(-1, pattern_check(a, 4096, 0xaaaa, 0))
		TH_LOG("device write went through a read-only mapping");

	/* Unmapped: reads fault instead of using the old read-only entry. */
	ASSERT_EQ(0, unmap_dma(self->container, x, 4096));
	ASSERT_EQ(0, edu_dma(&self->edu, x, 2 * SLOT, 8, false));
	EXPECT_TRUE(expect_fault(_metadata, self, x, EVT_F_TRANSLATION, "read after unmap"))
		TH_LOG("no F_TRANSLATION event for sid 0x%x at iova 0x%llx after unmap", self->sid,
		       (unsigned long long)x);

	/* Read-write B at X: writes land in B (no stale read-only entry). */
	ASSERT_EQ(0, map_dma(self->container, b, x, 4096, true));
	ASSERT_EQ(0, edu_dma(&self->edu, x, SLOT, SLOT, true));
	EXPECT_EQ(-1, pattern_check(b, SLOT, 0x9999, 0))
		TH_LOG("device write through the new read-write mapping did not land");
	EXPECT_EQ(-1, pattern_check(b + SLOT, 4096 - SLOT, 0xbbbb, SLOT))
		TH_LOG("device write spilled beyond its range");
	ASSERT_EQ(0, unmap_dma(self->container, x, 4096));

	ASSERT_EQ(0, read_back(self, 3 * SLOT));
	EXPECT_EQ(0, memcmp(self->sink, a, SLOT)) TH_LOG("read through the read-only mapping failed");
	EXPECT_NE(0, memcmp(self->sink + 2 * SLOT, a, 8))
		TH_LOG("read after unmap returned the unmapped pages: stale IOTLB entry");
	munmap(a, 4096);
	munmap(b, 4096);
}

TEST_HARNESS_MAIN
