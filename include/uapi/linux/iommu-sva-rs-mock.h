/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test-only interface of the iommu-sva-rs mock IOMMU driver
 * (CONFIG_IOMMU_SVA_RS_MOCK), used by the SVA kselftests.
 *
 * /dev/iommu-sva-rs-mock drives a few software "mock devices" behind a mock
 * IOMMU that supports PASIDs, SVA and I/O page faults. Every structure has
 * a @flags field that must be zero; reserved fields must be zero. This is
 * not a stable ABI: it changes with the tests.
 */
#ifndef _UAPI_LINUX_IOMMU_SVA_RS_MOCK_H
#define _UAPI_LINUX_IOMMU_SVA_RS_MOCK_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMU_SVA_RS_MOCK_TYPE		0xB9
#define IOMMU_SVA_RS_MOCK_MAX_DEVS	8

/* Which SVA core the kernel was built with (info.core) */
#define IOMMU_SVA_RS_MOCK_CORE_C	0
#define IOMMU_SVA_RS_MOCK_CORE_RUST	1

/**
 * struct iommu_sva_rs_mock_info - IOMMU_SVA_RS_MOCK_INFO
 * @nr_devs: number of mock devices (indices 0..nr_devs-1)
 * @core: IOMMU_SVA_RS_MOCK_CORE_*
 * @pasid_bits: PASID width of each mock device
 */
struct iommu_sva_rs_mock_info {
	__u32 nr_devs;
	__u32 core;
	__u32 pasid_bits[IOMMU_SVA_RS_MOCK_MAX_DEVS];
};

/* Features (enum iommu_dev_features) */
#define IOMMU_SVA_RS_MOCK_FEAT_IOPF	1
#define IOMMU_SVA_RS_MOCK_FEAT_SVA	2

/**
 * struct iommu_sva_rs_mock_feature - IOMMU_SVA_RS_MOCK_{ENABLE,DISABLE}_FEATURE
 * @dev: mock device index
 * @feat: IOMMU_SVA_RS_MOCK_FEAT_*
 *
 * The ioctl returns what iommu_dev_{enable,disable}_feature() returned.
 */
