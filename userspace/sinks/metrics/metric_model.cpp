#include "sinks/metrics/metric_model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/untrusted_text.h"

namespace kst::metrics {

const std::vector<double>& stall_buckets() {
  static const std::vector<double> b = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3,
                                        10e-3, 25e-3,  50e-3,  0.1,    0.25, 0.5,    1,
                                        2.5,   5,      10,     30,     60};
  return b;
}

const std::vector<MetricDesc>& metric_descs() {
  using T = Type;
  static const std::vector<MetricDesc> d = {
      {"kswaptrace_build_info", T::Gauge, "kswaptrace version, running kernel and event backend (always 1)"},
      {"kswaptrace_kswapd_wakes_total", T::Counter, "kswapd_wake events: balance_pgdat() passes started"},
      {"kswaptrace_kswapd_sleeps_total", T::Counter, "kswapd_sleep events: kswapd really went to sleep"},
      {"kswaptrace_kswapd_rewakes_total", T::Counter,
       "kswapd wakes while already awake (a new balance pass without sleeping)"},
      {"kswaptrace_kswapd_awake_seconds_total", T::Counter, "time kswapd was awake (wake to sleep)"},
      {"kswaptrace_kswapd_cpu_seconds_total", T::Counter, "CPU time of the kswapd thread (utime+stime)"},
      {"kswaptrace_kswapd_awake_episode_seconds", T::Histogram, "length of each kswapd awake episode"},
      {"kswaptrace_direct_reclaim_stall_seconds", T::Histogram, "direct reclaim episode latency"},
      {"kswaptrace_memcg_reclaim_stall_seconds", T::Histogram, "memcg limit reclaim episode latency"},
      {"kswaptrace_reclaimed_pages_total", T::Counter,
       "pages reclaimed, by kswapd (pgsteal_kswapd), direct and memcg reclaim (traced episodes)"},
      {"kswaptrace_page_alloc_pages_total", T::Counter, "pages allocated (kmem:mm_page_alloc, in-kernel)"},
      {"kswaptrace_page_alloc_calls_total", T::Counter, "page allocation calls (kmem:mm_page_alloc)"},
      {"kswaptrace_page_alloc_zone_pages_total", T::Counter, "pages allocated per zone"},
      {"kswaptrace_hotadd_episodes_total", T::Counter, "memory hot-add episodes settled"},
      {"kswaptrace_hotadd_bytes_total", T::Counter, "bytes of memory hot-added"},
      {"kswaptrace_zone_managed_pages", T::Gauge, "managed pages of the zone (/proc/zoneinfo)"},
      {"kswaptrace_zone_free_pages", T::Gauge, "free pages of the zone (/proc/zoneinfo)"},
      {"kswaptrace_zone_min_pages", T::Gauge, "min watermark of the zone, pages (/proc/zoneinfo)"},
      {"kswaptrace_zone_low_pages", T::Gauge, "low watermark of the zone, pages (/proc/zoneinfo)"},
      {"kswaptrace_zone_high_pages", T::Gauge, "high watermark of the zone, pages (/proc/zoneinfo)"},
      {"kswaptrace_verdict", T::Gauge, "1 while the detector holds this verdict for the node, else 0"},
      {"kswaptrace_hazard", T::Gauge, "1 while the zone-layout hazard is present, else 0"},
      {"kswaptrace_lost_events_total", T::Counter, "ring-buffer records lost"},
      {"kswaptrace_recording_bytes", T::Gauge, "size of the recording store on disk"},
  };
  return d;
}

const MetricDesc* find_desc(const std::string& name) {
  for (const auto& d : metric_descs())
    if (name == d.name) return &d;
  return nullptr;
}

void HistData::observe(double v) {
  const auto& b = stall_buckets();
  if (buckets.size() != b.size() + 1) buckets.assign(b.size() + 1, 0);
  // Prometheus buckets are upper-inclusive: le="0.001" counts v <= 0.001
  buckets[std::lower_bound(b.begin(), b.end(), v) - b.begin()]++;
  sum += v;
  count++;
}

namespace {

void require(const std::string& name, Type t) {
  const MetricDesc* d = find_desc(name);
  if (!d || d->type != t) throw std::logic_error("metric not in the contract: " + name);
}

}  // namespace

