// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU inlines and private declarations for Rust. Part of iommu-sva-rs.
 */

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/pci.h>
#include "../../drivers/iommu/dma-iommu.h"

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
