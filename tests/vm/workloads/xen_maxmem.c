/* xen_maxmem DOMID MAX_KB: raise (or lower) a domain's memory limit with the
 * XEN_DOMCTL_max_mem domctl, issued as a raw hypercall through /dev/xen/privcmd.
 *
 * dom0 cannot raise its own limit from inside Linux (writing target_kb stops at
 * the limit Xen booted it with, dom0_mem=...,max:...); in a real host the
 * toolstack (xl mem-max) sends this domctl.  The harness has no toolstack in the
 * initramfs, so this ~50-line tool stands in for it.
 *
 * Headers: libxen-dev (xen/domctl.h, xen/sys/privcmd.h).  The domctl interface
 * version must match the hypervisor: 0x15 for Xen 4.17; Xen answers -EACCES on a
 * mismatch, which is reported below. */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sys/privcmd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DOMID MAX_KB\n", argv[0]);
        return 2;
    }
    /* The hypervisor copies the domctl from this process's memory: keep it on
     * its own locked page so the copy cannot fault. */
    struct xen_domctl *d = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (d == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memset(d, 0, sizeof(*d));
    d->cmd = XEN_DOMCTL_max_mem;
    d->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    d->domain = (domid_t)strtoul(argv[1], NULL, 0);
    d->u.max_mem.max_memkb = strtoull(argv[2], NULL, 0);

    int fd = open("/dev/xen/privcmd", O_RDWR);
    if (fd < 0) {
        perror("open /dev/xen/privcmd");
        return 1;
    }
    privcmd_hypercall_t call = {.op = __HYPERVISOR_domctl, .arg = {(__u64)(unsigned long)d}};
    long rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    if (rc != 0) {
        fprintf(stderr, "XEN_DOMCTL_max_mem(dom %u, %llu kB) failed: rc=%ld errno=%d (%s)\n",
                d->domain, (unsigned long long)d->u.max_mem.max_memkb, rc, errno, strerror(errno));
        return 1;
    }
    printf("dom %u max_memkb=%llu\n", d->domain, (unsigned long long)d->u.max_mem.max_memkb);
    return 0;
}
