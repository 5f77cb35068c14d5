// Recording writer throughput (run by scripts/bench-record, not ctest).
//
// Feeds the writer the ring-buffer event mix of a reclaim storm (direct and
// memcg reclaim episodes, wakeup_kswapd requests, kswapd wake/sleep) plus a
// full sample set every simulated second, flushing (with fdatasync) once per
// second of wall time as `record` does, and reports what one core sustains.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "sinks/recording/recording_writer.h"
#include "sources/procfs/procfs.h"

using namespace kst;

static double now_s(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  const std::string dir = argc > 2 ? argv[2] : "/tmp/kst-bench-record";
  const int level = argc > 3 ? std::atoi(argv[3]) : 3;
  // "keep": leave the recording (a large synthetic one for export/report tests and benchmarks)
  const bool keep = argc > 4 && std::string(argv[4]) == "keep";
  std::filesystem::remove_all(dir);

  ProcReader proc;
  std::vector<Event> samples;
  const TimeNs t0 = 1000000000000ull;
  samples.push_back({t0, proc.zones()});
  samples.push_back({t0, proc.vmstat()});
  samples.push_back({t0, proc.kswapd_cpu()});
  samples.push_back({t0, ProbeCounters{}});
  AllocCounters ac;
  for (uint8_t o = 0; o < 11; ++o)
    for (uint8_t mt = 0; mt < 3; ++mt)
      ac.cells.push_back({0, 2, o, mt, static_cast<uint8_t>(mt & 1), 1000u * o + mt});
  samples.push_back({t0, ac});

  RecordingOptions ro;
  ro.dir = dir;
  ro.max_size = 256ull << 20;
  ro.zstd_level = level;
  RecordingMeta meta;
  meta.source.backend = "bench";
  meta.zones = std::get<ZoneSample>(samples[0].data).zones;
  RecordingWriter w(ro, meta);
  w.start(t0);

  const char* comms[] = {"postgres", "java", "kworker/u16:3", "memhog", "dd"};
  uint64_t i = 0;
  TimeNs ts = t0;
  const double wall0 = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
  double next_flush = wall0 + 1.0, wall = wall0;
  while (wall - wall0 < seconds) {
    for (int k = 0; k < 1000; ++k, ++i) {
      ts += 2000 + (i * 7919) % 5000;  // 2-7 us apart: a storm
      switch (i % 8) {
        case 0:
        case 1:
        case 2: {
          DirectReclaim d;
          d.pid = 1000 + i % 37;
          d.comm = comms[i % 5];
          d.order = static_cast<int32_t>(i % 4);
          d.gfp = 0x100cca;
          d.begin_ns = ts - 1000 - (i * 31) % 100000;
          d.end_ns = ts;
          d.nr_reclaimed = 32 + i % 17;
          d.memcg = i % 3 == 0;
          w.write(Event{ts, d});
          break;
        }
        case 3:
        case 4:
        case 5:
          w.write(Event{ts, WakeupKswapd{0, 2, static_cast<int32_t>(i % 3), 0x400cc0,
                                         static_cast<uint32_t>(2000 + i % 50), comms[i % 5]}});
          break;
        case 6: w.write(Event{ts, KswapdWake{0, 2, static_cast<int32_t>(i % 4)}}); break;
        default: w.write(Event{ts, KswapdSleep{0}});
      }
    }
    wall = now_s(CLOCK_MONOTONIC);
    if (wall >= next_flush) {
      for (auto e : samples) {
        e.ts = ts;
        w.write(e);
      }
      w.flush();
      next_flush += 1.0;
    }
  }
  w.finish(ts, rec::EndReason::Stopped);
  const double el = now_s(CLOCK_MONOTONIC) - wall0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  const WriterStats& st = w.stats();
  std::printf("writer: %llu events in %.2f s wall, %.2f s CPU (zstd level %d, fdatasync per 1 s flush)\n",
              static_cast<unsigned long long>(st.events), el, cpu, level);
  std::printf("writer: %.0f events/s sustained (wall), %.0f events/s per core of CPU (%.2f us CPU/event)\n",
              st.events / el, st.events / cpu, cpu / st.events * 1e6);
  std::printf(
      "writer: %.1f MB/s encoded records, %.2f MB/s to disk, compression %.1fx, %.1f bytes/event on disk\n",
      st.raw_bytes / el / 1e6, st.disk_bytes / el / 1e6, static_cast<double>(st.raw_bytes) / st.disk_bytes,
      static_cast<double>(st.disk_bytes) / st.events);
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
