#include "core/gfp.h"

#include <algorithm>
#include <bit>
#include <charconv>

namespace kst {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// include/linux/gfp.h, 2.6.24 (__GFP_MOVABLE moved to 0x08 with mobility
// grouping) to 4.3. Bit 0x100000 was __GFP_KMEMCG in 3.8-3.14 and
// __GFP_NOACCOUNT in 4.1-4.3.
// clang-format off
const std::vector<GfpBit> kLegacy = {
    {"__GFP_DMA", 0x01},         {"__GFP_HIGHMEM", 0x02},      {"__GFP_DMA32", 0x04},
    {"__GFP_MOVABLE", 0x08},     {"__GFP_WAIT", 0x10},         {"__GFP_HIGH", 0x20},
    {"__GFP_IO", 0x40},          {"__GFP_FS", 0x80},           {"__GFP_COLD", 0x100},
    {"__GFP_NOWARN", 0x200},     {"__GFP_REPEAT", 0x400},      {"__GFP_NOFAIL", 0x800},
    {"__GFP_NORETRY", 0x1000},   {"__GFP_MEMALLOC", 0x2000},   {"__GFP_COMP", 0x4000},
    {"__GFP_ZERO", 0x8000},      {"__GFP_NOMEMALLOC", 0x10000}, {"__GFP_HARDWALL", 0x20000},
    {"__GFP_THISNODE", 0x40000}, {"__GFP_RECLAIMABLE", 0x80000}, {"__GFP_NOACCOUNT", 0x100000},
    {"__GFP_KMEMCG", 0x100000},  {"__GFP_NOTRACK", 0x200000},  {"__GFP_NO_KSWAPD", 0x400000},
    {"__GFP_OTHER_NODE", 0x800000}, {"__GFP_WRITE", 0x1000000},
};
// clang-format on

// 4.4 (d0164adc89f6 "mm, page_alloc: distinguish between being unable to
// sleep, unwilling to sleep and avoiding waking kswapd") to 4.9.
// clang-format off
const std::vector<GfpBit> kV4_4 = {
    {"__GFP_DMA", 0x01},           {"__GFP_HIGHMEM", 0x02},       {"__GFP_DMA32", 0x04},
    {"__GFP_MOVABLE", 0x08},       {"__GFP_RECLAIMABLE", 0x10},   {"__GFP_HIGH", 0x20},
    {"__GFP_IO", 0x40},            {"__GFP_FS", 0x80},            {"__GFP_COLD", 0x100},
    {"__GFP_NOWARN", 0x200},       {"__GFP_REPEAT", 0x400},       {"__GFP_NOFAIL", 0x800},
    {"__GFP_NORETRY", 0x1000},     {"__GFP_MEMALLOC", 0x2000},    {"__GFP_COMP", 0x4000},
    {"__GFP_ZERO", 0x8000},        {"__GFP_NOMEMALLOC", 0x10000}, {"__GFP_HARDWALL", 0x20000},
    {"__GFP_THISNODE", 0x40000},   {"__GFP_ATOMIC", 0x80000},     {"__GFP_ACCOUNT", 0x100000},
    {"__GFP_NOACCOUNT", 0x100000}, {"__GFP_NOTRACK", 0x200000},   {"__GFP_DIRECT_RECLAIM", 0x400000},
    {"__GFP_OTHER_NODE", 0x800000}, {"__GFP_WRITE", 0x1000000},   {"__GFP_KSWAPD_RECLAIM", 0x2000000},
};
// clang-format on

// 4.10 (__GFP_OTHER_NODE removed) to 4.14. __GFP_REPEAT became
// __GFP_RETRY_MAYFAIL in 4.13; __GFP_NOLOCKDEP appeared in 4.12.
// clang-format off
const std::vector<GfpBit> kV4_10 = {
    {"__GFP_DMA", 0x01},           {"__GFP_HIGHMEM", 0x02},       {"__GFP_DMA32", 0x04},
    {"__GFP_MOVABLE", 0x08},       {"__GFP_RECLAIMABLE", 0x10},   {"__GFP_HIGH", 0x20},
    {"__GFP_IO", 0x40},            {"__GFP_FS", 0x80},            {"__GFP_COLD", 0x100},
    {"__GFP_NOWARN", 0x200},       {"__GFP_RETRY_MAYFAIL", 0x400}, {"__GFP_REPEAT", 0x400},
    {"__GFP_NOFAIL", 0x800},       {"__GFP_NORETRY", 0x1000},     {"__GFP_MEMALLOC", 0x2000},
    {"__GFP_COMP", 0x4000},        {"__GFP_ZERO", 0x8000},        {"__GFP_NOMEMALLOC", 0x10000},
    {"__GFP_HARDWALL", 0x20000},   {"__GFP_THISNODE", 0x40000},   {"__GFP_ATOMIC", 0x80000},
    {"__GFP_ACCOUNT", 0x100000},   {"__GFP_NOTRACK", 0x200000},   {"__GFP_DIRECT_RECLAIM", 0x400000},
    {"__GFP_WRITE", 0x800000},     {"__GFP_KSWAPD_RECLAIM", 0x1000000}, {"__GFP_NOLOCKDEP", 0x2000000},
};
// clang-format on

// 4.15 (__GFP_COLD and __GFP_NOTRACK removed) to 5.0.
// clang-format off
const std::vector<GfpBit> kV4_15 = {
    {"__GFP_DMA", 0x01},          {"__GFP_HIGHMEM", 0x02},        {"__GFP_DMA32", 0x04},
    {"__GFP_MOVABLE", 0x08},      {"__GFP_RECLAIMABLE", 0x10},    {"__GFP_HIGH", 0x20},
    {"__GFP_IO", 0x40},           {"__GFP_FS", 0x80},             {"__GFP_WRITE", 0x100},
    {"__GFP_NOWARN", 0x200},      {"__GFP_RETRY_MAYFAIL", 0x400}, {"__GFP_NOFAIL", 0x800},
    {"__GFP_NORETRY", 0x1000},    {"__GFP_MEMALLOC", 0x2000},     {"__GFP_COMP", 0x4000},
    {"__GFP_ZERO", 0x8000},       {"__GFP_NOMEMALLOC", 0x10000},  {"__GFP_HARDWALL", 0x20000},
    {"__GFP_THISNODE", 0x40000},  {"__GFP_ATOMIC", 0x80000},      {"__GFP_ACCOUNT", 0x100000},
    {"__GFP_DIRECT_RECLAIM", 0x200000}, {"__GFP_KSWAPD_RECLAIM", 0x400000},
    {"__GFP_NOLOCKDEP", 0x800000},
};
// clang-format on

// The compact layout (GFP_KERNEL 0xcc0) used from ~5.1 to 6.3. Bits above
// __GFP_ACCOUNT (__GFP_ZEROTAGS, __GFP_SKIP_KASAN_*, __GFP_NOLOCKDEP) depend
// on the version and config and are reported as unknown.
// clang-format off
const std::vector<GfpBit> kV5_1 = {
    {"__GFP_DMA", 0x01},           {"__GFP_HIGHMEM", 0x02},      {"__GFP_DMA32", 0x04},
    {"__GFP_MOVABLE", 0x08},       {"__GFP_RECLAIMABLE", 0x10},  {"__GFP_HIGH", 0x20},
    {"__GFP_IO", 0x40},            {"__GFP_FS", 0x80},           {"__GFP_ZERO", 0x100},
    {"__GFP_ATOMIC", 0x200},       {"__GFP_DIRECT_RECLAIM", 0x400}, {"__GFP_KSWAPD_RECLAIM", 0x800},
    {"__GFP_WRITE", 0x1000},       {"__GFP_NOWARN", 0x2000},     {"__GFP_RETRY_MAYFAIL", 0x4000},
    {"__GFP_NOFAIL", 0x8000},      {"__GFP_NORETRY", 0x10000},   {"__GFP_MEMALLOC", 0x20000},
    {"__GFP_COMP", 0x40000},       {"__GFP_NOMEMALLOC", 0x80000}, {"__GFP_HARDWALL", 0x100000},
    {"__GFP_THISNODE", 0x200000},  {"__GFP_ACCOUNT", 0x400000},
};
// clang-format on

// 6.4+: 2973d8229b78 "mm: discard __GFP_ATOMIC" leaves 0x200 unused.
// clang-format off
const std::vector<GfpBit> kV6_4 = {
    {"__GFP_DMA", 0x01},           {"__GFP_HIGHMEM", 0x02},      {"__GFP_DMA32", 0x04},
    {"__GFP_MOVABLE", 0x08},       {"__GFP_RECLAIMABLE", 0x10},  {"__GFP_HIGH", 0x20},
    {"__GFP_IO", 0x40},            {"__GFP_FS", 0x80},           {"__GFP_ZERO", 0x100},
    {"__GFP_DIRECT_RECLAIM", 0x400}, {"__GFP_KSWAPD_RECLAIM", 0x800}, {"__GFP_WRITE", 0x1000},
    {"__GFP_NOWARN", 0x2000},      {"__GFP_RETRY_MAYFAIL", 0x4000}, {"__GFP_NOFAIL", 0x8000},
    {"__GFP_NORETRY", 0x10000},    {"__GFP_MEMALLOC", 0x20000},  {"__GFP_COMP", 0x40000},
    {"__GFP_NOMEMALLOC", 0x80000}, {"__GFP_HARDWALL", 0x100000}, {"__GFP_THISNODE", 0x200000},
    {"__GFP_ACCOUNT", 0x400000},
};
// clang-format on

uint64_t bit_of(GfpEra e, std::string_view name) {
  for (const auto& b : gfp_bits(e))
    if (name == b.name) return b.mask;
  return 0;
}

}  // namespace

