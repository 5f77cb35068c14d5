// The recording writer and reader against each other and against damage:
// round trip, same summary as the one-shot, rotation/eviction, torn tail,
// bit flips, truncated header, versions, unknown records, SIGKILL mid-write.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/analyzer.h"
#include "core/recording_format.h"
#include "sinks/json/json_report.h"
#include "sinks/recording/recording_writer.h"
#include "sinks/text/text_report.h"
#include "sinks/trace/chrome_trace.h"
#include "sources/recording/recording_reader.h"
#include "sources/recording/recording_replay.h"

namespace fs = std::filesystem;
using namespace kst;

namespace {

constexpr TimeNs kSec = 1000000000ull;
constexpr TimeNs kStart = 1000 * kSec;

SourceInfo test_source() {
  SourceInfo s;
  s.kernel_release = "6.1.0-test";
  s.backend = "bpf";
  s.attach = {{"vmscan:mm_vmscan_kswapd_wake", "tp_btf"}, {"kmem:mm_page_alloc", "tracepoint"}};
  s.degraded = {"wakeup_kswapd has no zid on this kernel"};
  s.hotadd_sources = {{"uevent", "netlink"}, {"add_memory", "missing: no BTF"}};
  s.page_size = 4096;
  return s;
}

ZoneInfo zone(int nid, int zid, const char* name, uint64_t free, uint64_t start_pfn, uint64_t spanned) {
  ZoneInfo z;
  z.nid = nid;
  z.zid = zid;
  z.name = name;
  z.free = free;
  z.boost = 3;
  z.min = 1000 + zid;
  z.low = 1250 + zid;
  z.high = 1500 + zid;
  z.spanned = spanned;
  z.present = spanned - 7;
  z.managed = spanned - 100;
  z.start_pfn = start_pfn;
  z.has_start_pfn = true;
  z.protection = {0, 1234, 5678};
  z.node_unreclaimable = zid == 1;
  z.stats = {{"nr_free_pages", free}, {"nr_zone_active_file", 4242}, {"nr_mlock", 1}};
  z.free_blocks = {free / 2, 10, 5, 1, 0, 0, 0, 0, 0, 0, 2};
  return z;
}

// One set of samples as LiveSource::sample() produces them, at second i.
std::vector<Event> samples(TimeNs ts, uint64_t i) {
  std::vector<Event> v;
  ZoneSample zs;
  zs.zones = {zone(0, 0, "DMA", 3840, 1, 4095), zone(0, 1, "DMA32", 700000 - i * 1000, 4096, 1044480),
              zone(0, 2, "Normal", 50000 - i * 500, 1048576, 4194304),
              zone(1, 2, "Normal", 90000, 5242880, 4194304)};
  zs.min_free_kbytes = 67584;
  v.push_back({ts, zs});
  AllocCounters ac;
  for (uint8_t order : {0, 1, 3, 9})
    ac.cells.push_back({0, 2, order, static_cast<uint8_t>(order % 3), static_cast<uint8_t>(order & 3),
                        (1000 + order) * (i + 1)});
  ac.cells.push_back({-1, -1, 0, 0, 0, 5 * i});
  v.push_back({ts, ac});
  ReclaimCounters rc;
  rc.nodes.push_back({0, {10 * i, 3200 * i, 3000 * i}, {i, 320 * i, 100 * i}});
  rc.nodes.push_back({1, {0, 0, 0}, {0, 0, 0}});
  v.push_back({ts, rc});
  v.push_back({ts, ProbeCounters{7 + 2 * i, i}});
  VmstatSample vm;
  vm.counters = {
      {"pgalloc_normal", 100000 + 4000 * i}, {"pgalloc_dma32", 500 + i},   {"allocstall_normal", i},
      {"pgscan_kswapd", 3200 * i},           {"pgsteal_kswapd", 3000 * i}, {"nr_free_pages", 123}};
  v.push_back({ts, vm});
  KswapdCpuSample cpu;
  cpu.threads = {{0, 77, 5000000 * i}, {1, 78, 0}};
  v.push_back({ts, cpu});
  return v;
}

// A stream like the one-shot sees: samples every second, episodes between.
std::vector<Event> synthetic_stream(int seconds, TimeNs start = kStart) {
  std::vector<Event> out;
  auto add = [&](std::vector<Event> v) {
    for (auto& e : v) out.push_back(std::move(e));
  };
  add(samples(start + 1000, 0));
  for (int s = 0; s < seconds; ++s) {
    const TimeNs t = start + s * kSec;
    out.push_back({t + 100000000, KswapdWake{0, 2, s % 3}});
    for (int k = 0; k < 5; ++k)
      out.push_back({t + 110000000 + k * 1000, WakeupKswapd{0, 2, k % 2, 0x400cc0ull, 4000u + k, "memhog"}});
    out.push_back({t + 200000000, KswapdWake{0, 2, 0}});  // re-wake
    out.push_back({t + 400000000, KswapdSleep{0}});
    DirectReclaim d;
    d.pid = 4001;
    d.comm = "memhog";
    d.order = s % 4;
    d.gfp = 0x100cca;
    d.begin_ns = t + 300000000;
    d.end_ns = t + 300000000 + 1500000 * (s + 1);
    d.nr_reclaimed = 32 * (s + 1);
    d.memcg = s % 2;
    out.push_back({d.end_ns, d});
    if (s + 1 < seconds) add(samples(t + kSec, s + 1));
  }
  // a memory hot-add in the middle: uevents, probe hits, balloon samples
  const TimeNs h = start + (seconds / 2) * kSec + 600000000;
  out.push_back({h, BalloonSample{262144, 131072, 0, 0}});
  HotplugCall call;
  call.kind = HotplugCall::AddMemory;
  call.via = "kprobe";
  call.nid = 0;
  call.start_pfn = 0x140000;
  call.nr_pages = 32768;
  out.push_back({h + 1000, call});
  MemoryBlockEvent mb;
  mb.action = "add";
  mb.block = 40;
  mb.block_size = 128 << 20;
  mb.phys_index = "00000028";
  mb.state = "offline";
  mb.valid_zones = "Normal Movable";
  mb.seqnum = 4711;
  out.push_back({h + 2000, mb});
  mb.action = "online";
  mb.state = "online";
  out.push_back({h + 3000, mb});
  HotplugCall wm;
  wm.kind = HotplugCall::ZoneWmarks;
  wm.via = "tp_btf";
  wm.nid = 0;
  wm.zid = 2;
  wm.zone = "Normal";
  wm.min = wm.low = wm.high = 0;
  wm.managed = 9;
  wm.present = 32768;
  out.push_back({h + 4000, wm});
  out.push_back({h + 5000, BalloonSample{262144, 262144, 0, 0}});
  // the verdict `record` would have written for that zone
  VerdictChange vc;
  vc.verdict.kind = "TINY-ZONE";
  vc.verdict.severity = "warning";
  vc.verdict.nid = 0;
  vc.verdict.since = vc.verdict.raised = h + 6000;
  vc.verdict.message = "Normal: 9 managed of 32768 present pages";
  vc.verdict.advice = "online the new blocks as movable";
  vc.verdict.evidence = {{"managed", 9}, {"present", 32768}, {"ratio", 9.0 / 32768}, {"unknown", -1}};
  out.push_back({h + 6000, vc});
  out.push_back({start + seconds * kSec - 50000000, KswapdWake{1, 2, 2}});  // open at the end
  add(samples(start + seconds * kSec, seconds));
  return out;
}

std::string encode_all(const std::vector<Event>& v) {
  std::string s;
  for (const auto& e : v) rec::append_event(s, e);
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/kst-rec-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string sub(const std::string& s) const { return (path / s).string(); }
};

RecordingOptions opts(const std::string& dir) {
  RecordingOptions o;
  o.dir = dir;
  o.sync = false;
  return o;
}

RecordingMeta meta() {
  RecordingMeta m;
  m.source = test_source();
  m.zones = std::get<ZoneSample>(samples(0, 0).front().data).zones;
  return m;
}

// Writes the stream with a flush at every sample set (one block per second).
void write_recording(const std::string& dir, const std::vector<Event>& ev, RecordingOptions o = {}) {
  if (o.dir.empty()) o = opts(dir);
  RecordingWriter w(o, meta());
  w.start(kStart);
  TimeNs last = kStart;
  for (const auto& e : ev) {
    w.write(e);
    if (std::holds_alternative<KswapdCpuSample>(e.data)) w.flush();
    last = e.ts;
  }
  w.finish(last, rec::EndReason::DurationElapsed);
}

struct ReadBack {
  std::vector<Event> events;
  std::vector<std::string> warnings;
  ReadStats stats;
  bool start = false, end = false;
};

ReadBack read_back(const std::string& path) {
  ReadBack rb;
  RecordingReader r(path, [&](const std::string& m) { rb.warnings.push_back(m); });
  r.read([&](const RecordItem& it) {
    if (it.kind == RecordItem::Kind::Event) rb.events.push_back(it.event);
    if (it.kind == RecordItem::Kind::Start) rb.start = true;
    if (it.kind == RecordItem::Kind::End) rb.end = true;
  });
  rb.stats = r.stats();
  return rb;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void spit(const std::string& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}

// Offsets of the blocks of one segment file.
std::vector<size_t> block_offsets(const std::string& file) {
  const std::string d = slurp(file);
  const uint32_t len = rec::parse_header_prefix(std::string_view(d).substr(0, rec::kFileHeaderPrefix));
  std::vector<size_t> out;
  for (size_t off = rec::kFileHeaderPrefix + len; off + rec::kBlockHeaderSize <= d.size();) {
    auto b = rec::parse_block_header(std::string_view(d).substr(off, rec::kBlockHeaderSize));
    if (!b) break;
    out.push_back(off);
    off += rec::kBlockHeaderSize + b->comp_len;
  }
  return out;
}

// Every alternative of EventData, default-constructed, by index.
template <size_t... I>
std::vector<Event> every_alternative(std::index_sequence<I...>) {
  return {Event{100 + I, EventData{std::in_place_index<I>}}...};
}

}  // namespace

TEST(RecordingFormat, EveryEventAlternativeRoundTrips) {
  auto all = every_alternative(std::make_index_sequence<std::variant_size_v<EventData>>{});
  std::set<uint16_t> tags;
  for (const auto& e : all) {
    std::string bytes;
    rec::append_event(bytes, e);
    auto recs = rec::split_records(bytes);
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_FALSE(recs[0].tag & rec::kTagCritical);
    EXPECT_TRUE(tags.insert(recs[0].tag).second) << "duplicate tag " << recs[0].tag;
    auto back = rec::decode_event(recs[0]);
    ASSERT_TRUE(back) << "no decoder for variant index " << e.data.index();
    EXPECT_EQ(back->data.index(), e.data.index());
    EXPECT_EQ(back->ts, e.ts);
  }
}

// 1.3 appends the memory cgroup's id and path to DirectReclaim; a 1.2 record
// (which ends after `memcg`) still decodes, with the cgroup unknown.
TEST(RecordingFormat, DirectReclaimCarriesItsCgroupAnd12RecordsStillDecode) {
  DirectReclaim d;
  d.pid = 7;
  d.comm = "dd";
  d.memcg = true;
  d.nr_reclaimed = 32;
  d.cgroup_id = 4242;
  d.cgroup = "/kubepods/pod\x1b[31m";  // untrusted bytes travel as they are
  std::string bytes;
  rec::append_event(bytes, Event{5, EventData{d}});
  auto back = rec::decode_event(rec::split_records(bytes)[0]);
  ASSERT_TRUE(back);
  const auto& got = std::get<DirectReclaim>(back->data);
  EXPECT_EQ(got.cgroup_id, 4242u);
  EXPECT_EQ(got.cgroup, d.cgroup);
  EXPECT_EQ(got.nr_reclaimed, 32u);

  // the same record as 1.2 wrote it: the body without the 8 + 4 + len appended bytes
  const size_t appended = 8 + 4 + d.cgroup.size();
  std::string old = bytes.substr(0, bytes.size() - appended);
  const uint32_t len = static_cast<uint32_t>(old.size() - 14);
  std::memcpy(old.data() + 2, &len, 4);
  auto back12 = rec::decode_event(rec::split_records(old)[0]);
  ASSERT_TRUE(back12);
  const auto& got12 = std::get<DirectReclaim>(back12->data);
  EXPECT_EQ(got12.cgroup_id, 0u);
  EXPECT_EQ(got12.cgroup, "");
  EXPECT_TRUE(got12.memcg);
  EXPECT_EQ(got12.nr_reclaimed, 32u);
}

// fuzz-recording found an allocation cell with order 186: `calls << order`
// was undefined behaviour in the summary. Orders beyond any kernel's
// MAX_PAGE_ORDER are damage, refused when the record is decoded.
TEST(RecordingFormat, OutOfRangeOrdersAreRejected) {
  for (int order : {rec::kMaxPageOrder + 1, 186, 255}) {
    AllocCounters a;
    a.cells.push_back(AllocCell{0, 1, static_cast<uint8_t>(order), 0, 0, 5});
    std::string bytes;
    rec::append_event(bytes, Event{1, EventData{a}});
    EXPECT_THROW(rec::decode_event(rec::split_records(bytes)[0]), rec::FormatError) << order;
  }
  for (int order : {-2, 64, 1 << 30}) {
    KswapdWake w;
    w.order = order;
    std::string bytes;
    rec::append_event(bytes, Event{1, EventData{w}});
    EXPECT_THROW(rec::decode_event(rec::split_records(bytes)[0]), rec::FormatError) << order;
  }
  AllocCounters ok;
  ok.cells.push_back(AllocCell{0, 1, static_cast<uint8_t>(rec::kMaxPageOrder), 0, 0, 5});
  std::string bytes;
  rec::append_event(bytes, Event{1, EventData{ok}});
  EXPECT_TRUE(rec::decode_event(rec::split_records(bytes)[0]));
}

TEST(RecordingFormat, PopulatedStreamRoundTripsBitExact) {
  const auto ev = synthetic_stream(5);
  const std::string bytes = encode_all(ev);
  std::vector<Event> back;
  for (const auto& r : rec::split_records(bytes)) back.push_back(*rec::decode_event(r));
  EXPECT_EQ(encode_all(back), bytes);
}

TEST(RecordingFormat, HeaderRoundTrip) {
  rec::Header h;
  h.recording_id = "abc";
  h.segment = 7;
  h.kernel_release = "6.1.0";
  h.page_size = 16384;
  h.realtime_offset_ns = -12345;
  h.recording_start_ns = 99;
  h.source = test_source();
  h.zones = {{0, 2, "Normal", 1048576, 4194304, 4194000, 4000000}};
  const std::string s = rec::encode_header(h);
  const auto p = std::string_view(s).substr(0, rec::kFileHeaderPrefix);
  const rec::Header b = rec::decode_header(p, std::string_view(s).substr(rec::kFileHeaderPrefix));
  EXPECT_EQ(b.recording_id, "abc");
  EXPECT_EQ(b.segment, 7u);
  EXPECT_EQ(b.page_size, 16384u);
  EXPECT_EQ(b.realtime_offset_ns, -12345);
  EXPECT_EQ(b.source.attach, h.source.attach);
  EXPECT_EQ(b.source.degraded, h.source.degraded);
  ASSERT_EQ(b.zones.size(), 1u);
  EXPECT_EQ(b.zones[0].start_pfn, 1048576u);
}

// A crafted header (its CRC recomputed by encode_header, as anyone can) with a
// page size no kernel has: rejected with a clear error, not a SIGFPE later in
// the hazard check's min_free_kbytes / (page_size / 1024).
TEST(RecordingFormat, CraftedPageSizeIsRejected) {
  for (uint32_t ps : {0u, 512u, 1000u, 4095u, 12288u, 1u << 20}) {
    for (bool in_source : {false, true}) {
      rec::Header h;
      h.recording_id = "crafted";
      h.source = test_source();
      (in_source ? h.source.page_size : h.page_size) = ps;
      const std::string s = rec::encode_header(h);
      const auto p = std::string_view(s).substr(0, rec::kFileHeaderPrefix);
      try {
        rec::decode_header(p, std::string_view(s).substr(rec::kFileHeaderPrefix));
        ADD_FAILURE() << "page_size " << ps << " accepted";
      } catch (const rec::FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("page_size"), std::string::npos) << e.what();
      }
    }
  }
}

