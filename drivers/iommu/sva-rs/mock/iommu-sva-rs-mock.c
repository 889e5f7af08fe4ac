// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only mock IOMMU for the SVA and I/O page fault kselftests.
 *
 * A mock IOMMU instance serves a few platform "mock devices", each with its
 * own PASID width. It supports SVA domains, records which PASIDs have a
 * domain set, takes page requests injected from user space through
 * /dev/iommu-sva-rs-mock and records the page responses of the SVA core so
 * the tests can read them back. The uapi is in
 * include/uapi/linux/iommu-sva-rs-mock.h.
 *
 * The feature rules mirror the 6.12 arm-smmu-v3 driver: IOPF must be
 * enabled before SVA, SVA enable adds the device to the IOPF queue, IOPF
 * cannot be disabled while SVA is enabled.
 *
 * Like a well-behaved driver, the mock drains the IOPF queue when a PASID is
 * removed, and serialises page request injection with bind, unbind and the
 * feature changes of its device (a device does not issue page requests for
 * a PASID that is being torn down).
 */

#define pr_fmt(fmt) "iommu-sva-rs-mock: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/iommu-sva-rs-mock.h>

/*
 * Devices 0..MOCK_NR_TEST_DEVS-1 belong to the kselftests (through the misc
 * device); the last one is left to in-kernel users such as the Rust SVA
 * client sample (samples/rust/rust_sva_client.rs), which finds it by name.
 */
#define MOCK_NR_TEST_DEVS	3
#define MOCK_NR_DEVS		(MOCK_NR_TEST_DEVS + 1)
#define MOCK_IOMMU_PASID_BITS	20
#define MOCK_NR_RESP		1024
#define MOCK_MAX_HANDLES	4096

static const u32 mock_pasid_bits[MOCK_NR_DEVS] = { 20, 20, 8, 20 };

struct mock_resp {
	u32 pasid;
	u32 grpid;
	u32 code;
	bool valid;
};

struct mock_dev {
	struct platform_device *pdev;
	unsigned int index;
	u32 pasid_bits;
	bool probed;

	/* Serialises features, bind, unbind and fault injection */
	struct mutex lock;
	bool iopf_enabled;
	bool sva_enabled;

	/* PASID -> SVA domain, as set by set_dev_pasid() */
	struct xarray pasids;

	/* Page responses, a ring; the oldest is overwritten when full */
	spinlock_t resp_lock;
	struct mock_resp resp[MOCK_NR_RESP];
	unsigned int resp_head;
	wait_queue_head_t resp_wq;
};

struct mock_iommu {
	struct platform_device *pdev;
	struct fwnode_handle *fwnode;
	struct iommu_device iommu;
	struct iopf_queue *iopf_queue;
	struct mock_dev devs[MOCK_NR_DEVS];
};

static struct mock_iommu *mock;

/* Per open file: handle id -> struct mock_bond */
struct mock_file {
	struct xarray bonds;
};

struct mock_bond {
	struct mock_dev *mdev;
	struct iommu_sva *sva;
};

static struct mock_dev *mock_dev_from_dev(struct device *dev)
{
	unsigned int i;

	if (!mock)
		return NULL;
	for (i = 0; i < MOCK_NR_DEVS; i++)
		if (mock->devs[i].pdev && &mock->devs[i].pdev->dev == dev)
			return &mock->devs[i];
	return NULL;
}

/* IOMMU driver */

static int mock_nop_attach(struct iommu_domain *domain, struct device *dev)
{
	return 0;
}

static const struct iommu_domain_ops mock_blocking_ops = {
	.attach_dev = mock_nop_attach,
};

static struct iommu_domain mock_blocking_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_blocking_ops,
};

static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_domain *old)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);

	if (WARN_ON(!mdev) || pasid >= BIT(mdev->pasid_bits))
		return -EINVAL;
	return xa_err(xa_store(&mdev->pasids, pasid, domain, GFP_KERNEL));
}

static void mock_sva_domain_free(struct iommu_domain *domain)
{
	kfree(domain);
}

static const struct iommu_domain_ops mock_sva_domain_ops = {
	.set_dev_pasid = mock_set_dev_pasid,
	.free = mock_sva_domain_free,
};

