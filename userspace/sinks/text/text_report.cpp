#include "sinks/text/text_report.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "sinks/text/appendf.h"

namespace kst {
namespace {

// Word-wraps prose at kTextWidth columns; continuation lines get `cont` in
// front. Data rows are not wrapped: only notes and lists of names.
constexpr size_t kTextWidth = 100;
std::string wrap(const std::string& text, const std::string& first, const std::string& cont) {
  std::string s, line = first;
  size_t pos = 0;
  bool fresh = true;  // nothing but the prefix on `line` yet
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (!fresh && line.size() + 1 + word.size() > kTextWidth) {
      s += line + "\n";
      line = cont;
      fresh = true;
    }
    line += (fresh ? "" : " ") + word;
    fresh = false;
  }
  return s + line + "\n";
}

std::string indent(const std::string& text, const char* prefix) {
  std::string r;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    r += prefix;
    r += text.substr(pos, nl - pos);
    r += '\n';
    pos = nl + 1;
  }
  return r;
}

void alloc_table(std::string& s, const char* title, const char* col, const std::vector<AllocRow>& rows) {
  if (rows.empty()) return;
  appendf(s, "  %s\n", title);
  appendf(s, "    %-18s %12s %14s %12s\n", col, "calls", "pages", "pages/s");
  for (const auto& r : rows)
    appendf(s, "    %-18s %12llu %14llu %12.1f\n", r.key.c_str(), (unsigned long long)r.calls,
            (unsigned long long)r.pages, r.pages_per_s);
}

std::string joined(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return cmd;
}

void scope_lines(std::string& s, const TraceScope& sc) {
  if (!sc.command.empty()) {
    appendf(s, "  command: %s (pid %u)", joined(sc.command).c_str(), sc.command_pid);
    if (sc.command_exited && sc.signal)
      appendf(s, ", killed by signal %d\n", sc.signal);
    else if (sc.command_exited)
      appendf(s, ", exit status %d\n", sc.exit_status);
    else
      appendf(s, ", still running\n");
    appendf(s, "  traced: %s\n",
            sc.whole_system ? "the whole system while the command ran (-a)"
                            : "the command's processes and the children they forked");
  }
  if (!sc.pids.empty()) {
    std::string p;
    for (uint32_t pid : sc.pids) p += (p.empty() ? "" : ", ") + std::to_string(pid);
    appendf(s, "  traced: processes %s and their children (kswapd itself system-wide)\n", p.c_str());
  }
  if (!sc.cgroup.empty())
    appendf(s, "  traced: memory cgroup %s and below (kswapd itself system-wide)\n", sc.cgroup.c_str());
}

// "-p 12, 34 -c /a/b": a run's limits in one phrase
std::string scope_words(const TraceScope& sc) {
  std::string w;
  for (uint32_t pid : sc.pids) w += (w.empty() ? "-p " : ", ") + std::to_string(pid);
  if (!sc.cgroup.empty()) w += (w.empty() ? "" : " ") + std::string("-c ") + sc.cgroup;
  return w;
}

// Worst stall first; the path goes last, as it can be of any length.
void cgroup_table(std::string& s, const char* title, const std::map<std::string, ReclaimCgroupStats>& by) {
  if (by.empty()) return;
  std::vector<std::pair<std::string, ReclaimCgroupStats>> rows(by.begin(), by.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.total_ns > b.second.total_ns; });
  appendf(s, "  %s:\n    %8s %10s %10s  %s\n", title, "count", "total_ms", "reclaimed", "cgroup");
  for (size_t i = 0; i < rows.size() && i < 10; i++)
    appendf(s, "    %8llu %10.1f %10llu  %s\n", (unsigned long long)rows[i].second.count,
            rows[i].second.total_ns / 1e6, (unsigned long long)rows[i].second.reclaimed,
            rows[i].first.c_str());
  if (rows.size() > 10) appendf(s, "    ... %zu more cgroups\n", rows.size() - 10);
}

}  // namespace

