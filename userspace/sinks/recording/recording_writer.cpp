#include "sinks/recording/recording_writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

namespace kst {
namespace {

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

uint64_t segment_number(const std::string& name) {
  if (name.rfind("seg-", 0) != 0 || !name.ends_with(".kst") || name.size() <= 8 || name.size() > 27) return 0;
  const std::string digits = name.substr(4, name.size() - 8);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(digits);
}

namespace {

// mkdir -p with 0700 for every directory it creates.
void make_dirs(const std::string& dir) {
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) == 0 || errno == EEXIST) continue;
    const int err = errno;
    throw RecordingError("cannot create " + prefix + ": " + errno_text(err), is_disk_full(err));
  }
}

// Reads a segment's header: the prefix, then as much of the body as the
// prefix claims (bounded), never the blocks after it.
std::string read_head(int dirfd, const std::string& name) {
  const int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return {};
  auto read_at = [fd](std::string& out, size_t want) {
    const size_t base = out.size();
    out.resize(base + want);
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, out.data() + base + got, want - got, static_cast<off_t>(base + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    out.resize(base + got);
  };
  std::string head;
  read_at(head, rec::kFileHeaderPrefix);
  if (head.size() == rec::kFileHeaderPrefix) {
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<uint8_t>(head[12 + i])) << (8 * i);
    read_at(head, std::min(len, rec::kMaxHeaderBody));
  }
  ::close(fd);
  return head;
}

}  // namespace

RecordingWriter::RecordingWriter(RecordingOptions opts, RecordingMeta meta) : opts_(std::move(opts)) {
  if (opts_.max_size < kMinMaxSize)
    throw RecordingError("--max-size must be at least " + std::to_string(kMinMaxSize >> 10) + " KiB");
  seg_cap_ = std::clamp<uint64_t>(opts_.max_size / 8, 32 << 10, 16 << 20);
  raw_cap_ = std::min<uint64_t>(1 << 20, seg_cap_ / 2);
  // room for the End record (an End block is ~60 bytes; a new page on tmpfs)
  // and a chance for the pending block
  reserve_ = std::clamp<uint64_t>(opts_.max_size / 16, 4 << 10, 16 << 10);

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
  header_.scope = std::move(meta.scope);
  for (const auto& z : meta.zones)
    header_.zones.push_back({z.nid, z.zid, z.name, z.start_pfn, z.spanned, z.present, z.managed});

  try {
    open_dir();
    scan_store();
    evict_for(reserve_);  // a smaller --max-size than the last run's applies to the whole store
    make_reserve();
  } catch (...) {
    if (dirfd_ >= 0) ::close(dirfd_);
    throw;
  }
}

// Issue 17 item 6: another user must not be able to redirect or plant files.
// The last path component is opened with O_NOFOLLOW and checked through the
// descriptor (owner, mode), so a swap after the check changes nothing.
void RecordingWriter::open_dir() {
  // "link/" would resolve the link before O_NOFOLLOW sees the last component
  while (opts_.dir.size() > 1 && opts_.dir.back() == '/') opts_.dir.pop_back();
  const std::string& d = opts_.dir;
  struct stat st {};
  bool created = false;
  if (::lstat(d.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      throw RecordingError(d + " is a symbolic link; give the real directory (symlinks are not followed)");
    if (!S_ISDIR(st.st_mode)) throw RecordingError(d + " exists and is not a directory");
  } else if (errno == ENOENT) {
    make_dirs(d);
    created = true;
  } else {
    throw RecordingError("cannot access " + d + ": " + errno_text(errno));
  }
  dirfd_ = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd_ < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      throw RecordingError(d + " is a symbolic link or not a directory");
    throw RecordingError("cannot open " + d + ": " + errno_text(errno));
  }
  if (::fstat(dirfd_, &st) != 0) throw RecordingError("cannot stat " + d + ": " + errno_text(errno));
  if (st.st_uid != ::geteuid())
    throw RecordingError(d + " is owned by uid " + std::to_string(st.st_uid) +
                         ", not by the user running kswaptrace (uid " + std::to_string(::geteuid()) +
                         "); choose a directory of your own");
  if (st.st_mode & 022) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    throw RecordingError(d + " is writable by group or others (mode " + mode +
                         "); chmod 700 it or choose another directory");
  }
  if (created) ::fchmod(dirfd_, 0700);
  // two writers on one store would interleave runs and evict each other's files
  if (::flock(dirfd_, LOCK_EX | LOCK_NB) != 0)
    throw RecordingError(d + " is being written by another kswaptrace (directory locked)");
}

