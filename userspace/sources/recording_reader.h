// Reads a recording (a directory of segments, or one segment file) back into
// Events, in the order they were written. Damage is reported, not fatal: a
// torn last block or a block failing its checksum is skipped with a warning.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/recording_format.h"

namespace kst {

// A recording that cannot be read at all; what() is one line.
struct RecordingReadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RecordItem {
  enum class Kind { Event, Start, End };
  Kind kind = Kind::Event;
  Event event;  // ts is set for every kind
  rec::EndReason end_reason = rec::EndReason::Stopped;
};

struct ReadStats {
  uint64_t segments = 0, blocks = 0, records = 0, events = 0;
  uint64_t bad_blocks = 0, torn_blocks = 0, skipped_bytes = 0;
  uint64_t unknown_records = 0;  // skippable records of a newer minor version
};

class RecordingReader {
 public:
  using Warn = std::function<void(const std::string&)>;

  // Opens and validates every segment header. Throws RecordingReadError for
  // no recording, a newer incompatible version, or no readable segment.
  explicit RecordingReader(const std::string& path, Warn on_warning = {});

  const rec::Header& header() const { return headers_.front(); }  // oldest segment kept
  const std::vector<rec::Header>& headers() const { return headers_; }
  // SourceInfo as the recording source saw it (the replay reports it as is).
  const SourceInfo& source() const { return header().source; }

  // Streams every record of every segment in write order.
  void read(const std::function<void(const RecordItem&)>& fn);
  const ReadStats& stats() const { return stats_; }

 private:
  void read_segment(size_t i, const std::function<void(const RecordItem&)>& fn);
  void warn(const std::string& m) const {
    if (warn_) warn_(m);
  }

  Warn warn_;
  std::vector<std::string> paths_;
  std::vector<rec::Header> headers_;
  std::vector<size_t> body_off_;  // where blocks start in each segment
  ReadStats stats_;
};

// Wall-clock time of a recording timestamp, as "YYYY-MM-DD HH:MM:SS.mmm" local.
std::string wall_time(const rec::Header& h, TimeNs ts);

}  // namespace kst
