// SPDX-License-Identifier: GPL-2.0
/*
 * Platform-device and KUnit inlines for Rust. Part of iommu-sva-rs.
 */

#include <kunit/test.h>
#include <linux/irqflags.h>
#include <linux/platform_device.h>

const char *rust_helper_dev_name(const struct device *dev)
{
	return dev_name(dev);
}

void *rust_helper_platform_get_drvdata(const struct platform_device *pdev)
{
	return platform_get_drvdata(pdev);
}

void rust_helper_platform_set_drvdata(struct platform_device *pdev, void *data)
{
	platform_set_drvdata(pdev, data);
}

void rust_helper_kunit_set_failure(struct kunit *test)
{
	kunit_set_failure(test);
}

unsigned long rust_helper_sva_rs_local_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

void rust_helper_local_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}