void RecordingWriter::adopt_segment(const std::string& name, uint64_t seq, uint64_t size) {
  const std::string head = read_head(dirfd_, name);
  const std::string_view hv(head);
  const std::string_view magic(rec::kFileMagic, sizeof rec::kFileMagic);
  if (hv.size() < rec::kFileHeaderPrefix && magic.substr(0, hv.size()) != hv)
    throw RecordingError(opts_.dir + "/" + name +
                         ": not a kswaptrace recording (bad magic); refusing to write into this directory");
  try {
    if (hv.size() < rec::kFileHeaderPrefix) throw rec::FormatError("truncated header");
    const rec::Header h =
        rec::decode_header(hv.substr(0, rec::kFileHeaderPrefix), hv.substr(rec::kFileHeaderPrefix));
    if (stats_.prior_segments && h.recording_id != header_.recording_id)
      throw RecordingError(opts_.dir + " holds segments of two recordings (" + header_.recording_id + ", " +
                           h.recording_id + "); choose a new directory");
    header_.recording_id = h.recording_id;
    header_.run = std::max(header_.run, h.run + 1);
  } catch (const rec::FormatError& e) {
    const std::string msg = e.what();
    // a header cut short by a crash while the segment was created is debris
    // of this store (the reader skips it); anything else is not ours
    if (msg.find("truncated") == std::string::npos && msg.find("checksum") == std::string::npos)
      throw RecordingError(opts_.dir + "/" + name + ": " + msg + "; refusing to write into this directory");
  }
  closed_.push_back({seq, size});
  ++stats_.prior_segments;
  stats_.prior_bytes += size;
}

// A directory that holds a recording is continued; one that holds anything
// else is refused (eviction deletes files: only ever our own).
void RecordingWriter::scan_store() {
  DIR* dp = ::fdopendir(::dup(dirfd_));
  if (!dp) throw RecordingError("cannot read " + opts_.dir + ": " + errno_text(errno));
  std::vector<std::pair<uint64_t, std::string>> segs;
  std::string bad;
  while (const dirent* de = ::readdir(dp)) {
    const std::string name = de->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    const bool regular =
        ::fstatat(dirfd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
    if (name == kReserveName && regular) {
      ::unlinkat(dirfd_, name.c_str(), 0);  // made again below
    } else if (const uint64_t seq = segment_number(name); seq && regular) {
      segs.push_back({seq, name});
    } else if (bad.empty()) {
      bad = name;
    }
  }
  ::closedir(dp);
  if (!bad.empty())
    throw RecordingError(opts_.dir + " holds '" + bad +
                         "', which is not part of a kswaptrace recording; choose an empty or new directory");
  std::sort(segs.begin(), segs.end());
  header_.run = 1;
  for (const auto& [seq, name] : segs) {
    struct stat st {};
    ::fstatat(dirfd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    adopt_segment(name, seq, static_cast<uint64_t>(st.st_size));
  }
  if (!segs.empty()) cur_.seq = segs.back().first;
}

void RecordingWriter::make_reserve() {
  const int fd = ::openat(dirfd_, kReserveName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    throw RecordingError("cannot create " + opts_.dir + "/" + kReserveName + ": " + errno_text(errno),
                         is_disk_full(errno));
  const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(reserve_));
  ::close(fd);
  if (err) {
    ::unlinkat(dirfd_, kReserveName, 0);
    reserve_ = 0;
    throw RecordingError(std::string(is_disk_full(err) ? "disk full: " : "") +
                             "cannot reserve space for the end record in " + opts_.dir + " (" +
                             errno_text(err) + ")",
                         is_disk_full(err));
  }
}

RecordingWriter::~RecordingWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (dirfd_ >= 0) ::close(dirfd_);
}

uint64_t RecordingWriter::total_size() const {
  uint64_t t = cur_.size + reserve_;
  for (const auto& s : closed_) t += s.size;
  return t;
}

void RecordingWriter::sync_dir() {
  if (opts_.sync && dirfd_ >= 0) ::fsync(dirfd_);
}

void RecordingWriter::evict_for(uint64_t incoming) {
  bool evicted = false;
  while (!closed_.empty() && total_size() + incoming > opts_.max_size) {
    const std::string name = segment_name(closed_.front().seq);
    if (::unlinkat(dirfd_, name.c_str(), 0) != 0 && errno != ENOENT)
      throw RecordingError("cannot remove old segment " + opts_.dir + "/" + name + ": " + errno_text(errno));
    closed_.erase(closed_.begin());
    ++stats_.segments_evicted;
    evicted = true;
  }
  if (evicted) sync_dir();
}

int RecordingWriter::append(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      // leave no torn block behind: cut the file back to its last whole block
      if (::ftruncate(fd_, static_cast<off_t>(cur_.size)) == 0)
        ::lseek(fd_, static_cast<off_t>(cur_.size), SEEK_SET);
      return err;
    }
    off += static_cast<size_t>(n);
  }
  cur_.size += bytes.size();
  stats_.disk_bytes += bytes.size();
  return 0;
}

