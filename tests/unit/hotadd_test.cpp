// Memory hot-add tracking (issue 6): uevent parsing, the tracker's merge of
// uevents / probes / balloon / zoneinfo samples, the hot-add hazard rule,
// balloon sysfs reading, hot-add record decoding and the report output.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/analyzer.h"
#include "core/hotadd_tracker.h"
#include "core/uevent.h"
#include "hotadd_abi.h"
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "sources/hotadd/hotadd_monitor.h"
#include "sources/hotadd/hotadd_probes.h"

using namespace kst;

namespace {

const std::string kDir = std::string(KST_TEST_DATA) + "/hotadd/";
constexpr TimeNs kSec = 1'000'000'000ull;
constexpr uint64_t kBlock = 0x8000000;  // 128 MiB

std::string slurp(const std::string& name) {
  std::ifstream in(kDir + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ZoneSample zones(const std::string& name, int64_t min_free_kbytes = -1) {
  ZoneSample s;
  s.zones = parse_zoneinfo(slurp(name));
  s.min_free_kbytes = min_free_kbytes;
  return s;
}

MemoryBlockEvent block_event(const std::string& file, const std::string& state, const std::string& valid) {
  auto u = parse_uevent(slurp(file));
  EXPECT_TRUE(u.has_value()) << file;
  auto m = memory_block_from_uevent(*u);
  EXPECT_TRUE(m.has_value()) << file;
  m->block_size = kBlock;
  m->state = state;
  m->valid_zones = valid;
  return *m;
}

HotplugCall call(HotplugCall::Kind k, const std::string& via) {
  HotplugCall c;
  c.kind = k;
  c.via = via;
  return c;
}

const HotAddZone* zone_change(const HotAdd& h, const std::string& name) {
  for (const auto& z : h.zones)
    if (z.zone == name) return &z;
  return nullptr;
}

bool has_hazard(const HotAdd& h, const std::string& kind) {
  for (const auto& x : h.hazards)
    if (x.kind == kind) return true;
  return false;
}

// The DIMM hot-add as a 6.1 guest shows it: block added offline, onlined.
void feed_dimm(HotAddTracker& t, bool probes) {
  t.on(1 * kSec, zones("zoneinfo_dimm_6.1.before", 2700));
  if (probes) {
    HotplugCall a = call(HotplugCall::AddMemory, "fentry");
    a.nid = 0;
    a.start_pfn = 0x100000;
    a.nr_pages = 32768;
    t.on(10 * kSec, a);
  }
  t.on(10 * kSec + 1000, block_event("uevent_add_memory32.bin", "offline", "Normal Movable"));
  if (probes) {
    HotplugCall o = call(HotplugCall::OnlinePages, "fentry");
    o.nid = 0;
    o.zid = 2;
    o.zone = "Normal";
    o.start_pfn = 0x100000;
    o.nr_pages = 32768;
    o.managed = 0;
    o.present = 0;
    t.on(10 * kSec + 200'000'000, o);
    t.on(10 * kSec + 200'100'000, call(HotplugCall::SetupWmarks, "fexit"));
  }
  t.on(10 * kSec + 201'000'000, block_event("uevent_online_memory32.bin", "online", "Normal"));
  t.on(10 * kSec + 500'000'000, zones("zoneinfo_dimm_6.1.after", 3238));
}

}  // namespace

// ---- uevent payloads ----

TEST(Uevent, RecordedHostChangeEvent) {
  auto u = parse_uevent(slurp("uevent_change_memory0_host618.bin"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->action, "change");
  EXPECT_EQ(u->devpath, "/devices/system/memory/memory0");
  EXPECT_EQ(u->subsystem, "memory");
  EXPECT_EQ(u->seqnum, 827u);
  EXPECT_EQ(u->env.at("SYNTH_UUID"), "0");
  auto m = memory_block_from_uevent(*u);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->action, "change");
  EXPECT_EQ(m->block, 0u);
}

TEST(Uevent, MemoryBlockLifecycle) {
  const std::pair<const char*, const char*> cases[] = {{"uevent_add_memory32.bin", "add"},
                                                       {"uevent_online_memory32.bin", "online"},
                                                       {"uevent_offline_memory33.bin", "offline"},
                                                       {"uevent_remove_memory33.bin", "remove"}};
  for (const auto& [file, action] : cases) {
    auto u = parse_uevent(slurp(file));
    ASSERT_TRUE(u) << file;
    auto m = memory_block_from_uevent(*u);
    ASSERT_TRUE(m) << file;
    EXPECT_EQ(m->action, action);
    EXPECT_EQ(m->block, std::string(file).find("32") != std::string::npos ? 32u : 33u);
    EXPECT_GT(m->seqnum, 1500u);
  }
}

TEST(Uevent, RejectsOtherSubsystemsAndUdevRebroadcasts) {
  auto cpu = parse_uevent(slurp("uevent_online_cpu1.bin"));
  ASSERT_TRUE(cpu);
  EXPECT_FALSE(memory_block_from_uevent(*cpu));
  EXPECT_FALSE(parse_uevent(slurp("uevent_libudev.bin")));
  EXPECT_FALSE(parse_uevent(""));
  EXPECT_FALSE(parse_uevent(std::string("garbage\0ACTION=add\0", 19)));
  // the memory directory itself is not a block
  Uevent u;
  u.subsystem = "memory";
  u.devpath = "/devices/system/memory";
  EXPECT_FALSE(memory_block_from_uevent(u));
  u.devpath = "/devices/system/memory/memoryX";
  EXPECT_FALSE(memory_block_from_uevent(u));
}

TEST(Uevent, SysfsHex) {
  EXPECT_EQ(parse_sysfs_hex("8000000\n"), 0x8000000u);
  EXPECT_EQ(parse_sysfs_hex("00000020"), 0x20u);
  EXPECT_EQ(parse_sysfs_hex("0x80000000"), 0x80000000u);
  EXPECT_FALSE(parse_sysfs_hex(""));
  EXPECT_FALSE(parse_sysfs_hex("zz"));
}

// ---- the tracker ----

TEST(HotAddTracker, DimmHotAddFromUeventsAndZoneinfoOnly) {
  // the 6.18 host's situation: no kprobes, no fentry
  HotAddTracker t;
  feed_dimm(t, false);
  EXPECT_TRUE(t.take_settled().empty());
  t.advance(20 * kSec);
  auto done = t.take_settled();
  ASSERT_EQ(done.size(), 1u);
  const HotAdd& h = done[0];
  EXPECT_EQ(h.kind, "hot-add");
  EXPECT_TRUE(h.settled);
  EXPECT_EQ(h.first_ns, 10 * kSec + 1000);
  ASSERT_EQ(h.blocks.size(), 1u);
  EXPECT_EQ(h.blocks[0].block, 32u);
  EXPECT_EQ(h.blocks[0].actions, (std::vector<std::string>{"add", "online"}));
  EXPECT_EQ(h.blocks[0].state, "online");
  ASSERT_TRUE(h.has_range);
  EXPECT_EQ(h.phys_start, 0x100000000u);
  EXPECT_EQ(h.phys_end, 0x108000000u);
  EXPECT_EQ(h.nid, 0);
  EXPECT_EQ(h.zone, "Normal");
  EXPECT_EQ(h.present_delta, 32768);
  EXPECT_EQ(h.managed_delta, 32768);
  ASSERT_TRUE(h.have_zoneinfo);
  const HotAddZone* n = zone_change(h, "Normal");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->joined);
  EXPECT_TRUE(n->new_zone);
  EXPECT_EQ(n->before.present, 0u);
  EXPECT_EQ(n->after.present, 32768u);
  EXPECT_EQ(n->after.min, 180u);
  EXPECT_EQ(n->after.high, 270u);
  // DMA32's watermarks moved too (min_free_kbytes grew), but it did not join
  const HotAddZone* d = zone_change(h, "DMA32");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->joined);
  EXPECT_EQ(h.sources, (std::set<std::string>{"uevent", "zoneinfo"}));
  EXPECT_TRUE(h.hazards.empty()) << h.hazards[0].message;
  EXPECT_FALSE(h.balloon_before || h.balloon_after);
  EXPECT_TRUE(t.take_settled().empty());
}

