// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the Rust SVA client sample (samples/rust/rust_sva_client.rs),
 * which binds the process reading its debugfs file to a mock device through
 * the Rust SVA API (kernel::iommu::sva) and keeps the bond until the next
 * read. Each read answers
 *   "pasid=<P> again=<P of a second bind> exits=<N> exit_pasid=<P>".
 */
#define _GNU_SOURCE
#include "../kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIND_PATH "/sys/kernel/debug/iommu/sva-client/client/bind"

struct reply {
	unsigned int pasid, again, exits, exit_pasid;
};

/* 0, or -errno: the kernel's error or a malformed reply */
static int bind_read(struct reply *r)
{
	char buf[128];
	ssize_t n;
	int err, fd = open(BIND_PATH, O_RDONLY);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "error=%d", &err) == 1)
		return err < 0 ? err : -EIO;
	if (sscanf(buf, "pasid=%u again=%u exits=%u exit_pasid=%u", &r->pasid,
		   &r->again, &r->exits, &r->exit_pasid) != 4)
		return -EPROTO;
	return 0;
}

FIXTURE(client)
{
	struct reply first;
};

FIXTURE_SETUP(client)
{
	int ret = bind_read(&self->first);

	if (ret == -ENOENT)
		SKIP(return, BIND_PATH " missing (CONFIG_SAMPLE_RUST_SVA_CLIENT=n)");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(client)
{
}

/* A process has one PASID; binding twice shares it */
TEST_F(client, bind_same_pasid)
{
	struct reply r;

	EXPECT_NE(0, self->first.pasid);
	EXPECT_EQ(self->first.pasid, self->first.again);
	ASSERT_EQ(0, bind_read(&r));
	EXPECT_EQ(self->first.pasid, r.pasid);
	EXPECT_EQ(r.pasid, r.again);
}

/*
 * A child that exits while bound triggers the driver's mm-exit callback
 * with its PASID, and the driver can still unbind afterwards (the next
 * read drops the child's bond before binding us).
 */
TEST_F(client, exit_while_bound)
{
	struct reply before, after, child;
	int pipefd[2], status;
	pid_t pid;

	ASSERT_EQ(0, bind_read(&before));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct reply c = { 0 };
		int ret = bind_read(&c);

		if (write(pipefd[1], &c, sizeof(c)) != sizeof(c))
			_exit(2);
		_exit(ret ? 1 : 0);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(child), read(pipefd[0], &child, sizeof(child)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Another mm: its own PASID */
	EXPECT_NE(before.pasid, child.pasid);
	EXPECT_EQ(child.pasid, child.again);

	ASSERT_EQ(0, bind_read(&after));
	EXPECT_EQ(before.exits + 1, after.exits);
	EXPECT_EQ(child.pasid, after.exit_pasid);
	/* Our own PASID did not change meanwhile */
	EXPECT_EQ(before.pasid, after.pasid);
}

TEST_HARNESS_MAIN