static struct iommu_domain *mock_domain_alloc_sva(struct device *dev,
						  struct mm_struct *mm)
{
	struct iommu_domain *domain;

	domain = kzalloc(sizeof(*domain), GFP_KERNEL);
	if (!domain)
		return ERR_PTR(-ENOMEM);
	domain->ops = &mock_sva_domain_ops;
	return domain;
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);

	if (WARN_ON(!mdev))
		return;
	xa_erase(&mdev->pasids, pasid);
	/*
	 * Drain the page requests already reported for this device, as a
	 * driver does when it tears down a PASID. -ENODEV: not on a queue.
	 */
	iopf_queue_flush_dev(dev);
}

static struct iommu_device *mock_probe_device(struct device *dev)
{
	struct mock_dev *mdev = mock_dev_from_dev(dev);

	if (!mdev)
		return ERR_PTR(-ENODEV);
	dev_iommu_priv_set(dev, mdev);
	return &mock->iommu;
}

static void mock_release_device(struct device *dev)
{
}

static int mock_dev_enable_feat(struct device *dev, enum iommu_dev_features f)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	int ret;

	if (!mdev)
		return -ENODEV;
	/* The test interface serialises its devices' feature changes */
	if (mdev->index < MOCK_NR_TEST_DEVS)
		lockdep_assert_held(&mdev->lock);

	switch (f) {
	case IOMMU_DEV_FEAT_IOPF:
		if (mdev->iopf_enabled)
			return -EBUSY;
		mdev->iopf_enabled = true;
		return 0;
	case IOMMU_DEV_FEAT_SVA:
		if (mdev->sva_enabled)
			return -EBUSY;
		/* Page requests need IOPF first, as on a stalling SMMUv3 */
		if (!mdev->iopf_enabled)
			return -EINVAL;
		ret = iopf_queue_add_device(mock->iopf_queue, dev);
		if (ret)
			return ret;
		mdev->sva_enabled = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static int mock_dev_disable_feat(struct device *dev, enum iommu_dev_features f)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);

	if (!mdev)
		return -ENODEV;
	/* The test interface serialises its devices' feature changes */
	if (mdev->index < MOCK_NR_TEST_DEVS)
		lockdep_assert_held(&mdev->lock);

	switch (f) {
	case IOMMU_DEV_FEAT_IOPF:
		if (!mdev->iopf_enabled)
			return -EINVAL;
		if (mdev->sva_enabled)
			return -EBUSY;
		mdev->iopf_enabled = false;
		return 0;
	case IOMMU_DEV_FEAT_SVA:
		if (!mdev->sva_enabled)
			return -EINVAL;
		iopf_queue_remove_device(mock->iopf_queue, dev);
		mdev->sva_enabled = false;
		return 0;
	default:
		return -EINVAL;
	}
}

static void mock_page_response(struct device *dev, struct iopf_fault *evt,
			       struct iommu_page_response *msg)
{
	struct mock_dev *mdev = dev_iommu_priv_get(dev);
	struct mock_resp *r;
	unsigned long flags;

	if (WARN_ON(!mdev))
		return;
	spin_lock_irqsave(&mdev->resp_lock, flags);
	r = &mdev->resp[mdev->resp_head];
	mdev->resp_head = (mdev->resp_head + 1) % MOCK_NR_RESP;
	r->pasid = msg->pasid;
	r->grpid = msg->grpid;
	r->code = msg->code;
	r->valid = true;
	spin_unlock_irqrestore(&mdev->resp_lock, flags);
	wake_up_all(&mdev->resp_wq);
}

static const struct iommu_ops mock_ops = {
	.default_domain = &mock_blocking_domain,
	.blocked_domain = &mock_blocking_domain,
	.owner = THIS_MODULE,
	.pgsize_bitmap = PAGE_SIZE,
	.device_group = generic_device_group,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.domain_alloc_sva = mock_domain_alloc_sva,
	.remove_dev_pasid = mock_remove_dev_pasid,
	.dev_enable_feat = mock_dev_enable_feat,
	.dev_disable_feat = mock_dev_disable_feat,
	.page_response = mock_page_response,
	.default_domain_ops = &mock_blocking_ops,
};