std::optional<KernelVersion> parse_kernel_version(std::string_view s) {
  s = trim(s);
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  KernelVersion v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v.major);
  if (ec != std::errc() || p == s.data() + s.size() || *p != '.') return std::nullopt;
  ++p;
  auto [q, ec2] = std::from_chars(p, s.data() + s.size(), v.minor);
  if (ec2 != std::errc()) return std::nullopt;
  if (v.major < 2 || v.major > 99 || v.minor < 0 || v.minor > 99) return std::nullopt;
  if (v.major == 2 && v.minor != 6) return std::nullopt;  // 2.4 and older: out of scope
  if (v.major == 2 && q != s.data() + s.size() && *q == '.') {
    auto [r, ec3] = std::from_chars(q + 1, s.data() + s.size(), v.patch);
    if (ec3 != std::errc() || v.patch < 0 || v.patch > 99) v.patch = 0;
    (void)r;
  }
  return v;
}

std::string to_string(KernelVersion v) {
  std::string s = std::to_string(v.major) + "." + std::to_string(v.minor);
  if (v.major == 2 && v.patch > 0) s += "." + std::to_string(v.patch);
  return s;
}

GfpEra gfp_era_for(KernelVersion v) {
  if (v < KernelVersion{4, 4}) return GfpEra::Legacy;
  if (v < KernelVersion{4, 10}) return GfpEra::V4_4;
  if (v < KernelVersion{4, 15}) return GfpEra::V4_10;
  if (v < KernelVersion{5, 1}) return GfpEra::V4_15;
  if (v < KernelVersion{6, 4}) return GfpEra::V5_1;
  return GfpEra::V6_4;
}

