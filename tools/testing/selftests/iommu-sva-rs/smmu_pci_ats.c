// SPDX-License-Identifier: GPL-2.0
/*
 * ATS on a real PCI function. QEMU's SMMUv3 has no ATS, so boot.sh adds a
 * PCIe endpoint with an ATS capability (virtio-balloon, ats=on, behind a
 * root port, at 01:00.0) and the device tree routes its requester ID to
 * the Rust driver's SMMUv3 model, which has ATS, as StreamID 0x40
 * (model-dtb.sh; the PCIe host also says ats-supported). The driver must
 * enable ATS in the function's ATS capability whenever the function is on
 * a translating domain, with a Smallest Translation Unit of 4 KiB (the
 * smallest page the SMMU maps, whatever the CPU's page size) and EATS in
 * its STE, and disable it, emptying the ATC, before it
 * leaves one: for an identity domain, and when the function goes away.
 *
 * The function's default driver (virtio-pci, which does no DMA for a
 * balloon without the balloon driver) is unbound so the group's domain
 * type can be changed. Skips on a kernel without the model.
 *
 * QEMU has no PCI function with PASID or PRI capabilities, so the fixture
 * "soft" uses the emulated one of CONFIG_ARM_SMMU_V3_RUST_SVA_TEST_PCI
 * (0001:00:00.0, a software PCIe host of its own, behind the model as
 * StreamID 0x50), whose driver enables I/O page faults and SVA. The
 * driver must enable PASID at probe, before ATS; PRI (with a budget of
 * 32 page requests) while I/O page faults are enabled; and on removal
 * turn PRI and ATS off before PASID. The function logs its Enable bit
 * changes, which is how the order is checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <linux/smmu-sva-test.h>

#include "../kselftest_harness.h"
#include "sva_rs_util.h"

#define VIRTIO_VENDOR		0x1af4
#define VIRTIO_BALLOON		0x1045	/* modern virtio-balloon */
#define MODEL_DRIVER		"/sys/bus/platform/drivers/smmu-sva-test"
#define MODEL_IOMMU		"smmu3-model"
/* A test device behind the same model: its STATS are the model's counters */
#define MODEL_DEV		"/dev/smmu-sva-test.0"
#define DEBUGFS_DIR		"/sys/kernel/debug"
#define MODEL_STATE		DEBUGFS_DIR "/iommu/arm-smmu-v3-rs/smmu-model/state"

#define SOFT_VENDOR		0x1b36
#define SOFT_DEVICE		0x7f5a
#define SOFT_HOST_DRIVER	"/sys/bus/platform/drivers/sva-test-soft-pcie"
#define SOFT_FN_DRIVER		"sva-test-pci-fn"
#define SOFT_PRI_BUDGET		32	/* what the SMMU driver allocates */

#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_VNDR		0x09
#define PCI_EXT_CAP_START	0x100
#define PCI_EXT_CAP_ID_ATS	0x0f
#define PCI_EXT_CAP_ID_PRI	0x13
#define PCI_EXT_CAP_ID_PASID	0x1b
#define PCI_ATS_CTRL		0x06
#define PCI_ATS_CTRL_ENABLE	0x8000
#define PCI_ATS_CTRL_STU	0x001f
#define PCI_PASID_CTRL		0x06
#define PCI_PASID_CTRL_ENABLE	0x0001
#define PCI_PRI_CTRL		0x04
#define PCI_PRI_CTRL_ENABLE	0x0001
#define PCI_PRI_STATUS		0x06
#define PCI_PRI_STATUS_STOPPED	0x0100
#define PCI_PRI_ALLOC_REQ	0x0c
/* The emulated function's log of Enable changes (sva_test_pci.c) */
#define LOG_COUNT		3
#define LOG_RING		4
#define LOG_EVENTS		8
#define LOG_OFF			0x80	/* ORed into the ID when disabled */

/* The configuration space of @bdf (4 KiB), 0 or -errno */
static int read_cfg(const char *bdf, uint8_t *cfg)
{
	return pci_cfg_rw(bdf, 0, cfg, 4096, false);
}

static int cfg16(const char *bdf, int off)
{
	uint16_t v;
	int ret = pci_cfg_rw16(bdf, off, &v, false);

	return ret ? ret : v;
}

