#include "sinks/recording_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace kst {
namespace {

namespace fs = std::filesystem;

TimeNs clock_ns(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return static_cast<TimeNs>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

// CLOCK_REALTIME - CLOCK_MONOTONIC, from the tightest of a few samples.
int64_t realtime_offset(TimeNs* mono_out) {
  int64_t best = 0;
  TimeNs best_width = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    const TimeNs m1 = clock_ns(CLOCK_MONOTONIC);
    const TimeNs r = clock_ns(CLOCK_REALTIME);
    const TimeNs m2 = clock_ns(CLOCK_MONOTONIC);
    if (m2 - m1 < best_width) {
      best_width = m2 - m1;
      const TimeNs mid = m1 + (m2 - m1) / 2;
      best = static_cast<int64_t>(r) - static_cast<int64_t>(mid);
      if (mono_out) *mono_out = mid;
    }
  }
  return best;
}

std::string first_line(const char* path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

std::string random_id() {
  std::random_device rd;
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

std::string errno_text(int err) { return std::strerror(err); }

bool is_disk_full(int err) { return err == ENOSPC || err == EDQUOT; }

}  // namespace

std::string segment_name(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "seg-%08llu.kst", static_cast<unsigned long long>(n));
  return buf;
}

RecordingWriter::RecordingWriter(RecordingOptions opts, RecordingMeta meta) : opts_(std::move(opts)) {
  if (opts_.max_size < kMinMaxSize)
    throw RecordingError("--max-size must be at least " + std::to_string(kMinMaxSize >> 10) + " KiB");
  seg_cap_ = std::clamp<uint64_t>(opts_.max_size / 8, 32 << 10, 16 << 20);
  raw_cap_ = std::min<uint64_t>(1 << 20, seg_cap_ / 2);

  std::error_code ec;
  const bool existed = fs::exists(opts_.dir, ec);
  if (existed && !fs::is_directory(opts_.dir, ec))
    throw RecordingError(opts_.dir + " exists and is not a directory");
  if (!existed) {
    fs::create_directories(opts_.dir, ec);
    if (ec)
      throw RecordingError("cannot create " + opts_.dir + ": " + ec.message(), is_disk_full(ec.value()));
    ::chmod(opts_.dir.c_str(), 0700);
  } else {
    for (const auto& de : fs::directory_iterator(opts_.dir, ec)) {
      const std::string n = de.path().filename().string();
      if (n.rfind("seg-", 0) == 0 && n.size() > 4 && n.ends_with(".kst"))
        throw RecordingError(opts_.dir + " already holds a recording (" + n +
                             "); choose a new directory or remove the old one");
    }
    if (ec) throw RecordingError("cannot read " + opts_.dir + ": " + ec.message());
  }

  utsname u{};
  ::uname(&u);
  header_.recording_id = random_id();
  header_.writer = "kswaptrace 0.1.0";
  header_.hostname = u.nodename;
  header_.machine = u.machine;
  header_.kernel_release = u.release;
  header_.boot_id = first_line("/proc/sys/kernel/random/boot_id");
  header_.page_size = static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));
  header_.sample_interval_s = opts_.sample_interval_s;
  header_.flush_interval_s = opts_.flush_interval_s;
  header_.max_size = opts_.max_size;
  header_.source = std::move(meta.source);
  for (const auto& z : meta.zones)
    header_.zones.push_back({z.nid, z.zid, z.name, z.start_pfn, z.spanned, z.present, z.managed});
}

RecordingWriter::~RecordingWriter() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t RecordingWriter::total_size() const {
  uint64_t t = cur_.size;
  for (const auto& s : closed_) t += s.size;
  return t;
}

void RecordingWriter::sync_dir() {
  if (!opts_.sync) return;
  int d = ::open(opts_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
}

void RecordingWriter::evict_for(uint64_t incoming) {
  bool evicted = false;
  while (!closed_.empty() && total_size() + incoming > opts_.max_size) {
    const std::string p = opts_.dir + "/" + segment_name(closed_.front().seq);
    if (::unlink(p.c_str()) != 0 && errno != ENOENT)
      throw RecordingError("cannot remove old segment " + p + ": " + errno_text(errno));
    closed_.erase(closed_.begin());
    ++stats_.segments_evicted;
    evicted = true;
  }
  if (evicted) sync_dir();
}

void RecordingWriter::write_all(const std::string& bytes, uint64_t good_size) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      // leave no torn block behind: cut the file back to its last whole block
      if (::ftruncate(fd_, static_cast<off_t>(good_size)) == 0)
        ::lseek(fd_, static_cast<off_t>(good_size), SEEK_SET);
      failed_ = true;
      const std::string p = opts_.dir + "/" + segment_name(cur_.seq);
      if (is_disk_full(err))
        throw RecordingError("disk full writing " + p + " (" + errno_text(err) + ")", true);
      throw RecordingError("cannot write " + p + ": " + errno_text(err));
    }
    off += static_cast<size_t>(n);
  }
}