const char* gfp_era_label(GfpEra e) {
  switch (e) {
    case GfpEra::Legacy: return "2.6.24-4.3";
    case GfpEra::V4_4: return "4.4-4.9";
    case GfpEra::V4_10: return "4.10-4.14";
    case GfpEra::V4_15: return "4.15-5.0";
    case GfpEra::V5_1: return "5.1-6.3";
    case GfpEra::V6_4: return "6.4+";
  }
  return "?";
}

std::vector<GfpEra> all_gfp_eras() {
  return {GfpEra::Legacy, GfpEra::V4_4, GfpEra::V4_10, GfpEra::V4_15, GfpEra::V5_1, GfpEra::V6_4};
}

const std::vector<GfpBit>& gfp_bits(GfpEra e) {
  switch (e) {
    case GfpEra::Legacy: return kLegacy;
    case GfpEra::V4_4: return kV4_4;
    case GfpEra::V4_10: return kV4_10;
    case GfpEra::V4_15: return kV4_15;
    case GfpEra::V5_1: return kV5_1;
    case GfpEra::V6_4: return kV6_4;
  }
  return kV5_1;
}

std::vector<GfpComposite> gfp_composites(GfpEra e) {
  // Built from the era's bits exactly as include/linux/gfp.h composes them,
  // so a wrong bit shows up in the GFP_KERNEL/GFP_ATOMIC unit tests.
  auto b = [e](const char* n) { return bit_of(e, n); };
  uint64_t io = b("__GFP_IO"), fs = b("__GFP_FS"), high = b("__GFP_HIGH");
  uint64_t hardwall = b("__GFP_HARDWALL"), highmem = b("__GFP_HIGHMEM"), movable = b("__GFP_MOVABLE");
  std::vector<GfpComposite> out;
  if (e == GfpEra::Legacy) {
    uint64_t wait = b("__GFP_WAIT");
    out = {
        {"GFP_HIGHUSER_MOVABLE", wait | io | fs | hardwall | highmem | movable},
        {"GFP_HIGHUSER", wait | io | fs | hardwall | highmem},
        {"GFP_USER", wait | io | fs | hardwall},
        {"GFP_TEMPORARY", wait | io | fs | b("__GFP_RECLAIMABLE")},
        {"GFP_KERNEL", wait | io | fs},
        {"GFP_NOFS", wait | io},
        {"GFP_NOIO", wait},
        {"GFP_ATOMIC", high},
    };
  } else {
    uint64_t reclaim = b("__GFP_DIRECT_RECLAIM") | b("__GFP_KSWAPD_RECLAIM");
    uint64_t kswapd = b("__GFP_KSWAPD_RECLAIM");
    uint64_t atomic = b("__GFP_ATOMIC");  // 0 from 6.4
    out = {
        {"GFP_HIGHUSER_MOVABLE", reclaim | io | fs | hardwall | highmem | movable},
        {"GFP_HIGHUSER", reclaim | io | fs | hardwall | highmem},
        {"GFP_USER", reclaim | io | fs | hardwall},
        {"GFP_KERNEL_ACCOUNT", reclaim | io | fs | b("__GFP_ACCOUNT")},
        {"GFP_KERNEL", reclaim | io | fs},
        {"GFP_NOFS", reclaim | io},
        {"GFP_ATOMIC", high | atomic | kswapd},
        {"GFP_NOIO", reclaim},
        {"GFP_NOWAIT", kswapd},
    };
  }
  out.push_back({"GFP_DMA", b("__GFP_DMA")});
  out.push_back({"GFP_DMA32", b("__GFP_DMA32")});
  std::stable_sort(out.begin(), out.end(), [](const GfpComposite& a, const GfpComposite& c) {
    return std::popcount(a.mask) > std::popcount(c.mask);
  });
  return out;
}

