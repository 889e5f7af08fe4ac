// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's streaming DMA mapping benchmark (kernel/dma/map_benchmark.c)
 * on a spare virtio-rng behind the SMMU, bound to the dma_map_benchmark
 * driver through driver_override, measured with the upstream tool
 * (tools/testing/selftests/dma/dma_map_benchmark.c, installed as
 * /usr/bin/dma_map_benchmark). Passes when the benchmark runs and reports
 * plausible latencies; prints them as TAP diagnostics
 * ("# map_lat_us=... unmap_lat_us=...") for 'make bench'.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "sva_rs_util.h"

#define BENCH_TOOL "/usr/bin/dma_map_benchmark"
#define BENCH_DEBUGFS "/sys/kernel/debug/dma_map_benchmark"

FIXTURE(bench)
{
	char bdf[32];
	char domain[32];
	char config[32];
};

FIXTURE_SETUP(bench)
{
	char cmdline[1024], *p;

	ASSERT_EQ(0, pci_find(0x1af4, 0x1044, -1, self->bdf, sizeof(self->bdf)))
		TH_LOG("no virtio-rng PCI device (boot.sh adds one for this test)");
	pci_domain_type(self->bdf, self->domain, sizeof(self->domain));
	if (!self->domain[0])
		snprintf(self->domain, sizeof(self->domain), "none");
	snprintf(self->config, sizeof(self->config), "unknown");
	if (read_text("/proc/cmdline", cmdline, sizeof(cmdline)) > 0) {
		p = strstr(cmdline, "sva_rs.config=");
		if (p)
			sscanf(p, "sva_rs.config=%31s", self->config);
	}
	ASSERT_EQ(0, access(BENCH_TOOL, X_OK)) TH_LOG(BENCH_TOOL " is missing");
	ASSERT_EQ(0, pci_bind(self->bdf, "dma_map_benchmark"))
		TH_LOG("cannot bind %s to dma_map_benchmark", self->bdf);
	ASSERT_EQ(0, access(BENCH_DEBUGFS, F_OK)) TH_LOG(BENCH_DEBUGFS " did not appear");
}

FIXTURE_TEARDOWN(bench)
{
	/* Back to virtio-pci. */
	if (self->bdf[0])
		pci_bind(self->bdf, NULL);
}

struct result {
	double map, map_sd, unmap, unmap_sd;
};

/* Runs the tool; returns its exit status, or -1. */
static int run_tool(int threads, int seconds, char *out, size_t len)
{
	char t[16], s[16];
	int pipefd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	snprintf(t, sizeof(t), "%d", threads);
	snprintf(s, sizeof(s), "%d", seconds);
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execl(BENCH_TOOL, BENCH_TOOL, "-t", t, "-s", s, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (got < len - 1 && (n = read(pipefd[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Picks a latency line of the tool's output; returns 1 if it was one. */
static int parse_line(const char *line, struct result *r)
{
	if (sscanf(line, "average map latency(us):%lf standard deviation:%lf", &r->map,
		   &r->map_sd) == 2)
		return 1;
	if (sscanf(line, "average unmap latency(us):%lf standard deviation:%lf", &r->unmap,
		   &r->unmap_sd) == 2)
		return 1;
	return 0;
}

static void bench(struct __test_metadata *_metadata, struct _test_data_bench *self, int threads)
{
	struct result r = { -1, -1, -1, -1 };
	char out[2048], *p;
	int rc, found = 0;

	rc = run_tool(threads, 1, out, sizeof(out));
	for (p = strtok(out, "\n"); p; p = strtok(NULL, "\n")) {
		printf("# %s\n", p);
		found += parse_line(p, &r);
	}
	ASSERT_EQ(0, rc) TH_LOG(BENCH_TOOL " -t %d -s 1 failed", threads);
	ASSERT_EQ(2, found) TH_LOG("no map and unmap latency in the tool's output");
	printf("# map_lat_us=%.1f map_sd_us=%.1f unmap_lat_us=%.1f unmap_sd_us=%.1f threads=%d config=%s domain=%s\n",
	       r.map, r.map_sd, r.unmap, r.unmap_sd, threads, self->config, self->domain);
	/*
	 * Plausible output, not a speed target (those are for make bench):
	 * mapping through a translating domain (page table updates, and for
	 * unmap a TLBI or a flush-queue entry) costs something measurable,
	 * while dma-direct (identity or no domain) may round down to 0.0 us;
	 * and no average reaches 100 ms. Averages of milliseconds do happen
	 * when the host is busy: two TCG vCPUs contending for the command
	 * queue lock on a loaded machine, with lockdep on.
	 */
	if (!strcmp(self->domain, "DMA") || !strcmp(self->domain, "DMA-FQ"))
		EXPECT_LT(0, r.map + r.unmap) TH_LOG("zero latencies: nothing was mapped?");
	EXPECT_GT(100000, r.map) TH_LOG("implausible map latency %.1f us", r.map);
	EXPECT_GT(100000, r.unmap) TH_LOG("implausible unmap latency %.1f us", r.unmap);
}

TEST_F_TIMEOUT(bench, threads_1, 30)
{
	bench(_metadata, self, 1);
}

TEST_F_TIMEOUT(bench, threads_2, 30)
{
	bench(_metadata, self, 2);
}

TEST_HARNESS_MAIN
