// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU inlines and private declarations for Rust. Part of iommu-sva-rs.
 */

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>
#include "../../drivers/iommu/dma-iommu.h"
#include "../../drivers/iommu/iommu-priv.h"

struct iommu_fwspec *rust_helper_dev_iommu_fwspec_get(struct device *dev)
{
	return dev_iommu_fwspec_get(dev);
}

void *rust_helper_dev_iommu_priv_get(struct device *dev)
{
	return dev_iommu_priv_get(dev);
}

bool rust_helper_dev_is_pci(struct device *dev)
{
	return dev_is_pci(dev);
}

void rust_helper_iommu_iotlb_gather_add_page(struct iommu_domain *domain,
					     struct iommu_iotlb_gather *gather,
					     unsigned long iova, size_t size)
{
	iommu_iotlb_gather_add_page(domain, gather, iova, size);
}

void rust_helper_list_add_tail(struct list_head *new, struct list_head *head)
{
	list_add_tail(new, head);
}

void rust_helper_iommu_dma_get_resv_regions(struct device *dev, struct list_head *list)
{
	iommu_dma_get_resv_regions(dev, list);
}

/* For the Rust SVA core (drivers/iommu/sva-rs) */

#ifdef CONFIG_IOMMU_API
const struct iommu_ops *rust_helper_dev_iommu_ops(struct device *dev)
{
	return dev_iommu_ops(dev);
}

struct iommu_attach_handle *
rust_helper_iommu_attach_handle_get(struct iommu_group *group, ioasid_t pasid,
				    unsigned int type)
{
	return iommu_attach_handle_get(group, pasid, type);
}
#endif

bool rust_helper_mmget_not_zero(struct mm_struct *mm)
{
	return mmget_not_zero(mm);
}

void rust_helper_mmgrab(struct mm_struct *mm)
{
	mmgrab(mm);
}

void rust_helper_mmdrop(struct mm_struct *mm)
{
	mmdrop(mm);
}

void rust_helper_mmap_read_lock(struct mm_struct *mm)
{
	mmap_read_lock(mm);
}

bool rust_helper_mmap_read_trylock(struct mm_struct *mm)
{
	return mmap_read_trylock(mm);
}

void rust_helper_mmap_read_unlock(struct mm_struct *mm)
{
	mmap_read_unlock(mm);
}

struct vm_area_struct *rust_helper_vma_lookup(struct mm_struct *mm,
					      unsigned long addr)
{
	return vma_lookup(mm, addr);
}

/* NULL when per-VMA locks are not configured: use the mmap lock. */
struct vm_area_struct *rust_helper_sva_rs_lock_vma(struct mm_struct *mm,
						   unsigned long addr)
{
#ifdef CONFIG_PER_VMA_LOCK
	return lock_vma_under_rcu(mm, addr);
#else
	return NULL;
#endif
}

void rust_helper_vma_end_read(struct vm_area_struct *vma)
{
	vma_end_read(vma);
}

void rust_helper_sva_rs_init_work(struct work_struct *work, work_func_t func)
{
	INIT_WORK(work, func);
}

bool rust_helper_sva_rs_queue_work(struct workqueue_struct *wq,
				   struct work_struct *work)
{
	return queue_work(wq, work);
}

struct workqueue_struct *rust_helper_sva_rs_alloc_iopf_wq(const char *name)
{
	/*
	 * Unbound and unordered, as in 6.12: requests of one group are
	 * ordered by the core, groups may be handled in any order.
	 */
	return alloc_workqueue("iopf_queue/%s", WQ_UNBOUND, 0, name);
}

#ifdef CONFIG_ARM64
#include <linux/memblock.h>
#include <linux/set_memory.h>
#include <asm/cpufeature.h>
#include <asm/memory.h>
#include <asm/mmu_context.h>
#include <asm/sysreg.h>

/*
 * The CPU's view of an address space, for a context descriptor that shares
 * it with an SMMU (Shared Virtual Addressing).
 */
u64 rust_helper_sva_rs_cpu_mair(void)
{
	return read_sysreg(mair_el1);
}

u32 rust_helper_sva_rs_cpu_vabits(void)
{
	return vabits_actual;
}

/* ID_AA64MMFR0_EL1.PARange of the system (the smallest of all CPUs). */
u32 rust_helper_sva_rs_cpu_parange(void)
{
	u64 reg = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);

	return cpuid_feature_extract_unsigned_field(reg, ID_AA64MMFR0_EL1_PARANGE_SHIFT);
}

/*
 * Hardware Access flag (1) and dirty state (2) updates the kernel lets
 * every CPU do on its page tables (ID_AA64MMFR1_EL1.HAFDBS), 0 for none.
 */
u32 rust_helper_sva_rs_cpu_hafdbs(void)
{
	u64 reg;

	if (!IS_ENABLED(CONFIG_ARM64_HW_AFDBM))
		return 0;
	reg = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	return cpuid_feature_extract_unsigned_field(reg, ID_AA64MMFR1_EL1_HAFDBS_SHIFT);
}

u64 rust_helper_sva_rs_mm_pgd_phys(struct mm_struct *mm)
{
	return virt_to_phys(mm->pgd);
}

/* The kernel runs at EL2 with VHE: user TLBIs target the EL2&0 regime. */
bool rust_helper_sva_rs_cpu_vhe(void)
{
	return is_kernel_in_hyp_mode();
}

/* Waits for this CPU's broadcast TLB invalidations to complete. */
void rust_helper_sva_rs_dsb_ish(void)
{
	dsb(ish);
}

/*
 * Pins the CPU ASID of @mm, for an SMMU that shares it through broadcast
 * TLB maintenance: 0 if it cannot be pinned. Balanced by
 * sva_rs_mm_context_put().
 */