void MetricModel::add(const std::string& name, const Labels& l, double delta) {
  require(name, Type::Counter);
  if (delta > 0)
    counters_[{name, l}] += delta;
  else
    counters_.try_emplace({name, l}, 0.0);
}

void MetricModel::set(const std::string& name, const Labels& l, double value) {
  require(name, Type::Gauge);
  gauges_[{name, l}] = value;
}

void MetricModel::observe(const std::string& name, const Labels& l, double seconds) {
  require(name, Type::Histogram);
  hists_[{name, l}].observe(seconds);
}

void MetricModel::touch(const std::string& name, const Labels& l) {
  const MetricDesc* d = find_desc(name);
  if (!d) throw std::logic_error("metric not in the contract: " + name);
  if (d->type == Type::Counter) counters_.try_emplace({name, l}, 0.0);
  if (d->type == Type::Gauge) gauges_.try_emplace({name, l}, 0.0);
  if (d->type == Type::Histogram) hists_[{name, l}].buckets.resize(stall_buckets().size() + 1, 0);
}

double MetricModel::counter(const std::string& name, const Labels& l) const {
  auto it = counters_.find({name, l});
  return it == counters_.end() ? 0 : it->second;
}

std::string MetricModel::save_state() const {
  nlohmann::json j;
  j["format"] = "kswaptrace-metrics-state";
  j["version"] = 1;
  j["buckets"] = stall_buckets();
  j["counters"] = nlohmann::json::array();
  for (const auto& [k, v] : counters_)
    j["counters"].push_back({{"name", k.first}, {"labels", k.second}, {"value", v}});
  j["histograms"] = nlohmann::json::array();
  for (const auto& [k, h] : hists_)
    j["histograms"].push_back({{"name", k.first},
                               {"labels", k.second},
                               {"buckets", h.buckets},
                               {"sum", h.sum},
                               {"count", h.count}});
  return json_text(j) + "\n";
}

void MetricModel::restore_state(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.value("format", "") != "kswaptrace-metrics-state" || j.value("version", 0) != 1)
      throw StateError("not a kswaptrace metrics state file (version 1)");
    const bool same_buckets = j.at("buckets").get<std::vector<double>>() == stall_buckets();
    for (const auto& c : j.at("counters")) {
      const auto name = c.at("name").get<std::string>();
      const MetricDesc* d = find_desc(name);
      if (!d || d->type != Type::Counter) continue;  // a metric a later version dropped
      counters_[{name, c.at("labels").get<Labels>()}] = c.at("value").get<double>();
    }
    // histograms with other boundaries cannot continue: they restart from 0
    for (const auto& h : same_buckets ? j.at("histograms") : nlohmann::json::array()) {
      const auto name = h.at("name").get<std::string>();
      const MetricDesc* d = find_desc(name);
      auto buckets = h.at("buckets").get<std::vector<uint64_t>>();
      if (!d || d->type != Type::Histogram || buckets.size() != stall_buckets().size() + 1) continue;
      HistData& hd = hists_[{name, h.at("labels").get<Labels>()}];
      hd.buckets = std::move(buckets);
      hd.sum = h.at("sum").get<double>();
      hd.count = h.at("count").get<uint64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw StateError(std::string("malformed: ") + e.what());
  }
}

void write_file_atomic(const std::string& path, const std::string& bytes, bool sync) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // dot-prefixed: node_exporter's textfile collector reads only *.prom
  std::string tmp = dir + "/." + base + ".XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw std::runtime_error("cannot create a temporary file in " + dir + ": " + strerror(errno));
  fchmod(fd, 0644);
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      close(fd);
      unlink(tmp.c_str());
      throw std::runtime_error("cannot write " + tmp + ": " + strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if ((sync && fdatasync(fd) != 0) || close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp + ": " + strerror(err));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + strerror(err));
  }
}

std::string state_path(const std::string& dir) { return dir + "/metrics-state.json"; }

std::string load_state_file(const std::string& dir) {
  std::ifstream in(state_path(dir));
  if (!in) {
    if (errno == ENOENT) return "";
    throw std::runtime_error("cannot read " + state_path(dir) + ": " + strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void save_state_file(const std::string& dir, const std::string& text) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create state directory " + dir + ": " + strerror(errno));
  write_file_atomic(state_path(dir), text);
}

}  // namespace kst::metrics