// fuzz-recording found this one: 1e70 where the header holds an integer made
// the JSON library's conversion undefined behaviour (UBSan). Now refused.
TEST(RecordingFormat, NonIntegerHeaderFieldsAreRejected) {
  rec::Header h;
  h.recording_id = "crafted";
  h.source = test_source();
  const std::string s = rec::encode_header(h);
  const std::string body = s.substr(rec::kFileHeaderPrefix);
  for (const char* bad : {"1.1e70", "-1", "2.5", "\"x\""}) {
    auto j = nlohmann::json::parse(body);
    j["segment"] = nlohmann::json::parse(bad);
    const std::string b2 = j.dump();
    std::string prefix = s.substr(0, rec::kFileHeaderPrefix);
    const uint32_t len = static_cast<uint32_t>(b2.size()), crc = rec::crc32_of(b2);
    std::memcpy(prefix.data() + 12, &len, 4);
    std::memcpy(prefix.data() + 16, &crc, 4);
    EXPECT_THROW(rec::decode_header(prefix, b2), rec::FormatError) << bad;
  }
}

// 1.4 "scope": -p/-c of a run round-trip; absent when nothing was limited;
// a crafted scope of the wrong shape is a FormatError, not a crash.
TEST(RecordingFormat, ScopeRoundTripsAndCraftedScopesAreRejected) {
  rec::Header h;
  h.recording_id = "scoped";
  h.source = test_source();
  const auto decode = [](const std::string& s) {
    return rec::decode_header(std::string_view(s).substr(0, rec::kFileHeaderPrefix),
                              std::string_view(s).substr(rec::kFileHeaderPrefix));
  };
  const std::string plain = rec::encode_header(h);
  EXPECT_EQ(plain.find("\"scope\""), std::string::npos);
  EXPECT_FALSE(decode(plain).scope.limited());
  h.scope.pids = {42, 4242};
  h.scope.cgroup = "/a/b";
  const rec::Header b = decode(rec::encode_header(h));
  EXPECT_EQ(b.scope.pids, (std::vector<uint32_t>{42, 4242}));
  EXPECT_EQ(b.scope.cgroup, "/a/b");
  const std::string s = rec::encode_header(h);
  for (const char* bad : {"[1]", R"({"pids": 5})", R"({"pids": [0]})", R"({"pids": [-3]})",
                          R"({"pids": [1.5]})", R"({"pids": [2000000000]})", R"({"cgroup": 7})"}) {
    auto j = nlohmann::json::parse(s.substr(rec::kFileHeaderPrefix));
    j["scope"] = nlohmann::json::parse(bad);
    const std::string b2 = j.dump();
    std::string prefix = s.substr(0, rec::kFileHeaderPrefix);
    const uint32_t len = static_cast<uint32_t>(b2.size()), crc = rec::crc32_of(b2);
    std::memcpy(prefix.data() + 12, &len, 4);
    std::memcpy(prefix.data() + 16, &crc, 4);
    EXPECT_THROW(rec::decode_header(prefix, b2), rec::FormatError) << bad;
  }
}

