#include "core/failure_report.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>

#include "core/untrusted_text.h"

namespace kst {
namespace {

constexpr size_t kMaxInput = 16u << 20;  // a pasted report is kilobytes; refuse absurd input
constexpr int kMaxOrder = 30;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::optional<int64_t> to_i64(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Undo quoted-printable mail encoding ("=\n" soft breaks, "=3D"), which
// splits report lines mid-token; only when the text shows signs of it.
std::string maybe_unquote_printable(std::string_view in) {
  bool qp = in.find("=3D") != std::string_view::npos || in.find("=\n") != std::string_view::npos ||
            in.find("=\r\n") != std::string_view::npos;
  if (!qp) return std::string(in);
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] == '=' && i + 1 < in.size()) {
      if (in[i + 1] == '\n') {
        i += 1;
        continue;
      }
      if (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n') {
        i += 2;
        continue;
      }
      if (i + 2 < in.size() && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0 &&
          (hexval(in[i + 1]) >= 2 || in[i + 1] == '0')) {
        char c = static_cast<char>(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
        // keep printable ASCII and whitespace; drop the rest (e.g. UTF-8 of "…")
        if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n') out.push_back(c);
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

bool timeish(std::string_view t) {
  // "08:41:51.347", "07-13", "2020-04-09T15:30:01" - digits with ':' or '-'
  if (t.empty() || !is_digit(t[0])) return false;
  bool sep = false;
  for (char c : t) {
    if (c == ':' || c == '-')
      sep = true;
    else if (!(is_digit(c) || c == '.' || c == 'T' || c == '+' || c == ','))
      return false;
  }
  return sep;
}

// Strips what loggers and mailers put in front of a kernel line.
std::string_view strip_prefixes(std::string_view line) {
  for (int guard = 0; guard < 16; guard++) {
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    if (line.empty()) return line;
    // syslog / journal: "Apr  5 14:20:45 host kernel: ..."
    size_t k = line.substr(0, 96).find("kernel:");
    if (k != std::string_view::npos && (k == 0 || line[k - 1] == ' ')) {
      line.remove_prefix(k + 7);
      continue;
    }
    if (line.front() == '>' || line.front() == '|') {
      line.remove_prefix(1);
      continue;
    }
    if (line.front() == '<') {  // "<4>" printk level
      size_t e = line.find('>');
      if (e != std::string_view::npos && e <= 3) {
        line.remove_prefix(e + 1);
        continue;
      }
    }
    if (line.front() == '[') {  // "[ 123.456]", "[    T1]", "[pid:1361,cpu5,...]"
      size_t e = line.find(']');
      if (e != std::string_view::npos && e < 96 && line.substr(0, e).find('*') == std::string_view::npos) {
        line.remove_prefix(e + 1);
        continue;
      }
    }
    size_t sp = line.find_first_of(" \t");
    std::string_view tok = line.substr(0, sp);
    if (timeish(tok) || tok == "...") {
      line.remove_prefix(sp == std::string_view::npos ? line.size() : sp);
      continue;
    }
    break;
  }
  return line;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) i++;
    size_t j = i;
    while (j < s.size() && !is_space(s[j])) j++;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

const char* kZoneNames[] = {"DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"};

bool is_zone_name(std::string_view t) {
  for (const char* z : kZoneNames)
    if (t == z) return true;
  return false;
}

int zone_rank(std::string_view name) {
  for (int i = 0; i < 6; i++)
    if (name == kZoneNames[i]) return i;
  return 2;
}

// "2360*4kB" -> (2360, 4)
bool parse_buddy_entry(std::string_view t, int64_t& count, int64_t& size_kb) {
  size_t star = t.find('*');
  if (star == std::string_view::npos || star == 0) return false;
  std::string_view sz = t.substr(star + 1);
  if (sz.size() < 3 || sz.substr(sz.size() - 2) != "kB") return false;
  auto c = to_i64(t.substr(0, star));
  auto s = to_i64(sz.substr(0, sz.size() - 2));
  if (!c || !s || *c < 0 || *s <= 0) return false;
  count = *c;
  size_kb = *s;
  return true;
}

// "12560kB" / "0KB" / "1234" -> value
std::optional<int64_t> kb_value(std::string_view v) {
  while (!v.empty() && (v.back() == ',' || v.back() == ';')) v.remove_suffix(1);
  if (v.size() >= 2 && (v.substr(v.size() - 2) == "kB" || v.substr(v.size() - 2) == "KB")) v.remove_suffix(2);
  auto r = to_i64(v);
  if (r && *r < 0) return std::nullopt;
  return r;
}

ReportZone& zone_for(FailureReport& r, int32_t nid, std::string_view raw_name) {
  const std::string name = terminal_safe(raw_name, false);  // from a file: reaches a terminal
  for (auto& z : r.zones)
    if (z.nid == nid && z.name == name) return z;
  r.zones.push_back({});
  r.zones.back().nid = nid;
  r.zones.back().name = name;
  return r.zones.back();
}

int32_t node_before(const std::vector<std::string_view>& t, size_t k) {
  if (k >= 2 && t[k - 2] == "Node") {
    auto n = to_i64(t[k - 1]);
    if (n && *n >= 0 && *n < 4096) return static_cast<int32_t>(*n);
  }
  return 0;
}

// "mode:0x2084020(GFP_ATOMIC|__GFP_COMP)," -> mask and names
void parse_mode(std::string_view v, FailureReport& r) {
  size_t paren = v.find('(');
  std::string_view hex = v.substr(0, paren);
  while (!hex.empty() && (hex.back() == ',')) hex.remove_suffix(1);
  if (starts_with(hex, "0x") || starts_with(hex, "0X")) hex.remove_prefix(2);
  uint64_t m = 0;
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), m, 16);
  if (ec == std::errc() && p == hex.data() + hex.size() && !hex.empty()) {
    r.mode = m;
    r.mode_known = true;
  } else {
    r.warnings.push_back("unreadable GFP mode '" + std::string(v.substr(0, 40)) + "'");
  }
  if (paren != std::string_view::npos) {
    size_t close = v.find(')', paren);
    std::string_view names =
        v.substr(paren + 1, close == std::string_view::npos ? std::string_view::npos : close - paren - 1);
    if (names != "none") r.mode_names = std::string(names.substr(0, 256));
  }
}

void parse_kv_list(std::string_view t, FailureReport& r) {
  // "nodemask=(null),cpuset=/,mems_allowed=0"
  size_t p = 0;
  while (p < t.size()) {
    size_t c = t.find(',', p);
    if (c == std::string_view::npos) c = t.size();
    std::string_view item = t.substr(p, c - p);
    p = c + 1;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "nodemask")
      r.nodemask = std::string(v.substr(0, 64));
    else if (k == "cpuset")
      r.cpuset = std::string(v.substr(0, 128));
    else if (k == "mems_allowed")
      r.mems_allowed = std::string(v.substr(0, 64));
  }
}

// The input as prefix-stripped lines and one token stream over them.
struct Tokens {
  std::string text;  // owns what the views point into
  std::vector<std::string_view> lines;
  std::vector<std::string_view> tok;
  std::vector<uint32_t> line;  // line index of each token
  std::vector<uint32_t> src;   // 1-based input line number of each line
  bool ends_line = true;       // the input ends with a newline
  std::string cut_token;       // the last token, dropped: the input ends inside it
};

std::string preprocess(std::string_view input) {
  std::string text = maybe_unquote_printable(input);
  // journald/rsyslog escape embedded newlines as "#012"
  for (size_t p = text.find("#012"); p != std::string::npos; p = text.find("#012", p))
    text.replace(p, 4, "\n");
  return text;
}

void tokenize(Tokens& t) {
  const std::string& text = t.text;
  size_t pos = 0;
  uint32_t lineno = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view raw = std::string_view(text).substr(pos, nl - pos);
    pos = nl + 1;
    lineno++;
    if (starts_with(raw, "# ")) continue;  // annotation lines of saved reports (tests/data/reports)
    std::string_view line = strip_prefixes(raw);
    t.lines.push_back(line);
    t.src.push_back(lineno);
    for (auto tk : split_ws(line)) {
      t.tok.push_back(tk);
      t.line.push_back(static_cast<uint32_t>(t.lines.size() - 1));
    }
  }
  t.ends_line = !text.empty() && text.back() == '\n';
  // A paste cut mid-token ("min:70kB" cut to "min:7") ends without
  // whitespace: the last token may be a fragment, so it is never read.
  if (!text.empty() && !is_space(text.back()) && !t.tok.empty()) {
    t.cut_token = std::string(t.tok.back().substr(0, 40));
    t.tok.pop_back();
    t.line.pop_back();
  }
}

// "<comm>: page allocation failure[.:] order:N, mode:0x..." or "<comm>
// invoked oom-killer: gfp_mask=0x..., order=N": index after the marker.
size_t header_at(const std::vector<std::string_view>& tok, size_t i) {
  if (tok[i] == "page" && i + 2 < tok.size() && tok[i + 1] == "allocation" &&
      (tok[i + 2] == "failure:" || tok[i + 2] == "failure." || tok[i + 2] == "failure"))
    return i + 3;
  if (tok[i] == "invoked" && i + 1 < tok.size() && tok[i + 1] == "oom-killer:") return i + 2;
  return 0;
}

// The fields after the marker; false when there is no order field (prose
// quoting the message, not a report).
bool parse_header(const std::vector<std::string_view>& tok, size_t i, size_t s0, FailureReport& r) {
  r.kind = tok[i] == "page" ? FailureReport::Kind::PageAllocFailure : FailureReport::Kind::OomKill;
  if (i > 0) r.comm = std::string(tok[i - 1].substr(0, 64));
  bool have_order = false;
  for (size_t j = s0; j < tok.size() && j < s0 + 6; j++) {
    std::string_view t = tok[j];
    if (starts_with(t, "order:") || starts_with(t, "order=")) {
      std::string_view v = t.substr(6);
      while (!v.empty() && v.back() == ',') v.remove_suffix(1);
      auto o = to_i64(v);
      if (!o) break;
      if (*o < 0 || *o > kMaxOrder) {
        r.warnings.push_back("order " + std::to_string(*o) + " is not a buddy order; taken as 0");
        r.order = 0;
      } else {
        r.order = static_cast<int>(*o);
      }
      have_order = true;
    } else if (starts_with(t, "mode:") || starts_with(t, "gfp_mask=")) {
      parse_mode(t.substr(t[0] == 'm' ? 5 : 9), r);
    } else if (t.find("nodemask=") != std::string_view::npos || t.find("cpuset=") != std::string_view::npos ||
               t.find("mems_allowed=") != std::string_view::npos) {
      parse_kv_list(t, r);
    }
  }
  while (!r.comm.empty() && (r.comm.back() == ':' || r.comm.back() == ',')) r.comm.pop_back();
  // a report is a file anyone can craft: its names reach a terminal and JSON
  r.comm = terminal_safe(r.comm, false);
  if (have_order && !r.mode_known && r.mode_names.empty()) r.warnings.push_back("header has no GFP mode");
  return have_order;
}

// Kernel release from "Not tainted 5.4.30 #5" / "Tainted: G W 4.1.18-g09f547b".
void parse_release(const std::vector<std::string_view>& tok, size_t from, size_t to, FailureReport& r) {
  for (size_t i = from; i < to && r.kernel_release.empty(); i++) {
    if (tok[i] != "tainted" && tok[i] != "Tainted:") continue;
    for (size_t j = i + 1; j < to && j < i + 10; j++) {
      if (!tok[j].empty() && is_digit(tok[j][0]) && tok[j].find('.') != std::string_view::npos) {
        if (auto kv = parse_kernel_version(tok[j])) {
          r.kernel_release = std::string(tok[j].substr(0, 64));
          r.kernel = kv;
        }
        break;
      }
    }
  }
}

// "12/01/2006", "2006-12-01": the BIOS date that ends a Hardware name line.
bool dateish(std::string_view t) {
  if (t.size() < 8 || t.size() > 10 || !is_digit(t[0])) return false;
  int seps = 0;
  for (char c : t) {
    if (c == '/' || c == '-')
      seps++;
    else if (!is_digit(c))
      return false;
  }
  return seps == 2;
}

// "Hardware name: ..." of this report; a mail client or a narrow terminal
// may have wrapped its BIOS date onto the next line.
void parse_hardware(const Tokens& t, uint32_t first, uint32_t last, FailureReport& r) {
  for (uint32_t l = first; l <= last && l < t.lines.size(); l++) {
    size_t hw = t.lines[l].find("Hardware name:");
    if (hw == std::string_view::npos) continue;
    std::string_view h = t.lines[l].substr(hw + 14);
    while (!h.empty() && is_space(h.front())) h.remove_prefix(1);
    while (!h.empty() && is_space(h.back())) h.remove_suffix(1);
    std::string out(h.substr(0, 200));
    auto words = split_ws(h);
    bool dated = !words.empty() && dateish(words.back());
    if (!dated && l + 1 <= last && l + 1 < t.lines.size()) {
      auto next = split_ws(t.lines[l + 1]);
      if (!next.empty() && next.size() <= 3 && dateish(next.back()))
        for (auto w : next) out += " " + std::string(w.substr(0, 40));
    }
    r.hardware = terminal_safe(out, false);
    return;
  }
}

// Xen: the DMI name of HVM guests, PV symbols, xen kernel flavours.
bool detect_xen(const Tokens& t, uint32_t first, uint32_t last, const std::string& hardware) {
  for (uint32_t l = first; l <= last && l < t.lines.size(); l++) {
    std::string_view s = t.lines[l];
    for (std::string_view k : {"Xen HVM", "xen_", "xennet", "xenbus", "-xen", "dom0_mem"})
      if (s.find(k) != std::string_view::npos) return true;
  }
  return hardware.find("Xen") != std::string::npos;
}

// The section of the token stream one report covers, and how it ends.
struct Section {
  const Tokens& t;
  size_t begin, end;
  bool at_input_end;  // nothing follows: a cut input ends inside this report
  // A list running to the end of the section is whole only when a later
  // line exists or the input's last line ended with a newline.
  bool tail_whole() const { return !at_input_end || (t.ends_line && t.cut_token.empty()); }
};

void set_zone_field(ReportZone& z, std::string_view key, int64_t v) {
  if (key == "free")
    z.free_kb = v;
  else if (key == "min")
    z.min_kb = v;
  else if (key == "low")
    z.low_kb = v;
  else if (key == "high")
    z.high_kb = v;
  else if (key == "boost")
    z.boost_kb = v;
  else if (key == "reserved_highatomic")
    z.reserved_highatomic_kb = v;
  else if (key == "free_highatomic")
    z.free_highatomic_kb = v;
  else if (key == "free_cma")
    z.free_cma_kb = v;
  else if (key == "managed")
    z.managed_kb = v;
  else if (key == "present")
    z.present_kb = v;
}

bool zone_line_end(std::string_view t) {
  if (t == "Node" || t == "lowmem_reserve[]:" || is_zone_name(t)) return true;
  return t.size() > 1 && t.back() == ':' && is_zone_name(t.substr(0, t.size() - 1));
}

// "Node 0 Normal free:..kB min:..kB ... present:..kB ..." Returns the
// index of the token that ended it.
size_t parse_zone_line(const Section& sec, size_t k, FailureReport& r, size_t& current) {
  const auto& tok = sec.t.tok;
  ReportZone& z = zone_for(r, node_before(tok, k), tok[k]);
  z.has_line = true;
  current = static_cast<size_t>(&z - r.zones.data());
  int seen = 0;  // free, min, low, high
  size_t j = k + 1;
  for (; j < sec.end; j++) {
    std::string_view kvt = tok[j];
    if (zone_line_end(kvt)) break;
    size_t colon = kvt.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view key = kvt.substr(0, colon), val = kvt.substr(colon + 1);
    if (val.empty() && j + 1 < sec.end) val = tok[j + 1];  // "shmem_thp: 0kB"
    if (key == "writepending" || key == "reserved_highatomic" || key == "boost") r.modern_hints = true;
    auto v = kb_value(val);
    if (!v) continue;
    if (key == "free" || key == "min" || key == "low" || key == "high") seen++;
    set_zone_field(z, key, *v);
  }
  // Whole only when every watermark was read and the line is not the one
  // the input ends in (free_cma and the highatomic fields come late in it).
  z.line_complete = seen >= 4 && (j < sec.end || sec.tail_whole());
  return j;
}

size_t parse_lowmem_reserve(const Section& sec, size_t k, FailureReport& r, size_t current) {
  const auto& tok = sec.t.tok;
  std::vector<int64_t> vals;
  size_t j = k + 1;
  for (; j < sec.end && vals.size() < 16; j++) {
    auto v = to_i64(tok[j]);
    if (!v || *v < 0) break;
    vals.push_back(*v);
  }
  bool whole = j < sec.end || sec.tail_whole();
  if (current < r.zones.size() && r.zones[current].lowmem_reserve.empty()) {
    r.zones[current].lowmem_reserve = vals;
    if (!whole) r.zones[current].line_complete = false;
  }
  return j;
}

// "Node 0 Normal: 2360*4kB (UME) 80*8kB ... = 12560kB"
size_t parse_buddy_line(const Section& sec, size_t k, FailureReport& r) {
  const auto& tok = sec.t.tok;
  std::string_view t = tok[k];
  int64_t c0, s0;
  ReportZone& z = zone_for(r, node_before(tok, k), t.substr(0, t.size() - 1));
  parse_buddy_entry(tok[k + 1], c0, s0);
  z.has_buddy = true;
  z.nr_free.clear();
  z.mt.clear();
  int64_t base = s0;
  int last_o = -1;
  bool total = false;
  size_t j = k + 1;
  for (; j < sec.end; j++) {
    int64_t c, s;
    std::string_view e = tok[j];
    if (parse_buddy_entry(e, c, s)) {
      int o = 0;
      while (o <= kMaxOrder && (base << o) < s) o++;
      if (o > kMaxOrder || (base << o) != s) {
        r.warnings.push_back(z.name + ": buddy block size " + std::to_string(s) +
                             "kB is not a power of two of " + std::to_string(base) + "kB");
        continue;
      }
      if (static_cast<size_t>(o) >= z.nr_free.size()) {
        z.nr_free.resize(o + 1, 0);
        z.mt.resize(o + 1);
      }
      z.nr_free[o] = c;
      last_o = o;
      continue;
    }
    if (e.size() >= 3 && e.front() == '(' && e.back() == ')' && last_o >= 0) {
      std::string letters(e.substr(1, e.size() - 2));
      for (char ch : letters) {
        if (ch == 'R') r.legacy_letters = true;
        if (ch == 'H') r.modern_hints = true;
      }
      z.mt[last_o] = letters.substr(0, 8);  // letters follow their entry
      continue;
    }
    if (e == "=") {
      if (j + 1 < sec.end) {
        if (auto v = kb_value(tok[j + 1])) {
          z.buddy_total_kb = *v;
          total = true;
        }
        j++;
      }
      j++;
    }
    break;
  }
  // Without its "= NkB" total the line was cut: the orders not printed
  // are unknown, not zero.
  if (!total) {
    z.has_buddy = false;
    z.buddy_cut = true;
    z.nr_free.clear();
    z.mt.clear();
  }
  if (base > 0 && base <= 1024) r.page_kb = static_cast<int>(base);
  return j;
}

// Zone lines, lowmem_reserve[] and buddy lines after the header.
void parse_mem_info(const Section& sec, FailureReport& r) {
  const auto& tok = sec.t.tok;
  // index, not pointer: zone_for() may grow r.zones (found by scripts/fuzz-explain)
  size_t current = SIZE_MAX;
  size_t zones_end = 0;  // token after the last zone line or its lowmem_reserve[] list
  bool any_zone = false;
  for (size_t k = sec.begin; k < sec.end; k++) {
    std::string_view t = tok[k];
    if (is_zone_name(t) && k + 1 < sec.end && starts_with(tok[k + 1], "free:")) {
      any_zone = true;
      k = parse_zone_line(sec, k, r, current) - 1;
      zones_end = k + 1;
      continue;
    }
    if (t == "lowmem_reserve[]:") {
      k = parse_lowmem_reserve(sec, k, r, current) - 1;
      zones_end = k + 1;
      continue;
    }
    int64_t c0, s0;
    if (t.size() > 1 && t.back() == ':' && is_zone_name(t.substr(0, t.size() - 1)) && k + 1 < sec.end &&
        parse_buddy_entry(tok[k + 1], c0, s0))
      k = parse_buddy_line(sec, k, r) - 1;
  }
  // Every zone line is printed before anything else follows them: unless
  // something other than the start of another zone line ("Node 0 DMA32")
  // follows the last zone block, more zones may have been cut.
  // A line the input ends in without a newline is no evidence: it may be
  // the cut start of a zone line ("> Apr  5 14:21:02 host kerne").
  bool last_open = sec.at_input_end && !sec.t.ends_line && !sec.t.lines.empty();
  auto evidence = [&](size_t k) {
    if (last_open && sec.t.line[k] + 1 == sec.t.lines.size()) return false;
    return !(tok[k] == "Node" || to_i64(tok[k]) || is_zone_name(tok[k]));
  };
  r.zones_complete = !any_zone;
  for (size_t k = zones_end; any_zone && k < sec.end && !r.zones_complete; k++)
    r.zones_complete = evidence(k);
}

// Zone index layout from the lowmem_reserve[] length (MAX_NR_ZONES): only
// populated zones are printed, so the empty ones (Movable, Device on most
// machines) are filled in by type order.
void infer_layout(FailureReport& r) {
  size_t len = 0;
  std::vector<std::string> seen;
  for (const auto& z : r.zones) {
    len = std::max(len, z.lowmem_reserve.size());
    if (std::find(seen.begin(), seen.end(), z.name) == seen.end()) seen.push_back(z.name);
  }
  auto by_rank = [](const std::string& a, const std::string& b) { return zone_rank(a) < zone_rank(b); };
  std::sort(seen.begin(), seen.end(), by_rank);
  r.layout = seen;
  for (const char* filler : {"Movable", "Device", "HighMem", "DMA32", "DMA"}) {
    if (r.layout.size() >= len) break;
    if (std::find(r.layout.begin(), r.layout.end(), filler) == r.layout.end()) r.layout.push_back(filler);
  }
  std::sort(r.layout.begin(), r.layout.end(), by_rank);
  if (len > 0 && seen.size() > len)
    r.warnings.push_back("more zones than lowmem_reserve[] entries; zone indices are a guess");
}

void check_completeness(const Section& sec, FailureReport& r) {
  if (sec.at_input_end && !sec.t.cut_token.empty())
    r.truncation.push_back("the input ends inside a token ('" + terminal_safe(sec.t.cut_token, false) +
                           "'): it is not read");
  for (auto& z : r.zones) {
    std::string zn = "Node " + std::to_string(z.nid) + " " + z.name;
    if (z.has_line && !z.line_complete)
      r.truncation.push_back(zn + ": zone line incomplete; its watermark figures are left out");
    if (z.buddy_cut)
      r.truncation.push_back(zn + ": buddy line cut before its total; its free lists are left out");
    if (!z.has_line)
      r.warnings.push_back(zn + ": no free/min line");
    else if (!z.has_buddy && !z.buddy_cut)
      r.warnings.push_back(zn + ": no buddy line");
    else if (z.has_buddy && z.buddy_total_kb >= 0 && z.buddy_total_kb != z.free_kb)
      r.warnings.push_back(zn + ": buddy total " + std::to_string(z.buddy_total_kb) +
                           "kB differs from free " + std::to_string(z.free_kb) +
                           "kB (per-cpu lists, or the state moved while printing)");
  }
  if (!r.zones_complete)
    r.truncation.push_back("the report ends among its zone lines: more zones may have been cut");
  r.truncated = !r.truncation.empty();
}

FailureReport parse_section(const Tokens& t, size_t hdr, size_t s0, size_t end, const FailureReport& head) {
  FailureReport r = head;
  Section sec{t, s0, end, end == t.tok.size()};
  uint32_t first = t.line[hdr], last = end > 0 ? t.line[end - 1] : first;
  if (sec.at_input_end) last = static_cast<uint32_t>(t.lines.size() - 1);
  r.line = t.src[first];
  parse_release(t.tok, s0, end, r);
  parse_hardware(t, first, last, r);
  r.xen_guest = detect_xen(t, first, last, r.hardware);
  parse_mem_info(sec, r);
  infer_layout(r);
  check_completeness(sec, r);
  return r;
}

}  // namespace