std::string render_zone_table(const std::vector<ZoneInfo>& zones) {
  std::string s;
  appendf(s, "  %-4s %-8s %10s %10s %10s %8s %8s %8s  %s\n", "node", "zone", "present", "managed", "free",
          "min", "low", "high", "free blocks by order (0..)");
  for (const auto& z : zones) {
    if (!z.populated()) continue;
    std::string blocks;
    for (size_t i = 0; i < z.free_blocks.size(); i++) {
      if (i) blocks += ' ';
      blocks += std::to_string(z.free_blocks[i]);
    }
    appendf(s, "  %-4d %-8s %10llu %10llu %10llu %8llu %8llu %8llu  %s\n", z.nid, z.name.c_str(),
            (unsigned long long)z.present, (unsigned long long)z.managed, (unsigned long long)z.free,
            (unsigned long long)z.min, (unsigned long long)z.low, (unsigned long long)z.high, blocks.c_str());
  }
  return s;
}

std::string render_hazards(const std::vector<Hazard>& hazards) {
  std::string s;
  for (const auto& h : hazards) {
    appendf(s, "  [%s] %s: %s\n", h.severity.c_str(), h.kind.c_str(), h.message.c_str());
    appendf(s, "      -> %s\n", h.advice.c_str());
  }
  return s;
}

std::string render_hotadd_sources(const SourceInfo& src) {
  std::string active;
  // sources that are missing for the same reason (all function probes, when
  // neither fentry nor kprobes work) are listed once with that reason
  std::vector<std::pair<std::string, std::string>> missing;  // reason -> names
  for (const auto& [name, mode] : src.hotadd_sources) {
    if (mode.rfind("missing", 0) == 0) {
      const std::string why = mode.size() > 9 ? mode.substr(9) : mode;
      auto it = std::find_if(missing.begin(), missing.end(), [&](const auto& m) { return m.first == why; });
      if (it == missing.end())
        missing.push_back({why, name});
      else
        it->second += ", " + name;
    } else {
      if (!active.empty()) active += ' ';
      active += name + "=" + mode;
    }
  }
  std::string s = wrap(active.empty() ? std::string("none") : active, "  sources active: ", "      ");
  for (const auto& [why, names] : missing) s += wrap(names + ": " + why, "    not available: ", "      ");
  return s;
}

std::string render_hotadd(const HotAdd& h, TimeNs window_start) {
  std::string s;
  const double at = h.first_ns > window_start ? (h.first_ns - window_start) / 1e9 : 0;
  appendf(s, "  #%llu %s at +%.2f s (%s after %.2f s)", (unsigned long long)h.id, h.kind.c_str(), at,
          h.settled ? "settled" : "still changing", (h.last_ns - h.first_ns) / 1e9);
  if (!h.zone.empty()) appendf(s, ": node %d %s", h.nid, h.zone.c_str());
  // per zone: one episode can touch several (a balloon refilling DMA32 while hot-adding Normal)
  for (const auto& z : h.zones)
    appendf(s, "%s node %d %s present %+lld pages (%+.1f MiB), managed %+lld",
            &z == &h.zones.front() ? ";" : ",", z.nid, z.zone.c_str(), (long long)z.present_delta(),
            z.present_delta() * 4096.0 / (1 << 20), (long long)z.managed_delta());
  appendf(s, "\n");
  if (!h.blocks.empty()) {
    appendf(s, "     blocks:");
    for (const auto& b : h.blocks) {
      appendf(s, " memory%llu [", (unsigned long long)b.block);
      for (size_t i = 0; i < b.actions.size(); i++) appendf(s, "%s%s", i ? " " : "", b.actions[i].c_str());
      appendf(s, "]%s%s", b.state.empty() ? "" : " now ", b.state.c_str());
    }
    appendf(s, "\n");
  }
  if (h.has_range)
    appendf(s, "     physical range: 0x%llx-0x%llx (%.1f MiB)\n", (unsigned long long)h.phys_start,
            (unsigned long long)h.phys_end - 1, (h.phys_end - h.phys_start) / 1048576.0);
  for (const auto& z : h.zones) {
    auto side = [](const ZoneCounters& c) {
      char buf[160];
      if (!c.exists)
        std::snprintf(buf, sizeof buf, "-");
      else
        std::snprintf(buf, sizeof buf, "present %llu managed %llu wmarks %llu/%llu/%llu",
                      (unsigned long long)c.present, (unsigned long long)c.managed, (unsigned long long)c.min,
                      (unsigned long long)c.low, (unsigned long long)c.high);
      return std::string(buf);
    };
    appendf(s, "     node %d %-7s %s -> %s%s\n", z.nid, z.zone.c_str(), side(z.before).c_str(),
            side(z.after).c_str(), z.new_zone ? " (new zone)" : "");
  }
  if (!h.have_zoneinfo) appendf(s, "     zones: no /proc/zoneinfo sample before and after\n");
  if (h.balloon_before || h.balloon_after) {
    const BalloonSample b = h.balloon_before.value_or(BalloonSample{});
    const BalloonSample a = h.balloon_after.value_or(BalloonSample{});
    appendf(s, "     xen balloon: target %lld -> %lld kB, current %lld -> %lld kB\n", (long long)b.target_kb,
            (long long)a.target_kb, (long long)b.current_kb, (long long)a.current_kb);
  }
  std::string seen;
  for (const auto& x : h.sources) seen += (seen.empty() ? "" : ", ") + x;
  appendf(s, "     seen by: %s", seen.c_str());
  if (h.wmark_updates) appendf(s, "; watermarks recomputed %u times", h.wmark_updates);
  appendf(s, "\n");
  if (h.hazards.empty() && h.kind == "hot-add" && h.have_zoneinfo)
    appendf(s, "     verdict: the zones it joined have sane managed pages and watermarks\n");
  s += indent(render_hazards(h.hazards), "   ");
  return s;
}