TEST(Recording, RoundTripThroughFiles) {
  TempDir t;
  const auto ev = synthetic_stream(10);
  write_recording(t.sub("rec"), ev);
  ReadBack rb = read_back(t.sub("rec"));
  EXPECT_TRUE(rb.warnings.empty());
  EXPECT_TRUE(rb.start);
  EXPECT_TRUE(rb.end);
  EXPECT_EQ(rb.events.size(), ev.size());
  EXPECT_EQ(encode_all(rb.events), encode_all(ev));
  EXPECT_EQ(rb.stats.bad_blocks + rb.stats.torn_blocks, 0u);
}

TEST(Recording, FilesAre0600AndDirectory0700) {
  TempDir t;
  write_recording(t.sub("rec"), synthetic_stream(2));
  struct stat st;
  ASSERT_EQ(::stat(t.sub("rec").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  int files = 0;
  for (const auto& de : fs::directory_iterator(t.sub("rec"))) {
    ASSERT_EQ(::stat(de.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << de.path();
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(Recording, ContinuesADirectoryWithARecordingAsANewRun) {
  TempDir t;
  write_recording(t.sub("rec"), synthetic_stream(1));
  const std::string id = RecordingReader(t.sub("rec")).header().recording_id;
  RecordingWriter w(opts(t.sub("rec")), meta());
  EXPECT_EQ(w.run(), 2u);
  EXPECT_EQ(w.recording_id(), id);
  EXPECT_EQ(w.stats().prior_segments, 1u);
}

// The heart of `report`: the same events give the same text and JSON as the
// one-shot's Analyzer fed directly.
TEST(Recording, ReplayGivesTheOneShotSummary) {
  TempDir t;
  const auto ev = synthetic_stream(8);
  const TimeNs end = ev.back().ts;
  Analyzer direct(test_source(), kStart);
  for (const auto& e : ev) direct.on_event(e);
  const Summary want = direct.summary(end);

  write_recording(t.sub("rec"), ev);
  RecordingReader r(t.sub("rec"));
  const ReplayResult got = replay_summary(r, {});
  EXPECT_TRUE(got.ended);
  EXPECT_EQ(render_text(got.summary), render_text(want));
  EXPECT_EQ(to_json(got.summary).dump(2), to_json(want).dump(2));
  EXPECT_GT(want.direct.count + want.direct.memcg_count, 0u);
  EXPECT_GT(want.lost_events, 0u);    // drops are carried through
  EXPECT_FALSE(want.hotadd.empty());  // and so are hot-add episodes
}

TEST(Recording, ReportCommandPrintsTheOneShotSummary) {
  TempDir t;
  const auto ev = synthetic_stream(4);
  Analyzer direct(test_source(), kStart);
  for (const auto& e : ev) direct.on_event(e);
  const Summary want = direct.summary(ev.back().ts);
  write_recording(t.sub("rec"), ev);
  for (bool json : {false, true}) {
    const std::string cmd =
        std::string(KST_BINARY) + " report " + t.sub("rec") + (json ? " --json" : "") + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    EXPECT_EQ(pclose(p), 0);
    if (!json) {
      EXPECT_EQ(out, render_text(want));
      continue;
    }
    // the one-shot's JSON plus the runs of the store (one here)
    nlohmann::json j = nlohmann::json::parse(out);
    ASSERT_EQ(j["runs"].size(), 1u);
    EXPECT_EQ(j["runs"][0]["run"], 1);
    EXPECT_EQ(j["runs"][0]["ended_by"], "duration");
    j.erase("runs");
    EXPECT_EQ(j["damage"]["damaged"], false);
    j.erase("damage");
    // in the envelope of the recorded host: schema, its hostname and boot, the window in UTC
    EXPECT_EQ(j["schema"], "kswaptrace.report/1");
    EXPECT_EQ(j.dump(2),
              summary_json(want, "report", recording_host(RecordingReader(t.sub("rec")).header())).dump(2));
  }
}

TEST(Recording, WindowSelectsEvents) {
  TempDir t;
  const auto ev = synthetic_stream(10);
  write_recording(t.sub("rec"), ev);
  RecordingReader r(t.sub("rec"));
  ReplayWindow w;
  w.from = kStart + 2 * kSec;
  w.to = kStart + 5 * kSec;
  const ReplayResult got = replay_summary(r, w);
  Analyzer direct(test_source(), *w.from);
  TimeNs last = 0;
  for (const auto& e : ev)
    if (e.ts >= *w.from && e.ts <= *w.to) {
      direct.on_event(e);
      last = e.ts;
    }
  EXPECT_EQ(render_text(got.summary), render_text(direct.summary(last)));
  EXPECT_NEAR(got.summary.duration_s, 3.0, 1e-6);

  // off the sample times: snapped to the nearest sample sets (2 s and 5 s)
  w.from = kStart + 2 * kSec + kSec / 5;
  w.to = kStart + 4 * kSec + kSec * 4 / 5;
  RecordingReader r2(t.sub("rec"));
  const ReplayResult wide = replay_summary(r2, w);
  Analyzer want(test_source(), kStart + 2 * kSec);
  for (const auto& e : ev) {
    if (e.ts >= kStart + 2 * kSec && e.ts <= kStart + 5 * kSec) want.on_event(e);
  }
  EXPECT_EQ(render_text(wide.summary), render_text(want.summary(kStart + 5 * kSec)));
  EXPECT_NEAR(wide.summary.duration_s, 3.0, 1e-6);
}

TEST(Recording, TimeSpecs) {
  rec::Header h;
  h.recording_start_ns = 500 * kSec;
  h.realtime_offset_ns = static_cast<int64_t>(1714557600) * 1000000000 - 400 * static_cast<int64_t>(kSec);
  EXPECT_EQ(parse_time_spec(h, "90"), 590 * kSec);
  EXPECT_EQ(parse_time_spec(h, "+1.5"), 501 * kSec + 500000000);
  EXPECT_EQ(parse_time_spec(h, "@1714557700"), 500 * kSec);
  // local wall-clock forms agree with @EPOCH
  const time_t s = 1714557700;
  tm lt{};
  localtime_r(&s, &lt);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &lt);
  EXPECT_EQ(parse_time_spec(h, buf), 500 * kSec);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.250", &lt);
  EXPECT_EQ(parse_time_spec(h, buf), 500 * kSec + 250000000);
  strftime(buf, sizeof buf, "%H:%M:%S", &lt);
  EXPECT_EQ(parse_time_spec(h, buf), 500 * kSec);
  EXPECT_THROW(parse_time_spec(h, "yesterday"), std::invalid_argument);
  EXPECT_THROW(parse_time_spec(h, "-5"), std::invalid_argument);
}

TEST(Recording, RotationKeepsTotalUnderCapAndEvictsOldest) {
  TempDir t;
  RecordingOptions o = opts(t.sub("rec"));
  o.max_size = 128 << 10;
  o.zstd_level = 1;
  const auto ev = synthetic_stream(400);
  {
    RecordingWriter w(o, meta());
    w.start(kStart);
    for (const auto& e : ev) {
      w.write(e);
      if (std::holds_alternative<KswapdCpuSample>(e.data)) {
        w.flush();
        uint64_t on_disk = 0;
        for (const auto& de : fs::directory_iterator(t.sub("rec"))) on_disk += fs::file_size(de.path());
        ASSERT_LE(on_disk, o.max_size);
        ASSERT_EQ(on_disk, w.total_size());
      }
    }
    w.finish(ev.back().ts, rec::EndReason::Stopped);
    EXPECT_GT(w.stats().segments_evicted, 0u);
  }
  std::vector<std::string> names;
  for (const auto& de : fs::directory_iterator(t.sub("rec"))) names.push_back(de.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_GE(names.size(), 2u);
  EXPECT_TRUE(segment_number(names.front()));  // the End-record reserve is gone after a clean finish
  EXPECT_NE(names.front(), segment_name(1));   // the oldest went first
  ReadBack rb = read_back(t.sub("rec"));
  EXPECT_TRUE(rb.warnings.empty());
  EXPECT_FALSE(rb.start);  // evicted with the first segment
  EXPECT_TRUE(rb.end);
  // what is kept is the newest tail of the stream, without gaps
  ASSERT_FALSE(rb.events.empty());
  ASSERT_LT(rb.events.size(), ev.size());
  const std::vector<Event> tail(ev.end() - rb.events.size(), ev.end());
  EXPECT_EQ(encode_all(rb.events), encode_all(tail));
  RecordingReader r(t.sub("rec"));
  EXPECT_GT(r.header().segment, 1u);
  EXPECT_EQ(r.header().recording_start_ns, kStart);  // still known after eviction
}

TEST(Recording, TornLastBlockIsSkippedWithAWarning) {
  TempDir t;
  const auto ev = synthetic_stream(6);
  write_recording(t.sub("rec"), ev);
  const std::string seg = t.sub("rec/" + segment_name(1));
  const auto blocks = block_offsets(seg);
  ASSERT_GE(blocks.size(), 3u);
  const std::string full = slurp(seg);
  // cut inside the last block's payload, then inside its header
  for (size_t cut : {full.size() - 5, blocks.back() + 10}) {
    spit(seg, full.substr(0, cut));
    ReadBack rb = read_back(t.sub("rec"));
    ASSERT_EQ(rb.warnings.size(), 1u);
    EXPECT_NE(rb.warnings[0].find("torn"), std::string::npos) << rb.warnings[0];
    EXPECT_EQ(rb.stats.torn_blocks, 1u);
    EXPECT_EQ(rb.stats.blocks, blocks.size() - 1);
    EXPECT_FALSE(rb.end);
    // everything before the torn block is intact
    const std::vector<Event> head(ev.begin(), ev.begin() + rb.events.size());
    EXPECT_EQ(encode_all(rb.events), encode_all(head));
    EXPECT_GT(rb.events.size(), ev.size() / 2);
  }
}

TEST(Recording, BitFlipsAreDetectedAndOnlyTheirBlockIsLost) {
  TempDir t;
  const auto ev = synthetic_stream(6);
  write_recording(t.sub("rec"), ev);
  const std::string seg = t.sub("rec/" + segment_name(1));
  const auto blocks = block_offsets(seg);
  ASSERT_GE(blocks.size(), 4u);
  const std::string full = slurp(seg);
  const ReadBack clean = read_back(t.sub("rec"));
  // payload byte, length field, ts field, crc field of the second block
  for (size_t at : {blocks[1] + rec::kBlockHeaderSize + 7, blocks[1] + 8, blocks[1] + 21, blocks[1] + 37}) {
    std::string bad = full;
    bad[at] ^= 0x10;
    spit(seg, bad);
    ReadBack rb = read_back(t.sub("rec"));
    ASSERT_EQ(rb.warnings.size(), 1u) << "flip at " << at;
    EXPECT_NE(rb.warnings[0].find("damaged block"), std::string::npos) << rb.warnings[0];
    EXPECT_EQ(rb.stats.bad_blocks, 1u);
    EXPECT_EQ(rb.stats.blocks, blocks.size() - 1);
    EXPECT_TRUE(rb.end);  // reading continued after the damage
    EXPECT_LT(rb.events.size(), clean.events.size());
  }
  // a flip in the header is fatal for a lone segment file, with a clear message
  std::string bad = full;
  bad[rec::kFileHeaderPrefix + 5] ^= 0x01;
  spit(seg, bad);
  try {
    RecordingReader r(seg);
    FAIL() << "corrupt header accepted";
  } catch (const RecordingReadError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
}

TEST(Recording, TruncatedHeaderIsRejected) {
  TempDir t;
  write_recording(t.sub("rec"), synthetic_stream(1));
  const std::string seg = t.sub("rec/" + segment_name(1));
  const std::string full = slurp(seg);
  for (size_t n : {size_t{0}, size_t{7}, size_t{19}, rec::kFileHeaderPrefix + 30}) {
    spit(seg, full.substr(0, n));
    try {
      RecordingReader r(seg);
      FAIL() << "accepted a " << n << "-byte header";
    } catch (const RecordingReadError& e) {
      EXPECT_NE(std::string(e.what()).find("truncated header"), std::string::npos) << e.what();
    }
  }
  // in a directory, a damaged last segment (crash while creating it) is skipped
  spit(seg, full);
  spit(t.sub("rec/" + segment_name(2)), full.substr(0, 12));
  ReadBack rb = read_back(t.sub("rec"));
  ASSERT_EQ(rb.warnings.size(), 1u);
  EXPECT_NE(rb.warnings[0].find("truncated header"), std::string::npos);
  EXPECT_TRUE(rb.end);
}

TEST(Recording, NewerMajorVersionIsRejectedNewerMinorRead) {
  TempDir t;
  write_recording(t.sub("rec"), synthetic_stream(2));
  const std::string seg = t.sub("rec/" + segment_name(1));
  std::string full = slurp(seg);
  full[8] = 2;  // major 2, minor 0
  full[10] = 0;
  spit(seg, full);
  try {
    RecordingReader r(t.sub("rec"));
    FAIL() << "accepted a newer major version";
  } catch (const RecordingReadError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("version 2.0 is newer"), std::string::npos) << m;
    EXPECT_NE(m.find("use a newer kswaptrace"), std::string::npos) << m;
  }
  full[8] = 1;
  full[10] = 9;  // minor 9: compatible by the versioning rules
  spit(seg, full);
  ReadBack rb = read_back(t.sub("rec"));
  EXPECT_TRUE(rb.warnings.empty());
  EXPECT_TRUE(rb.end);
}

// A newer writer's records: unknown skippable tags are skipped, appended
// fields ignored; an unknown critical tag stops the reader.
TEST(Recording, UnknownRecordsFromANewerMinorVersion) {
  TempDir t;
  fs::create_directory(t.sub("rec"));
  rec::Header h;
  h.recording_id = "x";
  h.segment = 1;
  h.source = test_source();
  std::string raw;
  rec::append_meta(raw, rec::kTagStart, kStart);
  rec::append_meta(raw, 0x0250, kStart + 1, "a hot-add record of the future");
  std::string ev;
  rec::append_event(ev, Event{kStart + 2, KswapdWake{1, 2, 3}});
  ev += "tail";  // a field appended by a newer minor version
  ev[2] = static_cast<char>(ev[2] + 4);
  raw += ev;
  std::string file = rec::encode_header(h) + rec::encode_block(raw, 3, kStart, kStart + 2, 3);
  spit(t.sub("rec/" + segment_name(1)), file);
  ReadBack rb = read_back(t.sub("rec"));
  EXPECT_EQ(rb.stats.unknown_records, 1u);
  ASSERT_EQ(rb.events.size(), 1u);
  EXPECT_EQ(std::get<KswapdWake>(rb.events[0].data).order, 3);

  std::string crit;
  rec::append_meta(crit, 0x8250, kStart + 1, "must understand");
  spit(t.sub("rec/" + segment_name(1)),
       rec::encode_header(h) + rec::encode_block(crit, 1, kStart, kStart, 3));
  RecordingReader r(t.sub("rec"));
  EXPECT_THROW(r.read([](const RecordItem&) {}), RecordingReadError);
}

// SIGKILL while writing: everything flushed before the kill reads back, as
// a gap-free prefix, losing at most about one flush interval.
TEST(Recording, SigkillMidWriteLosesAtMostTheLastFlushInterval) {
  TempDir t;
  const double flush_s = 0.2;
  int pfd[2];
  ASSERT_EQ(pipe(pfd), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pfd[0]);
    alarm(20);  // never outlive a failed parent
    RecordingOptions o = opts(t.sub("rec"));
    o.flush_interval_s = flush_s;
    o.sync = true;
    RecordingWriter w(o, meta());
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const TimeNs t0 = static_cast<TimeNs>(ts.tv_sec) * kSec + ts.tv_nsec;
    w.start(t0);
    (void)!write(pfd[1], "go", 2);
    for (uint64_t i = 0;; ++i) {
      clock_gettime(CLOCK_MONOTONIC, &ts);
      const TimeNs now = static_cast<TimeNs>(ts.tv_sec) * kSec + ts.tv_nsec;
      w.write(Event{now, WakeupKswapd{0, 2, 0, i, 1, "seq"}});  // gfp = sequence number
      if (i % 100 == 0)
        for (auto& e : samples(now, i)) w.write(e);
      w.maybe_flush(now);
      usleep(200);
    }
  }
  close(pfd[1]);
  char buf[2];
  ASSERT_EQ(read(pfd[0], buf, 2), 2);
  usleep(1500000);
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const TimeNs kill_at = static_cast<TimeNs>(ts.tv_sec) * kSec + ts.tv_nsec;
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  ReadBack rb = read_back(t.sub("rec"));
  EXPECT_LE(rb.warnings.size(), 1u);  // at most a torn last block
  EXPECT_TRUE(rb.start);
  EXPECT_FALSE(rb.end);
  uint64_t expect = 0;
  TimeNs last = 0;
  for (const auto& e : rb.events)
    if (const auto* w = std::get_if<WakeupKswapd>(&e.data)) {
      ASSERT_EQ(w->gfp, expect++) << "gap in the recovered events";
      last = e.ts;
    }
  EXPECT_GT(expect, 100u);
  EXPECT_GE(last + static_cast<TimeNs>((flush_s + 0.3) * 1e9), kill_at)
      << "lost " << (kill_at - last) / 1e6 << " ms, more than a flush interval";
}

TEST(ChromeTrace, SlicesCountersAndOpenEpisodes) {
  const auto ev = synthetic_stream(3);
  std::ostringstream os;
  ChromeTraceBuilder b(kStart, os);
  for (const auto& e : ev) b.on_event(e);
  b.finish(ev.back().ts);
  const nlohmann::json j = nlohmann::json::parse(os.str());
  int kswapd = 0, reclaim = 0, free_ctr = 0, alloc_ctr = 0, open = 0;
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e["ph"], name = e["name"];
    if (ph == "X" && name == "kswapd awake") {
      ++kswapd;
      if (e["args"].contains("open")) {
        ++open;
        // node 1's kswapd: its real pid from the samples, a process of its own
        EXPECT_EQ(e["pid"], 78);
        EXPECT_EQ(e["tid"], 78);
      } else {
        EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 300000.0);  // wake at +100 ms, sleep at +400 ms
        EXPECT_EQ(e["args"]["balance_passes"], 2);
      }
    }
    if (ph == "X" && (name == "direct reclaim" || name == "memcg reclaim")) {
      ++reclaim;
      EXPECT_EQ(e["pid"], 4001);  // the task's real tid
      EXPECT_EQ(e["tid"], 4001);
    }
    if (ph == "C" && name.rfind("free pages node", 0) == 0) ++free_ctr;
    if (ph == "C" && name == "page allocations (pages/s)") {
      ++alloc_ctr;
      EXPECT_GT(e["args"]["pages/s"].get<double>(), 0);
    }
  }
  EXPECT_EQ(kswapd, 4);
  EXPECT_EQ(open, 1);
  EXPECT_EQ(reclaim, 3);
  EXPECT_EQ(free_ctr, 4 * 4);
  EXPECT_EQ(alloc_ctr, 3);
  int hot = 0;
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "i" && e["pid"] == ChromeTraceBuilder::kPidHotadd) ++hot;
  EXPECT_EQ(hot, 4);  // add_memory, 2 uevents, zone watermarks
  int verdicts = 0;
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "i" && e["cat"] == "verdict") {
      ++verdicts;
      EXPECT_EQ(e["name"], "TINY-ZONE raised");
      EXPECT_EQ(e["pid"], 77);  // node 0's kswapd
      EXPECT_EQ(e["tid"], 77);
      EXPECT_EQ(e["args"]["evidence"]["managed"], 9);
    }
  EXPECT_EQ(verdicts, 1);
  // every pid is a real one or above PID_MAX_LIMIT (no collision with a system trace)
  for (const auto& e : j["traceEvents"]) {
    const int pid = e["pid"];
    EXPECT_TRUE(pid == 77 || pid == 78 || pid == 4001 || pid > (1 << 22)) << e.dump();
  }
}

TEST(ChromeTrace, KswapdWithoutAPidSampleGetsAPidNoTaskCanHave) {
  std::ostringstream os;
  ChromeTraceBuilder b(kStart, os);
  b.on_event({kStart + 1000, KswapdWake{0, 2, 0}});
  b.on_event({kStart + 2000, KswapdSleep{0}});
  b.finish(kStart + 3000);
  const nlohmann::json j = nlohmann::json::parse(os.str());
  int slices = 0;
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "X") {
      ++slices;
      EXPECT_EQ(e["pid"], ChromeTraceBuilder::kPidKswapdUnknown);
      EXPECT_GT(e["pid"].get<int>(), 1 << 22);
    }
  EXPECT_EQ(slices, 1);
}

