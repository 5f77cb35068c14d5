// Ring-buffer delivery latency and reader CPU per event, batched wake-ups vs
// a wake-up per record (run by scripts/bench-wakeup, not by ctest).
//
// Opens the live BPF source as the live commands do and polls it as `record`
// does (100 ms steps) for SECONDS, while something else makes reclaim events.
// For each ring-buffer record it takes the delay from the kernel's timestamp
// to its delivery here; prints events/s, the reader's CPU per event (user +
// system, the polling path only: no decoding into a sink, no writing), and
// the delay's median, p99 and maximum.
// usage: bench_wakeup SECONDS batched|every
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sources/live/live_source.h"

using namespace kst;

static double cpu_s() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc != 3 || (strcmp(argv[2], "batched") && strcmp(argv[2], "every"))) {
    fprintf(stderr, "usage: bench_wakeup SECONDS batched|every\n");
    return 2;
  }
  const double seconds = atof(argv[1]);
  TracerOptions to;
  to.hotadd = false;
  to.batch_wakeups = !strcmp(argv[2], "batched");
  FeatureProbe probe;
  std::unique_ptr<LiveSource> src;
  try {
    src = std::make_unique<LiveSource>(to, probe);
  } catch (const TraceError& e) {
    fprintf(stderr, "bench_wakeup: %s\n", e.what());
    return 1;
  }
  std::vector<TimeNs> delay;
  delay.reserve(1 << 20);
  const EventSink sink = [&](Event&& e) {
    // only ring-buffer records: the drop counters and samples are not "delivered"
    const TimeNs now = monotonic_now();
    delay.push_back(now > e.ts ? now - e.ts : 0);
  };
  src->drain([](Event&&) {});  // what was written before we started timing
  const TimeNs t0 = monotonic_now(), end = t0 + static_cast<TimeNs>(seconds * 1e9);
  const double c0 = cpu_s();
  while (monotonic_now() < end) src->poll(100, sink);
  src->drain(sink);
  const double cpu = cpu_s() - c0, wall = (monotonic_now() - t0) / 1e9;
  const uint64_t lost = src->bpf_tracer()->probe_counters().ringbuf_drops;
  std::sort(delay.begin(), delay.end());
  auto pct = [&](double p) {
    return delay.empty() ? 0.0
                         : delay[std::min(delay.size() - 1, static_cast<size_t>(p * delay.size()))] / 1e6;
  };
  printf("%-7s %8.0f events/s  %6.2f us CPU/event  delay ms: median %.2f p99 %.2f max %.2f  lost %llu\n",
         argv[2], delay.size() / wall, delay.empty() ? 0.0 : cpu * 1e6 / delay.size(), pct(0.5), pct(0.99),
         delay.empty() ? 0.0 : delay.back() / 1e6, static_cast<unsigned long long>(lost));
  return 0;
}
