// SPDX-License-Identifier: GPL-2.0
/*
 * A software PCIe host bridge with one emulated function, so that the
 * Rust SMMUv3 driver's PCI capability handling (PASID, ATS, PRI) runs
 * under QEMU, whose PCI devices have no PASID or PRI capability.
 *
 * A device-tree node "iommu-sva-rs,soft-pcie-host" becomes a PCI domain
 * of its own with a single Root Complex integrated Endpoint at 00:00.0.
 * Its configuration space lives in memory: a PCI Express capability with
 * End-End TLP Prefix support (which PASIDs need), and the ATS, PASID and
 * PRI extended capabilities, whose control registers are writable. The
 * node's iommu-map routes the function to an SMMU (the software model),
 * so the SMMU driver probes a real struct pci_dev. Nothing in the
 * function performs DMA.
 *
 * A vendor-specific capability records each time the ATS, PASID or PRI
 * Enable bit is set (the capability ID) or cleared (the ID with bit 7
 * set), so that a test can check the order the PCIe specification
 * requires (PASID on before ATS, ATS and PRI off before PASID): byte 3
 * counts the events (modulo 256), and the last 8 are kept in bytes 4-11,
 * event N at byte 4 + N % 8.
 *
 * The function's own driver, "sva-test-pci-fn", enables I/O page faults
 * and SVA for it (as a device driver using SVA would), and disables them
 * on unbind: that is what turns PRI on and off.
 */

#include <linux/iommu.h>
#include <linux/ioport.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>

#define SOFT_VENDOR		0x1b36	/* QEMU's, as for its test devices */
#define SOFT_DEVICE		0x7f5a	/* not used by QEMU */
#define SOFT_CFG_SIZE		PCI_CFG_SPACE_EXP_SIZE

#define SOFT_PCIE_CAP		0x40
#define SOFT_LOG_CAP		0x80	/* vendor-specific: the enable log */
#define SOFT_LOG_LEN		12	/* capability length, header included */
#define SOFT_LOG_COUNT		3	/* events so far, modulo 256 */
#define SOFT_LOG_RING		4	/* the last SOFT_LOG_EVENTS events */
#define SOFT_LOG_EVENTS		(SOFT_LOG_LEN - SOFT_LOG_RING)
#define SOFT_ATS		0x100
#define SOFT_PASID		0x110
#define SOFT_PRI		0x120
#define SOFT_PASID_BITS		20
#define SOFT_PRI_MAX_REQS	512

struct soft_pcie {
	/* cfg: taken inside pci_lock, a raw spinlock */
	raw_spinlock_t lock;
	u8 cfg[SOFT_CFG_SIZE];
	u8 wmask[SOFT_CFG_SIZE];
	struct resource busn;
};

static void put8(struct soft_pcie *sp, int at, u8 v)
{
	sp->cfg[at] = v;
}

static void put16(struct soft_pcie *sp, int at, u16 v)
{
	put8(sp, at, v);
	put8(sp, at + 1, v >> 8);
}

static void put32(struct soft_pcie *sp, int at, u32 v)
{
	put16(sp, at, v);
	put16(sp, at + 2, v >> 16);
}

static u16 get16(const struct soft_pcie *sp, int at)
{
	return sp->cfg[at] | sp->cfg[at + 1] << 8;
}

static void writable(struct soft_pcie *sp, int at, u32 mask, int bytes)
{
	for (int i = 0; i < bytes; i++)
		sp->wmask[at + i] = mask >> (8 * i);
}

static void ext_cap(struct soft_pcie *sp, int at, u16 id, int next)
{
	put32(sp, at, id | 1 << 16 | next << 20);
}