TEST(HotAddTracker, DimmHotAddWithKernelProbes) {
  HotAddTracker t;
  feed_dimm(t, true);
  t.advance(20 * kSec);
  auto f = t.findings();
  ASSERT_EQ(f.size(), 1u);
  const HotAdd& h = f[0];
  EXPECT_EQ(h.first_ns, 10 * kSec);
  EXPECT_EQ(h.zone, "Normal");
  EXPECT_EQ(h.pages_onlined, 32768u);
  EXPECT_EQ(h.phys_start, 0x100000000u);
  EXPECT_EQ(h.phys_end, 0x108000000u);
  EXPECT_EQ(h.wmark_updates, 1u);
  EXPECT_EQ(h.sources, (std::set<std::string>{"uevent", "zoneinfo", "add_memory_resource", "online_pages",
                                              "setup_per_zone_wmarks"}));
  EXPECT_TRUE(h.hazards.empty());
  EXPECT_EQ(t.events_by_source().at("online_pages"), 1u);
}

TEST(HotAddTracker, XenSeedShapeIsFlaggedBeforeItSettles) {
  HotAddTracker t;
  t.on(1 * kSec, zones("zoneinfo_xen_domu.before", 4016));
  t.on(1 * kSec, *read_xen_balloon(kDir + "balloon_xen_seed.before"));
  // xl mem-set: the target rises a moment before the balloon hot-adds
  BalloonSample raised = *read_xen_balloon(kDir + "balloon_xen_seed.before");
  raised.target_kb = 1048612;
  t.on(5 * kSec, raised);
  t.on(5 * kSec + 300'000'000, block_event("uevent_add_memory32.bin", "offline", "Normal"));
  t.on(5 * kSec + 310'000'000, block_event("uevent_online_memory32.bin", "online", "Normal"));
  t.on(5 * kSec + 700'000'000, zones("zoneinfo_xen_seed.after", 4016));
  t.on(6 * kSec, *read_xen_balloon(kDir + "balloon_xen_seed.after"));

  // flagged immediately: the open episode already carries the verdict
  auto open = t.open();
  ASSERT_TRUE(open);
  EXPECT_FALSE(open->settled);
  EXPECT_TRUE(has_hazard(*open, "hotadd-ballooned-zone"));
  EXPECT_TRUE(has_hazard(*open, "hotadd-watermarks"));

  t.advance(30 * kSec);
  auto f = t.take_settled();
  ASSERT_EQ(f.size(), 1u);
  const HotAdd& h = f[0];
  EXPECT_EQ(h.zone, "Normal");
  EXPECT_EQ(h.present_delta, 32768);
  EXPECT_EQ(h.managed_delta, 9);
  const HotAddZone* n = zone_change(h, "Normal");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->after.managed, 9u);
  EXPECT_EQ(n->after.min, 0u);
  ASSERT_TRUE(h.balloon_before && h.balloon_after);
  EXPECT_EQ(h.balloon_before->target_kb, 1048576);
  EXPECT_EQ(h.balloon_after->target_kb, 1048612);
  EXPECT_EQ(h.balloon_after->current_kb, 1048612);
  EXPECT_EQ(h.balloon_after->low_kb, 131036);
  EXPECT_TRUE(h.sources.count("xen-balloon"));
  ASSERT_EQ(h.hazards.size(), 2u);
  EXPECT_EQ(h.hazards[0].kind, "hotadd-ballooned-zone");
  EXPECT_EQ(h.hazards[0].severity, "critical");
  EXPECT_EQ(h.hazards[0].zone, "Normal");
  EXPECT_NE(h.hazards[0].advice.find("movable"), std::string::npos);
  EXPECT_NE(h.hazards[0].advice.find("dom0_mem"), std::string::npos);
  EXPECT_EQ(h.hazards[1].kind, "hotadd-watermarks");
  EXPECT_EQ(h.hazards[1].severity, "warning");  // 9 pages: no reserve is what rounding gives
  EXPECT_NE(h.hazards[1].message.find("low == high"), std::string::npos);
  EXPECT_NE(h.hazards[1].advice.find("fix-watermarks --apply"), std::string::npos);
}

