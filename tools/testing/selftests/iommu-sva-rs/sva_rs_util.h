/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the iommu-sva-rs kselftests: PCI devices in sysfs,
 * driver binding, IOMMU groups, the QEMU "edu" DMA engine, reproducible
 * test patterns, and SMMUv3 fault events read back from /dev/kmsg.
 *
 * Everything here is driver-agnostic: the tests must give the same verdict
 * with the upstream C SMMUv3 driver and with the Rust one.
 */
#ifndef SVA_RS_UTIL_H
#define SVA_RS_UTIL_H

/* Include after kselftest_harness.h (ARRAY_SIZE, _GNU_SOURCE). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCI_DEVICES "/sys/bus/pci/devices"

/* QEMU's educational PCI device, docs/specs/edu.rst. */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_BAR_SIZE		(1u << 20)
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2
/*
 * The device's own 4 KiB DMA buffer, addressed as 0x40000 in src/dst.
 * QEMU 7.2's range check is off by one (a transfer may not end at the last
 * byte) and aborts QEMU when it fails: use the first 4095 bytes only.
 */
#define EDU_BUF			0x40000ull
#define EDU_BUF_SIZE		4096u
#define EDU_BUF_USABLE		(EDU_BUF_SIZE - 1)

#define PCI_COMMAND_REG		0x04
#define PCI_CMD_MEMORY		0x2
#define PCI_CMD_MASTER		0x4

/* SMMUv3 event numbers (SMMUv3 spec, 7.3 Event records). */
#define EVT_F_TRANSLATION	0x10
#define EVT_F_ADDR_SIZE		0x11
#define EVT_F_ACCESS		0x12
#define EVT_F_PERMISSION	0x13

static inline size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Reads a small text file; strips the trailing newline. */
static inline int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return (int)n;
}

/* Writes @s to a sysfs attribute; returns 0 or -errno. */
static inline int write_text(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	if (n < 0)
		return -errno;
	return 0;
}

/* Copies @src into @dst (@len bytes), truncating. */
static inline void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static inline unsigned long read_hex(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return ~0ul;
	return strtoul(buf, NULL, 16);
}

/*
 * Finds the first PCI device with @vendor:@device (@device < 0: any device
 * of the vendor with PCI class @class, when @class >= 0). Returns 0 and the
 * address ("0000:00:03.0") in @bdf, or -1.
 */
static inline int pci_find(int vendor, int device, long class, char *bdf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(PCI_DEVICES);
	int ret = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", de->d_name);
		if ((int)read_hex(path) != vendor)
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", de->d_name);
		if (device >= 0 && (int)read_hex(path) != device)
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/class", de->d_name);
		if (class >= 0 && (long)read_hex(path) != class)
			continue;
		copy_str(bdf, len, de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* Whether "NAME=VALUE" is one of the space-separated fields of @line */
static inline bool has_field(const char *line, const char *field)
{
	size_t n = strlen(field);

	for (const char *p = strstr(line, field); p; p = strstr(p + 1, field))
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

/* The whole of file @path (NUL-terminated, to free()), or NULL and -errno in @err */
static inline char *read_all(const char *path, int *err)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	*err = fd < 0 ? -errno : 0;
	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (cap - len < 4096) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				goto fail;
			buf = b;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			*err = -errno;
			goto fail;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	if (!*err)
		*err = -ENOMEM;
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* The SMMU StreamID of a PCI function on QEMU virt: its requester ID. */
static inline int pci_sid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -1;
	return (int)(bus << 8 | dev << 3 | fn);
}

/* Name of the driver bound to @bdf, or "" when none. */
static inline void pci_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		drv[0] = '\0';
		return;
	}
	target[n] = '\0';
	copy_str(drv, len, strrchr(target, '/') + 1);
}

/* Unbinds @bdf from its driver, if any; waits until it is gone. */
static inline int pci_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[128];
	int ret;

	pci_driver(bdf, drv, sizeof(drv));
	if (!drv[0])
		return 0;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	ret = write_text(path, bdf);
	if (ret)
		return ret;
	pci_driver(bdf, drv, sizeof(drv));
	return drv[0] ? -EBUSY : 0;
}

/*
 * Binds @bdf to @driver through driver_override (works for drivers without
 * an ID table for the device, such as pci-stub, vfio-pci, dma_map_benchmark).
 * @driver NULL: clear the override and let the default driver (if any)
 * probe. Returns 0 or -errno.
 */
