// libFuzzer target for the recording reader and everything a replay feeds
// (report's summary, text and JSON, the Chrome trace export).
//
// Structure-aware: an input is a recording segment. The custom mutator
// splits it into the header body and each block's decompressed records,
// mutates one of them with libFuzzer's own mutator, and writes the segment
// back with lengths and CRCs recomputed (as anyone crafting a file can), so
// the fuzzer spends its time past the checksums, in the decoders and the
// analysis. Seeds are real recordings (tests/data/fuzz/recording/).
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/recording_format.h"
#include "core/untrusted_text.h"
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "sinks/trace/chrome_trace.h"
#include "sources/recording/recording_reader.h"
#include "sources/recording/recording_replay.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using namespace kst;

struct Segment {
  std::string prefix, body;  // file header: 20-byte prefix, JSON body
  struct Block {
    rec::BlockInfo info;
    std::string raw;
  };
  std::vector<Block> blocks;
};

uint32_t u32_at(const std::string& s, size_t off) {
  uint32_t v;
  std::memcpy(&v, s.data() + off, 4);
  return v;
}

bool parse(const uint8_t* data, size_t size, Segment& seg) {
  const std::string s(reinterpret_cast<const char*>(data), size);
  if (s.size() < rec::kFileHeaderPrefix) return false;
  const uint32_t len = u32_at(s, 12);
  if (len > s.size() - rec::kFileHeaderPrefix) return false;
  seg.prefix = s.substr(0, rec::kFileHeaderPrefix);
  seg.body = s.substr(rec::kFileHeaderPrefix, len);
  size_t off = rec::kFileHeaderPrefix + len;
  while (off + rec::kBlockHeaderSize <= s.size()) {
    const std::string_view hdr(s.data() + off, rec::kBlockHeaderSize);
    const auto info = rec::parse_block_header(hdr);
    if (!info || info->comp_len > s.size() - off - rec::kBlockHeaderSize) return false;
    const std::string_view payload(s.data() + off + rec::kBlockHeaderSize, info->comp_len);
    try {
      seg.blocks.push_back({*info, rec::decode_block(*info, hdr, payload)});
    } catch (const std::exception&) {
      return false;
    }
    off += rec::kBlockHeaderSize + info->comp_len;
  }
  return true;
}

std::string serialize(const Segment& seg) {
  std::string out = seg.prefix;
  const uint32_t len = static_cast<uint32_t>(seg.body.size());
  const uint32_t crc = rec::crc32_of(seg.body);
  std::memcpy(out.data() + 12, &len, 4);
  std::memcpy(out.data() + 16, &crc, 4);
  out += seg.body;
  for (const auto& b : seg.blocks)
    out += rec::encode_block(b.raw, b.info.count, b.info.first_ts, b.info.last_ts, 1);
  return out;
}

// Mutates s in place with libFuzzer's mutator, within max bytes.
void mutate(std::string& s, size_t max) {
  std::string buf = s;
  buf.resize(std::max(max, s.size()) + 1);
  const size_t n = LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(buf.data()), s.size(), buf.size() - 1);
  buf.resize(n);
  s = std::move(buf);
}

// The file the reader opens: one per process, rewritten for each input.
const std::string& segment_path() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/kst-fuzz-rec.XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  static const std::string path = dir + "/seg-000001.kst";
  return path;
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  Segment seg;
  if (!parse(data, size, seg)) return LLVMFuzzerMutate(data, size, max_size);
  std::minstd_rand rng(seed);
  const size_t target = rng() % (seg.blocks.size() + 1);  // 0: the header body
  if (target == 0)
    mutate(seg.body, seg.body.size() + 256);
  else
    mutate(seg.blocks[target - 1].raw, seg.blocks[target - 1].raw.size() + 256);
  if (rng() % 8 == 0 && !seg.blocks.empty()) seg.blocks.pop_back();  // a recording cut short
  const std::string out = serialize(seg);
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = segment_path();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  const bool ok = write(fd, data, size) == static_cast<ssize_t>(size);
  close(fd);
  if (!ok) return 0;
  try {
    RecordingReader reader(path, [](const std::string&) {});
    ReplayResult r = replay_summary(reader, {});
    (void)json_text(to_json(r.summary), 2);
    (void)terminal_safe(render_text(r.summary));
  } catch (const RecordingReadError&) {
  } catch (const rec::FormatError&) {
  }
  return 0;
}