TEST(HotAddTracker, BalloonPopulatedZoneStillHasZeroWatermarks) {
  HotAddTracker t;
  t.on(1 * kSec, zones("zoneinfo_xen_domu.before", 4016));
  t.on(2 * kSec, block_event("uevent_add_memory32.bin", "online", "Normal"));
  t.on(3 * kSec, zones("zoneinfo_xen_seed.after", 4016));
  t.on(4 * kSec, zones("zoneinfo_xen_populated.after", 4016));  // the balloon handed out every page
  t.advance(10 * kSec);
  auto f = t.findings();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].managed_delta, 32768);
  ASSERT_EQ(f[0].hazards.size(), 1u);
  EXPECT_EQ(f[0].hazards[0].kind, "hotadd-watermarks");
  EXPECT_EQ(f[0].hazards[0].severity, "critical");
  EXPECT_EQ(f[0].hazards[0].evidence.at("managed"), 32768u);
  EXPECT_GT(f[0].hazards[0].evidence.at("expected_min"), 100u);
}

TEST(HotAddTracker, ZoneinfoAloneDetectsAHotAdd) {
  HotAddTracker t;
  t.on(1 * kSec, zones("zoneinfo_dimm_6.1.before", 2700));
  t.on(2 * kSec, zones("zoneinfo_dimm_6.1.before", 2700));
  EXPECT_FALSE(t.open());
  t.on(3 * kSec, zones("zoneinfo_dimm_6.1.after", 3238));
  t.advance(10 * kSec);
  auto f = t.findings();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].sources, std::set<std::string>{"zoneinfo"});
  EXPECT_EQ(f[0].zone, "Normal");
  EXPECT_FALSE(f[0].has_range);
  EXPECT_EQ(f[0].present_delta, 32768);
}

