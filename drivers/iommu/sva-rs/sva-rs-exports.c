// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exports of the Rust SVA core (sva_rs.rs).
 *
 * The functions are defined in Rust with the prototypes of
 * include/linux/iommu.h; exporting them needs the C macro, so the exports
 * live here, next to the header that declares them. mm_pasid_drop() is
 * called by kernel/fork.c and, as in the C core, not exported.
 */

#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "sva_rs."

/*
 * sva_rs.inline_faults=0 sends every SVA page fault to the fault workqueue
 * instead of first trying to resolve it in the reporter's context; make
 * check uses it so both paths run. Read by glue/iopf.rs.
 */
bool sva_rs_inline_faults = true;
module_param_named(inline_faults, sva_rs_inline_faults, bool, 0644);

EXPORT_SYMBOL_GPL(iommu_dev_enable_feature);
EXPORT_SYMBOL_GPL(iommu_dev_disable_feature);

#ifdef CONFIG_IOMMU_SVA
EXPORT_SYMBOL_GPL(iommu_sva_bind_device);
EXPORT_SYMBOL_GPL(iommu_sva_unbind_device);
EXPORT_SYMBOL_GPL(iommu_sva_get_pasid);
#endif

#ifdef CONFIG_IOMMU_IOPF
EXPORT_SYMBOL_GPL(iopf_queue_alloc);
EXPORT_SYMBOL_GPL(iopf_queue_free);
EXPORT_SYMBOL_GPL(iopf_queue_add_device);
EXPORT_SYMBOL_GPL(iopf_queue_remove_device);
EXPORT_SYMBOL_GPL(iopf_queue_flush_dev);
EXPORT_SYMBOL_GPL(iopf_queue_discard_partial);
EXPORT_SYMBOL_GPL(iommu_report_device_fault);
EXPORT_SYMBOL_GPL(iopf_group_response);
EXPORT_SYMBOL_GPL(iopf_group_dequeue);
EXPORT_SYMBOL_GPL(iopf_free_group);
#endif