GfpInfo decode_gfp(uint64_t mask, GfpEra era) {
  GfpInfo g;
  g.mask = mask;
  g.era = era;
  uint64_t known = 0;
  for (const auto& b : gfp_bits(era)) {
    if ((known & b.mask) != 0) continue;  // alias of a bit already listed
    known |= b.mask;
    if (mask & b.mask) g.flags.push_back(b.name);
  }
  g.unknown = mask & ~known;
  // The kernel's %pGg prints composite names first, then leftover flags.
  uint64_t left = mask & known;
  for (const auto& c : gfp_composites(era)) {
    if (c.mask == 0 || (left & c.mask) != c.mask) continue;
    g.names.push_back(c.name);
    left &= ~c.mask;
  }
  uint64_t seen = 0;
  for (const auto& b : gfp_bits(era)) {
    if ((seen & b.mask) != 0) continue;
    seen |= b.mask;
    if (left & b.mask) g.names.push_back(b.name);
  }
  auto has = [&](const char* n) {
    uint64_t m = bit_of(era, n);
    return m != 0 && (mask & m) != 0;
  };
  g.high = has("__GFP_HIGH");
  g.atomic = has("__GFP_ATOMIC");
  if (era == GfpEra::Legacy) {
    g.can_sleep = has("__GFP_WAIT");
    g.kswapd = !has("__GFP_NO_KSWAPD");
  } else {
    g.can_sleep = has("__GFP_DIRECT_RECLAIM");
    g.kswapd = has("__GFP_KSWAPD_RECLAIM");
  }
  g.nomemalloc = has("__GFP_NOMEMALLOC");
  g.memalloc = has("__GFP_MEMALLOC");
  g.movable = has("__GFP_MOVABLE");
  g.reclaimable = has("__GFP_RECLAIMABLE");
  g.highmem = has("__GFP_HIGHMEM");
  g.dma = has("__GFP_DMA");
  g.dma32 = has("__GFP_DMA32");
  g.io = has("__GFP_IO");
  g.fs = has("__GFP_FS");
  g.comp = has("__GFP_COMP");
  g.noretry = has("__GFP_NORETRY");
  g.nowarn = has("__GFP_NOWARN");
  // gfp_zone(): DMA and DMA32 win; HIGHMEM|MOVABLE is ZONE_MOVABLE.
  if (g.dma)
    g.highest_zone = "DMA";
  else if (g.dma32)
    g.highest_zone = "DMA32";
  else if (g.highmem && g.movable)
    g.highest_zone = "Movable";
  else if (g.highmem)
    g.highest_zone = "HighMem";
  else
    g.highest_zone = "Normal";
  // gfp_migratetype() / allocflags_to_migratetype()
  g.migratetype = g.movable ? 'M' : (g.reclaimable ? 'E' : 'U');
  return g;
}

