#include "sources/hotadd/hotadd_monitor.h"

#include <sys/stat.h>

#include <charconv>

#include "core/hotadd_tracker.h"
#include "core/uevent.h"
#include "sources/hotadd/hotadd_probes.h"
#include "sources/hotadd/uevent_listener.h"
#include "sources/live/live_source.h"

namespace kst {
namespace {

namespace src = hotadd_source;

int64_t read_kb(const std::string& path) {
  auto t = read_text_file(path);
  if (!t) return -1;
  std::string_view s(*t);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  int64_t v = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return -1;
  return v;
}

std::string read_attr(const std::string& path) {
  auto t = read_text_file(path);
  if (!t) return "";
  while (!t->empty() && (t->back() == '\n' || t->back() == ' ')) t->pop_back();
  return *t;
}

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool opens(const std::string& action) {
  return action == "add" || action == "online" || action == "offline" || action == "remove";
}

std::string zone_key(const ZoneSample& zs) {
  std::string k;
  for (const auto& z : zs.zones)
    k += std::to_string(z.nid) + z.name + ":" + std::to_string(z.present) + "," + std::to_string(z.managed) +
         "," + std::to_string(z.spanned) + "," + std::to_string(z.min) + "," + std::to_string(z.low) + "," +
         std::to_string(z.high) + ";";
  return k;
}

}  // namespace

std::optional<BalloonSample> read_xen_balloon(const std::string& root) {
  const std::string dir = root + "/sys/devices/system/xen_memory/xen_memory0";
  BalloonSample b;
  b.target_kb = read_kb(dir + "/target_kb");
  b.current_kb = read_kb(dir + "/info/current_kb");
  b.low_kb = read_kb(dir + "/info/low_kb");
  b.high_kb = read_kb(dir + "/info/high_kb");
  if (b.target_kb < 0 && b.current_kb < 0) return std::nullopt;
  return b;
}

HotAddMonitor::HotAddMonitor(FeatureProbe& probe, SourceInfo& info, HotAddMonitorOptions opts)
    : opt_(std::move(opts)), proc_(opt_.root) {
  auto& st = info.hotadd_sources;
  const std::string mem = opt_.root + "/sys/devices/system/memory";
  if (!is_dir(mem)) {
    st[src::kUevent] = "missing: no " + mem + " (kernel without memory hotplug)";
  } else {
    uevents_ = std::make_unique<UeventListener>();
    if (uevents_->ok()) {
      st[src::kUevent] = "netlink";
    } else {
      st[src::kUevent] = "missing: " + uevents_->error();
      uevents_.reset();
    }
    if (auto bs = parse_sysfs_hex(read_attr(mem + "/block_size_bytes"))) block_size_ = *bs;
  }

  if (opt_.bpf) {
    probes_ = std::make_unique<HotAddProbes>(probe, opt_.verbose, st, opt_.mode, opt_.funcs);
    if (!probes_->active()) probes_.reset();
  } else {
    for (const char* s :
         {src::kAddMemory, src::kOnlinePages, src::kSetupWmarks, src::kTpWmarks, src::kTpLowmem})
      st[s] = "missing: BPF hot-add probes disabled";
  }

  if (read_xen_balloon(opt_.root)) {
    balloon_present_ = true;
    st[src::kBalloon] = "sysfs";
  } else {
    st[src::kBalloon] = "missing: no Xen balloon (" + opt_.root + "/sys/devices/system/xen_memory absent)";
  }

  try {
    proc_.zones();
    zoneinfo_ok_ = true;
    st[src::kZoneinfo] = "procfs";
  } catch (const std::exception& e) {
    st[src::kZoneinfo] = std::string("missing: ") + e.what();
  }
}

HotAddMonitor::~HotAddMonitor() = default;

MemoryBlockEvent HotAddMonitor::enrich(MemoryBlockEvent m) {
  const std::string mem = opt_.root + "/sys/devices/system/memory";
  if (!block_size_)
    if (auto bs = parse_sysfs_hex(read_attr(mem + "/block_size_bytes"))) block_size_ = *bs;
  m.block_size = block_size_;
  if (m.action != "remove") {
    const std::string dir = mem + "/memory" + std::to_string(m.block);
    m.phys_index = read_attr(dir + "/phys_index");
    m.state = read_attr(dir + "/state");
    m.valid_zones = read_attr(dir + "/valid_zones");
  }
  return m;
}

void HotAddMonitor::emit_zones(TimeNs now, bool force, const EventSink& sink) {
  if (!zoneinfo_ok_) return;
  try {
    ZoneSample zs = proc_.zones();
    std::string key = zone_key(zs);
    if (!force && key == last_zone_key_) return;
    last_zone_key_ = std::move(key);
    sink(Event{now, std::move(zs)});
  } catch (const std::exception&) {
    // a torn read during hot-add: the next poll tries again
  }
}

void HotAddMonitor::poll(const EventSink& sink) {
  TimeNs now = monotonic_now();
  const TimeNs delay = opt_.snapshot_delay_ms * 1000000ull;
  if (probes_) {
    probes_->drain([&](Event&& e) {
      snapshot_at_ = now + delay;
      sink(std::move(e));
    });
  }
  if (uevents_) {
    for (auto& u : uevents_->read_all()) {
      auto m = memory_block_from_uevent(u);
      if (!m) continue;
      if (opens(m->action)) snapshot_at_ = now + delay;
      sink(Event{now, enrich(std::move(*m))});
    }
  }
  now = monotonic_now();
  if (now >= next_poll_) {
    next_poll_ = now + opt_.poll_ms * 1000000ull;
    if (balloon_present_) {
      auto b = read_xen_balloon(opt_.root);
      if (b && (!last_balloon_ || b->target_kb != last_balloon_->target_kb ||
                b->current_kb != last_balloon_->current_kb || b->low_kb != last_balloon_->low_kb ||
                b->high_kb != last_balloon_->high_kb)) {
        last_balloon_ = b;
        sink(Event{now, *b});
      }
    }
    emit_zones(now, false, sink);
  }
  if (snapshot_at_ && now >= snapshot_at_) {
    snapshot_at_ = 0;
    emit_zones(now, true, sink);
  }
}

}  // namespace kst