TEST(Recording, ReportListsTheVerdictChangesRecordedLive) {
  const auto ev = synthetic_stream(3);
  Analyzer an(test_source(), kStart);
  for (const auto& e : ev) an.on_event(e);
  const Summary s = an.summary(ev.back().ts);
  ASSERT_EQ(s.recorded_verdicts.size(), 1u);
  EXPECT_TRUE(s.recorded_verdicts[0].second.raised);
  const std::string text = render_text(s);
  EXPECT_NE(text.find("verdict changes recorded live"), std::string::npos) << text;
  EXPECT_NE(text.find("raised  [warning] TINY-ZONE node 0"), std::string::npos) << text;
  const nlohmann::json j = to_json(s);
  ASSERT_EQ(j["recorded_verdicts"].size(), 1u);
  EXPECT_EQ(j["recorded_verdicts"][0]["change"], "raised");
  EXPECT_EQ(j["recorded_verdicts"][0]["kind"], "TINY-ZONE");
}

TEST(Recording, VerdictInForceBeforeFromIsCarriedIntoTheWindow) {
  TempDir t;
  auto ev = synthetic_stream(10);  // TINY-ZONE raised at ~5.6 s (appended out of order: sort)
  const auto by_ts = [](const Event& a, const Event& b) { return a.ts < b.ts; };
  std::stable_sort(ev.begin(), ev.end(), by_ts);
  write_recording(t.sub("rec"), ev);
  ReplayWindow w;
  w.from = kStart + 7 * kSec;
  w.to = kStart + 9 * kSec;
  RecordingReader r(t.sub("rec"));
  const ReplayResult got = replay_summary(r, w);
  ASSERT_EQ(got.summary.recorded_verdicts.size(), 1u);
  const auto& [ts, c] = got.summary.recorded_verdicts[0];
  EXPECT_EQ(ts, got.summary.start);  // listed at the window's start
  EXPECT_TRUE(c.raised);
  EXPECT_EQ(c.verdict.kind, "TINY-ZONE");
  EXPECT_LT(c.verdict.since, *w.from);  // onset kept

  // cleared before the window: nothing carried
  VerdictChange cleared = std::get<VerdictChange>(std::find_if(ev.begin(), ev.end(), [](const Event& e) {
                                                    return std::holds_alternative<VerdictChange>(e.data);
                                                  })->data);
  cleared.raised = false;
  ev.push_back({kStart + 6 * kSec + kSec / 2, cleared});
  std::stable_sort(ev.begin(), ev.end(), by_ts);
  write_recording(t.sub("rec2"), ev);
  RecordingReader r2(t.sub("rec2"));
  EXPECT_TRUE(replay_summary(r2, w).summary.recorded_verdicts.empty());
}

