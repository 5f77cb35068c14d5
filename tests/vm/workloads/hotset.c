/* hotset MIB SECONDS: map MIB MiB of anonymous memory, write every page once,
 * then keep every page hot (one write per page, pass after pass) for SECONDS.
 *
 * The futile-reclaim scenario sizes MIB so that free memory ends between the
 * min and low watermarks (with vm.watermark_scale_factor raised, the gap up to
 * high is wide): kswapd is woken and scans, but every page it ages is touched
 * again before it can be reclaimed, so it steals almost nothing.  Prints the
 * number of passes at the end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MIB SECONDS\n", argv[0]);
        return 2;
    }
    size_t len = strtoull(argv[1], NULL, 0) << 20;
    double seconds = atof(argv[2]);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    volatile uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    /* Not same-filled: zram would store such pages for free. */
    for (size_t off = 0; off < len; off += page)
        memset((char *)p + off, 0x5a, page);
    double t0 = now();
    unsigned long passes = 0;
    while (now() - t0 < seconds) {
        for (size_t off = 0; off < len; off += page)
            p[off / sizeof(uint64_t)] = passes + off;
        passes++;
    }
    printf("hotset: kept %zu MiB hot for %.0f s, %lu passes\n", len >> 20, now() - t0, passes);
    return 0;
}