u64 rust_helper_sva_rs_mm_context_get(struct mm_struct *mm)
{
	return arm64_mm_context_get(mm);
}

void rust_helper_sva_rs_mm_context_put(struct mm_struct *mm)
{
	arm64_mm_context_put(mm);
}

/*
 * The ASID the CPUs currently use for @mm (what their TLBIs carry). With
 * KPTI user space runs with ASID | 1 and every user TLBI is issued for
 * both (see sva_rs_kpti()).
 */
u16 rust_helper_sva_rs_mm_asid(struct mm_struct *mm)
{
	return ASID(mm);
}

/* The kernel is unmapped at EL0 (KPTI): user ASIDs are odd. */
bool rust_helper_sva_rs_kpti(void)
{
	return arm64_kernel_unmapped_at_el0();
}

/*
 * The linear-map address of [pa, pa + len) for the software SMMUv3 model,
 * which accesses memory by physical address as an SMMU does: NULL unless
 * the range is RAM the kernel maps, within one page, and still in the
 * linear map (memfd_secret() pages, for one, are taken out of it).
 */
void *rust_helper_sva_rs_model_phys_ptr(u64 pa, size_t len)
{
	if (!len || len > PAGE_SIZE || (pa & ~PAGE_MASK) + len > PAGE_SIZE)
		return NULL;
	if (!pfn_valid(PHYS_PFN(pa)) || !memblock_is_map_memory(pa))
		return NULL;
	if (!kernel_page_present(pfn_to_page(PHYS_PFN(pa))))
		return NULL;
	return phys_to_virt(pa);
}

u64 rust_helper_sva_rs_model_cmpxchg64(u64 *p, u64 old, u64 new)
{
	return cmpxchg64(p, old, new);
}
#endif

#ifdef CONFIG_PCI
#include <linux/log2.h>
#include <linux/pci-ats.h>

/*
 * PCI ATS, PASID and PRI of an IOMMU master, by its struct device: false
 * or -ENODEV for devices that are not PCI functions.
 */
bool rust_helper_sva_rs_pci_ats_supported(struct device *dev)
{
	return dev_is_pci(dev) && pci_ats_supported(to_pci_dev(dev));
}

int rust_helper_sva_rs_pci_enable_ats(struct device *dev, int ps)
{
	return dev_is_pci(dev) ? pci_enable_ats(to_pci_dev(dev), ps) : -ENODEV;
}

void rust_helper_sva_rs_pci_disable_ats(struct device *dev)
{
#ifdef CONFIG_PCI_ATS
	if (dev_is_pci(dev) && to_pci_dev(dev)->ats_enabled)
		pci_disable_ats(to_pci_dev(dev));
#endif
}

/* Enables PASIDs; returns the PASID width in bits, or a negative errno. */
int rust_helper_sva_rs_pci_enable_pasid(struct device *dev)
{
	struct pci_dev *pdev;
	int features, num, ret;

	if (!dev_is_pci(dev))
		return -ENODEV;
	pdev = to_pci_dev(dev);
	features = pci_pasid_features(pdev);
	if (features < 0)
		return features;
	num = pci_max_pasids(pdev);
	if (num <= 0)
		return num ? num : -ENODEV;
	ret = pci_enable_pasid(pdev, features);
	return ret ? ret : ilog2(num);
}

void rust_helper_sva_rs_pci_disable_pasid(struct device *dev)
{
	if (dev_is_pci(dev))
		pci_disable_pasid(to_pci_dev(dev));
}

bool rust_helper_sva_rs_pci_pri_supported(struct device *dev)
{
	return dev_is_pci(dev) && pci_pri_supported(to_pci_dev(dev));
}

/* Resets the PRI capability and allows @reqs outstanding page requests. */
int rust_helper_sva_rs_pci_enable_pri(struct device *dev, u32 reqs)
{
#ifdef CONFIG_PCI_PRI
	int ret;

	if (!dev_is_pci(dev))
		return -ENODEV;
	ret = pci_reset_pri(to_pci_dev(dev));
	return ret ? ret : pci_enable_pri(to_pci_dev(dev), reqs);
#else
	return -ENODEV;
#endif
}

void rust_helper_sva_rs_pci_disable_pri(struct device *dev)
{
#ifdef CONFIG_PCI_PRI
	if (dev_is_pci(dev) && to_pci_dev(dev)->pri_enabled)
		pci_disable_pri(to_pci_dev(dev));
#endif
}

/* Whether page request responses must carry the request's PASID. */
bool rust_helper_sva_rs_pci_prg_resp_pasid_required(struct device *dev)
{
#ifdef CONFIG_PCI_PRI
	return dev_is_pci(dev) && pci_prg_resp_pasid_required(to_pci_dev(dev));
#else
	return false;
#endif
}
#else /* !CONFIG_PCI: no function is a PCI function */
bool rust_helper_sva_rs_pci_ats_supported(struct device *dev)
{
	return false;
}

int rust_helper_sva_rs_pci_enable_ats(struct device *dev, int ps)
{
	return -ENODEV;
}

void rust_helper_sva_rs_pci_disable_ats(struct device *dev)
{
}

int rust_helper_sva_rs_pci_enable_pasid(struct device *dev)
{
	return -ENODEV;
}

void rust_helper_sva_rs_pci_disable_pasid(struct device *dev)
{
}

bool rust_helper_sva_rs_pci_pri_supported(struct device *dev)
{
	return false;
}

int rust_helper_sva_rs_pci_enable_pri(struct device *dev, u32 reqs)
{
	return -ENODEV;
}

void rust_helper_sva_rs_pci_disable_pri(struct device *dev)
{
}

bool rust_helper_sva_rs_pci_prg_resp_pasid_required(struct device *dev)
{
	return false;
}
#endif