static long long cfg32(const char *bdf, int off)
{
	uint32_t v;
	int ret = pci_cfg_rw(bdf, off, &v, 4, false);

	return ret ? ret : v;
}

/* Offset of extended capability @id of @bdf, or -errno */
static int ext_cap(const char *bdf, unsigned int id)
{
	uint8_t cfg[4096];
	unsigned int off = PCI_EXT_CAP_START;
	int ret = read_cfg(bdf, cfg);

	if (ret)
		return ret;
	for (int i = 0; i < 64 && off >= PCI_EXT_CAP_START && off <= sizeof(cfg) - 4; i++) {
		uint32_t h;

		memcpy(&h, cfg + off, 4);
		if (h == 0 || h == ~0u)
			break;
		if ((h & 0xffff) == id)
			return (int)off;
		off = (h >> 20) & 0xffc;
	}
	return -ENOENT;
}

/* Offset of (standard) capability @id of @bdf, or -errno */
static int std_cap(const char *bdf, unsigned int id)
{
	uint8_t cfg[4096];
	unsigned int off;
	int ret = read_cfg(bdf, cfg);

	if (ret)
		return ret;
	off = cfg[PCI_CAP_PTR] & 0xfc;
	for (int i = 0; i < 48 && off >= 0x40; i++) {
		if (cfg[off] == id)
			return (int)off;
		off = cfg[off + 1] & 0xfc;
	}
	return -ENOENT;
}

/* Whether the IOMMU of @bdf is the model SMMU */
static bool behind_model(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strstr(target, MODEL_IOMMU);
}

static int set_domain_type(const char *bdf, const char *type)
{
	char path[PATH_MAX];
	int group = pci_iommu_group(bdf);

	if (group < 0)
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	return write_text(path, type);
}

static bool translating(const char *type)
{
	return !strncmp(type, "DMA", 3);
}

/* CMD_ATC_INV executed by the model so far, or -errno */
static long long model_atc_invs(void)
{
	struct smmu_sva_test_stats st = { .size = sizeof(st) };
	int fd = open(MODEL_DEV, O_RDWR);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SMMU_SVA_TEST_IOC_STATS, &st);
	ret = ret ? -errno : 0;
	close(fd);
	return ret ? ret : (long long)st.atc_inv_commands;
}

/*
 * The STE of @bdf in the model's debugfs state: 1 if it has EATS = 1
 * (translation requests answered), 0 if not, -ESRCH if the model lists no
 * such master, another -errno if the state cannot be read.
 */
static int ste_eats(const char *bdf)
{
	char head[64], *text, *line, *save = NULL;
	bool in = false;
	int err, ret = -ESRCH;

	text = read_all(MODEL_STATE, &err);
	if (!text)
		return err;
	snprintf(head, sizeof(head), "%s:", bdf);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != ' ') {
			in = !strcmp(line, head);
		} else if (in && !strncmp(line, "  sid ", 6)) {
			ret = has_field(line, "EATS=0x1");
			break;
		}
	}
	free(text);
	return ret;
}

FIXTURE(ats)
{
	char bdf[32];
	char type0[32];		/* the group's domain type to restore */
	char dma[32];		/* the translating type of this configuration */
	int cap;
};

FIXTURE_SETUP(ats)
{
	self->type0[0] = '\0';
	if (access(MODEL_DRIVER, F_OK))
		SKIP(return, "no SMMUv3 model in this kernel");
	if (access(MODEL_DEV, F_OK))
		SKIP(return, "no model SMMU in the device tree (SVA_RS_MODEL_DT=0?)");
	ASSERT_EQ(0, pci_find(VIRTIO_VENDOR, VIRTIO_BALLOON, -1, self->bdf, sizeof(self->bdf)))
		TH_LOG("no virtio-balloon function: boot.sh adds one at 01:00.0");
	ASSERT_TRUE(behind_model(self->bdf))
		TH_LOG("%s is not behind the model SMMU (device tree iommu-map?)", self->bdf);
	self->cap = ext_cap(self->bdf, PCI_EXT_CAP_ID_ATS);
	ASSERT_LE(0, self->cap) TH_LOG("%s: no ATS capability (%d)", self->bdf, self->cap);
	if (access(MODEL_STATE, F_OK))
		mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL);
	pci_domain_type(self->bdf, self->type0, sizeof(self->type0));
	self->type0[strcspn(self->type0, "\n")] = '\0';
	ASSERT_NE('\0', self->type0[0]) TH_LOG("%s is in no IOMMU group", self->bdf);
	snprintf(self->dma, sizeof(self->dma), "%s",
		 translating(self->type0) ? self->type0 : "DMA");
	ASSERT_EQ(0, pci_unbind(self->bdf));
}