std::vector<FailureReport> parse_failure_reports(std::string_view input) {
  if (input.size() > kMaxInput) throw ParseError("report: input larger than 16 MiB");
  Tokens t;
  t.text = preprocess(input);
  tokenize(t);
  if (t.tok.empty()) throw ParseError("report: the input is empty");
  struct Head {
    size_t at, s0;
    FailureReport r;
  };
  std::vector<Head> heads;
  for (size_t i = 0; i < t.tok.size(); i++) {
    size_t s0 = header_at(t.tok, i);
    if (!s0) continue;
    FailureReport cand;
    if (parse_header(t.tok, i, s0, cand)) heads.push_back({i, s0, std::move(cand)});
  }
  if (heads.empty())
    throw ParseError(
        "report: no 'page allocation failure: order:N' or 'invoked oom-killer: ... order=N' line found");
  std::vector<FailureReport> out;
  for (size_t h = 0; h < heads.size(); h++) {
    // The next report's header ends this one (the token before it is its comm).
    size_t end = h + 1 < heads.size() ? (heads[h + 1].at > 0 ? heads[h + 1].at - 1 : 0) : t.tok.size();
    end = std::max(end, heads[h].s0);
    out.push_back(parse_section(t, heads[h].at, heads[h].s0, end, heads[h].r));
  }
  return out;
}

