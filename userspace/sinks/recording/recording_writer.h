// Writes Events to a recording directory: a ring of segment files, each a
// header plus zstd blocks (core/recording_format.h), bounded by a total size
// cap with oldest-first eviction. Files are created 0600. Started again on a
// directory that holds a recording, it continues that store as a new run.
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
  TraceScope scope;  // -p/-c (a new run of a store may differ from the last)
};

struct WriterStats {
  uint64_t events = 0, blocks = 0, raw_bytes = 0, disk_bytes = 0;  // written this run
  uint64_t segments_created = 0, segments_evicted = 0;
  uint64_t prior_segments = 0, prior_bytes = 0;  // found from earlier runs of the store
};

// Segment file name for sequence number n: seg-00000001.kst
std::string segment_name(uint64_t n);
// n of seg-NNNNNNNN.kst, or 0 if `name` is not a segment name.
uint64_t segment_number(const std::string& name);
// Space kept free for the End record in a file of this name (see reserve_).
constexpr char kReserveName[] = ".kst-reserve";
constexpr uint64_t kMinMaxSize = 64 << 10;

class RecordingWriter {
 public:
  // Opens the directory without following a symlink at it, creating it (and
  // missing parents) 0700. Refuses one that is a symlink, not owned by the
  // running user, writable by group/others, locked by another writer, or
  // holding anything but a kswaptrace recording. A directory that holds a
  // recording is continued: same recording id, next segment number, run
  // number one higher, one size cap over all runs. Throws RecordingError.
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
  // A no-op after a full disk, where the writer already wrote an End record.
  void finish(TimeNs end_ts, rec::EndReason reason);

  const WriterStats& stats() const { return stats_; }
  uint64_t total_size() const;  // bytes of all segments (and the reserve) on disk
  uint64_t segments_on_disk() const { return closed_.size() + (fd_ >= 0 ? 1 : 0); }
  const std::string& dir() const { return opts_.dir; }
  uint64_t segment_cap() const { return seg_cap_; }
  uint64_t run() const { return header_.run; }
  const std::string& recording_id() const { return header_.recording_id; }

 private:
  struct Segment {
    uint64_t seq;
    uint64_t size;
  };
  void open_dir();
  void scan_store();
  void adopt_segment(const std::string& name, uint64_t seq, uint64_t size);
  void make_reserve();
  void write_block();  // buffer -> one block on disk, no sync
  void open_segment();
  int append(const std::string& bytes);  // 0 or errno; a failed write is cut back
  [[noreturn]] void write_failed(int err);
  void end_on_full_disk(const std::string& pending) noexcept;
  void evict_for(uint64_t incoming);
  void sync_dir();

  RecordingOptions opts_;
  rec::Header header_;
  uint64_t seg_cap_ = 0, raw_cap_ = 0;
  std::vector<Segment> closed_;  // oldest first
  Segment cur_{0, 0};
  int fd_ = -1;
  int dirfd_ = -1;  // every file is opened relative to it, never through a path
  // Preallocated spare file released on a full disk so the End record still
  // fits; counted in total_size() so the cap holds.
  uint64_t reserve_ = 0;
  uint64_t cur_blocks_ = 0;
  std::string buf_;
  uint32_t buf_count_ = 0;
  TimeNs buf_first_ = 0, buf_last_ = 0;
  TimeNs last_flush_ = 0;
  bool failed_ = false;
  bool ended_ = false;     // End record written
  bool unsynced_ = false;  // blocks written since the last fdatasync
  WriterStats stats_;
};

}  // namespace kst