static inline int pci_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], drv[128];
	int ret;

	ret = pci_unbind(bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ret = write_text(path, driver ? driver : "\n");
	if (ret)
		return ret;
	/* drivers_probe fails with -EINVAL or so when no driver matches. */
	write_text("/sys/bus/pci/drivers_probe", bdf);
	pci_driver(bdf, drv, sizeof(drv));
	if (driver && strcmp(drv, driver))
		return -ENODEV;
	return 0;
}

/* IOMMU group number of @bdf, or -1 when it is in none. */
static inline int pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return atoi(strrchr(target, '/') + 1);
}

/*
 * Default domain type of the group of @bdf ("DMA", "DMA-FQ", "identity",
 * ...), or "" when the device is in no IOMMU group.
 */
static inline void pci_domain_type(const char *bdf, char *type, size_t len)
{
	char path[PATH_MAX];
	int group = pci_iommu_group(bdf);

	type[0] = '\0';
	if (group < 0)
		return;
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	if (read_text(path, type, len) < 0)
		type[0] = '\0';
}

/* Reads/writes the PCI command register through the sysfs config file. */
/*
 * Reads/writes @len bytes at @off of the configuration space of @bdf
 * through its sysfs config file: 0, or -errno (-EIO for a short access,
 * e.g. past the 256 bytes of a function without extended space).
 */
static inline int pci_cfg_rw(const char *bdf, unsigned int off, void *buf, size_t len,
			     bool write)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, write ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static inline int pci_cfg_rw16(const char *bdf, unsigned int off, uint16_t *val, bool write)
{
	return pci_cfg_rw(bdf, off, val, 2, write);
}

/*
 * Name of the whole-disk block device ("vda", "nvme0n1") that belongs to
 * PCI function @bdf, waiting up to @timeout_ms for it and its /dev node to
 * appear. Returns 0 or -1.
 */
static inline int pci_block_device(const char *bdf, char *name, size_t len, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char path[PATH_MAX], target[PATH_MAX], pat[64];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(pat, sizeof(pat), "/%s/", bdf);
	for (;;) {
		d = opendir("/sys/block");
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/sys/block/%s", de->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			if (!strstr(target, pat))
				continue;
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			if (access(path, F_OK))
				continue;
			copy_str(name, len, de->d_name);
			closedir(d);
			return 0;
		}
		if (d)
			closedir(d);
		if (now_ms() > deadline)
			return -1;
		sleep_ms(20);
	}
}

/*
 * Interrupts delivered so far to the MSI/MSI-X vectors of @bdf (sum over
 * CPUs of its /proc/interrupts lines). @msix gets the number of its MSI-X
 * vectors. Returns -1 when it has no MSI vector at all.
 */
static inline long long pci_msi_count(const char *bdf, int *msix)
{
	char path[PATH_MAX], mode[16], line[1024];
	static int irqs[256];
	int nirq = 0;
	long long total = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;

	*msix = 0;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/msi_irqs", bdf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) && nirq < 256) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		irqs[nirq++] = atoi(de->d_name);
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/msi_irqs/%s", bdf, de->d_name);
		if (read_text(path, mode, sizeof(mode)) > 0 && !strcmp(mode, "msix"))
			(*msix)++;
	}
	closedir(d);
	if (!nirq)
		return -1;
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long irq = strtol(p, &end, 10);
		bool mine = false;

		if (end == p || *end != ':')
			continue;
		for (int i = 0; i < nirq; i++)
			mine |= irqs[i] == irq;
		if (!mine)
			continue;
		p = end + 1;
		for (;;) {
			long long c = strtoll(p, &end, 10);

			if (end == p)
				break;
			total += c;
			p = end;
		}
	}
	fclose(f);
	return total;
}

/* ---- QEMU edu device ---- */

/*
 * BAR0 mapped into user space: no readl()/writel() here, volatile accesses
 * of the register's size are what reach the device.
 */
struct edu {
	volatile uint8_t *bar;
};

static inline uint32_t edu_r32(const struct edu *e, unsigned int off)
{
	return *(volatile uint32_t *)(e->bar + off);
}

static inline void edu_w32(const struct edu *e, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(e->bar + off) = v;
}

static inline uint64_t edu_r64(const struct edu *e, unsigned int off)
{
	return *(volatile uint64_t *)(e->bar + off);
}

static inline void edu_w64(const struct edu *e, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar + off) = v;
}

/* Identification register and the liveness check (value inversion). */
static inline bool edu_alive(const struct edu *e)
{
	uint32_t v = 0x5a5a0000u ^ (uint32_t)now_ms();

	/* 0xRRrr00ed: major, minor version, then 0xed. */
	if ((edu_r32(e, EDU_REG_ID) & 0xffff) != 0x00ed)
		return false;
	edu_w32(e, EDU_REG_LIVENESS, v);
	return edu_r32(e, EDU_REG_LIVENESS) == ~v;
}