static void soft_fn_init(struct soft_pcie *sp)
{
	put16(sp, PCI_VENDOR_ID, SOFT_VENDOR);
	put16(sp, PCI_DEVICE_ID, SOFT_DEVICE);
	writable(sp, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		 PCI_COMMAND_INTX_DISABLE, 2);
	put16(sp, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(sp, PCI_CLASS_REVISION, (u32)PCI_CLASS_OTHERS << 24 | 1);
	put8(sp, PCI_CAPABILITY_LIST, SOFT_PCIE_CAP);

	/* PCI Express, v2: a Root Complex integrated Endpoint */
	put8(sp, SOFT_PCIE_CAP + PCI_CAP_LIST_ID, PCI_CAP_ID_EXP);
	put8(sp, SOFT_PCIE_CAP + PCI_CAP_LIST_NEXT, SOFT_LOG_CAP);
	put16(sp, SOFT_PCIE_CAP + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_RC_END << 4);
	writable(sp, SOFT_PCIE_CAP + PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
		 PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN |
		 PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_EXT_TAG | PCI_EXP_DEVCTL_NOSNOOP_EN |
		 PCI_EXP_DEVCTL_READRQ, 2);
	put32(sp, SOFT_PCIE_CAP + PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_EE_PREFIX);
	writable(sp, SOFT_PCIE_CAP + PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_COMP_TIMEOUT |
		 PCI_EXP_DEVCTL2_COMP_TMOUT_DIS, 2);

	put8(sp, SOFT_LOG_CAP + PCI_CAP_LIST_ID, PCI_CAP_ID_VNDR);
	put8(sp, SOFT_LOG_CAP + PCI_CAP_LIST_NEXT, 0);
	put8(sp, SOFT_LOG_CAP + 2, SOFT_LOG_LEN);

	ext_cap(sp, SOFT_ATS, PCI_EXT_CAP_ID_ATS, SOFT_PASID);
	put16(sp, SOFT_ATS + PCI_ATS_CAP, PCI_ATS_CAP_PAGE_ALIGNED);
	writable(sp, SOFT_ATS + PCI_ATS_CTRL, PCI_ATS_CTRL_ENABLE | PCI_ATS_CTRL_STU(0x1f), 2);

	ext_cap(sp, SOFT_PASID, PCI_EXT_CAP_ID_PASID, SOFT_PRI);
	put16(sp, SOFT_PASID + PCI_PASID_CAP,
	      SOFT_PASID_BITS << 8 | PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV);
	writable(sp, SOFT_PASID + PCI_PASID_CTRL, PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC |
		 PCI_PASID_CTRL_PRIV, 2);

	/* PRI, stopped while disabled; responses must carry the PASID */
	ext_cap(sp, SOFT_PRI, PCI_EXT_CAP_ID_PRI, 0);
	writable(sp, SOFT_PRI + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE | PCI_PRI_CTRL_RESET, 2);
	put16(sp, SOFT_PRI + PCI_PRI_STATUS, PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	put32(sp, SOFT_PRI + PCI_PRI_MAX_REQ, SOFT_PRI_MAX_REQS);
	writable(sp, SOFT_PRI + PCI_PRI_ALLOC_REQ, ~0u, 4);
}

static void soft_log(struct soft_pcie *sp, u8 id, bool on)
{
	u8 n = sp->cfg[SOFT_LOG_CAP + SOFT_LOG_COUNT];

	put8(sp, SOFT_LOG_CAP + SOFT_LOG_RING + n % SOFT_LOG_EVENTS, on ? id : id | 0x80);
	put8(sp, SOFT_LOG_CAP + SOFT_LOG_COUNT, n + 1);
}

/*
 * Logs Enable transitions. PRI Reset clears the error bits when PRI ends
 * up disabled (it has no effect on an enabled PRI), and reads as 0.
 */
static void soft_fn_written(struct soft_pcie *sp, u16 ats, u16 pasid, u16 pri)
{
	u16 pri_ctrl = get16(sp, SOFT_PRI + PCI_PRI_CTRL);
	u16 status = get16(sp, SOFT_PRI + PCI_PRI_STATUS);
	bool now;

	now = get16(sp, SOFT_ATS + PCI_ATS_CTRL) & PCI_ATS_CTRL_ENABLE;
	if (now != !!(ats & PCI_ATS_CTRL_ENABLE))
		soft_log(sp, PCI_EXT_CAP_ID_ATS, now);
	now = get16(sp, SOFT_PASID + PCI_PASID_CTRL) & PCI_PASID_CTRL_ENABLE;
	if (now != !!(pasid & PCI_PASID_CTRL_ENABLE))
		soft_log(sp, PCI_EXT_CAP_ID_PASID, now);
	now = pri_ctrl & PCI_PRI_CTRL_ENABLE;
	if (now != !!(pri & PCI_PRI_CTRL_ENABLE))
		soft_log(sp, PCI_EXT_CAP_ID_PRI, now);

	if (pri_ctrl & PCI_PRI_CTRL_RESET) {
		if (!(pri_ctrl & PCI_PRI_CTRL_ENABLE))
			status &= ~(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
		put16(sp, SOFT_PRI + PCI_PRI_CTRL, pri_ctrl & ~PCI_PRI_CTRL_RESET);
	}
	if (pri_ctrl & PCI_PRI_CTRL_ENABLE)
		status &= ~PCI_PRI_STATUS_STOPPED;
	else
		status |= PCI_PRI_STATUS_STOPPED;
	put16(sp, SOFT_PRI + PCI_PRI_STATUS, status);
}

static bool soft_fn_here(struct pci_bus *bus, unsigned int devfn, int where, int size)
{
	return pci_is_root_bus(bus) && devfn == 0 && where >= 0 &&
	       where + size <= SOFT_CFG_SIZE && IS_ALIGNED(where, size);
}

static int soft_pcie_read(struct pci_bus *bus, unsigned int devfn, int where, int size,
			  u32 *val)
{
	struct soft_pcie *sp = bus->sysdata;
	unsigned long flags;
	u32 v = 0;

	if (!soft_fn_here(bus, devfn, where, size)) {
		*val = ~0u;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	raw_spin_lock_irqsave(&sp->lock, flags);
	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | sp->cfg[where + i];
	raw_spin_unlock_irqrestore(&sp->lock, flags);
	*val = v;
	return PCIBIOS_SUCCESSFUL;
}

static int soft_pcie_write(struct pci_bus *bus, unsigned int devfn, int where, int size,
			   u32 val)
{
	struct soft_pcie *sp = bus->sysdata;
	unsigned long flags;
	u16 ats, pasid, pri;

	if (!soft_fn_here(bus, devfn, where, size))
		return PCIBIOS_DEVICE_NOT_FOUND;
	raw_spin_lock_irqsave(&sp->lock, flags);
	ats = get16(sp, SOFT_ATS + PCI_ATS_CTRL);
	pasid = get16(sp, SOFT_PASID + PCI_PASID_CTRL);
	pri = get16(sp, SOFT_PRI + PCI_PRI_CTRL);
	for (int i = 0; i < size; i++) {
		u8 m = sp->wmask[where + i];
		u8 b = val >> (8 * i);

		sp->cfg[where + i] = (sp->cfg[where + i] & ~m) | (b & m);
	}
	soft_fn_written(sp, ats, pasid, pri);
	raw_spin_unlock_irqrestore(&sp->lock, flags);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops soft_pcie_ops = {
	.read = soft_pcie_read,
	.write = soft_pcie_write,
};

static int soft_pcie_probe(struct platform_device *pdev)
{
	struct pci_host_bridge *bridge;
	struct soft_pcie *sp;
	int ret;

	/*
	 * Not devm_pci_alloc_host_bridge(): that parses the node as a
	 * memory-mapped host (ranges, bus-range), and this one has no
	 * address space at all: bus 0 only, and no BAR.
	 */
	bridge = pci_alloc_host_bridge(sizeof(*sp));
	if (!bridge)
		return -ENOMEM;
	sp = pci_host_bridge_priv(bridge);
	raw_spin_lock_init(&sp->lock);
	soft_fn_init(sp);
	sp->busn = DEFINE_RES_NAMED(0, 1, "soft-pcie bus", IORESOURCE_BUS);
	pci_add_resource(&bridge->windows, &sp->busn);
	/* The SMMU is found through this node's iommu-map. */
	bridge->dev.parent = &pdev->dev;
	bridge->sysdata = sp;
	bridge->ops = &soft_pcie_ops;
	ret = pci_host_probe(bridge);
	if (ret)
		pci_free_host_bridge(bridge);
	return ret;
}

static const struct of_device_id soft_pcie_of_match[] = {
	{ .compatible = "iommu-sva-rs,soft-pcie-host" },
	{ }
};

static struct platform_driver soft_pcie_driver = {
	.driver = {
		.name = "sva-test-soft-pcie",
		.of_match_table = soft_pcie_of_match,
		.suppress_bind_attrs = true,
	},
	.probe = soft_pcie_probe,
};

/* The function's driver: a user of I/O page faults and SVA. */
static int soft_fn_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret = iommu_dev_enable_feature(&pdev->dev, IOMMU_DEV_FEAT_IOPF);

	if (ret) {
		dev_err(&pdev->dev, "cannot enable I/O page faults: %d\n", ret);
		return ret;
	}
	ret = iommu_dev_enable_feature(&pdev->dev, IOMMU_DEV_FEAT_SVA);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable SVA: %d\n", ret);
		iommu_dev_disable_feature(&pdev->dev, IOMMU_DEV_FEAT_IOPF);
	}
	return ret;
}

static void soft_fn_remove(struct pci_dev *pdev)
{
	iommu_dev_disable_feature(&pdev->dev, IOMMU_DEV_FEAT_SVA);
	iommu_dev_disable_feature(&pdev->dev, IOMMU_DEV_FEAT_IOPF);
}

static const struct pci_device_id soft_fn_ids[] = {
	{ PCI_DEVICE(SOFT_VENDOR, SOFT_DEVICE) },
	{ }
};

static struct pci_driver soft_fn_driver = {
	.name = "sva-test-pci-fn",
	.id_table = soft_fn_ids,
	.probe = soft_fn_probe,
	.remove = soft_fn_remove,
};

static int __init sva_test_pci_init(void)
{
	int ret = pci_register_driver(&soft_fn_driver);

	if (ret)
		return ret;
	ret = platform_driver_register(&soft_pcie_driver);
	if (ret)
		pci_unregister_driver(&soft_fn_driver);
	return ret;
}
device_initcall(sva_test_pci_init);