namespace {

void rename_flag(GfpInfo& g, const std::string& from, const std::string& to) {
  for (auto* v : {&g.flags, &g.names})
    for (auto& n : *v)
      if (n == from) n = to;
}

void drop_flag(GfpInfo& g, const std::string& name, uint64_t bit) {
  for (auto* v : {&g.flags, &g.names}) v->erase(std::remove(v->begin(), v->end(), name), v->end());
  if (g.mask & bit) g.unknown |= bit;
}

}  // namespace

GfpInfo decode_gfp(uint64_t mask, GfpEra era, KernelVersion kv) {
  GfpInfo g = decode_gfp(mask, era);
  if (era == GfpEra::Legacy) {
    // __GFP_KMEMCG came with the 3.8 kmem accounting (Glauber Costa); 52383431b37c
    // "mm: get rid of __GFP_KMEMCG" removed it in 3.15; 8f4fc071b192 "gfp: add
    // __GFP_NOACCOUNT" reused the bit in 4.1.
    if (kv >= KernelVersion{3, 8} && kv < KernelVersion{3, 15})
      rename_flag(g, "__GFP_NOACCOUNT", "__GFP_KMEMCG");
    else if (kv < KernelVersion{4, 1})
      drop_flag(g, "__GFP_NOACCOUNT", 0x100000);
  } else if (era == GfpEra::V4_4 && kv < KernelVersion{4, 5}) {
    // a9bb7e620efd "memcg: only account kmem allocations marked as
    // __GFP_ACCOUNT" (4.5) turned __GFP_NOACCOUNT into __GFP_ACCOUNT.
    rename_flag(g, "__GFP_ACCOUNT", "__GFP_NOACCOUNT");
  }
  return g;
}

