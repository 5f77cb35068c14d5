#include "sources/recording/recording_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>

namespace kst {
namespace {

namespace fs = std::filesystem;

// seg-NNNNNNNN.kst -> N, or 0 if not a segment name
uint64_t segment_number(const std::string& name) {
  if (name.rfind("seg-", 0) != 0 || !name.ends_with(".kst") || name.size() <= 8 || name.size() > 27) return 0;
  const std::string digits = name.substr(4, name.size() - 8);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(digits);
}

// One family of cumulative counters carried across run boundaries.
template <typename K>
class Carry {
 public:
  void new_run() {
    for (auto& [k, c] : c_) {
      c.base = c.out;
      c.first = 0;
    }
    fresh_ = true;
  }
  // The values to report for a sample of raw values; keys known from an
  // earlier run and absent now are kept at their carried value.
  std::map<K, uint64_t> apply(const std::map<K, uint64_t>& raw) {
    if (fresh_)  // the run's first sample is its zero point
      for (const auto& [k, v] : raw) c_[k].first = v;
    fresh_ = false;
    for (const auto& [k, v] : raw) c_[k];
    std::map<K, uint64_t> out;
    for (auto& [k, c] : c_) {
      auto it = raw.find(k);
      const uint64_t v = it == raw.end() ? 0 : it->second;
      c.out = c.base + (v > c.first ? v - c.first : 0);
      if (it != raw.end() || c.base) out[k] = c.out;
    }
    return out;
  }

 private:
  struct C {
    uint64_t base = 0, first = 0, out = 0;
  };
  std::map<K, C> c_;
  bool fresh_ = false;
};

using AllocKey = std::tuple<int32_t, int32_t, uint8_t, uint8_t, uint8_t>;

}  // namespace

// Carries cumulative samples across run boundaries (see the header). Before
// the first boundary events pass through untouched (only followed).
struct RecordingReader::Stitcher {
  bool active = false;
  Carry<AllocKey> alloc;
  Carry<std::pair<int32_t, int>> shrink;
  Carry<int> probe;
  Carry<std::string> vmstat;
  Carry<int32_t> cpu;
  std::map<int32_t, int32_t> cpu_pid;  // first pid seen per node: the analyzer pairs threads by pid

  void new_run() {
    active = true;
    alloc.new_run();
    shrink.new_run();
    probe.new_run();
    vmstat.new_run();
    cpu.new_run();
  }
  void apply(EventData& d);
};

namespace {

// Each stitch() follows the counters of one sample; with `rewrite` (after the
// first run boundary) it replaces them by their carried values.
void stitch(Carry<AllocKey>& c, AllocCounters& x, bool rewrite) {
  std::map<AllocKey, uint64_t> raw;
  for (const auto& a : x.cells) raw[{a.nid, a.zid, a.order, a.migratetype, a.gfp_class}] += a.calls;
  const auto out = c.apply(raw);
  if (!rewrite) return;
  x.cells.clear();
  for (const auto& [k, v] : out)
    x.cells.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), std::get<4>(k), v});
}

void stitch(Carry<std::pair<int32_t, int>>& c, ReclaimCounters& x, bool rewrite) {
  std::map<std::pair<int32_t, int>, uint64_t> raw;
  for (const auto& n : x.nodes) {
    const uint64_t v[6] = {n.kswapd.calls, n.kswapd.scanned, n.kswapd.reclaimed,
                           n.other.calls,  n.other.scanned,  n.other.reclaimed};
    for (int i = 0; i < 6; ++i) raw[{n.nid, i}] = v[i];
  }
  const auto out = c.apply(raw);
  if (!rewrite) return;
  std::map<int32_t, ReclaimCounters::Node> nodes;
  for (const auto& [k, v] : out) {
    ReclaimCounters::Node& n = nodes[k.first];
    n.nid = k.first;
    uint64_t* f[6] = {&n.kswapd.calls, &n.kswapd.scanned, &n.kswapd.reclaimed,
                      &n.other.calls,  &n.other.scanned,  &n.other.reclaimed};
    *f[k.second] = v;
  }
  x.nodes.clear();
  for (auto& [nid, n] : nodes) x.nodes.push_back(n);
}

void stitch(Carry<int>& c, ProbeCounters& x, bool rewrite) {
  const auto out = c.apply({{0, x.ringbuf_drops}, {1, x.reclaim_unpaired}});
  if (!rewrite) return;
  x.ringbuf_drops = out.at(0);
  x.reclaim_unpaired = out.at(1);
}

// nr_* entries are gauges (pages now), the rest event counters.
void stitch(Carry<std::string>& c, VmstatSample& x, bool rewrite) {
  std::map<std::string, uint64_t> raw;
  for (const auto& [k, v] : x.counters)
    if (k.rfind("nr_", 0) != 0) raw[k] = v;
  const auto out = c.apply(raw);
  if (!rewrite) return;
  for (const auto& [k, v] : out) x.counters[k] = v;
}

}  // namespace

