// Reads a recording (a directory of segments, or one segment file) back into
// Events, in the order they were written. Damage is reported, not fatal: a
// torn last block or a block failing its checksum is skipped with a warning.
//
// A store written by several runs (the recorder started again on the same
// directory, format 1.2) reads as one stream on one timeline:
//  * timestamps of a run on another boot are moved onto the oldest kept
//    run's CLOCK_MONOTONIC through the wall clock (realtime offsets);
//  * cumulative counters (in-kernel aggregates, /proc/vmstat event counters,
//    kswapd CPU time) restart with a run; each is carried on from its value
//    at the end of the previous run, so a delta over several runs is the sum
//    of the runs and counts nothing for the gap between them.
// runs() says where each run began and how it ended.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/host_identity.h"
#include "core/recording_format.h"

namespace kst {

// A recording that cannot be read at all; what() is one line.
struct RecordingReadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RecordItem {
  enum class Kind { Event, Start, End };  // Start: also the RunStart of a later run
  Kind kind = Kind::Event;
  Event event;  // ts is set for every kind (on the common timeline)
  rec::EndReason end_reason = rec::EndReason::Stopped;
  size_t run_index = 0;  // into runs()
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
  // Threads that decompress and decode blocks ahead of the one being
  // delivered (0: one per CPU beyond the reading thread; 1: none, serial).
  // Delivery stays in write order on the calling thread, the same items,
  // warnings and stats either way.
  // Default 1: on the 2-CPU build host, shared with other builds, decoding
  // ahead on another thread made `report` 0.54x as fast (docs/recording.md,
  // scripts/bench-offline), so it is opt-in (report --decode-threads).
  void set_decode_threads(unsigned n) { decode_threads_ = n; }
  const ReadStats& stats() const { return stats_; }
  // The runs of the segments kept, oldest first; complete after read().
  const std::vector<rec::RecordingRun>& runs() const { return runs_; }

 private:
  struct Stitcher;
  struct DecodedBlock;
  static DecodedBlock decode_at(std::string_view data, const rec::BlockInfo& b, size_t off);
  void read_segment(size_t i, Stitcher& st, const std::function<void(const RecordItem&)>& fn);
  void emit(size_t seg, RecordItem& item, Stitcher& st, const std::function<void(const RecordItem&)>& fn);
  void plan_runs();
  void warn(const std::string& m) const {
    if (warn_) warn_(m);
  }

  Warn warn_;
  std::vector<std::string> paths_;
  std::vector<rec::Header> headers_;
  std::vector<size_t> body_off_;    // where blocks start in each segment
  std::vector<size_t> seg_run_;     // run index of each segment
  std::vector<int64_t> seg_shift_;  // ns added to the segment's timestamps (another boot)
  std::vector<rec::RecordingRun> runs_;
  std::vector<rec::RecordingRun> planned_runs_;  // the runs as the headers give them, nothing read yet
  ReadStats stats_;
  unsigned decode_threads_ = 1;  // serial by default: see set_decode_threads
};

// Wall-clock time of a recording timestamp, as "YYYY-MM-DD HH:MM:SS.mmm" local.
std::string wall_time(const rec::Header& h, TimeNs ts);

// The recorded host (the oldest kept segment's header: its clock is the
// reader's common timeline) for the JSON envelope.
HostIdentity recording_host(const rec::Header& h);

}  // namespace kst