TEST(HotAddTracker, WatermarkEventsAloneOpenNothing) {
  HotAddTracker t;
  t.on(1 * kSec, zones("zoneinfo_dimm_6.1.before", 2700));
  HotplugCall w = call(HotplugCall::ZoneWmarks, "tp_btf");
  w.zone = "DMA32";
  t.on(2 * kSec, w);  // e.g. a vm.watermark_scale_factor write
  t.on(2 * kSec, call(HotplugCall::SetupWmarks, "fexit"));
  t.on(2 * kSec, block_event("uevent_change_memory0_host618.bin", "online", "none"));
  t.advance(10 * kSec);
  EXPECT_TRUE(t.findings().empty());
  EXPECT_EQ(t.events_by_source().at("kmem:mm_setup_per_zone_wmarks"), 1u);
  EXPECT_EQ(t.events_by_source().at("uevent"), 1u);
}

TEST(HotAddTracker, SeparateEpisodesAndHotRemove) {
  HotAddTracker t;
  t.on(1 * kSec, zones("zoneinfo_dimm_6.1.before", 2700));
  t.on(2 * kSec, block_event("uevent_online_memory32.bin", "online", "Normal"));
  t.on(2 * kSec + 300'000'000, zones("zoneinfo_dimm_6.1.after", 3238));
  // much later: the block goes away again
  t.on(60 * kSec, block_event("uevent_offline_memory33.bin", "offline", "Normal"));
  t.on(60 * kSec + 1000, block_event("uevent_remove_memory33.bin", "", ""));
  t.on(60 * kSec + 300'000'000, zones("zoneinfo_dimm_6.1.before", 2700));
  auto first = t.take_settled();  // the first one settled when the second began
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].kind, "hot-add");
  t.advance(100 * kSec);
  auto second = t.take_settled();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, 2u);
  EXPECT_EQ(second[0].kind, "hot-remove");
  EXPECT_EQ(second[0].present_delta, -32768);
  EXPECT_TRUE(second[0].hazards.empty());
  EXPECT_EQ(t.findings().size(), 2u);
}

// ---- balloon sysfs ----

TEST(XenBalloon, ReadsSysfsSamples) {
  auto b = read_xen_balloon(kDir + "balloon_xen_dom0.before");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->target_kb, 393216);
  EXPECT_EQ(b->current_kb, 393216);
  EXPECT_EQ(b->low_kb, 131072);
  EXPECT_EQ(b->high_kb, 0);
  auto a = read_xen_balloon(kDir + "balloon_xen_dom0.after");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target_kb, 786432);
  EXPECT_EQ(a->current_kb, 786432);
  auto p = read_xen_balloon(kDir + "balloon_partial");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->target_kb, 524288);
  EXPECT_EQ(p->current_kb, -1);
  EXPECT_FALSE(read_xen_balloon(kDir + "no-such-root"));
}

// ---- BPF record decoding ----