std::string render_evidence(const std::map<std::string, double>& evidence) {
  std::string s;
  for (const auto& [k, x] : evidence) {
    if (x < 0)
      appendf(s, " %s=-", k.c_str());
    else if (x == static_cast<double>(static_cast<uint64_t>(x)) && x < 1e15)
      appendf(s, " %s=%llu", k.c_str(), (unsigned long long)x);
    else if (x < 10)
      appendf(s, " %s=%.3g", k.c_str(), x);
    else
      appendf(s, " %s=%.0f", k.c_str(), x);
  }
  return s;
}

std::string render_verdicts(const std::vector<Verdict>& verdicts, TimeNs now) {
  std::string s;
  for (const auto& v : verdicts) {
    appendf(s, "  [%s] %s node %d", v.pending ? "pending" : v.severity.c_str(), v.kind.c_str(), v.nid);
    if (now && now > v.since) appendf(s, ", for %.0f s", (now - v.since) / 1e9);
    if (v.pending) appendf(s, " (holds, not yet long enough to conclude)");
    s += "\n      " + v.message + "\n";
    if (!v.evidence.empty()) appendf(s, "      evidence:%s\n", render_evidence(v.evidence).c_str());
    if (!v.pending) s += "      -> " + v.advice + "\n";
  }
  return s;
}

