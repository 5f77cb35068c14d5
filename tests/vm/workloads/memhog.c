/* memhog MIB [PASSES]: map MIB MiB of anonymous memory and write every page,
 * PASSES times (default 1), then exit.  Used to push a small guest past
 * MemAvailable so that kswapd wakes and tasks enter direct reclaim.
 *
 * Each page gets its index in its first word and a fixed pattern elsewhere:
 * not "same-filled" (zram would store such pages for free, hiding the memory
 * cost) but very compressible, so zram swap absorbs the overflow instead of the
 * guest going OOM. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MIB [PASSES]\n", argv[0]);
        return 2;
    }
    size_t mib = strtoull(argv[1], NULL, 0);
    int passes = argc > 2 ? atoi(argv[2]) : 1;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = mib << 20;
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int pass = 0; pass < passes; pass++) {
        for (size_t off = 0; off < len; off += page) {
            memset(p + off, 0x5a ^ pass, page);
            uint64_t idx = off / page + 1;
            memcpy(p + off, &idx, sizeof(idx));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("memhog: touched %zu MiB x %d in %.1f s\n", mib, passes,
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
