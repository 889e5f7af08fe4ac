/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test devices behind the software SMMUv3 model of the iommu-sva-rs Rust
 * driver (CONFIG_ARM_SMMU_V3_RUST_SVA_TEST).
 *
 * Each test device is a DMA engine with its own StreamID behind the model
 * SMMU. It reaches a process's memory only through a PASID bound to that
 * process's mm (Shared Virtual Addressing): every transfer is translated by
 * the model through the stream table, PASID table and CPU page tables the
 * driver programmed. A page that is not present makes the device wait for
 * the kernel to resolve the fault (through a PRI page request or a stalled
 * transaction, depending on the device), then retry.
 *
 * Device nodes: /dev/smmu-sva-test.<N>. Each open file holds at most one
 * bond (of the opener's mm).
 */
#ifndef _UAPI_LINUX_SMMU_SVA_TEST_H
#define _UAPI_LINUX_SMMU_SVA_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* How the device waits for I/O page faults to be resolved. */
#define SMMU_SVA_TEST_FAULT_PRI		1	/* PCIe-style page requests */
#define SMMU_SVA_TEST_FAULT_STALL	2	/* stalled transactions */

/**
 * struct smmu_sva_test_info - what the device is (SMMU_SVA_TEST_IOC_INFO)
 * @size: in: sizeof(struct smmu_sva_test_info)
 * @sid: the device's StreamID
 * @pasid_bits: PASID width of the device (after the SMMU's limit)
 * @fault_mode: SMMU_SVA_TEST_FAULT_PRI or SMMU_SVA_TEST_FAULT_STALL
 * @features: IOMMU features currently enabled (SMMU_SVA_TEST_FEAT_*), and
 *	SMMU_SVA_TEST_CAP_ATS if the device translates through ATS
 * @bonds: bonds currently held through this device (all files)
 */
struct smmu_sva_test_info {
	__u32 size;
	__u32 sid;
	__u32 pasid_bits;
	__u32 fault_mode;
	__u32 features;
	__u32 bonds;
};

#define SMMU_SVA_TEST_FEAT_IOPF		(1 << 0)
#define SMMU_SVA_TEST_FEAT_SVA		(1 << 1)
/*
 * The device asks the SMMU for translations (ATS) and caches them in its
 * own ATC; on a fault it sends a page request. The kernel must invalidate
 * the ATC (CMD_ATC_INV) whenever it invalidates the SMMU's TLB.
 */
#define SMMU_SVA_TEST_CAP_ATS		(1 << 8)
/*
 * The SMMU behind the device takes part in the CPUs' broadcast TLB
 * maintenance (BTM): the CPUs' TLB invalidations of a bound process reach
 * the SMMU's TLB, so the driver may share the process's CPU ASID and send
 * no TLB invalidation commands of its own for it. ATCs are still the
 * driver's to invalidate.
 */
#define SMMU_SVA_TEST_CAP_BTM		(1 << 9)

/* DMA operations (struct smmu_sva_test_dma.op). */
#define SMMU_SVA_TEST_DMA_FILL		1	/* write @pattern over [addr, addr + len) */
#define SMMU_SVA_TEST_DMA_CHECK		2	/* read, compare with @pattern */
#define SMMU_SVA_TEST_DMA_COPY		3	/* read [src, src + len), write to addr */

/* DMA flags. */
/* use @pasid instead of the file's bond (CAP_SYS_ADMIN) */
#define SMMU_SVA_TEST_DMA_PASID		(1 << 0)
/*
 * Do not wait for faults: the job ends with -EFAULT at the first one. A PRI
 * device then issues its transactions without PRI, so the SMMU terminates
 * (and records) the fault and the kernel never sees a page request. A
 * stalling device cannot avoid the stall: the kernel still resolves it,
 * but the job does not wait for that.
 */
#define SMMU_SVA_TEST_DMA_NOFAULT	(1 << 1)

/**
 * struct smmu_sva_test_dma - one DMA job (SMMU_SVA_TEST_IOC_DMA)
 * @size: in: sizeof(struct smmu_sva_test_dma)
 * @op: in: SMMU_SVA_TEST_DMA_*
 * @flags: in: SMMU_SVA_TEST_DMA_PASID, SMMU_SVA_TEST_DMA_NOFAULT
 * @pasid: in: the PASID with SMMU_SVA_TEST_DMA_PASID
 * @addr: in: destination (FILL, COPY) or source (CHECK) virtual address
 * @src: in: source virtual address (COPY)
 * @len: in: bytes, at most SMMU_SVA_TEST_DMA_MAX
 * @pattern: in: FILL and CHECK: byte i of the range holds
 *	(pattern >> (8 * (i % 8))) & 0xff, i counted from @addr
 * @done: out: bytes transferred (FILL, COPY) or found equal (CHECK) before
 *	the job ended
 * @result: out: 0 on success, otherwise a negative errno describing what
 *	the device saw: -EFAULT (translation fault the kernel could not
 *	resolve: unmapped, or access not permitted), -EIO (the SMMU
 *	aborted the transaction for another reason), -ENOENT (the PASID
 *	has no context: not bound), -EILSEQ (CHECK found a difference at
 *	addr + done), -ETIMEDOUT (no answer to a fault in time), -EINTR
 *	(a signal ended the job), -ENOENT also when an unbind of this file's
 *	bond stopped the job
 * @faults: out: page requests or stalls the job waited for
 * @reserved: must be zero
 *
 * The ioctl itself returns 0 whenever it ran the job (the outcome is in
 * @result); it fails only for malformed requests (-EINVAL), a missing
 * bond (-ENOENT), missing privileges (-EPERM), an unreadable or unwritable
 * argument (-EFAULT) or lack of memory (-ENOMEM).
 *
 * SMMU_SVA_TEST_IOC_UNBIND stops the file's running jobs (they end with
 * -ENOENT) and waits for them before unbinding: once it returns, the
 * device no longer uses the PASID.
 */
struct smmu_sva_test_dma {
	__u32 size;
	__u32 op;
	__u32 flags;
	__u32 pasid;
	__u64 addr;
	__u64 src;
	__u64 len;
	__u64 pattern;
	__u64 done;
	__s32 result;
	__u32 faults;
	__u64 reserved;
};

#define SMMU_SVA_TEST_DMA_MAX		(16 << 20)

/**
 * struct smmu_sva_test_stats - the model SMMU's counters (SMMU_SVA_TEST_IOC_STATS)
 * @size: in: sizeof(struct smmu_sva_test_stats)
 * @reserved: in: must be zero
 * @tlb_entries: translations currently cached in the model's TLB
 * @tlbi_commands: TLB invalidation commands the model has executed
 * @page_requests: page requests the model has sent
 * @stalls: transactions the model has stalled
 * @events: event records the model has written
 * @commands: commands the model has executed
 * @atc_entries: translations currently cached in the devices' ATCs
 * @atc_inv_commands: ATC invalidation commands the model has executed
 * @ats_requests: ATS translation requests the model has answered
 * @broadcast_tlbis: CPU broadcast TLB invalidations the model has applied
 *	(SMMU_SVA_TEST_CAP_BTM)
 */
struct smmu_sva_test_stats {
	__u32 size;
	__u32 reserved;
	__u64 tlb_entries;
	__u64 tlbi_commands;
	__u64 page_requests;
	__u64 stalls;
	__u64 events;
	__u64 commands;
	__u64 atc_entries;
	__u64 atc_inv_commands;
	__u64 ats_requests;
	__u64 broadcast_tlbis;
};

#define SMMU_SVA_TEST_IOC_MAGIC		0xb6

/* Describe the device. */
#define SMMU_SVA_TEST_IOC_INFO		_IOWR(SMMU_SVA_TEST_IOC_MAGIC, 0x00, struct smmu_sva_test_info)
/* iommu_dev_enable_feature(IOPF), then (SVA). */
#define SMMU_SVA_TEST_IOC_ENABLE	_IO(SMMU_SVA_TEST_IOC_MAGIC, 0x01)
/* iommu_dev_disable_feature(SVA), then (IOPF). -EBUSY while bonds exist. */
#define SMMU_SVA_TEST_IOC_DISABLE	_IO(SMMU_SVA_TEST_IOC_MAGIC, 0x02)
/* Bind the caller's mm; returns its PASID through the __u32 argument. */
#define SMMU_SVA_TEST_IOC_BIND		_IOR(SMMU_SVA_TEST_IOC_MAGIC, 0x03, __u32)
/* Drop this file's bond. */
#define SMMU_SVA_TEST_IOC_UNBIND	_IO(SMMU_SVA_TEST_IOC_MAGIC, 0x04)
/* The PASID of this file's bond. */
#define SMMU_SVA_TEST_IOC_PASID		_IOR(SMMU_SVA_TEST_IOC_MAGIC, 0x05, __u32)
/* Run one DMA job. */
#define SMMU_SVA_TEST_IOC_DMA		_IOWR(SMMU_SVA_TEST_IOC_MAGIC, 0x06, struct smmu_sva_test_dma)
/*
 * Hold the given number of extra global PASIDs until the file is closed
 * (CAP_SYS_ADMIN), so that the next mm bound gets a large PASID.
 */
#define SMMU_SVA_TEST_IOC_HOLD_PASIDS	_IOW(SMMU_SVA_TEST_IOC_MAGIC, 0x07, __u32)
/* Read the model's counters. */
#define SMMU_SVA_TEST_IOC_STATS		_IOWR(SMMU_SVA_TEST_IOC_MAGIC, 0x08, struct smmu_sva_test_stats)

#endif /* _UAPI_LINUX_SMMU_SVA_TEST_H */