std::string render_text(const Summary& sm) {
  std::string s;
  appendf(s, "kswaptrace: %.1f s on Linux %s (%s)\n", sm.duration_s, sm.source.kernel_release.c_str(),
          sm.source.backend.c_str());
  scope_lines(s, sm.scope);
  for (const auto& d : sm.source.degraded) appendf(s, "  note: %s\n", d.c_str());
  if (sm.lost_events)
    appendf(s, "  WARNING: %llu ring-buffer records were lost (buffer full); counts below are low\n",
            (unsigned long long)sm.lost_events);

  if (sm.have_verdicts) {
    if (sm.verdicts.empty())
      appendf(s, "\nverdict: nothing wrong with kswapd in this window\n");
    else
      s += "\nverdict\n" + render_verdicts(sm.verdicts, sm.end);
  }
  if (!sm.recorded_verdicts.empty()) {
    appendf(s, "\nverdict changes recorded live\n");
    for (const auto& [ts, c] : sm.recorded_verdicts)
      appendf(s, "  %+9.1f s  %-7s [%s] %s node %d\n",
              (static_cast<double>(ts) - static_cast<double>(sm.start)) / 1e9,
              c.raised ? "raised" : "cleared", c.verdict.severity.c_str(), c.verdict.kind.c_str(),
              c.verdict.nid);
  }

  appendf(s, "\nkswapd (per node)\n");
  appendf(s, "  %-4s %7s %7s %8s %9s %6s %10s %10s %10s %6s %6s\n", "node", "wakes", "sleeps", "rewakes",
          "awake_s", "duty", "longest_s", "scanned", "reclaimed", "eff", "cpu%");
  for (const auto& n : sm.nodes) {
    char scanned[24] = "-", reclaimed[24] = "-", eff[16] = "-", cpu[16] = "-";
    if (n.have_shrink) {
      std::snprintf(scanned, sizeof scanned, "%llu", (unsigned long long)n.kswapd_shrink.scanned);
      std::snprintf(reclaimed, sizeof reclaimed, "%llu", (unsigned long long)n.kswapd_shrink.reclaimed);
      if (n.kswapd_shrink.scanned) std::snprintf(eff, sizeof eff, "%.0f%%", 100 * n.efficiency);
    }
    if (n.have_cpu) std::snprintf(cpu, sizeof cpu, "%.1f", n.cpu_pct);
    appendf(s, "  %-4d %7llu %7llu %8llu %9.2f %5.1f%% %10.2f %10s %10s %6s %6s\n", n.nid,
            (unsigned long long)n.wakes, (unsigned long long)n.sleeps, (unsigned long long)n.rewakes,
            n.awake_s, 100 * n.duty_cycle, n.longest_episode_s, scanned, reclaimed, eff, cpu);
  }
  for (const auto& n : sm.nodes) {
    if (n.awake_at_end)
      appendf(s, "  node %d: kswapd still awake at the end, for %.2f s so far\n", n.nid, n.open_episode_s);
    if (!n.requests.empty()) {
      appendf(s, "  node %d wakeup requests: %llu (zone/order: count)", n.nid,
              (unsigned long long)n.wakeup_requests);
      size_t shown = 0;
      for (const auto& r : n.requests) {
        if (shown++ == 8) {
          appendf(s, " ...");
          break;
        }
        appendf(s, " %s/%d: %llu", r.zone.c_str(), r.order, (unsigned long long)r.count);
      }
      appendf(s, "\n");
    }
    if (!n.episode_us.empty()) {
      appendf(s, "  node %d kswapd awake episodes (wake -> sleep):\n", n.nid);
      s += indent(n.episode_us.render("usecs"), "  ");
    }
  }

  const auto& d = sm.direct;
  appendf(s, "\ndirect reclaim: %llu episodes, %llu pages reclaimed, %.1f ms stalled\n",
          (unsigned long long)d.count, (unsigned long long)d.reclaimed, d.total_ns / 1e6);
  if (!d.latency_us.empty()) {
    s += indent(d.latency_us.render("usecs"), "  ");
    for (const auto& [order, h] : d.latency_us_by_order) {
      if (d.latency_us_by_order.size() < 2) break;
      appendf(s, "  order %d:\n", order);
      s += indent(h.render("usecs"), "  ");
    }
  }
  cgroup_table(s, "direct reclaim by memory cgroup", d.direct_by_cgroup);
  if (d.memcg_count) {
    appendf(s, "memcg limit reclaim: %llu episodes, %llu pages reclaimed, %.1f ms stalled\n",
            (unsigned long long)d.memcg_count, (unsigned long long)d.memcg_reclaimed, d.memcg_total_ns / 1e6);
    s += indent(d.memcg_latency_us.render("usecs"), "  ");
  }
  cgroup_table(s, "memcg limit reclaim by memory cgroup", d.memcg_by_cgroup);
  if (!d.by_comm.empty()) {
    std::vector<std::pair<std::string, ReclaimCommStats>> comms(d.by_comm.begin(), d.by_comm.end());
    std::sort(comms.begin(), comms.end(),
              [](const auto& a, const auto& b) { return a.second.total_ns > b.second.total_ns; });
    appendf(s, "  top commands (direct + memcg reclaim):\n    %-16s %8s %10s %10s\n", "comm", "count",
            "total_ms", "reclaimed");
    for (size_t i = 0; i < comms.size() && i < 5; i++)
      appendf(s, "    %-16s %8llu %10.1f %10llu\n", comms[i].first.c_str(),
              (unsigned long long)comms[i].second.count, comms[i].second.total_ns / 1e6,
              (unsigned long long)comms[i].second.reclaimed);
  }

  const auto& a = sm.alloc;
  if (a.available) {
    appendf(s, "\npage allocations: %llu pages in %llu calls (%.1f pages/s)\n",
            (unsigned long long)a.total_pages, (unsigned long long)a.total_calls, a.pages_per_s);
    if (a.bulk_applies && !a.bulk_counted)
      s += wrap(
          "not counted: pages from the bulk allocator (alloc_pages_bulk*, no kmem:mm_page_alloc event, "
          "no probe attached); /proc/vmstat pgalloc minus traced pages over the window: " +
              std::to_string(a.pgalloc_minus_traced) + " (bulk pages and the windows' edges)",
          "  ", "  ");
    alloc_table(s, "by order", "order", a.by_order);
    alloc_table(s, "by migratetype", "migratetype", a.by_migratetype);
    alloc_table(s, "by zone", "zone", a.by_zone);
    alloc_table(s, "by gfp class", "class", a.by_gfp_class);
  } else {
    appendf(s, "\npage allocations: not traced\n");
  }

  if (sm.have_vmstat) {
    std::string line;
    const char* keys[] = {"pageoutrun",
                          "allocstall_total",
                          "pgalloc_total",
                          "pgscan_kswapd",
                          "pgsteal_kswapd",
                          "pgscan_direct",
                          "pgsteal_direct",
                          "kswapd_high_wmark_hit_quickly",
                          "kswapd_low_wmark_hit_quickly",
                          "slabs_scanned",
                          "compact_stall"};
    for (const char* k : keys) {
      auto it = sm.vmstat_delta.find(k);
      if (it != sm.vmstat_delta.end())
        line += std::string(line.empty() ? "" : " ") + k + "=" + std::to_string(it->second);
    }
    s += "\n" + wrap(line, "/proc/vmstat over the window: ", "  ");
  }

  if (!sm.zones.empty()) {
    appendf(s, "\nzones (pages; /proc/zoneinfo, /proc/buddyinfo at the end of the window)\n");
    s += render_zone_table(sm.zones);
  }
  if (!sm.hazards.empty()) {
    appendf(s, "\nhazards\n");
    s += render_hazards(sm.hazards);
  } else if (!sm.zones.empty()) {
    appendf(s, "\nhazards: none found in the zone layout%s\n",
            sm.settling.empty() ? "" : " of the settled zones");
  }
  for (const auto& z : sm.settling)
    appendf(s,
            "  settling: node %d %s, %llu managed of %llu present pages, changed %.1f s before the end; "
            "its hazards wait until it is stable %.0f s\n",
            z.nid, z.zone.c_str(), (unsigned long long)z.managed, (unsigned long long)z.present,
            sm.end > z.changed_ns ? (sm.end - z.changed_ns) / 1e9 : 0.0, sm.settle_delay_s);
  if (!sm.source.hotadd_sources.empty() || !sm.hotadd.empty()) {
    appendf(s, "\nmemory hot-add: %zu episode%s\n", sm.hotadd.size(), sm.hotadd.size() == 1 ? "" : "s");
    if (!sm.source.hotadd_sources.empty()) s += render_hotadd_sources(sm.source);
    for (const auto& h : sm.hotadd) s += render_hotadd(h, sm.start);
  }
  appendf(s, "\nlost events: %llu\n", (unsigned long long)sm.lost_events);
  return s;
}

