#include "sinks/metrics/publisher.h"

namespace kst::metrics {

MetricsPublisher::MetricsPublisher(MetricsCollector& c, PublisherOptions o) : c_(c), o_(std::move(o)) {
  if (o_.state_dir.empty()) return;
  const std::string text = load_state_file(o_.state_dir);
  if (text.empty()) return;
  try {
    c_.model().restore_state(text);
  } catch (const StateError& e) {
    throw StateError(state_path(o_.state_dir) + ": " + e.what() +
                     " (move it away to start the counters at 0)");
  }
  restored_ = true;
}

void MetricsPublisher::publish(TimeNs now, const std::vector<Verdict>& verdicts) {
  c_.on_tick(now, verdicts);
  if (!o_.state_dir.empty()) save_state_file(o_.state_dir, c_.model().save_state());
  for (const auto& expose : o_.exposers) expose(c_.model());
}

}  // namespace kst::metrics
