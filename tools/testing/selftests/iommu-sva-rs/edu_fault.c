// SPDX-License-Identifier: GPL-2.0
/*
 * Translation faults: the QEMU edu device, bound to pci-stub (so the kernel
 * maps nothing for it) and driven from user space through its BAR, DMAs to
 * and from IOVAs its DMA domain does not map. The SMMU must block the access
 * and the driver must report a translation fault naming the device's
 * StreamID and the faulting address (both the upstream C driver's raw
 * record dump and the Rust driver's decoded line are understood). The kernel
 * must keep running: the device still answers, and DMA of the other devices
 * still works afterwards.
 *
 * Needs a translating default domain: skipped when the device is in no
 * IOMMU group (the driver does not translate) or when its default domain is
 * identity (iommu.passthrough=1: the "IOVA" would be a physical address).
 * Only device reads are aimed at an address that could be physical memory,
 * so even a wrong skip decision cannot corrupt the guest.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "sva_rs_util.h"

/* Far from any DMA API allocation (pci-stub maps nothing) and the MSI window. */
#define FAULT_IOVA_READ		0x7ead0040ull
#define FAULT_IOVA_WRITE	0x7eae1080ull

FIXTURE(edu_stub)
{
	char bdf[32];
	int sid;
	int fd;
	void *bar;
	struct edu edu;
	uint16_t cmd;
	bool cmd_saved;
	struct kmsg_events k;
};

FIXTURE_SETUP(edu_stub)
{
	char path[PATH_MAX], type[32];
	uint16_t cmd;

	self->fd = -1;
	self->bar = MAP_FAILED;
	self->k.fd = -1;
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, -1, self->bdf, sizeof(self->bdf)))
		TH_LOG("no edu PCI device %04x:%04x (boot.sh adds one)", EDU_VENDOR, EDU_DEVICE);
	self->sid = pci_sid(self->bdf);
	/* Binding a driver makes the IOMMU driver probe the device. */
	ASSERT_EQ(0, pci_bind(self->bdf, "pci-stub")) TH_LOG("cannot bind %s to pci-stub", self->bdf);
	pci_domain_type(self->bdf, type, sizeof(type));
	if (!type[0])
		SKIP(return, "edu %s is in no IOMMU group: the SMMU driver does not translate its DMA",
		     self->bdf);
	if (strcmp(type, "DMA") && strcmp(type, "DMA-FQ"))
		SKIP(return, "edu %s default domain is %s, not a translating DMA domain: no fault to inject",
		     self->bdf, type);
	ASSERT_EQ(0, pci_cfg_rw16(self->bdf, PCI_COMMAND_REG, &self->cmd, false));
	self->cmd_saved = true;
	cmd = self->cmd | PCI_CMD_MEMORY | PCI_CMD_MASTER;
	ASSERT_EQ(0, pci_cfg_rw16(self->bdf, PCI_COMMAND_REG, &cmd, true));

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", self->bdf);
	self->fd = open(path, O_RDWR | O_SYNC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", path, strerror(errno));
	self->bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->bar) TH_LOG("mmap %s: %s", path, strerror(errno));
	self->edu.bar = self->bar;
	ASSERT_TRUE(edu_alive(&self->edu)) TH_LOG("edu %s does not answer", self->bdf);
	ASSERT_EQ(0, kmsg_open(&self->k));
}

FIXTURE_TEARDOWN(edu_stub)
{
	kmsg_close(&self->k);
	if (self->bar != MAP_FAILED)
		munmap(self->bar, EDU_BAR_SIZE);
	if (self->fd >= 0)
		close(self->fd);
	if (self->cmd_saved)
		pci_cfg_rw16(self->bdf, PCI_COMMAND_REG, &self->cmd, true);
	if (self->bdf[0])
		pci_bind(self->bdf, NULL);
}

/* DMA of another device still works: O_DIRECT reads from the disks. */
static int disks_still_work(void)
{
	static const struct { int vendor, device; } disks[] = {
		{ 0x1af4, 0x1042 }, { 0x1b36, 0x0010 },
	};
	char bdf[32], name[32], path[64];
	void *buf;
	int ret = 0;

	if (posix_memalign(&buf, 4096, 65536))
		return -ENOMEM;
	for (size_t i = 0; i < 2 && !ret; i++) {
		int fd;

		if (pci_find(disks[i].vendor, disks[i].device, -1, bdf, sizeof(bdf)) ||
		    pci_block_device(bdf, name, sizeof(name), 1000))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", name);
		fd = open(path, O_RDONLY | O_DIRECT);
		if (fd < 0 || pread(fd, buf, 65536, 0) != 65536)
			ret = -EIO;
		if (fd >= 0)
			close(fd);
	}
	free(buf);
	return ret;
}

static void fault_test(struct __test_metadata *_metadata, struct _test_data_edu_stub *self,
		       uint64_t iova, bool to_ram)
{
	struct smmu_event ev;
	int found;

	/* 4 bytes: a single access, a single event. */
	ASSERT_EQ(0, edu_dma(&self->edu, iova, 0, 4, to_ram)) TH_LOG("edu DMA did not complete");
	found = kmsg_wait_event(&self->k, self->sid, iova, 1u << (EVT_F_TRANSLATION - 0x10), 3000,
				&ev);
	if (!found)
		kmsg_dump_seen(&self->k);
	ASSERT_TRUE(found)
		TH_LOG("no F_TRANSLATION event for sid 0x%x at iova 0x%llx in the kernel log",
		       self->sid, (unsigned long long)iova);
	printf("# fault reported: event 0x%x sid 0x%x addr 0x%llx %s\n", ev.id, ev.sid,
	       (unsigned long long)ev.addr, ev.rnw < 0 ? "?" : ev.rnw ? "read" : "write");
	EXPECT_EQ(iova, ev.addr) TH_LOG("fault address 0x%llx, DMA was to 0x%llx",
					(unsigned long long)ev.addr, (unsigned long long)iova);
	if (ev.rnw >= 0)
		EXPECT_EQ(!to_ram, ev.rnw) TH_LOG("fault reports the wrong access direction");
	EXPECT_TRUE(edu_alive(&self->edu)) TH_LOG("edu stopped answering after the fault");
	EXPECT_EQ(0, disks_still_work()) TH_LOG("disk DMA fails after the edu fault");
}

TEST_F(edu_stub, unmapped_read_faults)
{
	fault_test(_metadata, self, FAULT_IOVA_READ, false);
}

TEST_F(edu_stub, unmapped_write_faults)
{
	fault_test(_metadata, self, FAULT_IOVA_WRITE, true);
}

TEST_HARNESS_MAIN
