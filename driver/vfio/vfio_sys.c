/* vfio_sys.c — ipsecha_vfio_sys_real: the table of real system calls. */
#include "vfio_sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int real_open(void *ctx, const char *path, int flags)
{
	(void)ctx;
	return open(path, flags | O_CLOEXEC);
}

static int real_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd);
}

static int real_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	(void)ctx;
	return ioctl(fd, request, arg);
}

static ssize_t real_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pread(fd, buf, len, off);
}

static ssize_t real_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, len, off);
}

static void *real_mmap(void *ctx, size_t len, int prot, int flags, int fd, off_t off)
{
	(void)ctx;
	return mmap(NULL, len, prot, flags, fd, off);
}

static int real_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	return munmap(addr, len);
}

static ssize_t real_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	(void)ctx;
	return readlink(path, buf, len);
}

static int real_exists(void *ctx, const char *path)
{
	struct stat st;

	(void)ctx;
	return stat(path, &st);
}

static int real_list_dir(void *ctx, const char *path, char *buf, size_t len)
{
	DIR *d;
	struct dirent *de;
	size_t used = 0;
	int n = 0, err = 0;

	(void)ctx;
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name) + 1;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (used + l > len) {
			err = ENOSPC;
			break;
		}
		memcpy(buf + used, de->d_name, l);
		used += l;
		n++;
	}
	closedir(d);
	if (err) {
		errno = err;
		return -1;
	}
	return n;
}

static int real_eventfd(void *ctx, unsigned int initval, int flags)
{
	(void)ctx;
	return eventfd(initval, flags);
}

const struct ipsecha_vfio_sys ipsecha_vfio_sys_real = {
	.open = real_open,
	.close = real_close,
	.ioctl = real_ioctl,
	.pread = real_pread,
	.pwrite = real_pwrite,
	.mmap = real_mmap,
	.munmap = real_munmap,
	.readlink = real_readlink,
	.exists = real_exists,
	.list_dir = real_list_dir,
	.eventfd = real_eventfd,
	.ctx = NULL,
};