FIXTURE_TEARDOWN(ats)
{
	if (!self->type0[0])
		return;
	set_domain_type(self->bdf, self->type0);
	pci_bind(self->bdf, NULL);
}

/* Checks the ATS Control register (at @cap) and the STE of @bdf against @on */
static void expect_ats(struct __test_metadata *_metadata, const char *bdf, int cap,
		       const char *when, bool on)
{
	int ctrl = cfg16(bdf, cap + PCI_ATS_CTRL);
	int eats = ste_eats(bdf);

	ASSERT_LE(0, ctrl) TH_LOG("%s: reading ATS Control: %d", when, ctrl);
	EXPECT_EQ(on, !!(ctrl & PCI_ATS_CTRL_ENABLE))
		TH_LOG("%s: ATS Control %#x: ATS %s", when, ctrl, on ? "disabled" : "enabled");
	/* STU encodes 4 KiB << STU */
	if (on)
		EXPECT_EQ(0, ctrl & PCI_ATS_CTRL_STU)
			TH_LOG("%s: STU %d, want 0 (4 KiB)", when, ctrl & PCI_ATS_CTRL_STU);
	EXPECT_EQ(on, eats) TH_LOG("%s: STE EATS %s (%d)", when, eats > 0 ? "set" : "clear", eats);
}

/* A translating domain (the DMA API's) enables ATS in the function */
TEST_F(ats, translating_domain_enables_ats)
{
	ASSERT_EQ(0, set_domain_type(self->bdf, self->dma));
	expect_ats(_metadata, self->bdf, self->cap, self->dma, true);
}

/*
 * Going to an identity domain disables ATS (no translation to request)
 * and empties the ATC; back on a translating domain ATS is on again.
 */
TEST_F(ats, identity_domain_disables_ats)
{
	long long inv0, inv1;

	ASSERT_EQ(0, set_domain_type(self->bdf, self->dma));
	expect_ats(_metadata, self->bdf, self->cap, self->dma, true);
	inv0 = model_atc_invs();
	ASSERT_LE(0, inv0) TH_LOG("model STATS: %lld", inv0);
	ASSERT_EQ(0, set_domain_type(self->bdf, "identity"));
	expect_ats(_metadata, self->bdf, self->cap, "identity", false);
	inv1 = model_atc_invs();
	EXPECT_LT(inv0, inv1) TH_LOG("no CMD_ATC_INV when ATS went off");
	ASSERT_EQ(0, set_domain_type(self->bdf, self->dma));
	expect_ats(_metadata, self->bdf, self->cap, "translating again", true);
}

/*
 * Removing the function empties its ATC (the driver's release); a rescan
 * finds it again, on its default domain, with ATS as that domain wants.
 */
