// `kswaptrace watch`'s loop driven by a synthetic source with its own clock:
// status lines, alert blocks, JSON lines and the --exit-on exit code.
#include "cli/watch_loop.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "synthetic_stream.h"

using namespace kst;
using namespace kst::cli;
using kst::test::kSec;
using kst::test::Second;
using kst::test::SyntheticStream;

namespace {

// Plays `script` (one Second per second, then idle) on a simulated clock
// that advances by each poll's timeout.
class ScriptedSource : public WatchSource {
 public:
  ScriptedSource(std::vector<ZoneInfo> zones, const char* release, std::function<Second(int)> script)
      : ss_(std::move(zones), 100 * kSec, true), script_(std::move(script)) {
    info_.backend = "synthetic";
    info_.kernel_release = release;
    t_ = ss_.now();
  }
  const SourceInfo& info() const override { return info_; }
  TimeNs now() override { return t_; }
  void poll(int timeout_ms, const Sink& sink) override {
    t_ += static_cast<TimeNs>(timeout_ms) * 1000000;
    while (ss_.now() + kSec <= t_)
      ss_.events(script_(second_++), [&](const Event& e) {
        Event copy = e;
        sink(std::move(copy));
      });
  }
  void drain(const Sink& sink) override { poll(0, sink); }
  std::vector<Event> sample() override { return ss_.samples(); }
  std::string label(TimeNs now) override { return "t+" + std::to_string((now - 100 * kSec) / kSec); }
  int polls = 0;

 private:
  SourceInfo info_;
  SyntheticStream ss_;
  std::function<Second(int)> script_;
  int second_ = 0;
  TimeNs t_;
};

Second livelock_after(int s, int onset) {
  if (s < onset) return Second{};
  Second x;
  x.wakes = 300;
  x.cpu = 0.99;
  x.scanned = 3;
  x.quick = 300;
  x.slabs = 60000;
  return x;
}

}  // namespace

TEST(WatchLoop, ExitOnLivelockReturnsCode3WithAnAlertBlock) {
  ScriptedSource src(SyntheticStream::seed_zones(), "4.4.0-98-generic",
                     [](int s) { return livelock_after(s, 10); });
  WatchOptions o;
  o.exit_on = {"livelock"};
  o.duration = 300;
  std::ostringstream out, err;
  std::atomic<bool> stop{false};
  EXPECT_EQ(run_watch(src, o, out, err, stop), kExitVerdict);
  EXPECT_EQ(kExitVerdict, 3);
  const std::string text = out.str();
  EXPECT_NE(text.find("LIVELOCK on node 0 [critical]"), std::string::npos) << text;
  EXPECT_NE(text.find("TINY-ZONE on node 0"), std::string::npos);
  EXPECT_NE(text.find("what to check:"), std::string::npos);
  EXPECT_NE(text.find("kswapd_high_wmark_hit_quickly: 100%"), std::string::npos);
  EXPECT_NE(text.find("Normal"), std::string::npos);  // the zone table of the node
  EXPECT_NE(text.find("kswapd AWAKE"), std::string::npos);
  EXPECT_NE(err.str().find("exiting with code 3"), std::string::npos);
  // stopped at the first evaluation that raised it: onset at t+10, <= 30 s later
  EXPECT_LE(src.now(), (100 + 10 + 30) * kSec);
  if (getenv("KST_SHOW")) std::cout << text;
}

TEST(WatchLoop, JsonLinesAndCleanExitWithoutMatch) {
  ScriptedSource src(SyntheticStream::seed_zones(), "4.4.0-98-generic", [](int s) {
    Second x = livelock_after(s, 5);
    if (s >= 40) x = Second{.wakes = 1, .sleeps = 1, .duty = 0.1};  // kswapd recovers
    return x;
  });
  WatchOptions o;
  o.json = true;
  o.exit_on = {"futile"};  // never raised here
  o.duration = 70;
  o.interval = 10;
  std::ostringstream out, err;
  std::atomic<bool> stop{false};
  EXPECT_EQ(run_watch(src, o, out, err, stop), kExitOk);
  std::istringstream lines(out.str());
  std::string line;
  int status = 0, raised = 0, cleared = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);  // every line is one JSON object
    ASSERT_TRUE(j.contains("type"));
    if (j["type"] == "status") {
      status++;
      EXPECT_EQ(j["nid"], 0);
      EXPECT_TRUE(j.contains("awake_s"));
      EXPECT_TRUE(j["zones"].contains("free"));
    } else if (j["type"] == "verdict" && j["kind"] == "LIVELOCK") {
      (j["change"] == "raised" ? raised : cleared)++;
      for (const char* k : {"kind", "severity", "nid", "since", "message", "evidence", "advice", "state"})
        EXPECT_TRUE(j.contains(k)) << k;
      EXPECT_DOUBLE_EQ(j["since"].get<double>(), 105.0);
    }
  }
  EXPECT_EQ(status, 7);
  EXPECT_EQ(raised, 1);
  EXPECT_EQ(cleared, 1);
}

TEST(WatchLoop, StopFlagEndsTheLoop) {
  ScriptedSource src(SyntheticStream::normal_zones(), "6.1.0", [](int) { return Second{}; });
  WatchOptions o;
  std::ostringstream out, err;
  std::atomic<bool> stop{true};
  EXPECT_EQ(run_watch(src, o, out, err, stop), kExitOk);
}