void RecordingWriter::open_segment() {
  if (fd_ >= 0) {
    if (opts_.sync) ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
    closed_.push_back(cur_);
  }
  const uint64_t seq = cur_.seq + 1;
  header_.segment = seq;
  header_.realtime_offset_ns = realtime_offset(&header_.created_mono_ns);
  const std::string hdr = rec::encode_header(header_);
  evict_for(hdr.size());
  const std::string p = opts_.dir + "/" + segment_name(seq);
  fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    const int err = errno;
    failed_ = true;
    throw RecordingError("cannot create " + p + ": " + errno_text(err), is_disk_full(err));
  }
  ::fchmod(fd_, 0600);
  cur_ = {seq, 0};
  cur_blocks_ = 0;
  ++stats_.segments_created;
  try {
    write_all(hdr, 0);
  } catch (const RecordingError&) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(p.c_str());  // a segment without a whole header holds nothing
    cur_ = {seq, 0};
    throw;
  }
  cur_.size = hdr.size();
  stats_.disk_bytes += hdr.size();
  if (opts_.sync) ::fdatasync(fd_);
  sync_dir();
}

void RecordingWriter::start(TimeNs ts) {
  header_.recording_start_ns = ts;
  open_segment();  // errors (permissions, full disk) show up before tracing starts
  rec::append_meta(buf_, rec::kTagStart, ts);
  buf_first_ = buf_last_ = ts;
  ++buf_count_;
  last_flush_ = ts;
}

void RecordingWriter::write(const Event& e) {
  if (const auto* zs = std::get_if<ZoneSample>(&e.data)) {
    // later segment headers describe the layout as it is then (hot-add)
    header_.zones.clear();
    for (const auto& z : zs->zones)
      header_.zones.push_back({z.nid, z.zid, z.name, z.start_pfn, z.spanned, z.present, z.managed});
  }
  if (!buf_count_) buf_first_ = e.ts;
  buf_first_ = std::min(buf_first_, e.ts);
  buf_last_ = std::max(buf_last_, e.ts);
  rec::append_event(buf_, e);
  ++buf_count_;
  ++stats_.events;
  if (buf_.size() >= raw_cap_) write_block();  // synced at the next interval flush
}

void RecordingWriter::maybe_flush(TimeNs now) {
  if (now - std::min(now, last_flush_) >= static_cast<TimeNs>(opts_.flush_interval_s * 1e9)) {
    flush();
    last_flush_ = now;
  }
}

void RecordingWriter::flush() {
  write_block();
  if (opts_.sync && fd_ >= 0 && unsynced_ && ::fdatasync(fd_) != 0) {
    const int err = errno;
    failed_ = true;
    throw RecordingError("cannot sync " + opts_.dir + ": " + errno_text(err), is_disk_full(err));
  }
  unsynced_ = false;
}

void RecordingWriter::write_block() {
  if (failed_) throw RecordingError("recording stopped after an earlier write error");
  if (buf_.empty()) return;
  const std::string blk = rec::encode_block(buf_, buf_count_, buf_first_, buf_last_, opts_.zstd_level);
  if (fd_ < 0 || (cur_blocks_ > 0 && cur_.size + blk.size() > seg_cap_)) open_segment();
  evict_for(blk.size());
  write_all(blk, cur_.size);
  unsynced_ = true;
  cur_.size += blk.size();
  ++cur_blocks_;
  ++stats_.blocks;
  stats_.raw_bytes += buf_.size();
  stats_.disk_bytes += blk.size();
  buf_.clear();
  buf_count_ = 0;
}

void RecordingWriter::finish(TimeNs end_ts, rec::EndReason reason) {
  const char r = static_cast<char>(reason);
  if (!buf_count_) buf_first_ = end_ts;
  buf_last_ = std::max(buf_last_, end_ts);
  rec::append_meta(buf_, rec::kTagEnd, end_ts, std::string_view(&r, 1));
  ++buf_count_;
  flush();
  if (fd_ >= 0) {
    if (opts_.sync) ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    closed_.push_back(cur_);
    cur_ = {cur_.seq, 0};
  }
}

}  // namespace kst