/* Test interface */

static struct mock_dev *mock_get_dev(u32 index)
{
	if (index >= MOCK_NR_TEST_DEVS || !mock->devs[index].probed)
		return NULL;
	return &mock->devs[index];
}

static int mock_ioctl_info(void __user *uarg)
{
	struct iommu_sva_rs_mock_info info = {
		.nr_devs = MOCK_NR_TEST_DEVS,
		.core = IS_ENABLED(CONFIG_IOMMU_SVA_RUST) ?
			IOMMU_SVA_RS_MOCK_CORE_RUST : IOMMU_SVA_RS_MOCK_CORE_C,
	};
	unsigned int i;

	BUILD_BUG_ON(MOCK_NR_TEST_DEVS > IOMMU_SVA_RS_MOCK_MAX_DEVS);
	for (i = 0; i < MOCK_NR_TEST_DEVS; i++)
		info.pasid_bits[i] = mock->devs[i].pasid_bits;
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int mock_ioctl_feature(void __user *uarg, bool enable)
{
	struct iommu_sva_rs_mock_feature arg;
	enum iommu_dev_features feat;
	struct mock_dev *mdev;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.__reserved)
		return -EINVAL;
	mdev = mock_get_dev(arg.dev);
	if (!mdev)
		return -EINVAL;
	switch (arg.feat) {
	case IOMMU_SVA_RS_MOCK_FEAT_IOPF:
		feat = IOMMU_DEV_FEAT_IOPF;
		break;
	case IOMMU_SVA_RS_MOCK_FEAT_SVA:
		feat = IOMMU_DEV_FEAT_SVA;
		break;
	default:
		return -EINVAL;
	}

	mutex_lock(&mdev->lock);
	if (enable)
		ret = iommu_dev_enable_feature(&mdev->pdev->dev, feat);
	else
		ret = iommu_dev_disable_feature(&mdev->pdev->dev, feat);
	mutex_unlock(&mdev->lock);
	return ret;
}

static int mock_ioctl_bind(struct mock_file *mf, void __user *uarg)
{
	struct iommu_sva_rs_mock_bind arg;
	struct mock_bond *bond;
	struct mock_dev *mdev;
	struct iommu_sva *sva;
	u32 id;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;
	mdev = mock_get_dev(arg.dev);
	if (!mdev)
		return -EINVAL;

	bond = kzalloc(sizeof(*bond), GFP_KERNEL);
	if (!bond)
		return -ENOMEM;
	bond->mdev = mdev;
	ret = xa_alloc(&mf->bonds, &id, NULL,
		       XA_LIMIT(1, MOCK_MAX_HANDLES), GFP_KERNEL);
	if (ret)
		goto err_free;

	mutex_lock(&mdev->lock);
	sva = iommu_sva_bind_device(&mdev->pdev->dev, current->mm);
	mutex_unlock(&mdev->lock);
	if (IS_ERR(sva)) {
		ret = PTR_ERR(sva);
		goto err_erase;
	}
	bond->sva = sva;

	arg.handle = id;
	arg.pasid = iommu_sva_get_pasid(sva);
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto err_unbind;
	}
	xa_store(&mf->bonds, id, bond, GFP_KERNEL);
	return 0;

err_unbind:
	mutex_lock(&mdev->lock);
	iommu_sva_unbind_device(sva);
	mutex_unlock(&mdev->lock);
err_erase:
	xa_erase(&mf->bonds, id);
err_free:
	kfree(bond);
	return ret;
}

static void mock_unbind(struct mock_bond *bond)
{
	mutex_lock(&bond->mdev->lock);
	iommu_sva_unbind_device(bond->sva);
	mutex_unlock(&bond->mdev->lock);
	kfree(bond);
}

