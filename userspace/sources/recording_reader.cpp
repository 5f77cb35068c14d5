#include "sources/recording_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kst {
namespace {

namespace fs = std::filesystem;

// seg-NNNNNNNN.kst -> N, or 0 if not a segment name
uint64_t segment_number(const std::string& name) {
  if (name.rfind("seg-", 0) != 0 || !name.ends_with(".kst") || name.size() <= 8) return 0;
  const std::string digits = name.substr(4, name.size() - 8);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(digits);
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// The next offset at or after `from` where a whole, checksum-valid block starts.
size_t resync(std::string_view data, size_t from) {
  for (size_t pos = from; pos + rec::kBlockHeaderSize <= data.size(); ++pos) {
    pos = data.find("KBLK", pos);
    if (pos == std::string_view::npos || pos + rec::kBlockHeaderSize > data.size()) break;
    auto b = rec::parse_block_header(data.substr(pos, rec::kBlockHeaderSize));
    if (!b || data.size() - pos - rec::kBlockHeaderSize < b->comp_len) continue;
    if (rec::crc32_of(data.substr(pos, rec::kBlockHeaderSize - 4),
                      data.substr(pos + rec::kBlockHeaderSize, b->comp_len)) == b->crc)
      return pos;
  }
  return std::string_view::npos;
}

}  // namespace

RecordingReader::RecordingReader(const std::string& path, Warn on_warning) : warn_(std::move(on_warning)) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw RecordingReadError(path + ": no such file or directory");
  const bool single = !fs::is_directory(path, ec);
  std::vector<std::pair<uint64_t, std::string>> found;
  if (single) {
    found.push_back({0, path});
  } else {
    for (const auto& de : fs::directory_iterator(path, ec)) {
      const uint64_t n = segment_number(de.path().filename().string());
      if (n) found.push_back({n, de.path().string()});
    }
    if (ec) throw RecordingReadError(path + ": " + ec.message());
    if (found.empty()) throw RecordingReadError(path + ": no recording segments (seg-*.kst) found");
    std::sort(found.begin(), found.end());
  }

  for (size_t i = 0; i < found.size(); ++i) {
    const std::string& p = found[i].second;
    std::ifstream f(p, std::ios::binary);
    if (!f) {
      // evicted by a writer that is still running
      warn(p + ": cannot open; skipped");
      continue;
    }
    std::string prefix(rec::kFileHeaderPrefix, '\0');
    f.read(prefix.data(), prefix.size());
    prefix.resize(static_cast<size_t>(f.gcount()));
    try {
      const uint32_t len = rec::parse_header_prefix(prefix);
      std::string body(len, '\0');
      f.read(body.data(), len);
      body.resize(static_cast<size_t>(f.gcount()));
      rec::Header h = rec::decode_header(prefix, body);
      if (!headers_.empty() && h.recording_id != headers_.front().recording_id) {
        warn(p + ": belongs to another recording (id " + h.recording_id + "); skipped");
        continue;
      }
      headers_.push_back(std::move(h));
      paths_.push_back(p);
      body_off_.push_back(rec::kFileHeaderPrefix + len);
    } catch (const rec::FormatError& e) {
      const std::string msg = e.what();
      // an incompatible version or a lone damaged file is fatal; a damaged
      // segment among others (e.g. torn while being created) is skipped
      if (single || msg.find("newer") != std::string::npos) throw RecordingReadError(p + ": " + msg);
      warn(p + ": " + msg + "; segment skipped");
    }
  }
  if (headers_.empty()) throw RecordingReadError(path + ": no readable recording segment");
}

void RecordingReader::read(const std::function<void(const RecordItem&)>& fn) {
  stats_ = {};
  for (size_t i = 0; i < paths_.size(); ++i) read_segment(i, fn);
}

void RecordingReader::read_segment(size_t i, const std::function<void(const RecordItem&)>& fn) {
  const std::string& p = paths_[i];
  std::string file;
  if (!read_file(p, file)) {
    warn(p + ": cannot read (evicted meanwhile?); skipped");
    return;
  }
  ++stats_.segments;
  const std::string_view data(file);
  size_t off = body_off_[i];
  auto skip_to = [&](size_t bad_at, const std::string& why) {
    const size_t next = resync(data, bad_at + 1);
    const size_t skipped = (next == std::string_view::npos ? data.size() : next) - bad_at;
    stats_.skipped_bytes += skipped;
    if (next == std::string_view::npos && why == "torn") {
      ++stats_.torn_blocks;
      warn(p + ": last block is torn at offset " + std::to_string(bad_at) + " (" + std::to_string(skipped) +
           " bytes; the writer was interrupted); skipped");
    } else {
      ++stats_.bad_blocks;
      warn(p + ": damaged block at offset " + std::to_string(bad_at) + " (" + why + "); skipped " +
           std::to_string(skipped) + " bytes");
    }
    return next == std::string_view::npos ? data.size() : next;
  };

  while (off < data.size()) {
    if (data.size() - off < rec::kBlockHeaderSize) {
      off = skip_to(off, "torn");
      continue;
    }
    auto b = rec::parse_block_header(data.substr(off, rec::kBlockHeaderSize));
    if (!b) {
      off = skip_to(off, "bad block header");
      continue;
    }
    if (data.size() - off - rec::kBlockHeaderSize < b->comp_len) {
      off = skip_to(off, "torn");
      continue;
    }
    std::string raw;
    std::vector<rec::RawRecord> recs;
    try {
      raw = rec::decode_block(*b, data.substr(off, rec::kBlockHeaderSize),
                              data.substr(off + rec::kBlockHeaderSize, b->comp_len));
      recs = rec::split_records(raw);
    } catch (const rec::FormatError& e) {
      off = skip_to(off, e.what());
      continue;
    }
    ++stats_.blocks;
    for (const auto& r : recs) {
      ++stats_.records;
      RecordItem item;
      item.event.ts = r.ts;
      if (r.tag == rec::kTagStart) {
        item.kind = RecordItem::Kind::Start;
      } else if (r.tag == rec::kTagEnd) {
        item.kind = RecordItem::Kind::End;
        if (!r.body.empty()) item.end_reason = static_cast<rec::EndReason>(static_cast<uint8_t>(r.body[0]));
      } else {
        std::optional<Event> e;
        try {
          e = rec::decode_event(r);
        } catch (const rec::FormatError& err) {
          warn(p + ": malformed record " + hex(r.tag) + " (" + err.what() + "); skipped");
          continue;
        }
        if (!e) {
          if (r.tag & rec::kTagCritical)
            throw RecordingReadError(p + ": record type " + hex(r.tag) +
                                     " is required but unknown to this kswaptrace; use a newer kswaptrace");
          ++stats_.unknown_records;  // a newer minor version's record: skipped by length
          continue;
        }
        ++stats_.events;
        item.event = std::move(*e);
      }
      fn(item);
    }
    off += rec::kBlockHeaderSize + b->comp_len;
  }
}

std::string wall_time(const rec::Header& h, TimeNs ts) {
  const int64_t wall = static_cast<int64_t>(ts) + h.realtime_offset_ns;
  const time_t sec = static_cast<time_t>(wall / 1000000000);
  tm t{};
  localtime_r(&sec, &t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &t);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>((wall / 1000000) % 1000));
  return out;
}

}  // namespace kst
