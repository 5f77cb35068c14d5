// The on-disk recording format (docs/recording-format.md), as pure byte
// codecs: segment header, checksummed zstd blocks, tagged records. No file
// descriptors here; sinks/recording_writer and sources/recording_reader do
// the I/O and share these functions so both sides agree by construction.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/trace_scope.h"
#include "core/zones.h"

namespace kst::rec {

// Format version. Major: incompatible changes (readers reject a newer major).
// Minor: compatible additions (new header keys, new skippable record tags,
// fields appended to existing records); any 1.x reader reads any 1.y file.
constexpr uint16_t kVersionMajor = 1;
// 1.1: detector verdict records (0x0300). 1.2: restartable stores: several
// runs in one directory (header key "run", critical RunStart record).
// 1.3: DirectReclaim records end with the memory cgroup's id and path.
// 1.4: header key "scope": the run's -p pids and -c cgroup.
constexpr uint16_t kVersionMinor = 4;

constexpr char kFileMagic[8] = {'K', 'S', 'W', 'P', 'R', 'E', 'C', '\n'};
constexpr size_t kFileHeaderPrefix = 20;      // magic, major, minor, body length, body crc32
constexpr uint32_t kBlockMagic = 0x4b4c424b;  // "KBLK" little-endian
constexpr size_t kBlockHeaderSize = 40;
constexpr uint32_t kMaxHeaderBody = 1u << 20;
constexpr uint32_t kMaxBlockRaw = 16u << 20;  // readers refuse larger blocks as corrupt
constexpr uint16_t kCodecZstd = 1;
constexpr int kMaxPageOrder = 20;  // decoders refuse larger allocation orders as corrupt

// Record tags. Bit 15 set: "critical", a reader that does not know the tag
// must stop (the record changes how later records are read). Clear: an
// unknown record is skipped by its length. Ranges (all non-critical):
//   0x0001-0x00ff  ring-buffer events      0x0100-0x01ff  periodic samples
//   0x0200-0x02ff  hot-add / topology      0x0300-0x03ff  detector verdicts
//   0x7f00-0x7fff  recording meta records
constexpr uint16_t kTagCritical = 0x8000;
constexpr uint16_t kTagStart = 0x7f00;  // ts = window start of the recording
constexpr uint16_t kTagEnd = 0x7f01;    // ts = end of the recording; body: u8 reason
// Start of run 2, 3, ... of a store (1.2); body: u64 run number. Critical: a
// 1.1 reader would difference counters across the restart (the BPF aggregates
// restart at 0, a reboot restarts the clock), so it must refuse instead.
constexpr uint16_t kTagRunStart = kTagCritical | 0x7f00;

// PidsExited (1.4): the run was limited to -p processes and all of them exited.
enum class EndReason : uint8_t { Stopped = 0, DurationElapsed = 1, DiskFull = 2, Error = 3, PidsExited = 4 };
const char* end_reason_name(EndReason r);
// Short key for JSON: "stopped", "duration", "disk_full", "error", "pids_exited".
const char* end_reason_key(EndReason r);

struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A zone of the layout stored in the header (the start pfn/size of each zone).
struct ZoneLayout {
  int32_t nid = 0, zid = 0;
  std::string name;
  uint64_t start_pfn = 0, spanned = 0, present = 0, managed = 0;
};

// Host facts a later reader needs to interpret the data. Stored as JSON in
// every segment header so each segment can be read alone.
struct Header {
  uint16_t major = kVersionMajor, minor = kVersionMinor;
  std::string recording_id;  // random hex, the same in all segments of one recording
  uint64_t segment = 0;      // 1, 2, ... in write order
  uint64_t run = 1;          // 1.2: which start of the recorder wrote it (1.0/1.1 files: 1)
  std::string writer;        // "kswaptrace 0.1.0"
  std::string hostname, machine, boot_id, kernel_release;
  uint32_t page_size = 4096;
  // CLOCK_REALTIME - CLOCK_MONOTONIC in ns when the segment was created:
  // wall time of an event = ts + realtime_offset_ns.
  int64_t realtime_offset_ns = 0;
  TimeNs created_mono_ns = 0;
  TimeNs recording_start_ns = 0;  // the Start record's ts of this segment's run (kept after eviction)
  double sample_interval_s = 0, flush_interval_s = 0;
  uint64_t max_size = 0;
  SourceInfo source;
  std::vector<ZoneLayout> zones;
  TraceScope scope;  // 1.4: -p/-c of the run (pids, cgroup only)
};

// One start of the recorder on a store, as a reader reconstructs it. Times
// `*_mono_ns` are the run's own CLOCK_MONOTONIC; `*_ts` the reader's common
// timeline (the oldest kept run's clock; see RecordingReader).
struct RecordingRun {
  uint64_t run = 1;
  std::string boot_id, kernel_release, hostname;
  bool new_boot = false;     // boot id differs from the previous kept run's
  bool start_seen = false;   // its Start record was read (false: evicted)
  TimeNs start_mono_ns = 0;  // Start record, else the first record kept
  int64_t start_realtime_ns = 0;
  TimeNs end_mono_ns = 0;  // End record, else the last record read
  int64_t end_realtime_ns = 0;
  TimeNs start_ts = 0, end_ts = 0;
  bool ended = false;  // an End record was read
  EndReason end_reason = EndReason::Stopped;
  uint64_t segments = 0, events = 0;
  TraceScope scope;  // -p/-c of the run, from its header (1.4)
};

std::string encode_header(const Header& h);  // whole header: prefix + JSON body
// Parses the fixed prefix: returns the body length. Throws FormatError (bad
// magic, newer major version, oversized body).
uint32_t parse_header_prefix(std::string_view prefix20, uint16_t* major = nullptr, uint16_t* minor = nullptr);
// Checks the body crc and parses it. Throws FormatError.
Header decode_header(std::string_view prefix20, std::string_view body);

uint32_t crc32_of(std::string_view a, std::string_view b = {});

// One record as stored: tag, ts and body bytes.
struct RawRecord {
  uint16_t tag = 0;
  TimeNs ts = 0;
  std::string_view body;
};

// Appends one record (tag u16, body length u32, ts u64, body) to `out`.
void append_event(std::string& out, const Event& e);
void append_meta(std::string& out, uint16_t tag, TimeNs ts, std::string_view body = {});
// Tag of an event's variant alternative.
uint16_t tag_of(const EventData& d);
// Decodes the records of a block payload. Throws FormatError on framing errors.
std::vector<RawRecord> split_records(std::string_view payload);
// Decodes an event record; nullopt if the tag is not an event this build
// knows. Throws FormatError when the body is malformed.
std::optional<Event> decode_event(const RawRecord& r);
// Moves every timestamp an event carries (ts and those inside it) by delta ns.
void shift_times(Event& e, int64_t delta);

// Block: header (magic, codec, reserved, compressed length, raw length,
// record count, first ts, last ts, crc32) + zstd payload.
struct BlockInfo {
  uint16_t codec = kCodecZstd;
  uint32_t comp_len = 0, raw_len = 0, count = 0;
  TimeNs first_ts = 0, last_ts = 0;
  uint32_t crc = 0;
};
std::string encode_block(std::string_view raw, uint32_t count, TimeNs first_ts, TimeNs last_ts, int level);
// Parses a 40-byte block header; nullopt if the magic is wrong or lengths
// are impossible (then the reader resynchronises).
std::optional<BlockInfo> parse_block_header(std::string_view hdr40);
// Verifies the checksum and decompresses. Throws FormatError.
std::string decode_block(const BlockInfo& b, std::string_view hdr40, std::string_view payload);

}  // namespace kst::rec