void RecordingReader::Stitcher::apply(EventData& d) {
  if (auto* k = std::get_if<KswapdCpuSample>(&d))
    for (const auto& t : k->threads) cpu_pid.try_emplace(t.nid, t.pid);
  if (auto* a = std::get_if<AllocCounters>(&d)) stitch(alloc, *a, active);
  if (auto* r = std::get_if<ReclaimCounters>(&d)) stitch(shrink, *r, active);
  if (auto* p = std::get_if<ProbeCounters>(&d)) stitch(probe, *p, active);
  if (auto* v = std::get_if<VmstatSample>(&d)) stitch(vmstat, *v, active);
  if (auto* k = std::get_if<KswapdCpuSample>(&d)) {
    std::map<int32_t, uint64_t> raw;
    for (const auto& t : k->threads) raw[t.nid] = t.cpu_ns;
    const auto out = cpu.apply(raw);
    if (!active) return;
    k->threads.clear();
    for (const auto& [nid, v] : out) k->threads.push_back({nid, cpu_pid[nid], v});
  }
}

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// The next offset at or after `from` where a whole, checksum-valid block starts.
size_t resync(std::string_view data, size_t from) {
  for (size_t pos = from; pos + rec::kBlockHeaderSize <= data.size(); ++pos) {
    pos = data.find("KBLK", pos);
    if (pos == std::string_view::npos || pos + rec::kBlockHeaderSize > data.size()) break;
    auto b = rec::parse_block_header(data.substr(pos, rec::kBlockHeaderSize));
    if (!b || data.size() - pos - rec::kBlockHeaderSize < b->comp_len) continue;
    if (rec::crc32_of(data.substr(pos, rec::kBlockHeaderSize - 4),
                      data.substr(pos + rec::kBlockHeaderSize, b->comp_len)) == b->crc)
      return pos;
  }
  return std::string_view::npos;
}

}  // namespace

RecordingReader::RecordingReader(const std::string& path, Warn on_warning) : warn_(std::move(on_warning)) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw RecordingReadError(path + ": no such file or directory");
  const bool single = !fs::is_directory(path, ec);
  std::vector<std::pair<uint64_t, std::string>> found;
  if (single) {
    found.push_back({0, path});
  } else {
    for (const auto& de : fs::directory_iterator(path, ec)) {
      const uint64_t n = segment_number(de.path().filename().string());
      if (n) found.push_back({n, de.path().string()});
    }
    if (ec) throw RecordingReadError(path + ": " + ec.message());
    if (found.empty()) throw RecordingReadError(path + ": no recording segments (seg-*.kst) found");
    std::sort(found.begin(), found.end());
  }

  for (size_t i = 0; i < found.size(); ++i) {
    const std::string& p = found[i].second;
    std::ifstream f(p, std::ios::binary);
    if (!f) {
      // evicted by a writer that is still running
      warn(p + ": cannot open; skipped");
      continue;
    }
    std::string prefix(rec::kFileHeaderPrefix, '\0');
    f.read(prefix.data(), prefix.size());
    prefix.resize(static_cast<size_t>(f.gcount()));
    try {
      const uint32_t len = rec::parse_header_prefix(prefix);
      std::string body(len, '\0');
      f.read(body.data(), len);
      body.resize(static_cast<size_t>(f.gcount()));
      rec::Header h = rec::decode_header(prefix, body);
      if (!headers_.empty() && h.recording_id != headers_.front().recording_id) {
        warn(p + ": belongs to another recording (id " + h.recording_id + "); skipped");
        continue;
      }
      headers_.push_back(std::move(h));
      paths_.push_back(p);
      body_off_.push_back(rec::kFileHeaderPrefix + len);
    } catch (const rec::FormatError& e) {
      const std::string msg = e.what();
      // an incompatible version or a lone damaged file is fatal; a damaged
      // segment among others (e.g. torn while being created) is skipped
      if (single || msg.find("newer") != std::string::npos) throw RecordingReadError(p + ": " + msg);
      warn(p + ": " + msg + "; segment skipped");
    }
  }
  if (headers_.empty()) throw RecordingReadError(path + ": no readable recording segment");
  plan_runs();
}

