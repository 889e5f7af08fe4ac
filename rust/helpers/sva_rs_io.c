// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO accessors for Rust: the arm64 accessors are macros and inlines.
 * Part of iommu-sva-rs.
 */

#include <linux/io.h>

void __iomem *rust_helper_ioremap(phys_addr_t offset, size_t size)
{
	return ioremap(offset, size);
}

void rust_helper_iounmap(void __iomem *addr)
{
	iounmap(addr);
}

u32 rust_helper_readl(const void __iomem *addr)
{
	return readl(addr);
}

u32 rust_helper_readl_relaxed(const void __iomem *addr)
{
	return readl_relaxed(addr);
}

void rust_helper_writel(u32 value, void __iomem *addr)
{
	writel(value, addr);
}

void rust_helper_writel_relaxed(u32 value, void __iomem *addr)
{
	writel_relaxed(value, addr);
}

u64 rust_helper_readq(const void __iomem *addr)
{
	return readq(addr);
}

u64 rust_helper_readq_relaxed(const void __iomem *addr)
{
	return readq_relaxed(addr);
}

void rust_helper_writeq(u64 value, void __iomem *addr)
{
	writeq(value, addr);
}

void rust_helper_writeq_relaxed(u64 value, void __iomem *addr)
{
	writeq_relaxed(value, addr);
}

void rust_helper_dma_wmb(void)
{
	dma_wmb();
}
