// The single event model of kswaptrace.
//
// Every source (live BPF, a recording being replayed, /proc samplers,
// synthetic streams in tests) produces these; the analysis core consumes
// nothing else. Timestamps are CLOCK_MONOTONIC nanoseconds, the clock of
// bpf_ktime_get_ns(), so kernel and user-space samples line up.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/verdict.h"
#include "core/zones.h"

namespace kst {

using TimeNs = uint64_t;

// vmscan:mm_vmscan_kswapd_wake: kswapd begins a balance_pgdat() pass.
struct KswapdWake {
  int32_t nid = 0;
  int32_t zid = -1;  // highest zone index requested; -1 if the kernel lacks it
  int32_t order = 0;
};

// vmscan:mm_vmscan_kswapd_sleep: kswapd really goes to sleep.
struct KswapdSleep {
  int32_t nid = 0;
};

// vmscan:mm_vmscan_wakeup_kswapd: an allocation asks kswapd to run.
struct WakeupKswapd {
  int32_t nid = 0;
  int32_t zid = 0;  // the allocation's highest allowed zone
  int32_t order = 0;
  uint64_t gfp = 0;
  uint32_t pid = 0;
  std::string comm;
};

// One direct (or memcg-limit) reclaim episode, reported when it ends.
struct DirectReclaim {
  uint32_t pid = 0;
  std::string comm;
  int32_t order = 0;
  uint64_t gfp = 0;
  TimeNs begin_ns = 0;
  TimeNs end_ns = 0;
  uint64_t nr_reclaimed = 0;
  bool memcg = false;
  // The reclaiming task's memory cgroup (recording format 1.3): its kernfs id
  // (0: unknown) and its path in the memory hierarchy, "/" for the root, as
  // resolved when it was traced ("" when it could not be).
  uint64_t cgroup_id = 0;
  std::string cgroup;
};

// Cumulative lru_shrink_inactive aggregates per node, split by who reclaimed.
struct ShrinkStat {
  uint64_t calls = 0, scanned = 0, reclaimed = 0;
};
struct ReclaimCounters {
  struct Node {
    int32_t nid = 0;
    ShrinkStat kswapd;
    ShrinkStat other;  // direct, memcg and proactive reclaim
  };
  std::vector<Node> nodes;
};

// Cumulative kmem:mm_page_alloc counts (allocation calls, not pages).
struct AllocCell {
  int32_t nid = -1;  // -1: zone unknown
  int32_t zid = -1;
  uint8_t order = 0;
  uint8_t migratetype = 0;
  uint8_t gfp_class = 0;  // bit 0: may direct-reclaim, bit 1: movable
  uint64_t calls = 0;
};
struct AllocCounters {
  std::vector<AllocCell> cells;  // only non-zero cells
};

// Health of the probes themselves (cumulative).
struct ProbeCounters {
  uint64_t ringbuf_drops = 0;
  uint64_t reclaim_unpaired = 0;
};

// /proc/vmstat (cumulative counters as the kernel prints them).
struct VmstatSample {
  std::map<std::string, uint64_t> counters;
};

// /proc/zoneinfo merged with /proc/buddyinfo, plus vm.min_free_kbytes.
struct ZoneSample {
  std::vector<ZoneInfo> zones;
  int64_t min_free_kbytes = -1;  // -1: unknown
};

// CPU time of the kswapdN threads (/proc/<pid>/stat utime+stime).
struct KswapdCpuSample {
  struct Thread {
    int32_t nid = 0;
    int32_t pid = 0;
    uint64_t cpu_ns = 0;  // cumulative
  };
  std::vector<Thread> threads;
};

// ---- memory hot-add (issue 6; core/hotadd_tracker merges these) ----

// A kernel uevent for /sys/devices/system/memory/memoryN (NETLINK_KOBJECT_UEVENT),
// with the block's sysfs attributes read when it was received ("" once removed).
struct MemoryBlockEvent {
  std::string action;       // "add", "online", "offline", "remove" (also "change", ...)
  uint64_t block = 0;       // N of memoryN
  uint64_t block_size = 0;  // bytes (block_size_bytes); 0: unknown
  std::string phys_index, state, valid_zones;
  uint64_t seqnum = 0;
};

// /sys/devices/system/xen_memory/xen_memory0: target_kb, info/{current,low,high}_kb.
struct BalloonSample {
  int64_t target_kb = -1, current_kb = -1, low_kb = -1, high_kb = -1;  // -1: unreadable
};

// One hit of a hot-add probe in bpf/hotadd.bpf.c.
struct HotplugCall {
  enum Kind : uint8_t { AddMemory, OnlinePages, SetupWmarks, ZoneWmarks, LowmemReserve };
  Kind kind = AddMemory;
  std::string via;  // "fentry", "fexit", "kprobe", "kretprobe", "tp_btf", "tracepoint"
  int32_t nid = -1, zid = -1;
  std::string zone, upper_zone;          // LowmemReserve: reserve of `zone` against `upper_zone`
  uint64_t start_pfn = 0, nr_pages = 0;  // AddMemory (resource), OnlinePages
  uint64_t min = 0, low = 0, high = 0;   // ZoneWmarks
  int64_t managed = -1, present = -1;    // zone counters when the probe could read them
  int64_t lowmem_reserve = 0;            // LowmemReserve
};

// A detector verdict raised or cleared, as `record` saw it live (it runs the
// detector over what it records). Analysis ignores these: a replay recomputes
// verdicts from the events; they are kept for the report and the timeline.
struct VerdictChange {
  bool raised = true;  // false: cleared
  Verdict verdict;
};

using EventData = std::variant<KswapdWake, KswapdSleep, WakeupKswapd, DirectReclaim, ReclaimCounters,
                               AllocCounters, ProbeCounters, VmstatSample, ZoneSample, KswapdCpuSample,
                               MemoryBlockEvent, BalloonSample, HotplugCall, VerdictChange>;

struct Event {
  TimeNs ts = 0;
  EventData data;
};

// Where a stream came from and what it could see; carried into summaries.
struct SourceInfo {
  std::string kernel_release;
  std::string backend;                        // "bpf", "replay", "synthetic"
  std::map<std::string, std::string> attach;  // event -> "tp_btf" | "tracepoint" | "missing"
  std::vector<std::string> degraded;          // human-readable notes on what is missing
  // hot-add sources (issue 6): name -> mode ("netlink", "fentry", "kprobe", "tp_btf",
  // "tracepoint", "sysfs", "procfs") or "missing: <why>"
  std::map<std::string, std::string> hotadd_sources;
  uint32_t page_size = 4096;
};

}  // namespace kst