// Groups segments into runs and puts every boot's clock onto the oldest
// kept segment's: CLOCK_MONOTONIC restarts at boot, the wall clock does not.
void RecordingReader::plan_runs() {
  const rec::Header& base = headers_.front();
  std::map<std::string, int64_t> boot_shift;
  for (size_t i = 0; i < headers_.size(); ++i) {
    const rec::Header& h = headers_[i];
    const bool same_boot = h.boot_id.empty() || h.boot_id == base.boot_id;
    auto [it, fresh] =
        boot_shift.try_emplace(h.boot_id, same_boot ? 0 : h.realtime_offset_ns - base.realtime_offset_ns);
    seg_shift_.push_back(it->second);
    if (runs_.empty() || runs_.back().run != h.run) {
      rec::RecordingRun r;
      r.run = h.run;
      r.boot_id = h.boot_id;
      r.kernel_release = h.kernel_release;
      r.hostname = h.hostname;
      r.scope = h.scope;
      r.new_boot = !runs_.empty() && h.boot_id != runs_.back().boot_id;
      runs_.push_back(std::move(r));
    }
    seg_run_.push_back(runs_.size() - 1);
  }
  planned_runs_ = runs_;
}

void RecordingReader::read(const std::function<void(const RecordItem&)>& fn) {
  stats_ = {};
  runs_ = planned_runs_;  // read_segment() counts each run again; the header facts stay
  Stitcher st;
  for (size_t i = 0; i < paths_.size(); ++i) {
    if (i > 0 && seg_run_[i] != seg_run_[i - 1]) st.new_run();
    read_segment(i, st, fn);
  }
}

// Fills in the item's run, moves it onto the common timeline, and notes
// where the run began and ended.
void RecordingReader::emit(size_t seg, RecordItem& item, Stitcher& st,
                           const std::function<void(const RecordItem&)>& fn) {
  const rec::Header& h = headers_[seg];
  rec::RecordingRun& run = runs_[seg_run_[seg]];
  const TimeNs mono = item.event.ts;
  if (!run.start_ts && !run.end_ts) {  // the run's first record kept
    run.start_seen = item.kind == RecordItem::Kind::Start;
    run.start_mono_ns = mono;
    run.start_realtime_ns = static_cast<int64_t>(mono) + h.realtime_offset_ns;
    run.start_ts = mono + seg_shift_[seg];
  }
  if (mono >= run.end_mono_ns || item.kind == RecordItem::Kind::End) {
    run.end_mono_ns = mono;
    run.end_realtime_ns = static_cast<int64_t>(mono) + h.realtime_offset_ns;
    run.end_ts = mono + seg_shift_[seg];
  }
  if (item.kind == RecordItem::Kind::End) {
    run.ended = true;
    run.end_reason = item.end_reason;
  }
  if (item.kind == RecordItem::Kind::Event) {
    ++run.events;
    st.apply(item.event.data);
  }
  if (seg_shift_[seg]) rec::shift_times(item.event, seg_shift_[seg]);
  item.run_index = seg_run_[seg];
  fn(item);
}

// A block decompressed and its records decoded: a pure function of the
// segment's bytes, so it can run on any thread ahead of delivery.
struct RecordingReader::DecodedBlock {
  std::string error;  // decode_block/split_records refused it: the block is skipped
  struct Rec {
    enum class Kind { Item, Malformed, Unknown, Critical } kind = Kind::Item;
    uint16_t tag = 0;
    std::string why;  // Malformed
    RecordItem item;
  };
  std::vector<Rec> recs;
};

RecordingReader::DecodedBlock RecordingReader::decode_at(std::string_view data, const rec::BlockInfo& b,
                                                         size_t off) {
  DecodedBlock out;
  std::string raw;
  std::vector<rec::RawRecord> recs;
  try {
    raw = rec::decode_block(b, data.substr(off, rec::kBlockHeaderSize),
                            data.substr(off + rec::kBlockHeaderSize, b.comp_len));
    recs = rec::split_records(raw);
  } catch (const rec::FormatError& e) {
    out.error = e.what();
    return out;
  }
  out.recs.resize(recs.size());
  for (size_t k = 0; k < recs.size(); ++k) {
    const rec::RawRecord& r = recs[k];
    DecodedBlock::Rec& o = out.recs[k];
    o.tag = r.tag;
    RecordItem& item = o.item;
    item.event.ts = r.ts;
    if (r.tag == rec::kTagStart || r.tag == rec::kTagRunStart) {
      item.kind = RecordItem::Kind::Start;
    } else if (r.tag == rec::kTagEnd) {
      item.kind = RecordItem::Kind::End;
      if (!r.body.empty()) item.end_reason = static_cast<rec::EndReason>(static_cast<uint8_t>(r.body[0]));
    } else {
      std::optional<Event> e;
      try {
        e = rec::decode_event(r);
      } catch (const rec::FormatError& err) {
        o.kind = DecodedBlock::Rec::Kind::Malformed;
        o.why = err.what();
        continue;
      }
      if (!e) {
        o.kind = (r.tag & rec::kTagCritical) ? DecodedBlock::Rec::Kind::Critical
                                             : DecodedBlock::Rec::Kind::Unknown;
        continue;
      }
      item.event = std::move(*e);
    }
  }
  return out;
}