std::string render_interval_header(bool with_time) {
  std::string s;
  appendf(s, "%s%5s %6s %7s %5s %9s %9s %7s %9s %6s %9s %10s %5s  %s\n", with_time ? "time      " : "",
          "wakes", "sleeps", "awake_s", "duty", "scanned", "reclaimed", "direct", "direct_ms", "memcg",
          "memcg_ms", "alloc_pg/s", "lost", "verdicts");
  return s;
}

// kswapd over all nodes (wakes and pages summed, the busiest node's awake
// time and duty), then reclaim stalls, allocations, lost events, verdicts.
std::string render_interval_line(const Summary& sm, const std::string& time) {
  uint64_t wakes = 0, sleeps = 0, scanned = 0, reclaimed = 0;
  double awake = 0, duty = 0;
  bool shrink = false;
  for (const auto& n : sm.nodes) {
    wakes += n.wakes;
    sleeps += n.sleeps;
    awake = std::max(awake, n.awake_s);
    duty = std::max(duty, n.duty_cycle);
    if (n.have_shrink) {
      shrink = true;
      scanned += n.kswapd_shrink.scanned;
      reclaimed += n.kswapd_shrink.reclaimed;
    }
  }
  std::string verdicts;
  for (const auto& v : sm.verdicts)
    if (!v.pending && v.alert)
      verdicts += (verdicts.empty() ? "" : ",") + v.kind + "@node" + std::to_string(v.nid);
  std::string s = time.empty() ? "" : time + "  ";
  const auto& d = sm.direct;
  appendf(s, "%5llu %6llu %7.2f %4.0f%% ", (unsigned long long)wakes, (unsigned long long)sleeps, awake,
          100 * duty);
  if (shrink)
    appendf(s, "%9llu %9llu ", (unsigned long long)scanned, (unsigned long long)reclaimed);
  else
    appendf(s, "%9s %9s ", "-", "-");
  appendf(s, "%7llu %9.1f %6llu %9.1f ", (unsigned long long)d.count, d.total_ns / 1e6,
          (unsigned long long)d.memcg_count, d.memcg_total_ns / 1e6);
  if (sm.alloc.available)
    appendf(s, "%10.0f ", sm.alloc.pages_per_s);
  else
    appendf(s, "%10s ", "-");
  appendf(s, "%5llu  %s\n", (unsigned long long)sm.lost_events, verdicts.empty() ? "-" : verdicts.c_str());
  return s;
}