TEST(Recording, ExportCommandDrawsVerdictsInForceAtFrom) {
  TempDir t;
  auto ev = synthetic_stream(10);  // TINY-ZONE raised at ~5.6 s
  std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  write_recording(t.sub("rec"), ev);
  for (const char* from : {"+1", "+7"}) {  // before the verdict, and after it (still in force)
    const std::string out = t.sub(std::string("trace") + from + ".json");
    const std::string cmd = std::string(KST_BINARY) + " export " + t.sub("rec") +
                            " --format chrome-trace --from " + from + " -o " + out + " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const nlohmann::json j = nlohmann::json::parse(slurp(out));
    std::vector<double> at;
    for (const auto& e : j["traceEvents"])
      if (e["ph"] == "i" && e["cat"] == "verdict") at.push_back(e["ts"].get<double>());
    ASSERT_EQ(at.size(), 1u) << from;
    if (std::string(from) == "+7")
      EXPECT_DOUBLE_EQ(at[0], 0.0);  // at the window's start
    else
      EXPECT_GT(at[0], 4e6);  // where it happened, ~4.6 s after +1
  }
}

// ---- restartable stores (issue 16): several runs in one directory --------

namespace {

// A run of the recorder after a restart: the BPF aggregates start again at 0
// (samples(ts, 0) onwards), events in [start, start + seconds].
void write_run(const std::string& dir, TimeNs start, int seconds, std::optional<rec::EndReason> end,
               RecordingOptions o = {}) {
  if (o.dir.empty()) o = opts(dir);
  RecordingWriter w(o, meta());
  w.start(start);
  auto ev = synthetic_stream(seconds, start);
  std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  for (const auto& e : ev) {
    w.write(e);
    if (std::holds_alternative<KswapdCpuSample>(e.data)) w.flush();
  }
  if (end)
    w.finish(ev.back().ts, *end);
  else
    w.flush();  // then "killed": no End record
}

Summary summary_of(const std::vector<Event>& ev, TimeNs start) {
  Analyzer an(test_source(), start);
  for (const auto& e : ev) an.on_event(e);
  return an.summary(ev.back().ts);
}

std::string run_cmd(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; p && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (p) pclose(p);
  return out;
}

}  // namespace

