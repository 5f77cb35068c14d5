// Writes a synthetic recording (the events `record` would store) for the HTML
// report's tests and benchmark, from tests/unit/synthetic_stream:
//   synth_recording DIR SECONDS livelock   4.4 tiny-zone livelock between quiet stretches,
//                                          with the detector's verdict changes recorded
//   synth_recording DIR SECONDS busy       a busy host: kswapd cycles, direct and memcg
//                                          stalls, free memory moving around the watermarks
// One sample set per second (the recorder's default sample rate).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "../tests/unit/synthetic_stream.h"
#include "core/detector.h"
#include "sinks/recording/recording_writer.h"

using namespace kst;
using kst::test::kSec;
using kst::test::Second;
using kst::test::SyntheticStream;

namespace {

Second livelock() {
  Second s;
  s.wakes = 300;
  s.cpu = 0.99;
  s.scanned = 3;
  s.quick = 300;
  s.slabs = 60000;
  s.direct = 4;
  s.memcg = 2;
  return s;
}

Second busy(int i) {
  Second s;
  const double phase = std::sin(i / 90.0);
  if (phase > 0.3) {
    s.wakes = 20;
    s.sleeps = 20;
    s.duty = 0.2 + 0.6 * (phase - 0.3);
    s.cpu = 0.3;
    s.scanned = 40000;
    s.reclaimed = 30000;
    s.direct = i % 3;
    s.memcg = i % 5 == 0 ? 2 : 0;
    s.high_order_requests = 3;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: synth_recording DIR SECONDS livelock|busy\n");
    return 2;
  }
  const std::string dir = argv[1], mode = argv[3];
  const int seconds = std::atoi(argv[2]);
  if (seconds < 10 || (mode != "livelock" && mode != "busy")) {
    std::fprintf(stderr, "synth_recording: SECONDS >= 10 and a mode of livelock or busy\n");
    return 2;
  }
  const bool ll = mode == "livelock";
  SourceInfo src;
  src.kernel_release = ll ? "4.4.0-98-generic" : "6.12.0-synthetic";
  src.backend = "bpf";
  src.attach = {{"vmscan:mm_vmscan_kswapd_wake", "tracepoint"}, {"kmem:mm_page_alloc", "tracepoint"}};
  SyntheticStream ss(ll ? SyntheticStream::seed_zones() : SyntheticStream::normal_zones(), 100 * kSec, ll);
  RecordingOptions o;
  o.dir = dir;
  o.sync = false;
  o.max_size = 1ull << 30;
  RecordingWriter w(o, RecordingMeta{src, ss.zones(), {}});
  Detector det({}, src);
  std::map<std::string, Verdict> active;
  AllocCounters alloc;
  for (int order = 0; order <= 4; order++)
    alloc.cells.push_back({0, 2, static_cast<uint8_t>(order), 1, 1, 0});
  const auto put = [&](const Event& e) {
    w.write(e);
    det.on_event(e);
  };
  w.start(ss.now());
  for (auto& e : ss.samples()) put(e);
  const std::vector<ZoneInfo> base = ss.zones();
  for (int i = 0; i < seconds; i++) {
    const bool in_livelock = ll && i >= seconds / 4 && i < seconds * 3 / 4;
    ss.events(ll ? (in_livelock ? livelock() : Second{}) : busy(i), put);
    // free memory wanders: down toward min while kswapd works, back up after
    for (size_t z = 0; z < ss.zones().size(); z++) {
      auto& zi = ss.zones()[z];
      const ZoneInfo& b = base[z];
      if (zi.managed < 1000) continue;
      const double dip = ll ? (in_livelock ? 0.9 : 0.1) : std::max(0.0, std::sin(i / 90.0));
      const double range = static_cast<double>(b.free > b.min ? b.free - b.min : 0);
      zi.free = b.min + static_cast<uint64_t>(range * (1 - 0.97 * dip) * (0.98 + 0.02 * std::sin(i * 1.7)));
    }
    for (size_t c = 0; c < alloc.cells.size(); c++)
      alloc.cells[c].calls += static_cast<uint64_t>((20000 >> (2 * c)) * (1.5 + std::sin(i / 30.0 + c)));
    put(Event{ss.now(), alloc});
    for (auto& e : ss.samples()) put(e);
    // the verdict changes, as `record` writes them next to the events
    std::map<std::string, Verdict> now;
    for (const Verdict& v : det.evaluate(ss.now()))
      if (!v.pending) now[v.kind + "/" + std::to_string(v.nid)] = v;
    for (const auto& [k, v] : now)
      if (!active.count(k)) w.write(Event{ss.now(), VerdictChange{true, v}});
    for (const auto& [k, v] : active)
      if (!now.count(k)) w.write(Event{ss.now(), VerdictChange{false, v}});
    active = now;
    w.flush();
  }
  w.finish(ss.now(), rec::EndReason::DurationElapsed);
  return 0;
}