std::string run_end(const rec::RecordingRun& r, bool last, bool key) {
  if (r.ended) return key ? rec::end_reason_key(r.end_reason) : rec::end_reason_name(r.end_reason);
  // no End record: killed (SIGKILL, OOM, power loss), or the last run is still being written
  if (last) return key ? "no_end_record" : "no end record (still being written, or killed)";
  return key ? "killed" : "killed (no end record)";
}

std::string render_runs(const std::vector<rec::RecordingRun>& runs) {
  std::string s = "runs: " + std::to_string(runs.size()) + " (where each began; how each ended)\n";
  appendf(s, "  %-4s %-23s %13s %10s %9s  %s\n", "run", "start (local)", "monotonic_s", "duration_s",
          "events", "end");
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    std::string end = run_end(r, i + 1 == runs.size());
    if (r.new_boot) end += "; started after a reboot (boot id " + r.boot_id.substr(0, 8) + "...)";
    if (!r.start_seen) end += "; its start was evicted";
    if (r.scope.limited()) end += "; traced only " + scope_words(r.scope);
    appendf(s, "  %-4llu %-23s %13.3f %10.2f %9llu  %s\n", static_cast<unsigned long long>(r.run),
            local_time_ns(r.start_realtime_ns).c_str(), r.start_mono_ns / 1e9,
            (r.end_mono_ns - r.start_mono_ns) / 1e9, static_cast<unsigned long long>(r.events), end.c_str());
  }
  // the summary's window spans the gaps between runs, when nothing was traced
  double recorded = 0;
  for (const auto& r : runs) recorded += (r.end_mono_ns - r.start_mono_ns) / 1e9;
  const double span = runs.back().end_ts > runs.front().start_ts
                          ? (runs.back().end_ts - runs.front().start_ts) / 1e9
                          : recorded;
  appendf(s, "  recorded %.2f s of the %.2f s window; rates and duty cycles average over the whole window\n",
          recorded, span);
  return s;
}

}  // namespace kst
