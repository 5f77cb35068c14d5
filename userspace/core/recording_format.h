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
#include "core/zones.h"

namespace kst::rec {

// Format version. Major: incompatible changes (readers reject a newer major).
// Minor: compatible additions (new header keys, new skippable record tags,
// fields appended to existing records); any 1.x reader reads any 1.y file.
constexpr uint16_t kVersionMajor = 1;
constexpr uint16_t kVersionMinor = 1;  // 1.1: detector verdict records (0x0300)

constexpr char kFileMagic[8] = {'K', 'S', 'W', 'P', 'R', 'E', 'C', '\n'};
constexpr size_t kFileHeaderPrefix = 20;      // magic, major, minor, body length, body crc32
constexpr uint32_t kBlockMagic = 0x4b4c424b;  // "KBLK" little-endian
constexpr size_t kBlockHeaderSize = 40;
constexpr uint32_t kMaxHeaderBody = 1u << 20;
constexpr uint32_t kMaxBlockRaw = 16u << 20;  // readers refuse larger blocks as corrupt
constexpr uint16_t kCodecZstd = 1;

// Record tags. Bit 15 set: "critical", a reader that does not know the tag
// must stop (the record changes how later records are read). Clear: an
// unknown record is skipped by its length. Ranges (all non-critical):
//   0x0001-0x00ff  ring-buffer events      0x0100-0x01ff  periodic samples
//   0x0200-0x02ff  hot-add / topology      0x0300-0x03ff  detector verdicts
//   0x7f00-0x7fff  recording meta records
constexpr uint16_t kTagCritical = 0x8000;
constexpr uint16_t kTagStart = 0x7f00;  // ts = window start of the recording
constexpr uint16_t kTagEnd = 0x7f01;    // ts = end of the recording; body: u8 reason

enum class EndReason : uint8_t { Stopped = 0, DurationElapsed = 1, DiskFull = 2, Error = 3 };
const char* end_reason_name(EndReason r);

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
  std::string writer;        // "kswaptrace 0.1.0"
  std::string hostname, machine, boot_id, kernel_release;
  uint32_t page_size = 4096;
  // CLOCK_REALTIME - CLOCK_MONOTONIC in ns when the segment was created:
  // wall time of an event = ts + realtime_offset_ns.
  int64_t realtime_offset_ns = 0;
  TimeNs created_mono_ns = 0;
  TimeNs recording_start_ns = 0;  // the Start record's ts (kept after eviction)
  double sample_interval_s = 0, flush_interval_s = 0;
  uint64_t max_size = 0;
  SourceInfo source;
  std::vector<ZoneLayout> zones;
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