void RecordingWriter::write_failed(int err) {
  failed_ = true;
  const std::string p = opts_.dir + "/" + segment_name(cur_.seq);
  if (is_disk_full(err)) throw RecordingError("disk full writing " + p + " (" + errno_text(err) + ")", true);
  throw RecordingError("cannot write " + p + ": " + errno_text(err));
}

// Issue 17 item 8: the disk is full. Free the reserve, write the pending
// block if it now fits, and an End record saying "disk full", so a reader
// can tell this stop from a killed writer. Best effort: never throws.
void RecordingWriter::end_on_full_disk(const std::string& pending) noexcept {
  try {
    if (reserve_ && ::unlinkat(dirfd_, kReserveName, 0) == 0) reserve_ = 0;
    if (fd_ < 0 && !closed_.empty()) {  // the new segment could not be created: end the last one
      fd_ = ::openat(dirfd_, segment_name(closed_.back().seq).c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd_ < 0) return;
      cur_ = closed_.back();
      closed_.pop_back();
      ::lseek(fd_, static_cast<off_t>(cur_.size), SEEK_SET);
    }
    if (fd_ < 0) return;
    if (!pending.empty() && append(pending) == 0) ++stats_.blocks;
    std::string raw;
    const char r = static_cast<char>(rec::EndReason::DiskFull);
    rec::append_meta(raw, rec::kTagEnd, buf_last_, std::string_view(&r, 1));
    if (append(rec::encode_block(raw, 1, buf_last_, buf_last_, opts_.zstd_level)) == 0) {
      ended_ = true;
      ++stats_.blocks;
    }
    ::fdatasync(fd_);
    sync_dir();
  } catch (...) {
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
  cur_ = {seq, 0};
  evict_for(hdr.size());
  const std::string name = segment_name(seq);
  // O_EXCL|O_NOFOLLOW: never write through a planted file or symlink
  fd_ = ::openat(dirfd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    const int err = errno;
    failed_ = true;
    throw RecordingError("cannot create " + opts_.dir + "/" + name + ": " + errno_text(err),
                         is_disk_full(err));
  }
  ::fchmod(fd_, 0600);
  cur_blocks_ = 0;
  ++stats_.segments_created;
  if (const int err = append(hdr)) {
    ::close(fd_);
    fd_ = -1;
    ::unlinkat(dirfd_, name.c_str(), 0);  // a segment without a whole header holds nothing
    write_failed(err);
  }
  if (opts_.sync) ::fdatasync(fd_);
  sync_dir();
}

void RecordingWriter::start(TimeNs ts) {
  header_.recording_start_ns = ts;
  open_segment();  // errors (permissions, full disk) show up before tracing starts
  if (header_.run > 1) {
    std::string body;
    for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((header_.run >> (8 * i)) & 0xff));
    rec::append_meta(buf_, rec::kTagRunStart, ts, body);
  } else {
    rec::append_meta(buf_, rec::kTagStart, ts);
  }
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
    if (is_disk_full(err)) end_on_full_disk({});
    throw RecordingError("cannot sync " + opts_.dir + ": " + errno_text(err), is_disk_full(err));
  }
  unsynced_ = false;
}

void RecordingWriter::write_block() {
  if (failed_) throw RecordingError("recording stopped after an earlier write error");
  if (buf_.empty()) return;
  const std::string blk = rec::encode_block(buf_, buf_count_, buf_first_, buf_last_, opts_.zstd_level);
  try {
    if (fd_ < 0 || (cur_blocks_ > 0 && cur_.size + blk.size() > seg_cap_)) open_segment();
    evict_for(blk.size());
    if (const int err = append(blk)) write_failed(err);
  } catch (const RecordingError& e) {
    failed_ = true;
    if (e.disk_full) end_on_full_disk(blk);
    throw;
  }
  unsynced_ = true;
  ++cur_blocks_;
  ++stats_.blocks;
  stats_.raw_bytes += buf_.size();
  buf_.clear();
  buf_count_ = 0;
}

void RecordingWriter::finish(TimeNs end_ts, rec::EndReason reason) {
  if (ended_) return;
  const char r = static_cast<char>(reason);
  if (!buf_count_) buf_first_ = end_ts;
  buf_last_ = std::max(buf_last_, end_ts);
  rec::append_meta(buf_, rec::kTagEnd, end_ts, std::string_view(&r, 1));
  ++buf_count_;
  flush();
  ended_ = true;
  if (fd_ >= 0) {
    if (opts_.sync) ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    closed_.push_back(cur_);
    cur_ = {cur_.seq, 0};
  }
  // the End record is on disk: the reserve is no longer needed (a restart makes a new one)
  if (reserve_ && ::unlinkat(dirfd_, kReserveName, 0) == 0) reserve_ = 0;
}

}  // namespace kst