void RecordingReader::read_segment(size_t i, Stitcher& st, const std::function<void(const RecordItem&)>& fn) {
  const std::string& p = paths_[i];
  std::string file;
  if (!read_file(p, file)) {
    warn(p + ": cannot read (evicted meanwhile?); skipped");
    return;
  }
  ++stats_.segments;
  ++runs_[seg_run_[i]].segments;
  const std::string_view data(file);
  size_t off = body_off_[i];
  auto skip_to = [&](size_t bad_at, const std::string& why) {
    const size_t next = resync(data, bad_at + 1);
    const size_t skipped = (next == std::string_view::npos ? data.size() : next) - bad_at;
    stats_.skipped_bytes += skipped;
    if (next == std::string_view::npos && why == "torn") {
      ++stats_.torn_blocks;
      warn(p + ": last block is torn at offset " + std::to_string(bad_at) + " (" + std::to_string(skipped) +
           " bytes; the writer was interrupted); skipped");
    } else {
      ++stats_.bad_blocks;
      warn(p + ": damaged block at offset " + std::to_string(bad_at) + " (" + why + "); skipped " +
           std::to_string(skipped) + " bytes");
    }
    return next == std::string_view::npos ? data.size() : next;
  };
  // a whole block header and payload at `at`, or nullopt
  auto block_at = [&](size_t at) -> std::optional<rec::BlockInfo> {
    if (data.size() - at < rec::kBlockHeaderSize) return std::nullopt;
    auto b = rec::parse_block_header(data.substr(at, rec::kBlockHeaderSize));
    if (!b || data.size() - at - rec::kBlockHeaderSize < b->comp_len) return std::nullopt;
    return b;
  };

  // Blocks ahead of `off`, where the chain of block lengths says they are,
  // decode on other threads. A damaged block breaks the chain: its successors
  // are then found by resync and decoded here, as in the serial path.
  unsigned threads = decode_threads_ ? decode_threads_ : std::max(1u, std::thread::hardware_concurrency());
  const size_t ahead = threads > 1 ? 2 * (threads - 1) : 0;
  std::deque<std::pair<size_t, std::future<DecodedBlock>>> pending;
  size_t next_guess = off;  // where the next block to queue should start
  auto top_up = [&]() {
    while (pending.size() < ahead && next_guess < data.size()) {
      const auto b = block_at(next_guess);
      if (!b) {
        next_guess = data.size();
        break;
      }
      pending.emplace_back(next_guess, std::async(std::launch::async, decode_at, data, *b, next_guess));
      next_guess += rec::kBlockHeaderSize + b->comp_len;
    }
  };

  while (off < data.size()) {
    if (data.size() - off < rec::kBlockHeaderSize) {
      off = skip_to(off, "torn");
      continue;
    }
    auto b = rec::parse_block_header(data.substr(off, rec::kBlockHeaderSize));
    if (!b) {
      off = skip_to(off, "bad block header");
      continue;
    }
    if (data.size() - off - rec::kBlockHeaderSize < b->comp_len) {
      off = skip_to(off, "torn");
      continue;
    }
    DecodedBlock d;
    if (!pending.empty() && pending.front().first == off) {
      d = pending.front().second.get();
      pending.pop_front();
    } else {
      pending.clear();  // off the predicted chain (after damage): start it again from here
      next_guess = off + rec::kBlockHeaderSize + b->comp_len;
      d = decode_at(data, *b, off);
    }
    top_up();
    if (!d.error.empty()) {
      off = skip_to(off, d.error);
      continue;
    }
    ++stats_.blocks;
    for (auto& r : d.recs) {
      ++stats_.records;
      switch (r.kind) {
        case DecodedBlock::Rec::Kind::Malformed:
          warn(p + ": malformed record " + hex(r.tag) + " (" + r.why + "); skipped");
          continue;
        case DecodedBlock::Rec::Kind::Critical:
          throw RecordingReadError(p + ": record type " + hex(r.tag) +
                                   " is required but unknown to this kswaptrace; use a newer kswaptrace");
        case DecodedBlock::Rec::Kind::Unknown:
          ++stats_.unknown_records;  // a newer minor version's record: skipped by length
          continue;
        case DecodedBlock::Rec::Kind::Item: break;
      }
      if (r.item.kind == RecordItem::Kind::Event) ++stats_.events;
      emit(i, r.item, st, fn);
    }
    off += rec::kBlockHeaderSize + b->comp_len;
  }
}

HostIdentity recording_host(const rec::Header& h) {
  return {h.hostname, h.boot_id, h.kernel_release, h.realtime_offset_ns};
}

std::string wall_time(const rec::Header& h, TimeNs ts) {
  return local_time_ns(recording_host(h).wall_ns(ts));
}

}  // namespace kst