TEST(RecordingRuns, EachRunStartsAndEndsAndCountersAddUpAcrossTheRestart) {
  TempDir t;
  const TimeNs s2 = kStart + 20 * kSec;
  write_run(t.sub("rec"), kStart, 4, std::nullopt);  // killed after its last flush
  write_run(t.sub("rec"), s2, 3, rec::EndReason::Stopped);
  RecordingReader r(t.sub("rec"));
  ReplayWindow w;
  const ReplayResult got = replay_summary(r, w);
  const auto& runs = r.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run, 1u);
  EXPECT_EQ(runs[1].run, 2u);
  EXPECT_TRUE(runs[0].start_seen && runs[1].start_seen);
  EXPECT_EQ(runs[0].start_mono_ns, kStart);
  EXPECT_EQ(runs[1].start_mono_ns, s2);
  EXPECT_FALSE(runs[0].ended);
  EXPECT_EQ(run_end(runs[0], false), "killed (no end record)");
  EXPECT_TRUE(runs[1].ended);
  EXPECT_EQ(runs[1].end_reason, rec::EndReason::Stopped);
  EXPECT_TRUE(got.ended);  // the last run's End, not the first run's
  EXPECT_EQ(got.summary.start, kStart);
  EXPECT_EQ(got.summary.end, s2 + 3 * kSec);

  // the counters restarted at 0 in run 2: the replay adds the two runs and
  // counts nothing for the gap
  auto e1 = synthetic_stream(4, kStart), e2 = synthetic_stream(3, s2);
  const Summary a = summary_of(e1, kStart), b = summary_of(e2, s2);
  EXPECT_EQ(got.summary.alloc.total_pages, a.alloc.total_pages + b.alloc.total_pages);
  EXPECT_EQ(got.summary.vmstat_delta.at("pgalloc_total"),
            a.vmstat_delta.at("pgalloc_total") + b.vmstat_delta.at("pgalloc_total"));
  EXPECT_EQ(got.summary.lost_events, a.lost_events + b.lost_events);
  ASSERT_FALSE(got.summary.nodes.empty());
  EXPECT_EQ(got.summary.nodes[0].kswapd_shrink.scanned,
            a.nodes[0].kswapd_shrink.scanned + b.nodes[0].kswapd_shrink.scanned);
  EXPECT_NEAR(got.summary.nodes[0].cpu_s, a.nodes[0].cpu_s + b.nodes[0].cpu_s, 1e-9);
  EXPECT_EQ(got.summary.direct.count + got.summary.direct.memcg_count,
            a.direct.count + a.direct.memcg_count + b.direct.count + b.direct.memcg_count);

  const nlohmann::json j = runs_json(runs);
  EXPECT_EQ(j[0]["ended_by"], "killed");
  EXPECT_EQ(j[1]["previous_ended_by"], "killed");
  EXPECT_EQ(j[1]["ended_by"], "stopped");
  EXPECT_EQ(j[1]["start_monotonic_ns"], s2);
  const std::string table = render_runs(runs);
  EXPECT_NE(table.find("killed (no end record)"), std::string::npos) << table;
  EXPECT_NE(table.find("stopped by signal"), std::string::npos) << table;
}