struct iommu_sva_rs_mock_feature {
	__u32 dev;
	__u32 feat;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct iommu_sva_rs_mock_bind - IOMMU_SVA_RS_MOCK_BIND
 * @dev: mock device index
 * @handle: (out) bond handle, valid for this open file
 * @pasid: (out) PASID of the calling process's mm
 *
 * Binds the calling process's mm with iommu_sva_bind_device(); the ioctl
 * returns its error. Bonds left when the file is closed are unbound then.
 */
struct iommu_sva_rs_mock_bind {
	__u32 dev;
	__u32 flags;
	__u32 handle;
	__u32 pasid;
};

/**
 * struct iommu_sva_rs_mock_handle - IOMMU_SVA_RS_MOCK_UNBIND, _GET_PASID
 * @handle: a handle returned by IOMMU_SVA_RS_MOCK_BIND on this file
 * @pasid: (out, GET_PASID) iommu_sva_get_pasid()
 */
struct iommu_sva_rs_mock_handle {
	__u32 handle;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

/* Page request permissions (IOMMU_FAULT_PERM_*) */
#define IOMMU_SVA_RS_MOCK_PERM_READ	(1 << 0)
#define IOMMU_SVA_RS_MOCK_PERM_WRITE	(1 << 1)
#define IOMMU_SVA_RS_MOCK_PERM_EXEC	(1 << 2)
#define IOMMU_SVA_RS_MOCK_PERM_PRIV	(1 << 3)

/* Page request flags */
#define IOMMU_SVA_RS_MOCK_FAULT_LAST	(1 << 0)	/* last of its group */
#define IOMMU_SVA_RS_MOCK_FAULT_NO_PASID	(1 << 1)	/* no PASID prefix */

/* PRI page request group index: 9 bits */
#define IOMMU_SVA_RS_MOCK_MAX_GRPID	511

/**
 * struct iommu_sva_rs_mock_fault - IOMMU_SVA_RS_MOCK_INJECT_FAULT
 * @dev: mock device index (SVA must be enabled on it)
 * @pasid: PASID of the request, below the device's PASID limit
 * @addr: faulting address
 * @perm: IOMMU_SVA_RS_MOCK_PERM_*
 * @grpid: page request group index, at most IOMMU_SVA_RS_MOCK_MAX_GRPID
 * @flags: IOMMU_SVA_RS_MOCK_FAULT_*
 * @result: (out) what iommu_report_device_fault() returned
 */
struct iommu_sva_rs_mock_fault {
	__u32 dev;
	__u32 pasid;
	__u64 addr;
	__u32 perm;
	__u32 grpid;
	__u32 flags;
	__s32 result;
};

/* Page response codes (enum iommu_page_response_code) */
#define IOMMU_SVA_RS_MOCK_RESP_SUCCESS	0
#define IOMMU_SVA_RS_MOCK_RESP_INVALID	1
#define IOMMU_SVA_RS_MOCK_RESP_FAILURE	2

#define IOMMU_SVA_RS_MOCK_MAX_TIMEOUT_MS	10000

/**
 * struct iommu_sva_rs_mock_response - IOMMU_SVA_RS_MOCK_WAIT_RESPONSE
 * @dev: mock device index
 * @pasid: PASID of the group
 * @grpid: group index
 * @timeout_ms: how long to wait, at most IOMMU_SVA_RS_MOCK_MAX_TIMEOUT_MS
 * @code: (out) the response the core sent, IOMMU_SVA_RS_MOCK_RESP_*
 *
 * Waits for the page response of group (@pasid, @grpid) and consumes it:
 * each response is returned once. -ETIMEDOUT if none came in time.
 */
struct iommu_sva_rs_mock_response {
	__u32 dev;
	__u32 pasid;
	__u32 grpid;
	__u32 timeout_ms;
	__u32 flags;
	__u32 code;
};

/**
 * struct iommu_sva_rs_mock_dev_op - IOMMU_SVA_RS_MOCK_RESET_RESPONSES,
 *				     IOMMU_SVA_RS_MOCK_PASID_STATE,
 *				     IOMMU_SVA_RS_MOCK_DISCARD_PARTIAL
 * @dev: mock device index
 * @pasid: (PASID_STATE) the PASID to look up
 * @value: (out) RESET_RESPONSES: responses dropped;
 *	   PASID_STATE: 1 if a domain is set on @pasid of the mock device;
 *	   DISCARD_PARTIAL: 0 (the mock IOMMU's fault queue overflowed: every
 *	   partial page request of its devices is dropped, as a driver does
 *	   with iopf_queue_discard_partial())
 */
struct iommu_sva_rs_mock_dev_op {
	__u32 dev;
	__u32 flags;
	__u32 pasid;
	__u32 value;
};

#define IOMMU_SVA_RS_MOCK_INFO \
	_IOR(IOMMU_SVA_RS_MOCK_TYPE, 0x00, struct iommu_sva_rs_mock_info)
#define IOMMU_SVA_RS_MOCK_ENABLE_FEATURE \
	_IOW(IOMMU_SVA_RS_MOCK_TYPE, 0x01, struct iommu_sva_rs_mock_feature)
#define IOMMU_SVA_RS_MOCK_DISABLE_FEATURE \
	_IOW(IOMMU_SVA_RS_MOCK_TYPE, 0x02, struct iommu_sva_rs_mock_feature)
#define IOMMU_SVA_RS_MOCK_BIND \
	_IOWR(IOMMU_SVA_RS_MOCK_TYPE, 0x03, struct iommu_sva_rs_mock_bind)
#define IOMMU_SVA_RS_MOCK_UNBIND \
	_IOW(IOMMU_SVA_RS_MOCK_TYPE, 0x04, struct iommu_sva_rs_mock_handle)
#define IOMMU_SVA_RS_MOCK_GET_PASID \
	_IOWR(IOMMU_SVA_RS_MOCK_TYPE, 0x05, struct iommu_sva_rs_mock_handle)
#define IOMMU_SVA_RS_MOCK_INJECT_FAULT \
	_IOWR(IOMMU_SVA_RS_MOCK_TYPE, 0x06, struct iommu_sva_rs_mock_fault)
#define IOMMU_SVA_RS_MOCK_WAIT_RESPONSE \
	_IOWR(IOMMU_SVA_RS_MOCK_TYPE, 0x07, struct iommu_sva_rs_mock_response)
#define IOMMU_SVA_RS_MOCK_RESET_RESPONSES \
	_IOWR(IOMMU_SVA_RS_MOCK_TYPE, 0x08, struct iommu_sva_rs_mock_dev_op)
#define IOMMU_SVA_RS_MOCK_PASID_STATE \
	_IOWR(IOMMU_SVA_RS_MOCK_TYPE, 0x09, struct iommu_sva_rs_mock_dev_op)

#define IOMMU_SVA_RS_MOCK_DISCARD_PARTIAL \
	_IOWR(IOMMU_SVA_RS_MOCK_TYPE, 0x0a, struct iommu_sva_rs_mock_dev_op)

#endif /* _UAPI_LINUX_IOMMU_SVA_RS_MOCK_H */