static int mock_ioctl_handle(struct mock_file *mf, void __user *uarg,
			     bool unbind)
{
	struct iommu_sva_rs_mock_handle arg;
	struct mock_bond *bond;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.__reserved || !arg.handle)
		return -EINVAL;

	if (unbind) {
		bond = xa_erase(&mf->bonds, arg.handle);
		if (!bond)
			return -EINVAL;
		mock_unbind(bond);
		return 0;
	}

	xa_lock(&mf->bonds);
	bond = xa_load(&mf->bonds, arg.handle);
	if (bond)
		arg.pasid = iommu_sva_get_pasid(bond->sva);
	xa_unlock(&mf->bonds);
	if (!bond)
		return -EINVAL;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static int mock_ioctl_inject(void __user *uarg)
{
	const u32 perms = IOMMU_SVA_RS_MOCK_PERM_READ |
			  IOMMU_SVA_RS_MOCK_PERM_WRITE |
			  IOMMU_SVA_RS_MOCK_PERM_EXEC |
			  IOMMU_SVA_RS_MOCK_PERM_PRIV;
	const u32 flags = IOMMU_SVA_RS_MOCK_FAULT_LAST |
			  IOMMU_SVA_RS_MOCK_FAULT_NO_PASID;
	struct iommu_sva_rs_mock_fault arg;
	struct iopf_fault evt = {};
	struct iommu_fault_page_request *prm = &evt.fault.prm;
	struct mock_dev *mdev;
	int ret = 0;

	BUILD_BUG_ON(IOMMU_SVA_RS_MOCK_PERM_READ != IOMMU_FAULT_PERM_READ ||
		     IOMMU_SVA_RS_MOCK_PERM_WRITE != IOMMU_FAULT_PERM_WRITE ||
		     IOMMU_SVA_RS_MOCK_PERM_EXEC != IOMMU_FAULT_PERM_EXEC ||
		     IOMMU_SVA_RS_MOCK_PERM_PRIV != IOMMU_FAULT_PERM_PRIV);

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.perm & ~perms) || (arg.flags & ~flags) || arg.result ||
	    arg.grpid > IOMMU_SVA_RS_MOCK_MAX_GRPID)
		return -EINVAL;
	mdev = mock_get_dev(arg.dev);
	if (!mdev)
		return -EINVAL;
	if (arg.flags & IOMMU_SVA_RS_MOCK_FAULT_NO_PASID) {
		if (arg.pasid)
			return -EINVAL;
	} else if (arg.pasid >= BIT(mdev->pasid_bits)) {
		return -EINVAL;
	}

	evt.fault.type = IOMMU_FAULT_PAGE_REQ;
	prm->flags = IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID;
	if (!(arg.flags & IOMMU_SVA_RS_MOCK_FAULT_NO_PASID))
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
	if (arg.flags & IOMMU_SVA_RS_MOCK_FAULT_LAST)
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	prm->pasid = arg.pasid;
	prm->grpid = arg.grpid;
	prm->perm = arg.perm;
	prm->addr = arg.addr;

	/*
	 * A device only sends page requests once it is on an IOPF queue: the
	 * core warns about a fault-capable PASID without fault parameters.
	 */
	mutex_lock(&mdev->lock);
	if (mdev->sva_enabled)
		arg.result = iommu_report_device_fault(&mdev->pdev->dev, &evt);
	else
		ret = -ENODEV;
	mutex_unlock(&mdev->lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* Find and consume the oldest response of (pasid, grpid) */
static bool mock_take_response(struct mock_dev *mdev, u32 pasid, u32 grpid,
			       u32 *code)
{
	unsigned long flags;
	unsigned int i;
	bool found = false;

	spin_lock_irqsave(&mdev->resp_lock, flags);
	for (i = 0; i < MOCK_NR_RESP; i++) {
		struct mock_resp *r =
			&mdev->resp[(mdev->resp_head + i) % MOCK_NR_RESP];

		if (r->valid && r->pasid == pasid && r->grpid == grpid) {
			r->valid = false;
			*code = r->code;
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&mdev->resp_lock, flags);
	return found;
}

static int mock_ioctl_wait_response(void __user *uarg)
{
	struct iommu_sva_rs_mock_response arg;
	struct mock_dev *mdev;
	long left;
	u32 code = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.code ||
	    arg.timeout_ms > IOMMU_SVA_RS_MOCK_MAX_TIMEOUT_MS)
		return -EINVAL;
	mdev = mock_get_dev(arg.dev);
	if (!mdev)
		return -EINVAL;

	left = wait_event_interruptible_timeout(mdev->resp_wq,
			mock_take_response(mdev, arg.pasid, arg.grpid, &code),
			msecs_to_jiffies(arg.timeout_ms));
	if (left < 0)
		return left;
	if (!left && !mock_take_response(mdev, arg.pasid, arg.grpid, &code))
		return -ETIMEDOUT;
	arg.code = code;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static int mock_ioctl_dev_op(void __user *uarg, unsigned int cmd)
{
	struct iommu_sva_rs_mock_dev_op arg;
	struct mock_dev *mdev;
	unsigned long flags;
	unsigned int i;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.value)
		return -EINVAL;
	mdev = mock_get_dev(arg.dev);
	if (!mdev)
		return -EINVAL;

	if (cmd == IOMMU_SVA_RS_MOCK_DISCARD_PARTIAL) {
		if (arg.pasid)
			return -EINVAL;
		/* A queue overflow: no request of this device is in flight */
		mutex_lock(&mdev->lock);
		ret = iopf_queue_discard_partial(mock->iopf_queue);
		mutex_unlock(&mdev->lock);
		if (ret)
			return ret;
	} else if (cmd == IOMMU_SVA_RS_MOCK_RESET_RESPONSES) {
		if (arg.pasid)
			return -EINVAL;
		spin_lock_irqsave(&mdev->resp_lock, flags);
		for (i = 0; i < MOCK_NR_RESP; i++) {
			arg.value += mdev->resp[i].valid;
			mdev->resp[i].valid = false;
		}
		spin_unlock_irqrestore(&mdev->resp_lock, flags);
	} else {
		if (arg.pasid >= BIT(mdev->pasid_bits))
			return -EINVAL;
		arg.value = !!xa_load(&mdev->pasids, arg.pasid);
	}
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static long mock_fops_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct mock_file *mf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IOMMU_SVA_RS_MOCK_INFO:
		return mock_ioctl_info(uarg);
	case IOMMU_SVA_RS_MOCK_ENABLE_FEATURE:
		return mock_ioctl_feature(uarg, true);
	case IOMMU_SVA_RS_MOCK_DISABLE_FEATURE:
		return mock_ioctl_feature(uarg, false);
	case IOMMU_SVA_RS_MOCK_BIND:
		return mock_ioctl_bind(mf, uarg);
	case IOMMU_SVA_RS_MOCK_UNBIND:
		return mock_ioctl_handle(mf, uarg, true);
	case IOMMU_SVA_RS_MOCK_GET_PASID:
		return mock_ioctl_handle(mf, uarg, false);
	case IOMMU_SVA_RS_MOCK_INJECT_FAULT:
		return mock_ioctl_inject(uarg);
	case IOMMU_SVA_RS_MOCK_WAIT_RESPONSE:
		return mock_ioctl_wait_response(uarg);
	case IOMMU_SVA_RS_MOCK_RESET_RESPONSES:
	case IOMMU_SVA_RS_MOCK_PASID_STATE:
	case IOMMU_SVA_RS_MOCK_DISCARD_PARTIAL:
		return mock_ioctl_dev_op(uarg, cmd);
	default:
		return -ENOTTY;
	}
}