FailureReport parse_failure_report(std::string_view input) { return parse_failure_reports(input).front(); }

std::vector<WmZone> report_to_wm(const FailureReport& r) {
  std::vector<WmZone> out;
  const int64_t pk = r.page_kb > 0 ? r.page_kb : 4;
  bool letters = false;
  for (const auto& z : r.zones)
    for (const auto& m : z.mt) letters = letters || !m.empty();
  for (const auto& z : r.zones) {
    WmZone w;
    w.nid = z.nid;
    w.name = z.name;
    auto it = std::find(r.layout.begin(), r.layout.end(), z.name);
    w.zone_idx = it == r.layout.end() ? -1 : static_cast<int>(it - r.layout.begin());
    w.has_watermarks = z.has_line && z.line_complete;
    w.free = z.free_kb / pk;
    w.min = z.min_kb / pk;
    w.low = z.low_kb / pk;
    w.high = z.high_kb / pk;
    w.lowmem_reserve = z.lowmem_reserve;
    w.free_cma = z.free_cma_kb / pk;
    w.reserved_highatomic = z.reserved_highatomic_kb / pk;
    w.free_highatomic = z.free_highatomic_kb < 0 ? -1 : z.free_highatomic_kb / pk;
    w.nr_free = z.nr_free;
    w.mt = z.mt;
    w.mt_known = letters;
    w.legacy_letters = r.legacy_letters;
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace kst