std::optional<uint64_t> gfp_from_names(std::string_view names, GfpEra era, std::string* err) {
  uint64_t mask = 0;
  auto comps = gfp_composites(era);
  size_t p = 0;
  bool any = false;
  while (p <= names.size()) {
    size_t bar = names.find('|', p);
    if (bar == std::string_view::npos) bar = names.size();
    std::string_view tok = trim(names.substr(p, bar - p));
    p = bar + 1;
    if (tok.empty()) continue;
    any = true;
    bool found = false;
    for (const auto& c : comps)
      if (tok == c.name) {
        mask |= c.mask;
        found = true;
        break;
      }
    if (!found)
      for (const auto& b : gfp_bits(era))
        if (tok == b.name) {
          mask |= b.mask;
          found = true;
          break;
        }
    if (!found) {
      // GFP_NOWAIT before 4.4 is GFP_ATOMIC without __GFP_HIGH: no bits at all
      if (era == GfpEra::Legacy && tok == "GFP_NOWAIT") continue;
      if (err) *err = "unknown GFP flag '" + std::string(tok) + "' for kernels " + gfp_era_label(era);
      return std::nullopt;
    }
  }
  if (!any) {
    if (err) *err = "empty GFP flag list";
    return std::nullopt;
  }
  return mask;
}

std::optional<uint64_t> parse_gfp_arg(std::string_view arg, GfpEra era, std::string* err) {
  arg = trim(arg);
  if (arg.empty()) {
    if (err) *err = "empty GFP mask";
    return std::nullopt;
  }
  if (arg[0] >= '0' && arg[0] <= '9') {
    int base = 10;
    if (arg.size() > 2 && arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) {
      arg.remove_prefix(2);
      base = 16;
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), v, base);
    if (ec != std::errc() || p != arg.data() + arg.size()) {
      if (err) *err = "bad GFP mask '" + std::string(arg) + "' (want 0xHEX, decimal or flag names)";
      return std::nullopt;
    }
    return v;
  }
  return gfp_from_names(arg, era, err);
}

std::string AllocFlags::describe() const {
  std::string s;
  auto add = [&s](const char* n) {
    if (!s.empty()) s += "|";
    s += n;
  };
  // 6.4 renamed ALLOC_HIGH to ALLOC_MIN_RESERVE and split ALLOC_HARDER
  // (1ebbb21811b7, eb2e2b425c69); non_block/highatomic only exist there.
  bool v64 = this->v64 || non_block || highatomic;
  if (high) add(v64 ? "ALLOC_MIN_RESERVE" : "ALLOC_HIGH");
  if (harder) add("ALLOC_HARDER");
  if (non_block) add("ALLOC_NON_BLOCK");
  if (highatomic) add("ALLOC_HIGHATOMIC");
  if (oom) add("ALLOC_OOM");
  if (cma) add("ALLOC_CMA");
  return s.empty() ? "none" : s;
}

AllocFlags alloc_flags_for(const GfpInfo& g, KernelVersion kv, int order) {
  AllocFlags f;
  // gfp_to_alloc_flags(): __GFP_HIGH maps 1:1 to ALLOC_HIGH/ALLOC_MIN_RESERVE
  // in every era.
  f.high = g.high;
  if (kv < KernelVersion{4, 4}) {
    // 2.6.31-4.3: "if (!wait) alloc_flags |= ALLOC_HARDER" (3.x also skips it
    // for __GFP_NOMEMALLOC). Atomic means "cannot sleep".
    f.harder = !g.can_sleep && !g.nomemalloc;
  } else if (kv < KernelVersion{6, 4}) {
    // 4.4-6.3: only __GFP_ATOMIC callers get ALLOC_HARDER (d0164adc89f6).
    f.harder = g.atomic && !g.nomemalloc;
  } else {
    // 6.4+: no direct reclaim -> ALLOC_NON_BLOCK, plus ALLOC_HIGHATOMIC for
    // order > 0 (eb2e2b425c69).
    f.v64 = true;
    f.non_block = !g.can_sleep && !g.nomemalloc;
    f.highatomic = f.non_block && order > 0;
  }
  // ALLOC_CMA: gfp_migratetype() == MIGRATE_MOVABLE (3.5+, with CONFIG_CMA)
  f.cma = g.migratetype == 'M';
  return f;
}

}  // namespace kst
