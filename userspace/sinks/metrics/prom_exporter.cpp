#include "sinks/metrics/prom_exporter.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

namespace kst::metrics {

struct PromMirror::Families {
  std::map<std::string, prometheus::Family<prometheus::Counter>*> counters;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> gauges;
  std::map<std::string, prometheus::Family<prometheus::Histogram>*> hists;
  std::map<SeriesKey, prometheus::Counter*> counter;
  std::map<SeriesKey, prometheus::Gauge*> gauge;
  std::map<SeriesKey, prometheus::Histogram*> hist;
  std::map<SeriesKey, HistData> hist_seen;  // what was already observed into `hist`
};

PromMirror::PromMirror()
    : reg_(std::make_shared<prometheus::Registry>()), fam_(std::make_unique<Families>()) {
  // families in contract order, so the exposition reads like docs/agent.md
  for (const auto& d : metric_descs()) {
    if (d.type == Type::Counter)
      fam_->counters[d.name] = &prometheus::BuildCounter().Name(d.name).Help(d.help).Register(*reg_);
    if (d.type == Type::Gauge)
      fam_->gauges[d.name] = &prometheus::BuildGauge().Name(d.name).Help(d.help).Register(*reg_);
    if (d.type == Type::Histogram)
      fam_->hists[d.name] = &prometheus::BuildHistogram().Name(d.name).Help(d.help).Register(*reg_);
  }
}

PromMirror::~PromMirror() = default;

void PromMirror::update(const MetricModel& m) {
  for (const auto& [k, v] : m.counters()) {
    auto [it, fresh] = fam_->counter.try_emplace(k, nullptr);
    if (fresh) it->second = &fam_->counters.at(k.first)->Add(k.second);
    const double d = v - it->second->Value();
    if (d > 0) it->second->Increment(d);
  }
  for (const auto& [k, v] : m.gauges()) {
    auto [it, fresh] = fam_->gauge.try_emplace(k, nullptr);
    if (fresh) it->second = &fam_->gauges.at(k.first)->Add(k.second);
    it->second->Set(v);
  }
  for (const auto& [k, h] : m.histograms()) {
    auto [it, fresh] = fam_->hist.try_emplace(k, nullptr);
    if (fresh) it->second = &fam_->hists.at(k.first)->Add(k.second, stall_buckets());
    HistData& seen = fam_->hist_seen[k];
    if (h.count <= seen.count) continue;
    std::vector<double> inc(stall_buckets().size() + 1, 0);
    for (size_t i = 0; i < inc.size() && i < h.buckets.size(); i++)
      inc[i] = static_cast<double>(h.buckets[i] - (i < seen.buckets.size() ? seen.buckets[i] : 0));
    it->second->ObserveMultiple(inc, h.sum - seen.sum);
    seen = h;
  }
}

std::string PromMirror::text() const {
  std::ostringstream ss;
  prometheus::TextSerializer().Serialize(ss, reg_->Collect());
  return ss.str();
}

namespace {

std::pair<std::string, std::string> split_host_port(const std::string& spec) {
  std::string host, port;
  if (!spec.empty() && spec[0] == '[') {  // [v6]:port
    const auto close = spec.find(']');
    if (close != std::string::npos && spec.compare(close, 2, "]:") == 0) {
      host = spec.substr(1, close - 1);
      port = spec.substr(close + 2);
    }
  } else if (const auto colon = spec.rfind(':'); colon != std::string::npos) {
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::stoul(port) > 65535)
    throw ListenError("--listen '" + spec + "' is not HOST:PORT (e.g. 127.0.0.1:9532)");
  return {host, port};
}

// Binds a socket to ADDR once, to report why the HTTP server could not
// (civetweb only says "null context"); closed before the server binds.
void probe_bind(const sockaddr* sa, socklen_t len, const std::string& spec) {
  const int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ListenError("cannot listen on " + spec + ": " + strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as civetweb does
  const int rc = bind(fd, sa, len), err = errno;
  close(fd);
  if (rc != 0) throw ListenError("cannot listen on " + spec + ": " + strerror(err));
}

}  // namespace

std::string resolve_listen(const std::string& spec) {
  const auto [host, port] = split_host_port(spec);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
    throw ListenError("cannot resolve '" + host + "' (--listen " + spec + "): " + gai_strerror(rc));
  char ip[INET6_ADDRSTRLEN] = "";
  const bool v6 = res->ai_family == AF_INET6;
  const void* a = v6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr)
                     : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr);
  inet_ntop(res->ai_family, a, ip, sizeof ip);
  try {
    probe_bind(res->ai_addr, res->ai_addrlen, spec);
  } catch (...) {
    freeaddrinfo(res);
    throw;
  }
  freeaddrinfo(res);
  return v6 ? "[" + std::string(ip) + "]:" + port : std::string(ip) + ":" + port;
}

MetricsEndpoint::MetricsEndpoint(const std::string& spec, std::shared_ptr<prometheus::Registry> registry) {
  const std::string addr = resolve_listen(spec);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(addr, 2);
  } catch (const std::exception& e) {
    throw ListenError("cannot listen on " + spec + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry);
}

MetricsEndpoint::~MetricsEndpoint() = default;

int MetricsEndpoint::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? -1 : ports.front();
}

}  // namespace kst::metrics
