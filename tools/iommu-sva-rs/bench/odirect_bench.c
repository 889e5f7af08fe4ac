// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT throughput through a block device, for iommu-sva-rs's
 * benchmarks: every request is DMA through the IOMMU, no page cache.
 *
 *   odirect_bench DEVICE read|write BLOCK_BYTES TOTAL_BYTES
 *
 * Prints one line "SVA-RS-BENCH <name>=<MiB/s>" where name is
 * odirect_<read|write>_<block>k.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long block, total, done = 0;
	int writing, fd;
	double t0, t1;
	void *buf;

	if (argc != 5) {
		fprintf(stderr, "usage: %s DEVICE read|write BLOCK_BYTES TOTAL_BYTES\n", argv[0]);
		return 2;
	}
	writing = !strcmp(argv[2], "write");
	block = strtoull(argv[3], NULL, 0);
	total = strtoull(argv[4], NULL, 0);
	if (!block || block % 4096 || total < block) {
		fprintf(stderr, "block must be a non-zero multiple of 4096, total >= block\n");
		return 2;
	}
	if (posix_memalign(&buf, 4096, block)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	memset(buf, 0x5a, block);
	fd = open(argv[1], (writing ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	t0 = now();
	while (done < total) {
		ssize_t n = writing ? pwrite(fd, buf, block, done) : pread(fd, buf, block, done);

		if (n != (ssize_t)block) {
			fprintf(stderr, "%s at %llu: %s\n", argv[2], done, n < 0 ? strerror(errno) : "short");
			return 1;
		}
		done += block;
	}
	if (writing && fsync(fd)) {
		fprintf(stderr, "fsync: %s\n", strerror(errno));
		return 1;
	}
	t1 = now();
	close(fd);
	printf("SVA-RS-BENCH odirect_%s_%lluk=%.1f\n", argv[2], block / 1024,
	       done / (1024.0 * 1024.0) / (t1 - t0));
	return 0;
}
