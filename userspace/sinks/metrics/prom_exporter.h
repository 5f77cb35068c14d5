// The agent's metrics in Prometheus form, with Debian's prometheus-cpp: a
// registry mirroring a MetricModel, the pull endpoint (HTTP /metrics) and the
// text exposition for node_exporter's textfile collector.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "sinks/metrics/metric_model.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace kst::metrics {

struct ListenError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PromMirror {
 public:
  PromMirror();
  ~PromMirror();
  // Brings the registry to the model's values. Counters only move forward:
  // a model value below the exported one (never expected) is ignored.
  void update(const MetricModel& m);
  // The text exposition format (version 0.0.4) of everything registered.
  std::string text() const;
  std::shared_ptr<prometheus::Registry> registry() const { return reg_; }

 private:
  struct Families;
  std::shared_ptr<prometheus::Registry> reg_;
  std::unique_ptr<Families> fam_;
};

// "127.0.0.1:9532", "localhost:9532", "[::1]:9532", "0.0.0.0:9532": the
// address resolved to a numeric one (first getaddrinfo result). Throws
// ListenError ("cannot resolve ...", "... is not HOST:PORT").
std::string resolve_listen(const std::string& spec);

// Serves REGISTRY on http://ADDR/metrics until destroyed. Throws ListenError
// when the address cannot be bound (in use, not local, no permission).
class MetricsEndpoint {
 public:
  MetricsEndpoint(const std::string& spec, std::shared_ptr<prometheus::Registry> registry);
  ~MetricsEndpoint();
  int port() const;  // the bound port (useful with port 0)

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace kst::metrics
