// GFP masks across kernel eras: the bit tables, decoding a hex mode into
// flag names, encoding printed names back into a mask, and what the page
// allocator derives from a mask (target zone, migratetype, ALLOC_* flags).
//
// The bit values moved several times (d0164adc89f6 in 4.4, __GFP_OTHER_NODE
// removal in 4.10, __GFP_COLD/__GFP_NOTRACK removal in 4.15, the compact
// re-layout around 5.1, __GFP_ATOMIC removal in 6.4), so a hex mode means
// nothing without its era. Reports from 4.5 on print the names ("%pGg"),
// which always win over a hex decode.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kst {

struct KernelVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;  // parsed for 2.6.x only, where the third number was the release
  auto operator<=>(const KernelVersion&) const = default;
};

// "4.4", "5.4.0-120-generic", "2.6.32-41-server", "v6.1" -> {major, minor}.
// For 2.6.x kernels minor is 6 and the patch level is dropped: every 2.6
// kernel shares one GFP layout and one watermark algorithm here.
std::optional<KernelVersion> parse_kernel_version(std::string_view s);
std::string to_string(KernelVersion v);

enum class GfpEra {
  Legacy,  // 2.6.24 - 4.3: __GFP_WAIT era
  V4_4,    // 4.4 - 4.9: __GFP_ATOMIC/__GFP_DIRECT_RECLAIM/__GFP_KSWAPD_RECLAIM (d0164adc89f6)
  V4_10,   // 4.10 - 4.14: __GFP_OTHER_NODE gone, upper bits shift down
  V4_15,   // 4.15 - 5.0: __GFP_COLD and __GFP_NOTRACK gone
  V5_1,    // 5.1 - 6.3: compact layout (GFP_KERNEL 0xcc0)
  V6_4,    // 6.4+: __GFP_ATOMIC removed (2973d8229b78)
};

GfpEra gfp_era_for(KernelVersion v);
// Short label for output, e.g. "4.4-4.9".
const char* gfp_era_label(GfpEra e);
// "pre-4.4", "4.4" ... accepted by --kernel-version are full versions; this
// lists the eras for help and docs.
std::vector<GfpEra> all_gfp_eras();

struct GfpBit {
  const char* name;  // "__GFP_HIGH"
  uint64_t mask;
};
// Single-bit flags of an era, lowest bit first. Bits above the era's known
// set (config-dependent debug bits, vendor additions) are reported as unknown.
const std::vector<GfpBit>& gfp_bits(GfpEra e);

struct GfpComposite {
  const char* name;  // "GFP_KERNEL"
  uint64_t mask;
};
// Named combinations, most specific (most bits) first.
std::vector<GfpComposite> gfp_composites(GfpEra e);

// The meaning of a mask for the allocator.
struct GfpInfo {
  uint64_t mask = 0;
  GfpEra era = GfpEra::V5_1;
  std::vector<std::string> names;  // composite + leftover flags, as the kernel prints them
  std::vector<std::string> flags;  // every single-bit flag set
  uint64_t unknown = 0;            // set bits this era does not define
  bool high = false;               // __GFP_HIGH
  bool atomic = false;             // __GFP_ATOMIC (4.4-6.3)
  bool can_sleep = false;          // __GFP_WAIT (<4.4) or __GFP_DIRECT_RECLAIM (4.4+)
  bool kswapd = false;             // wakes kswapd (always before 4.4 unless __GFP_NO_KSWAPD)
  bool nomemalloc = false;
  bool memalloc = false;
  bool movable = false;
  bool reclaimable = false;
  bool highmem = false;
  bool dma = false;
  bool dma32 = false;
  bool io = false;
  bool fs = false;
  bool comp = false;
  bool noretry = false;
  bool nowarn = false;
  // Highest zone type the allocation may use (gfp_zone()): "DMA", "DMA32",
  // "Normal", "HighMem" or "Movable" (the latter two fall back to Normal when
  // the machine has no such zone).
  std::string highest_zone;
  // Migratetype of the request (gfp_migratetype()): 'U', 'M' or 'E'.
  char migratetype = 'U';
};

GfpInfo decode_gfp(uint64_t mask, GfpEra era);
// The same, with the names the given kernel used inside its era's layout:
// 0x100000 is __GFP_KMEMCG on 3.8-3.14, unused on 3.15-4.0, __GFP_NOACCOUNT
// on 4.1-4.4 and __GFP_ACCOUNT from 4.5.
GfpInfo decode_gfp(uint64_t mask, GfpEra era, KernelVersion kv);

// Parses "GFP_KERNEL|__GFP_COMP" (names as printed by %pGg, or typed by a
// user) into a mask of the era. Returns nullopt and sets *err on an unknown name.
std::optional<uint64_t> gfp_from_names(std::string_view names, GfpEra era, std::string* err);

// Parses a user's --gfp argument: hex ("0x2080020"), decimal, or names.
std::optional<uint64_t> parse_gfp_arg(std::string_view arg, GfpEra era, std::string* err);

// ALLOC_* flags gfp_to_alloc_flags() derives, by era. Only the ones that
// change the watermark check are modelled.
struct AllocFlags {
  bool high = false;             // ALLOC_HIGH (<= 6.3) / ALLOC_MIN_RESERVE (6.4+): min -= min/2
  bool harder = false;           // ALLOC_HARDER (<= 6.3): min -= min/4, may use highatomic
  bool non_block = false;        // ALLOC_NON_BLOCK (6.4+): min -= min/4 only with MIN_RESERVE
  bool highatomic = false;       // ALLOC_HIGHATOMIC (6.4+): may use the highatomic reserve
  bool oom = false;              // ALLOC_OOM: an OOM victim (not visible in reports)
  bool cma = false;              // ALLOC_CMA: movable requests may use CMA pageblocks
  bool v64 = false;              // derived for a 6.4+ kernel (only changes the names describe() prints)
  std::string describe() const;  // "ALLOC_HIGH|ALLOC_HARDER" or "none"
};

// What the slow path of the given kernel derives from the mask. Real-time
// tasks also get ALLOC_HARDER / ALLOC_MIN_RESERVE; a report cannot show that.
AllocFlags alloc_flags_for(const GfpInfo& g, KernelVersion kv, int order);

}  // namespace kst