TEST(RecordingRuns, LaterRunsStartWithACriticalRunStartRecord) {
  TempDir t;
  write_run(t.sub("rec"), kStart, 2, rec::EndReason::DurationElapsed);
  write_run(t.sub("rec"), kStart + 10 * kSec, 2, rec::EndReason::DurationElapsed);
  // a 1.1 reader must refuse run 2 rather than difference counters across it
  EXPECT_TRUE(rec::kTagRunStart & rec::kTagCritical);
  std::vector<size_t> segs;
  RecordingReader r(t.sub("rec"));
  ASSERT_EQ(r.headers().size(), 2u);
  EXPECT_EQ(r.headers()[0].run, 1u);
  EXPECT_EQ(r.headers()[1].run, 2u);
  EXPECT_EQ(r.headers()[1].segment, 2u);
  const std::string seg2 = slurp(t.sub("rec/" + segment_name(2)));
  const auto offs = block_offsets(t.sub("rec/" + segment_name(2)));
  ASSERT_FALSE(offs.empty());
  const std::string_view d(seg2);
  const auto b = rec::parse_block_header(d.substr(offs[0], rec::kBlockHeaderSize));
  const std::string raw = rec::decode_block(*b, d.substr(offs[0]), d.substr(offs[0] + rec::kBlockHeaderSize));
  EXPECT_EQ(rec::split_records(raw).front().tag, rec::kTagRunStart);
  // one segment of run 2 alone reads as that run
  RecordingReader one(t.sub("rec/" + segment_name(2)));
  one.read([](const RecordItem&) {});
  ASSERT_EQ(one.runs().size(), 1u);
  EXPECT_EQ(one.runs()[0].run, 2u);
  EXPECT_TRUE(one.runs()[0].start_seen);
}

TEST(RecordingRuns, EvictionIsOldestFirstAcrossRunsUnderOneCap) {
  TempDir t;
  RecordingOptions o = opts(t.sub("rec"));
  o.max_size = 128 << 10;
  o.zstd_level = 1;
  for (int run = 0; run < 3; ++run) {
    const TimeNs start = kStart + run * 1000 * kSec;
    RecordingWriter w(o, meta());
    w.start(start);
    for (const auto& e : synthetic_stream(150, start)) {
      w.write(e);
      if (!std::holds_alternative<KswapdCpuSample>(e.data)) continue;
      w.flush();
      uint64_t on_disk = 0;
      for (const auto& de : fs::directory_iterator(t.sub("rec"))) on_disk += fs::file_size(de.path());
      ASSERT_LE(on_disk, o.max_size);
      ASSERT_EQ(on_disk, w.total_size());
    }
    w.finish(start + 150 * kSec, rec::EndReason::DurationElapsed);
  }
  RecordingReader r(t.sub("rec"));
  r.read([](const RecordItem&) {});
  const auto& runs = r.runs();
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs.back().run, 3u);
  EXPECT_TRUE(runs.back().start_seen);
  EXPECT_GT(r.header().segment, 1u);  // the oldest segments went first
  // segments kept are a contiguous, newest tail
  uint64_t prev = 0;
  for (const auto& h : r.headers()) {
    if (prev) {
      EXPECT_EQ(h.segment, prev + 1);
    }
    prev = h.segment;
  }
  EXPECT_GE(runs.front().run, 2u);  // run 1 was evicted whole, by later runs
}

