// Writes Events to a recording directory: a ring of segment files, each a
// header plus zstd blocks (core/recording_format.h), bounded by a total size
// cap with oldest-first eviction. Files are created 0600.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/recording_format.h"

namespace kst {

struct RecordingError : std::runtime_error {
  RecordingError(const std::string& msg, bool disk_full = false)
      : std::runtime_error(msg), disk_full(disk_full) {}
  bool disk_full;
};

struct RecordingOptions {
  std::string dir;
  uint64_t max_size = 64ull << 20;  // total of all segments
  double flush_interval_s = 1.0;    // buffered events reach the disk at least this often
  double sample_interval_s = 1.0;   // stored in the header for readers
  int zstd_level = 3;
  bool sync = true;  // fdatasync each block (power-loss safety)
};

// Host facts for the header; fill with host_facts() and the source.
struct RecordingMeta {
  SourceInfo source;
  std::vector<ZoneInfo> zones;
};

struct WriterStats {
  uint64_t events = 0, blocks = 0, raw_bytes = 0, disk_bytes = 0;  // written this run
  uint64_t segments_created = 0, segments_evicted = 0;
};

// Segment file name for sequence number n: seg-00000001.kst
std::string segment_name(uint64_t n);
constexpr uint64_t kMinMaxSize = 64 << 10;

class RecordingWriter {
 public:
  // Creates the directory (0700) if needed; refuses a directory that
  // already holds segments. Throws RecordingError.
  RecordingWriter(RecordingOptions opts, RecordingMeta meta);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // The window start (written as the first record).
  void start(TimeNs ts);
  void write(const Event& e);
  // Flushes when the flush interval has passed since the last flush. A large
  // buffer is written as a block earlier, without waiting for the interval.
  // Throws RecordingError (disk_full set on ENOSPC/EDQUOT).
  void maybe_flush(TimeNs now);
  // Buffered records -> one block, then fdatasync (unless opts.sync is off).
  void flush();
  // End record, flush, sync. Safe to call once; the destructor does not flush.
  void finish(TimeNs end_ts, rec::EndReason reason);

  const WriterStats& stats() const { return stats_; }
  uint64_t total_size() const;  // bytes of all segments on disk
  const std::string& dir() const { return opts_.dir; }
  uint64_t segment_cap() const { return seg_cap_; }

 private:
  struct Segment {
    uint64_t seq;
    uint64_t size;
  };
  void write_block();  // buffer -> one block on disk, no sync
  void open_segment();
  void write_all(const std::string& bytes, uint64_t good_size);
  void evict_for(uint64_t incoming);
  void sync_dir();

  RecordingOptions opts_;
  rec::Header header_;
  uint64_t seg_cap_ = 0, raw_cap_ = 0;
  std::vector<Segment> closed_;  // oldest first
  Segment cur_{0, 0};
  int fd_ = -1;
  uint64_t cur_blocks_ = 0;
  std::string buf_;
  uint32_t buf_count_ = 0;
  TimeNs buf_first_ = 0, buf_last_ = 0;
  TimeNs last_flush_ = 0;
  bool failed_ = false;
  bool unsynced_ = false;  // blocks written since the last fdatasync
  WriterStats stats_;
};

}  // namespace kst