/*
 * One edu DMA of @cnt bytes, between bus address @bus and offset @off of
 * the device's buffer; @to_ram: device writes memory, else device reads.
 * QEMU runs it 100 ms (virtual clock) after the command write. Stays inside
 * the device buffer: out-of-range requests are refused here rather than
 * handed to QEMU. A transfer that faults in the IOMMU is split by QEMU into
 * 4-byte accesses, each reported as an event: keep faulting transfers tiny
 * (the C driver rate-limits its event reports to 10 per 5 s). Returns 0 when the device reports completion (which
 * says nothing about whether the IOMMU let the access through), -ETIMEDOUT
 * or -EINVAL.
 */
static inline int edu_dma(const struct edu *e, uint64_t bus, unsigned int off, unsigned int cnt,
			  bool to_ram)
{
	long long deadline;

	if (!cnt || off >= EDU_BUF_USABLE || cnt > EDU_BUF_USABLE - off)
		return -EINVAL;
	if (edu_r64(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN)
		return -EBUSY;
	edu_w64(e, EDU_REG_DMA_SRC, to_ram ? EDU_BUF + off : bus);
	edu_w64(e, EDU_REG_DMA_DST, to_ram ? bus : EDU_BUF + off);
	edu_w64(e, EDU_REG_DMA_CNT, cnt);
	__sync_synchronize();
	edu_w64(e, EDU_REG_DMA_CMD, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
	deadline = now_ms() + 5000;
	while (edu_r64(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		sleep_ms(2);
	}
	__sync_synchronize();
	return 0;
}

/* ---- reproducible patterns ---- */

static inline uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Fills @len bytes (multiple of 8) with the pattern of stream @seed at byte
 * offset @pos: each 64-bit word depends only on (seed, its offset), so any
 * range can be regenerated on its own to check it.
 */
static inline void pattern_fill(void *buf, size_t len, uint64_t seed, uint64_t pos)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = splitmix64(seed ^ ((pos / 8 + i) * 0xd6e8feb86659fd93ull));
}

/* Offset of the first byte where @buf differs from the pattern, or -1. */
static inline long long pattern_check(const void *buf, size_t len, uint64_t seed, uint64_t pos)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++) {
		uint64_t want = splitmix64(seed ^ ((pos / 8 + i) * 0xd6e8feb86659fd93ull));

		if (w[i] != want) {
			const uint8_t *g = (const uint8_t *)&w[i], *x = (const uint8_t *)&want;
			int b = 0;

			while (b < 7 && g[b] == x[b])
				b++;
			return (long long)(i * 8 + b);
		}
	}
	return -1;
}

/* ---- SMMU events from the kernel log ---- */

struct smmu_event {
	unsigned int id;	/* event number, 0x10 = F_TRANSLATION */
	unsigned int sid;	/* StreamID */
	uint64_t addr;		/* input address (IOVA) */
	int rnw;		/* 1 read, 0 write, -1 unknown */
};

/*
 * Parser state for the two log formats:
 *
 * - the upstream C driver: "event 0x10 received:" then the record's four
 *   64-bit words, one "\t0x%016llx" line each (dword pairs: word 0 holds
 *   the event number in [7:0] and the StreamID in [63:32], word 1 RnW in
 *   bit 35, word 2 the input address);
 * - the Rust driver's decoded form: "F_TRANSLATION sid 0x18 iova 0x...
 *   read unpriv data stage 1" (hw/event.rs, Display for Event).
 */
struct kmsg_events {
	int fd;
	int raw_words;		/* words of a C raw record collected so far, -1 none */
	uint64_t raw[4];
	unsigned int raw_id;
	char last[8][256];	/* last SMMU event lines, for diagnostics */
	int nlast;
};

/* Opens /dev/kmsg positioned after everything logged so far. */
static inline int kmsg_open(struct kmsg_events *k)
{
	memset(k, 0, sizeof(*k));
	k->raw_words = -1;
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (k->fd < 0)
		return -errno;
	lseek(k->fd, 0, SEEK_END);
	return 0;
}