static int mock_fops_open(struct inode *inode, struct file *file)
{
	struct mock_file *mf;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	xa_init_flags(&mf->bonds, XA_FLAGS_ALLOC1);
	file->private_data = mf;
	return 0;
}

static int mock_fops_release(struct inode *inode, struct file *file)
{
	struct mock_file *mf = file->private_data;
	struct mock_bond *bond;
	unsigned long id;

	/* Bonds left behind, e.g. by a process that exited without unbind */
	xa_for_each(&mf->bonds, id, bond) {
		xa_erase(&mf->bonds, id);
		if (bond)
			mock_unbind(bond);
	}
	xa_destroy(&mf->bonds);
	kfree(mf);
	return 0;
}

static const struct file_operations mock_fops = {
	.owner = THIS_MODULE,
	.open = mock_fops_open,
	.release = mock_fops_release,
	.unlocked_ioctl = mock_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mock_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu-sva-rs-mock",
	.fops = &mock_fops,
	.mode = 0600,
};

/* Setup */

static int mock_add_device(struct mock_dev *mdev)
{
	struct property_entry props[] = {
		PROPERTY_ENTRY_U32("pasid-num-bits", mdev->pasid_bits),
		{ }
	};
	struct platform_device_info info = {
		.parent = &mock->pdev->dev,
		.name = "iommu-sva-rs-mock-dev",
		.id = mdev->index,
		.properties = props,
	};
	struct device *dev;
	int ret;

	mdev->pdev = platform_device_register_full(&info);
	if (IS_ERR(mdev->pdev)) {
		ret = PTR_ERR(mdev->pdev);
		mdev->pdev = NULL;
		return ret;
	}
	dev = &mdev->pdev->dev;

	mutex_lock(&iommu_probe_device_lock);
	ret = iommu_fwspec_init(dev, mock->fwnode);
	mutex_unlock(&iommu_probe_device_lock);
	if (!ret)
		ret = iommu_probe_device(dev);
	if (ret)
		return ret;
	if (dev->iommu->max_pasids != BIT(mdev->pasid_bits)) {
		dev_err(dev, "PASID limit %u, expected %lu\n",
			dev->iommu->max_pasids, BIT(mdev->pasid_bits));
		return -EINVAL;
	}
	mdev->probed = true;
	return 0;
}