TEST(HotAddRecords, DecodesOnlinePages) {
  kst_ha_rec rec{};
  rec.kind = KST_HA_ONLINE_PAGES;
  rec.size = sizeof rec;
  rec.via = KST_HA_VIA_KPROBE;
  rec.ts_ns = 42;
  rec.nid = 0;
  rec.zid = 2;
  rec.start_pfn = 0x100000;
  rec.nr_pages = 32768;
  rec.managed = 0;
  rec.present = 0;
  std::strcpy(rec.zone, "Normal");
  DecodeResult r = decode_hotadd_record(&rec, sizeof rec);
  ASSERT_TRUE(r.event) << r.error;
  EXPECT_EQ(r.event->ts, 42u);
  const auto& c = std::get<HotplugCall>(r.event->data);
  EXPECT_EQ(c.kind, HotplugCall::OnlinePages);
  EXPECT_EQ(c.via, "kprobe");
  EXPECT_EQ(c.zone, "Normal");
  EXPECT_EQ(c.zid, 2);
  EXPECT_EQ(c.nr_pages, 32768u);

  EXPECT_FALSE(decode_hotadd_record(&rec, sizeof rec - 1).event);
  rec.size = 7;
  EXPECT_FALSE(decode_hotadd_record(&rec, sizeof rec).event);
  rec.size = sizeof rec;
  rec.kind = 99;
  EXPECT_FALSE(decode_hotadd_record(&rec, sizeof rec).event);
}

// ---- through the analyzer into the reports ----

TEST(HotAddReport, SummaryJsonAndText) {
  SourceInfo src;
  src.backend = "synthetic";
  src.hotadd_sources = {
      {"uevent", "netlink"}, {"zoneinfo", "procfs"}, {"online_pages", "missing: no fentry and no kprobes"}};
  Analyzer an(src, 0);
  an.on_event({1 * kSec, zones("zoneinfo_xen_domu.before", 4016)});
  an.on_event({2 * kSec, block_event("uevent_add_memory32.bin", "offline", "Normal")});
  an.on_event({2 * kSec + 1, block_event("uevent_online_memory32.bin", "online", "Normal")});
  an.on_event({2 * kSec + 400'000'000, zones("zoneinfo_xen_seed.after", 4016)});
  Summary s = an.summary(10 * kSec);
  ASSERT_EQ(s.hotadd.size(), 1u);
  EXPECT_TRUE(s.hotadd[0].settled);

  nlohmann::json j = to_json(s);
  ASSERT_TRUE(j["hotadd"].is_array());
  ASSERT_EQ(j["hotadd"].size(), 1u);
  const auto& h = j["hotadd"][0];
  EXPECT_EQ(h["kind"], "hot-add");
  EXPECT_EQ(h["zone"], "Normal");
  EXPECT_EQ(h["nid"], 0);
  EXPECT_EQ(h["blocks"][0]["block"], 32);
  EXPECT_EQ(h["range"], "0x100000000-0x107ffffff");
  EXPECT_EQ(h["present_delta"], 32768);
  EXPECT_DOUBLE_EQ(h["start_s"].get<double>(), 2.0);
  EXPECT_EQ(h["zones"][0]["zone"], "Normal");
  EXPECT_EQ(h["zones"][0]["after"]["managed"], 9);
  EXPECT_EQ(h["hazards"][0]["kind"], "hotadd-ballooned-zone");
  EXPECT_EQ(h["sources"], nlohmann::json({"uevent", "zoneinfo"}));
  EXPECT_EQ(j["hotadd_sources"]["uevent"]["active"], true);
  EXPECT_EQ(j["hotadd_sources"]["uevent"]["events"], 2);
  EXPECT_EQ(j["hotadd_sources"]["online_pages"]["active"], false);

  const std::string text = render_text(s);
  if (getenv("KST_SHOW")) std::cout << text << j["hotadd"].dump(2) << "\n";
  EXPECT_NE(text.find("memory hot-add: 1 episode"), std::string::npos) << text;
  EXPECT_NE(text.find("active: uevent=netlink zoneinfo=procfs"), std::string::npos) << text;
  EXPECT_NE(text.find("not available: online_pages"), std::string::npos) << text;
  EXPECT_NE(text.find("memory32 [add online]"), std::string::npos) << text;
  EXPECT_NE(text.find("hotadd-ballooned-zone"), std::string::npos) << text;
}
