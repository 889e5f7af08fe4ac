// SPDX-License-Identifier: GPL-2.0
/*
 * The SMMUv3 is found, bound to a driver, and (for the Rust driver) exposes
 * its identification registers and decoded features in debugfs. The decode
 * is checked here against an independent decoding of the raw ID registers,
 * using the field positions of the SMMUv3 specification.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define PLATFORM_DEVICES "/sys/bus/platform/devices"
#define RUST_DEBUGFS "/sys/kernel/debug/iommu/arm-smmu-v3-rs"

static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (int)n;
}

/* Finds the platform device whose DT node is compatible with arm,smmu-v3. */
static int find_smmu(char *name, size_t len)
{
	struct dirent *de;
	char path[PATH_MAX], compat[256];
	DIR *d = opendir(PLATFORM_DEVICES);
	int found = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		int n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PLATFORM_DEVICES "/%s/of_node/compatible", de->d_name);
		n = read_text(path, compat, sizeof(compat));
		/* "compatible" is a list of NUL-separated strings. */
		for (int i = 0; i < n; i += strlen(compat + i) + 1) {
			if (!strcmp(compat + i, "arm,smmu-v3")) {
				snprintf(name, len, "%s", de->d_name);
				found = 0;
			}
		}
	}
	closedir(d);
	return found;
}

static int bound_driver(const char *dev, char *drv, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PLATFORM_DEVICES "/%s/driver", dev);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	snprintf(drv, len, "%.255s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	return 0;
}

TEST(smmu_device_present)
{
	char dev[256];

	ASSERT_EQ(0, find_smmu(dev, sizeof(dev)))
		TH_LOG("no platform device compatible with arm,smmu-v3");
}

TEST(smmu_driver_bound)
{
	char dev[256], drv[256];

	ASSERT_EQ(0, find_smmu(dev, sizeof(dev)));
	ASSERT_EQ(0, bound_driver(dev, drv, sizeof(drv)))
		TH_LOG("%s has no driver bound", dev);
	EXPECT_TRUE(!strcmp(drv, "arm-smmu-v3-rs") || !strcmp(drv, "arm-smmu-v3"))
		TH_LOG("unexpected driver %s", drv);
}

struct idregs {
	unsigned int idr0, idr1, idr3, idr5, iidr, aidr;
};

static int parse_idr(const char *text, struct idregs *r)
{
	return sscanf(text, "IDR0 %x\nIDR1 %x\nIDR3 %x\nIDR5 %x\nIIDR %x\nAIDR %x",
		      &r->idr0, &r->idr1, &r->idr3, &r->idr5, &r->iidr, &r->aidr) == 6 ? 0 : -1;
}

/* Whether the space-separated token @tok appears in @line. */
static int has_token(const char *line, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = strstr(line, tok); p; p = strstr(p + 1, tok))
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

FIXTURE(rust_debugfs)
{
	char dir[PATH_MAX];
	char features[1024];
	struct idregs ids;
};

FIXTURE_SETUP(rust_debugfs)
{
	char dev[256], drv[256], path[PATH_MAX + 16], idr[512];

	ASSERT_EQ(0, find_smmu(dev, sizeof(dev)));
	ASSERT_EQ(0, bound_driver(dev, drv, sizeof(drv)));
	if (strcmp(drv, "arm-smmu-v3-rs"))
		SKIP(return, "SMMU driven by %s, not the Rust driver", drv);
	snprintf(self->dir, sizeof(self->dir), RUST_DEBUGFS "/%s", dev);
	snprintf(path, sizeof(path), "%s/idr", self->dir);
	ASSERT_LT(0, read_text(path, idr, sizeof(idr))) TH_LOG("cannot read %s", path);
	ASSERT_EQ(0, parse_idr(idr, &self->ids)) TH_LOG("malformed %s: %s", path, idr);
	snprintf(path, sizeof(path), "%s/features", self->dir);
	ASSERT_LT(0, read_text(path, self->features, sizeof(self->features)))
		TH_LOG("cannot read %s", path);
}

FIXTURE_TEARDOWN(rust_debugfs)
{
}

#define FIELD(v, hi, lo) (((v) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

TEST_F(rust_debugfs, flags_match_idr)
{
	const unsigned int i0 = self->ids.idr0, i3 = self->ids.idr3;
	const struct {
		const char *token;
		int set;
	} flags[] = {
		{ "S1P", FIELD(i0, 1, 1) },
		{ "S2P", FIELD(i0, 0, 0) },
		{ "COHACC", FIELD(i0, 4, 4) },
		{ "2LVL-ST", FIELD(i0, 28, 27) == 1 },
		{ "CD2L", FIELD(i0, 19, 19) },
		{ "ATS", FIELD(i0, 10, 10) },
		{ "PRI", FIELD(i0, 16, 16) },
		{ "MSI", FIELD(i0, 13, 13) },
		{ "BTM", FIELD(i0, 5, 5) },
		{ "ASID16", FIELD(i0, 12, 12) },
		{ "RIL", FIELD(i3, 10, 10) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(flags[i].set, has_token(self->features, flags[i].token))
			TH_LOG("%s: IDR says %d; features: %s", flags[i].token, flags[i].set,
			       self->features);
	}
}

TEST_F(rust_debugfs, sizes_match_idr)
{
	static const int oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	char tok[32];
	unsigned int oas = FIELD(self->ids.idr5, 2, 0);

	snprintf(tok, sizeof(tok), "SID=%u", FIELD(self->ids.idr1, 5, 0));
	EXPECT_TRUE(has_token(self->features, tok)) TH_LOG("want %s in %s", tok, self->features);
	snprintf(tok, sizeof(tok), "SSID=%u", FIELD(self->ids.idr1, 10, 6));
	EXPECT_TRUE(has_token(self->features, tok)) TH_LOG("want %s in %s", tok, self->features);
	ASSERT_LT(oas, 7u) TH_LOG("reserved OAS encoding %u", oas);
	snprintf(tok, sizeof(tok), "OAS=%d", oas_bits[oas]);
	EXPECT_TRUE(has_token(self->features, tok)) TH_LOG("want %s in %s", tok, self->features);
}

TEST_HARNESS_MAIN