// Segments of run 2 written on another boot: CLOCK_MONOTONIC restarted, so
// the reader moves them onto run 1's clock through the wall clock.
TEST(RecordingRuns, RunsOnAnotherBootAreMovedOntoOneTimeline) {
  TempDir t;
  fs::create_directory(t.sub("rec"));
  rec::Header h;
  h.recording_id = "feedfeedfeedfeedfeedfeedfeedfeed";
  h.boot_id = "boot-a";
  h.realtime_offset_ns = 1700000000 * static_cast<int64_t>(kSec);
  h.recording_start_ns = kStart;
  h.source = test_source();
  const auto seg = [&](const rec::Header& hh, uint16_t start_tag, TimeNs t0, const std::vector<Event>& ev) {
    std::string raw;
    std::string body;
    if (start_tag == rec::kTagRunStart) body = std::string("\x02\0\0\0\0\0\0\0", 8);
    rec::append_meta(raw, start_tag, t0, body);
    for (const auto& e : ev) rec::append_event(raw, e);
    return rec::encode_header(hh) +
           rec::encode_block(raw, static_cast<uint32_t>(ev.size() + 1), t0, ev.back().ts, 3);
  };
  DirectReclaim d;
  d.begin_ns = kStart + 2 * kSec;
  d.end_ns = kStart + 2 * kSec + 1000;
  spit(t.sub("rec/" + segment_name(1)), seg(h, rec::kTagStart, kStart, {{d.end_ns, d}}));
  rec::Header h2 = h;
  h2.segment = 2;
  h2.run = 2;
  h2.boot_id = "boot-b";
  // rebooted an hour of wall time later; run 2 starts 30 s after that boot
  h2.realtime_offset_ns =
      h.realtime_offset_ns + static_cast<int64_t>(kStart) + 3600 * static_cast<int64_t>(kSec);
  h2.recording_start_ns = 30 * kSec;
  DirectReclaim d2;
  d2.begin_ns = 31 * kSec;
  d2.end_ns = 31 * kSec + 5000;
  spit(t.sub("rec/" + segment_name(2)), seg(h2, rec::kTagRunStart, 30 * kSec, {{d2.end_ns, d2}}));

  RecordingReader r(t.sub("rec"));
  std::vector<DirectReclaim> got;
  r.read([&](const RecordItem& it) {
    if (const auto* x = std::get_if<DirectReclaim>(&it.event.data)) {
      got.push_back(*x);
      EXPECT_EQ(it.event.ts, x->end_ns);
    }
  });
  ASSERT_EQ(got.size(), 2u);
  const TimeNs shift = kStart + 3600 * kSec;
  EXPECT_EQ(got[1].begin_ns, 31 * kSec + shift);
  EXPECT_EQ(got[1].end_ns - got[1].begin_ns, 5000u);
  ASSERT_EQ(r.runs().size(), 2u);
  EXPECT_TRUE(r.runs()[1].new_boot);
  EXPECT_EQ(r.runs()[1].start_mono_ns, 30 * kSec);  // the run's own clock
  EXPECT_EQ(r.runs()[1].start_ts, 30 * kSec + shift);
  EXPECT_EQ(r.runs()[1].start_realtime_ns, h2.realtime_offset_ns + static_cast<int64_t>(30 * kSec));
  EXPECT_EQ(wall_time(r.header(), r.runs()[1].start_ts), local_time_ns(r.runs()[1].start_realtime_ns));
}

TEST(RecordingRuns, ReportAndExportShowTheRuns) {
  TempDir t;
  write_run(t.sub("rec"), kStart, 3, std::nullopt);
  write_run(t.sub("rec"), kStart + 10 * kSec, 3, std::nullopt);
  write_run(t.sub("rec"), kStart + 20 * kSec, 3, rec::EndReason::Stopped);
  const std::string bin = KST_BINARY;
  const nlohmann::json j =
      nlohmann::json::parse(run_cmd(bin + " report --json " + t.sub("rec") + " 2>/dev/null"));
  ASSERT_EQ(j["runs"].size(), 3u);
  EXPECT_EQ(j["runs"][1]["previous_ended_by"], "killed");
  EXPECT_EQ(j["runs"][2]["previous_ended_by"], "killed");
  EXPECT_EQ(j["runs"][2]["ended_by"], "stopped");
  const std::string err = run_cmd(bin + " report " + t.sub("rec") + " 2>&1 >/dev/null");
  EXPECT_NE(err.find("runs: 3"), std::string::npos) << err;
  EXPECT_NE(err.find("ended: stopped by signal"), std::string::npos) << err;

  const std::string out = t.sub("trace.json");
  ASSERT_EQ(std::system((bin + " export " + t.sub("rec") + " -o " + out + " 2>/dev/null").c_str()), 0);
  const nlohmann::json tr = nlohmann::json::parse(slurp(out));
  std::vector<std::string> marks;
  for (const auto& e : tr["traceEvents"])
    if (e.value("cat", "") == "recording") {
      EXPECT_EQ(e["s"], "g");
      marks.push_back(e["name"]);
    }
  EXPECT_EQ(marks, (std::vector<std::string>{"run 1 ended: killed (no end record)", "run 2 started",
                                             "run 2 ended: killed (no end record)", "run 3 started"}));
  EXPECT_EQ(tr["otherData"]["runs"].size(), 3u);
  // the envelope every kswaptrace JSON carries, about the exported window
  const nlohmann::json& od = tr["otherData"];
  EXPECT_EQ(od["schema"], "kswaptrace.export/1");
  for (const char* k : {"time", "start", "end", "hostname", "boot_id", "kernel_release"})
    EXPECT_TRUE(od.contains(k)) << k;
  EXPECT_LE(od["start"].get<std::string>(), od["end"].get<std::string>());
}

TEST(RecordingRuns, RefusesWhatIsNotAKswaptraceRecording) {
  TempDir t;
  const auto refused = [&](const std::string& dir, const std::string& why) {
    try {
      RecordingWriter w(opts(dir), meta());
    } catch (const RecordingError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      return true;
    }
    return false;
  };
  fs::create_directory(t.sub("other"), t.path);
  ::chmod(t.sub("other").c_str(), 0700);
  spit(t.sub("other/notes.txt"), "hello");
  EXPECT_TRUE(refused(t.sub("other"), "not part of a kswaptrace recording"));
  fs::create_directory(t.sub("fake"));
  ::chmod(t.sub("fake").c_str(), 0700);
  spit(t.sub("fake/" + segment_name(1)), std::string(64, 'x'));
  EXPECT_TRUE(refused(t.sub("fake"), "bad magic"));
  write_recording(t.sub("rec"), synthetic_stream(1));
  fs::create_directory_symlink(t.sub("rec"), t.sub("link"));
  EXPECT_TRUE(refused(t.sub("link"), "symbolic link"));
  EXPECT_TRUE(refused(t.sub("link") + "/", "symbolic link"));
  ::chmod(t.sub("rec").c_str(), 0777);
  EXPECT_TRUE(refused(t.sub("rec"), "writable by group or others (mode 0777)"));
  ::chmod(t.sub("rec").c_str(), 0755);
  EXPECT_FALSE(refused(t.sub("rec"), ""));  // others may read the listing, not the 0600 files
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(t.sub("rec").c_str(), 65534, 65534), 0);
    EXPECT_TRUE(refused(t.sub("rec"), "owned by uid 65534"));
  }
  // a crash while a segment was created leaves a short file: still our store
  write_recording(t.sub("torn"), synthetic_stream(1));
  spit(t.sub("torn/" + segment_name(2)), "KSWPREC");
  RecordingWriter w(opts(t.sub("torn")), meta());
  EXPECT_EQ(w.run(), 2u);
}

TEST(RecordingRuns, ASecondWriterOnTheSameStoreIsRefused) {
  TempDir t;
  RecordingWriter w(opts(t.sub("rec")), meta());
  w.start(kStart);
  EXPECT_THROW(RecordingWriter(opts(t.sub("rec")), meta()), RecordingError);
}

TEST(RecordingRuns, CreatesMissingDirectories0700) {
  TempDir t;
  write_recording(t.sub("a/b/rec"), synthetic_stream(1));
  for (const char* d : {"a", "a/b", "a/b/rec"}) {
    struct stat st;
    ASSERT_EQ(::stat(t.sub(d).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
  }
}