static int __init iommu_sva_rs_mock_init(void)
{
	unsigned int i;
	int ret;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return -ENOMEM;
	for (i = 0; i < MOCK_NR_DEVS; i++) {
		struct mock_dev *mdev = &mock->devs[i];

		mdev->index = i;
		mdev->pasid_bits = mock_pasid_bits[i];
		mutex_init(&mdev->lock);
		xa_init(&mdev->pasids);
		spin_lock_init(&mdev->resp_lock);
		init_waitqueue_head(&mdev->resp_wq);
	}

	mock->pdev = platform_device_register_simple("iommu-sva-rs-mock", -1,
						     NULL, 0);
	if (IS_ERR(mock->pdev)) {
		ret = PTR_ERR(mock->pdev);
		goto err_free;
	}
	mock->fwnode = fwnode_create_software_node(NULL, NULL);
	if (IS_ERR(mock->fwnode)) {
		ret = PTR_ERR(mock->fwnode);
		goto err_pdev;
	}
	mock->iopf_queue = iopf_queue_alloc("iommu-sva-rs-mock");
	if (!mock->iopf_queue) {
		ret = -ENOMEM;
		goto err_fwnode;
	}

	ret = iommu_device_sysfs_add(&mock->iommu, &mock->pdev->dev, NULL,
				     "sva-rs-mock");
	if (ret)
		goto err_iopf;
	/* Non-NULL fwnode: only devices with our fwspec are probed by us */
	mock->iommu.fwnode = mock->fwnode;
	mock->iommu.max_pasids = BIT(MOCK_IOMMU_PASID_BITS);
	ret = iommu_device_register(&mock->iommu, &mock_ops, NULL);
	if (ret)
		goto err_sysfs;

	for (i = 0; i < MOCK_NR_DEVS; i++) {
		ret = mock_add_device(&mock->devs[i]);
		if (ret)
			pr_err("mock device %u: %d\n", i, ret);
	}

	/*
	 * Built-in only: once registered, the IOMMU and its devices stay, even
	 * if the misc device cannot be registered.
	 */
	ret = misc_register(&mock_misc);
	if (ret)
		return ret;
	pr_info("%u mock devices, PASID bits %u/%u/%u/%u\n", MOCK_NR_DEVS,
		mock_pasid_bits[0], mock_pasid_bits[1], mock_pasid_bits[2],
		mock_pasid_bits[3]);
	return 0;

err_sysfs:
	iommu_device_sysfs_remove(&mock->iommu);
err_iopf:
	iopf_queue_free(mock->iopf_queue);
err_fwnode:
	fwnode_remove_software_node(mock->fwnode);
err_pdev:
	platform_device_unregister(mock->pdev);
err_free:
	kfree(mock);
	mock = NULL;
	return ret;
}
device_initcall(iommu_sva_rs_mock_init);