TEST_F(ats, remove_and_rescan)
{
	char path[PATH_MAX], type[32];
	long long inv0, inv1, deadline;

	ASSERT_EQ(0, set_domain_type(self->bdf, self->dma));
	expect_ats(_metadata, self->bdf, self->cap, self->dma, true);
	inv0 = model_atc_invs();
	ASSERT_LE(0, inv0);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/remove", self->bdf);
	ASSERT_EQ(0, write_text(path, "1"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", self->bdf);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s still there after remove", self->bdf);
	EXPECT_EQ(-ESRCH, ste_eats(self->bdf)) TH_LOG("the model still lists the removed function");
	inv1 = model_atc_invs();
	EXPECT_LT(inv0, inv1) TH_LOG("no CMD_ATC_INV when the function went away");

	ASSERT_EQ(0, write_text("/sys/bus/pci/rescan", "1"));
	deadline = now_ms() + 5000;
	while (pci_iommu_group(self->bdf) < 0 && now_ms() < deadline)
		sleep_ms(20);
	ASSERT_LE(0, pci_iommu_group(self->bdf)) TH_LOG("%s not back after a rescan", self->bdf);
	ASSERT_TRUE(behind_model(self->bdf));
	pci_domain_type(self->bdf, type, sizeof(type));
	type[strcspn(type, "\n")] = '\0';
	TH_LOG("back as %s, domain type %s", self->bdf, type);
	expect_ats(_metadata, self->bdf, self->cap, "after the rescan", translating(type));
}

/* ---- the emulated function: PASID, ATS and PRI ---- */

FIXTURE(soft)
{
	char bdf[32];
	int ats, pasid, pri, log;	/* capability offsets */
	bool translating;	/* on a translating default domain: ATS on */
};

FIXTURE_SETUP(soft)
{
	if (access(MODEL_DRIVER, F_OK) || access(SOFT_HOST_DRIVER, F_OK))
		SKIP(return, "no emulated PCI function in this kernel");
	if (access(MODEL_DEV, F_OK))
		SKIP(return, "no model SMMU in the device tree (SVA_RS_MODEL_DT=0?)");
	ASSERT_EQ(0, pci_find(SOFT_VENDOR, SOFT_DEVICE, -1, self->bdf, sizeof(self->bdf)))
		TH_LOG("no emulated function (device tree node soft-pcie?)");
	ASSERT_TRUE(behind_model(self->bdf)) TH_LOG("%s is not behind the model", self->bdf);
	self->ats = ext_cap(self->bdf, PCI_EXT_CAP_ID_ATS);
	self->pasid = ext_cap(self->bdf, PCI_EXT_CAP_ID_PASID);
	self->pri = ext_cap(self->bdf, PCI_EXT_CAP_ID_PRI);
	self->log = std_cap(self->bdf, PCI_CAP_ID_VNDR);
	ASSERT_LT(0, self->ats);
	ASSERT_LT(0, self->pasid);
	ASSERT_LT(0, self->pri);
	ASSERT_LT(0, self->log);
	if (access(MODEL_STATE, F_OK))
		mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL);
	{
		char type[32];

		pci_domain_type(self->bdf, type, sizeof(type));
		self->translating = translating(type);
	}
}

/* Puts @bdf back on its own driver (its ID table matches), if it is not */
static int soft_rebind(const char *bdf)
{
	char drv[64];

	pci_driver(bdf, drv, sizeof(drv));
	if (!strcmp(drv, SOFT_FN_DRIVER))
		return 0;
	pci_bind(bdf, NULL);
	pci_driver(bdf, drv, sizeof(drv));
	return strcmp(drv, SOFT_FN_DRIVER) ? -ENODEV : 0;
}

FIXTURE_TEARDOWN(soft)
{
	if (self->bdf[0] && pci_iommu_group(self->bdf) >= 0)
		soft_rebind(self->bdf);
}

/* The event count of the function's log */
static int log_count(const char *bdf, int log)
{
	uint8_t cfg[4096];

	return read_cfg(bdf, cfg) ? -1 : cfg[log + LOG_COUNT];
}

/*
 * The events of the log from count @from on, as text ("+PASID -ATS"...),
 * in @buf; their number, or -1.
 */
static int log_since(const char *bdf, int log, int from, char *buf, size_t len)
{
	uint8_t cfg[4096];
	int n, count;
	size_t at = 0;

	buf[0] = '\0';
	if (read_cfg(bdf, cfg))
		return -1;
	count = cfg[log + LOG_COUNT];
	n = (uint8_t)(count - from);
	if (n > LOG_EVENTS)
		return -1;	/* overwritten */
	for (int i = 0; i < n; i++) {
		uint8_t e = cfg[log + LOG_RING + (uint8_t)(from + i) % LOG_EVENTS];
		const char *name = (e & ~LOG_OFF) == PCI_EXT_CAP_ID_ATS ? "ATS" :
				   (e & ~LOG_OFF) == PCI_EXT_CAP_ID_PASID ? "PASID" :
				   (e & ~LOG_OFF) == PCI_EXT_CAP_ID_PRI ? "PRI" : "?";

		if (at >= len)
			break;
		at += snprintf(buf + at, len - at, "%s%c%s", i ? " " : "",
			       e & LOG_OFF ? '-' : '+', name);
	}
	return n;
}

/*
 * Bound to its driver: PASID and PRI on; ATS on, and EATS in the STE, on
 * a translating default domain (off under iommu.passthrough=1).
 */
