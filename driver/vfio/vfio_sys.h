/* vfio_sys.h — the system calls the VFIO library makes, as a table.
 *
 * Every interaction of driver/vfio with the kernel (device nodes, sysfs,
 * ioctls, mmap, eventfds) goes through one of these functions, so a unit test
 * can put an in-memory model of the kernel behind them and drive every error
 * path (tests/vfio/fake_kernel.c). Production code uses ipsecha_vfio_sys_real.
 *
 * Conventions: each call behaves like its libc namesake: it returns -1 (or
 * MAP_FAILED) and sets errno on failure. `ctx` is passed back untouched.
 * Guarantees the library relies on: open() returns a new descriptor that
 * close() releases; mmap() of a device region is released by munmap(). */
#ifndef IPSECHA_VFIO_SYS_H
#define IPSECHA_VFIO_SYS_H

#include <stddef.h>
#include <sys/types.h>

struct ipsecha_vfio_sys {
	int (*open)(void *ctx, const char *path, int flags);
	int (*close)(void *ctx, int fd);
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, off_t off);
	void *(*mmap)(void *ctx, size_t len, int prot, int flags, int fd, off_t off);
	int (*munmap)(void *ctx, void *addr, size_t len);
	ssize_t (*readlink)(void *ctx, const char *path, char *buf, size_t len);
	/* 0 when `path` exists (stat semantics), else -1/ENOENT etc. */
	int (*exists)(void *ctx, const char *path);
	/* Names in directory `path` (without "." and ".."), NUL-separated into
	 * buf; returns the number of names, or -1 (ENOENT, ENOSPC if buf is too
	 * small, ...). */
	int (*list_dir)(void *ctx, const char *path, char *buf, size_t len);
	int (*eventfd)(void *ctx, unsigned int initval, int flags);
	void *ctx;
};

/* The real system calls. */
extern const struct ipsecha_vfio_sys ipsecha_vfio_sys_real;

#endif
