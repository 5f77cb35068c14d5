// The live hot-add source (issue 6): memory-block uevents, the optional BPF
// hot-add probes, the Xen balloon's sysfs and /proc/zoneinfo, polled without
// blocking and delivered as Events (MemoryBlockEvent, HotplugCall,
// BalloonSample, ZoneSample) for core/hotadd_tracker.
//
// zoneinfo is emitted when a zone's present/managed/spanned/watermarks
// change (checked every poll_ms) and `snapshot_delay_ms` after the last
// hot-add signal, so the tracker always holds a "before" and an "after".
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/event.h"
#include "sources/bpf/bpf_tracer.h"
#include "sources/bpf/feature_probe.h"
#include "sources/procfs/procfs.h"

namespace kst {

class UeventListener;
class HotAddProbes;

struct HotAddMonitorOptions {
  bool bpf = true;                            // load the optional hot-add probes
  bool verbose = false;                       // libbpf messages
  AttachMode mode = AttachMode::Auto;         // for the two kmem tracepoints
  FuncProbeMode funcs = FuncProbeMode::Auto;  // for the three function probes
  std::string root;                           // prefix for /sys and /proc (tests)
  uint64_t poll_ms = 1000;                    // balloon and zoneinfo change checks
  uint64_t snapshot_delay_ms = 300;
};

// The Xen balloon's sysfs, or nullopt when there is no balloon driver.
std::optional<BalloonSample> read_xen_balloon(const std::string& root = "");

class HotAddMonitor {
 public:
  // Never throws; fills info.hotadd_sources with what is active and why the rest is not.
  HotAddMonitor(FeatureProbe& probe, SourceInfo& info, HotAddMonitorOptions opts = {});
  ~HotAddMonitor();
  HotAddMonitor(const HotAddMonitor&) = delete;
  HotAddMonitor& operator=(const HotAddMonitor&) = delete;

  // Delivers whatever arrived since the last call; never waits.
  void poll(const EventSink& sink);

 private:
  void emit_zones(TimeNs now, bool force, const EventSink& sink);
  MemoryBlockEvent enrich(MemoryBlockEvent m);

  HotAddMonitorOptions opt_;
  ProcReader proc_;
  std::unique_ptr<UeventListener> uevents_;
  std::unique_ptr<HotAddProbes> probes_;
  bool balloon_present_ = false;
  bool zoneinfo_ok_ = false;
  uint64_t block_size_ = 0;
  TimeNs next_poll_ = 0;
  TimeNs snapshot_at_ = 0;  // 0: none pending
  std::string last_zone_key_;
  std::optional<BalloonSample> last_balloon_;
};

}  // namespace kst