TEST_F(soft, enabled_with_iopf)
{
	char drv[64];
	int pri_ctrl, pri_status;

	pci_driver(self->bdf, drv, sizeof(drv));
	ASSERT_STREQ(SOFT_FN_DRIVER, drv);
	EXPECT_TRUE(cfg16(self->bdf, self->pasid + PCI_PASID_CTRL) & PCI_PASID_CTRL_ENABLE)
		TH_LOG("PASID not enabled");
	EXPECT_EQ(self->translating ? PCI_ATS_CTRL_ENABLE : 0,
		  cfg16(self->bdf, self->ats + PCI_ATS_CTRL))
		TH_LOG("ATS Control: want %s", self->translating ? "Enable, STU 0 (4 KiB)" : "0");
	EXPECT_EQ(self->translating, ste_eats(self->bdf));
	pri_ctrl = cfg16(self->bdf, self->pri + PCI_PRI_CTRL);
	pri_status = cfg16(self->bdf, self->pri + PCI_PRI_STATUS);
	EXPECT_TRUE(pri_ctrl & PCI_PRI_CTRL_ENABLE) TH_LOG("PRI Control %#x", pri_ctrl);
	EXPECT_FALSE(pri_status & PCI_PRI_STATUS_STOPPED) TH_LOG("PRI Status %#x", pri_status);
	EXPECT_EQ(SOFT_PRI_BUDGET, cfg32(self->bdf, self->pri + PCI_PRI_ALLOC_REQ));
}

/* I/O page faults off (the driver unbinds): PRI off, PASID and ATS as they were */
TEST_F(soft, pri_follows_iopf)
{
	uint32_t zero = 0;
	char ev[128];
	int from = log_count(self->bdf, self->log);

	ASSERT_LE(0, from);
	ASSERT_EQ(0, pci_unbind(self->bdf));
	EXPECT_FALSE(cfg16(self->bdf, self->pri + PCI_PRI_CTRL) & PCI_PRI_CTRL_ENABLE)
		TH_LOG("PRI still enabled without I/O page faults");
	/* so that the rebind must allocate the budget again */
	ASSERT_EQ(0, pci_cfg_rw(self->bdf, self->pri + PCI_PRI_ALLOC_REQ, &zero, 4, true));
	ASSERT_EQ(0, cfg32(self->bdf, self->pri + PCI_PRI_ALLOC_REQ));
	EXPECT_TRUE(cfg16(self->bdf, self->pasid + PCI_PASID_CTRL) & PCI_PASID_CTRL_ENABLE);
	EXPECT_EQ(self->translating,
		  !!(cfg16(self->bdf, self->ats + PCI_ATS_CTRL) & PCI_ATS_CTRL_ENABLE));
	ASSERT_EQ(0, soft_rebind(self->bdf));
	EXPECT_TRUE(cfg16(self->bdf, self->pri + PCI_PRI_CTRL) & PCI_PRI_CTRL_ENABLE)
		TH_LOG("PRI not enabled again");
	EXPECT_EQ(SOFT_PRI_BUDGET, cfg32(self->bdf, self->pri + PCI_PRI_ALLOC_REQ));
	log_since(self->bdf, self->log, from, ev, sizeof(ev));
	EXPECT_STREQ("-PRI +PRI", ev);
}

/*
 * Removal turns PRI and ATS off before PASID; a rescan probes the function
 * again, PASID before ATS, then its driver enables PRI.
 */
TEST_F(soft, remove_and_rescan_order)
{
	char path[PATH_MAX], ev[128];
	long long deadline;
	int from = log_count(self->bdf, self->log);

	ASSERT_LE(0, from);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/remove", self->bdf);
	ASSERT_EQ(0, write_text(path, "1"));
	ASSERT_EQ(0, write_text("/sys/bus/pci/rescan", "1"));
	deadline = now_ms() + 5000;
	while (now_ms() < deadline) {
		pci_driver(self->bdf, path, sizeof(path));
		if (!strcmp(path, SOFT_FN_DRIVER))
			break;
		sleep_ms(20);
	}
	ASSERT_STREQ(SOFT_FN_DRIVER, path) TH_LOG("%s not back on its driver", self->bdf);
	ASSERT_LE(0, log_since(self->bdf, self->log, from, ev, sizeof(ev)));
	TH_LOG("Enable changes: %s", ev);
	EXPECT_STREQ(self->translating ? "-PRI -ATS -PASID +PASID +ATS +PRI" :
					 "-PRI -PASID +PASID +PRI", ev);
}

TEST_HARNESS_MAIN