static inline void kmsg_close(struct kmsg_events *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

static const struct {
	const char *name;
	unsigned int id;
} smmu_event_names[] = {
	{ "F_TRANSLATION", EVT_F_TRANSLATION },
	{ "F_ADDR_SIZE", EVT_F_ADDR_SIZE },
	{ "F_ACCESS", EVT_F_ACCESS },
	{ "F_PERMISSION", EVT_F_PERMISSION },
	{ "F_TRANSL_FORBIDDEN", 0x07 },
	{ "F_STREAM_DISABLED", 0x06 },
	{ "C_BAD_STREAMID", 0x02 },
	{ "C_BAD_STE", 0x04 },
	{ "C_BAD_CD", 0x0a },
	{ "F_WALK_EABT", 0x0b },
	{ "F_CD_FETCH", 0x09 },
};

static inline void kmsg_remember(struct kmsg_events *k, const char *msg)
{
	snprintf(k->last[k->nlast % 8], sizeof(k->last[0]), "%s", msg);
	k->nlast++;
}

/* Parses one kernel log message; returns 1 and fills @ev on a whole event. */
static inline int kmsg_parse(struct kmsg_events *k, const char *msg, struct smmu_event *ev)
{
	const char *p;
	unsigned long long w;
	unsigned int id;

	/* C driver, first line of a record. */
	p = strstr(msg, "event 0x");
	if (p && sscanf(p, "event 0x%x received:", &id) == 1) {
		k->raw_id = id;
		k->raw_words = 0;
		kmsg_remember(k, msg);
		return 0;
	}
	/*
	 * C driver, one word of the record ("\t" escaped as "\x09" by kmsg).
	 * Lines of other devices may be interleaved; any other line of the
	 * SMMU ends the record.
	 */
	if (k->raw_words >= 0 && strstr(msg, "smmu")) {
		p = strstr(msg, ": ");
		p = p ? p + 2 : msg;
		if (!strncmp(p, "\\x09", 4))
			p += 4;
		while (*p == ' ' || *p == '\t')
			p++;
		if (sscanf(p, "0x%llx", &w) == 1 && strlen(p) >= 18) {
			k->raw[k->raw_words++] = w;
			if (k->raw_words < 4)
				return 0;
			k->raw_words = -1;
			ev->id = k->raw[0] & 0xff;
			ev->sid = k->raw[0] >> 32;
			ev->addr = k->raw[2];
			ev->rnw = (k->raw[1] >> 35) & 1;
			if (ev->id != k->raw_id)
				return 0;
			return 1;
		}
		k->raw_words = -1;
	}
	/* Rust driver, decoded. */
	for (size_t i = 0; i < ARRAY_SIZE(smmu_event_names); i++) {
		const char *n = strstr(msg, smmu_event_names[i].name);
		size_t len = strlen(smmu_event_names[i].name);

		if (!n || (n[len] != ' ' && n[len] != '\0') || (n > msg && n[-1] != ' '))
			continue;
		kmsg_remember(k, msg);
		ev->id = smmu_event_names[i].id;
		p = strstr(n, " sid 0x");
		if (!p || sscanf(p, " sid 0x%x", &ev->sid) != 1)
			return 0;
		ev->addr = ~0ull;
		p = strstr(n, " iova 0x");
		if (!p)
			p = strstr(n, " addr 0x");
		if (p)
			ev->addr = strtoull(strstr(p, "0x"), NULL, 16);
		ev->rnw = strstr(n, " read ") ? 1 : strstr(n, " write ") ? 0 : -1;
		return 1;
	}
	return 0;
}

/*
 * Waits up to @timeout_ms for an event of StreamID @sid, one of the ids in
 * @id_mask (bit n set: event id 0x10 + n), whose input address is in the
 * 4 KiB page of @addr. Returns 1 (and the event in @out) when found, 0 when
 * not. Events that do not match are reported as diagnostics in @seen.
 */
static inline int kmsg_wait_event(struct kmsg_events *k, unsigned int sid, uint64_t addr,
				  unsigned int id_mask, int timeout_ms, struct smmu_event *out)
{
	long long deadline = now_ms() + timeout_ms;
	char rec[2048], *msg, *nl;
	struct smmu_event ev;
	ssize_t n;

	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten; go on */
		if (n < 0) {
			if (now_ms() > deadline)
				return 0;
			sleep_ms(10);
			continue;
		}
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (!kmsg_parse(k, msg, &ev))
			continue;
		if (ev.sid == sid && ev.id >= 0x10 && ev.id < 0x20 &&
		    (id_mask & (1u << (ev.id - 0x10))) &&
		    (ev.addr & ~0xfffull) == (addr & ~0xfffull)) {
			*out = ev;
			return 1;
		}
	}
}

/* Prints the last SMMU event lines seen, as TAP diagnostics. */
static inline void kmsg_dump_seen(const struct kmsg_events *k)
{
	int first = k->nlast > 8 ? k->nlast - 8 : 0;

	if (!k->nlast)
		printf("# no SMMU event line seen in the kernel log\n");
	for (int i = first; i < k->nlast; i++)
		printf("# kernel: %s\n", k->last[i % 8]);
}

#endif /* SVA_RS_UTIL_H */
