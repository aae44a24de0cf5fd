#include "bench_report.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "child_process.h"
#include "machine_info.h"
#include "results_store.h"
#include "saturation.h"

namespace iotax::bench {
namespace {

using nlohmann::json;

// ---- number formatting -------------------------------------------------

std::string Fmt(double v, int digits = 2) {
  if (!std::isfinite(v)) return "—";
  return absl::StrFormat("%.*f", digits, v);
}
std::string Csv(double v) { return std::isfinite(v) ? absl::StrFormat("%.6g", v) : ""; }
std::string Rate(double v) {
  if (!std::isfinite(v)) return "—";
  if (v >= 1e6) return absl::StrFormat("%.2fM", v / 1e6);
  if (v >= 1e4) return absl::StrFormat("%.1fk", v / 1e3);
  if (v >= 1e3) return absl::StrFormat("%.2fk", v / 1e3);
  return absl::StrFormat("%.0f", v);
}
std::string Signed(double v, int digits = 2) {
  if (!std::isfinite(v)) return "—";
  return absl::StrFormat("%+.*f", digits, v);
}
std::string Pct(double v, int digits = 0) {
  if (!std::isfinite(v)) return "—";
  return absl::StrFormat("%.*f%%", digits, 100 * v);
}
std::string WithRange(const Spread& s, int digits = 2) {
  if (!s.has()) return "—";
  if (s.n == 1 || Fmt(s.min, digits) == Fmt(s.max, digits)) return Fmt(s.median, digits);
  return absl::StrFormat("%s (%s…%s)", Fmt(s.median, digits), Fmt(s.min, digits), Fmt(s.max, digits));
}

const char* ModelLabel(const std::string& server) {
  if (server == "blocking") return "blocking";
  if (server == "epoll") return "epoll";
  if (server == "uring") return "io_uring";
  return "?";
}
const char* ModelColor(const std::string& server) {
  if (server == "blocking") return "#d62728";
  if (server == "epoll") return "#1f77b4";
  return "#2ca02c";
}

// The setup without its connection count: what a plot panel holds fixed.
std::string PanelKey(const Setup& s) {
  Setup k = s;
  k.conns = 0;
  return k.Id();
}
std::string PanelLabel(const Setup& s) {
  std::string size_text = s.size % 1024 == 0 ? absl::StrCat(s.size / 1024, " KiB") : absl::StrCat(s.size, " B");
  std::string out = size_text;
  if (s.work_ns > 0) absl::StrAppend(&out, ", work ", s.work_ns, " ns");
  if (s.work_bytes > 0) absl::StrAppend(&out, " over ", s.work_bytes, " B");
  if (s.client != "uring") absl::StrAppend(&out, ", ", s.client, " client");
  return out;
}
std::string FileSafe(std::string s) {
  for (char& c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return s;
}

bool WriteText(const std::string& path, const std::string& text, absl::Status* first_error) {
  absl::Status s = WriteFileAtomically(path, text);
  if (!s.ok() && first_error->ok()) *first_error = s;
  return s.ok();
}

// A gnuplot string literal (double quotes, so apostrophes in text are fine).
std::string GpQuote(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}), "\"");
}

std::string GnuplotHeader(int width, int height) {
  return absl::StrFormat(
      "set terminal svg size %d,%d dynamic noenhanced font 'Helvetica,12' background rgb 'white'\n"
      "set grid lc rgb '#dddddd'\n"
      "set key top left box opaque\n"
      "set border lc rgb '#555555'\n",
      width, height);
}

std::vector<std::string> Servers(const std::vector<PointSummary>& points) {
  std::vector<std::string> out;
  for (const char* m : {"blocking", "epoll", "uring"}) {
    for (const PointSummary& p : points) {
      if (p.point.server == m) {
        out.push_back(m);
        break;
      }
    }
  }
  return out;
}

// Points of the non-attached closed and open phases, grouped by panel.
std::map<std::string, std::vector<const PointSummary*>> ByPanel(const std::vector<PointSummary>& points) {
  std::map<std::string, std::vector<const PointSummary*>> out;
  for (const PointSummary& p : points) {
    if (p.point.agent || (p.point.phase != Phase::kClosed && p.point.phase != Phase::kOpen)) continue;
    out[PanelKey(p.point.setup)].push_back(&p);
  }
  return out;
}

}  // namespace

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

namespace {

// The columns that say which point a row is about, after its id or key:
// the same in results.csv and runs.csv.
constexpr char kPointColumns[] = "phase,server,client,conns,msg_size,work_ns,work_bytes,placement,fraction,agent_attached";

std::string PointCsvFields(const Point& point) {
  const Setup& s = point.setup;
  const std::vector<std::string> fields = {PhaseName(point.phase),    point.server,
                                           s.client,                  absl::StrCat(s.conns),
                                           absl::StrCat(s.size),      absl::StrCat(s.work_ns),
                                           absl::StrCat(s.work_bytes), PlacementName(s.placement),
                                           Csv(point.fraction),       point.agent ? "1" : "0"};
  return absl::StrJoin(fields, ",");
}

}  // namespace

std::string PointsCsv(const std::vector<PointSummary>& points) {
  std::string out = absl::StrCat(
      "point_id,", kPointColumns,
      ",runs_ok,"
      "runs_failed,runs_invalid,offered_rps,throughput_rps,throughput_min,throughput_max,p50_us,p99_us,p99_min_us,"
      "p99_max_us,p999_us,slowdown_p50,slowdown_p99,slowdown_p999,server_cpu_us_per_req,server_cpu_min,server_cpu_max,"
      "server_user_us_per_req,server_sys_us_per_req,client_cpu_us_per_req,machine_cpu_us_per_req,"
      "server_switches_per_req,syscalls_per_req,machine_ipis_per_req,server_threads,agent_overhead_share,"
      "agent_saving_share,"
      "agent_predicted_saving_us,agent_verdict\n");
  for (const PointSummary& p : points) {
    std::vector<std::string> f = {p.point.Id(),
                                  PointCsvFields(p.point),
                                  absl::StrCat(p.runs_ok),
                                  absl::StrCat(p.runs_failed),
                                  absl::StrCat(p.runs_invalid),
                                  Csv(p.offered_rate.median),
                                  Csv(p.throughput.median),
                                  Csv(p.throughput.min),
                                  Csv(p.throughput.max),
                                  Csv(p.p50_us.median),
                                  Csv(p.p99_us.median),
                                  Csv(p.p99_us.min),
                                  Csv(p.p99_us.max),
                                  Csv(p.p999_us.median),
                                  Csv(p.slowdown_p50.median),
                                  Csv(p.slowdown_p99.median),
                                  Csv(p.slowdown_p999.median),
                                  Csv(p.server_cpu_us.median),
                                  Csv(p.server_cpu_us.min),
                                  Csv(p.server_cpu_us.max),
                                  Csv(p.server_user_us.median),
                                  Csv(p.server_sys_us.median),
                                  Csv(p.client_cpu_us.median),
                                  Csv(p.machine_cpu_us.median),
                                  Csv(p.server_switches.median),
                                  Csv(p.syscalls.median),
                                  Csv(p.ipis.median),
                                  Csv(p.server_threads.median),
                                  Csv(p.overhead_share.median),
                                  Csv(p.saving_share.median),
                                  Csv(p.predicted_saving_us.median),
                                  CsvField(p.verdict)};
    absl::StrAppend(&out, absl::StrJoin(f, ","), "\n");
  }
  return out;
}

std::string RunsCsv(const std::vector<RunRecord>& runs) {
  std::string out = absl::StrCat(
      "key,", kPointColumns,
      ",repeat,"
      "server_cpus,client_cpus,started_at,wall_s,load_average_1m,ok,error,valid,offered_rps,throughput_rps,requests,"
      "p50_us,p99_us,"
      "p999_us,max_us,send_lag_p99_us,server_cpu_s,server_window_s,server_cpu_us_per_req,server_switches_per_req,"
      "server_threads,client_cpu_us_per_req,machine_cpu_us_per_req,syscalls_per_req,machine_ipis,agent_saving_share,"
      "agent_predicted_saving_us,agent_level\n");
  for (const RunRecord& r : runs) {
    std::vector<std::string> f = {CsvField(r.key),
                                  PointCsvFields(r.point),
                                  absl::StrCat(r.repeat),
                                  CsvField(r.server_cpus),
                                  CsvField(r.client_cpus),
                                  r.started_at,
                                  Csv(r.wall_s),
                                  Csv(r.load_average),
                                  r.ok ? "1" : "0",
                                  CsvField(r.error),
                                  r.valid ? "1" : "0",
                                  Csv(r.offered_rate),
                                  Csv(r.throughput_rps),
                                  absl::StrCat(r.requests),
                                  Csv(r.p50_us),
                                  Csv(r.p99_us),
                                  Csv(r.p999_us),
                                  Csv(r.max_us),
                                  Csv(r.send_lag_p99_us),
                                  Csv(r.server_cpu_s),
                                  Csv(r.server_window_s),
                                  Csv(r.ServerCpuPerRequestUs()),
                                  Csv(r.ServerSwitchesPerRequest()),
                                  absl::StrCat(r.server_threads),
                                  Csv(r.ClientCpuPerRequestUs()),
                                  Csv(r.MachineCpuPerRequestUs()),
                                  r.SyscallsPerRequest() ? Csv(*r.SyscallsPerRequest()) : "",
                                  r.ipis >= 0 ? absl::StrCat(r.ipis) : "",
                                  r.agent && r.agent->saving_share ? Csv(*r.agent->saving_share) : "",
                                  r.PredictedSavingPerRequestUs() ? Csv(*r.PredictedSavingPerRequestUs()) : "",
                                  r.agent ? r.agent->level : ""};
    absl::StrAppend(&out, absl::StrJoin(f, ","), "\n");
  }
  return out;
}

std::string ProofCsv(const ProofSummary& proof) {
  std::string out =
      "setup,label,rate_rps,blocking_cpu_us,uring_cpu_us,actual_saving_us,actual_min,actual_max,"
      "estimated_saving_share,predicted_saving_us,predicted_min,predicted_max,error_us,relative_error,"
      "agent_cpu_overhead_us,agent_throughput_change,verdict_blocking,verdict_uring,async_cost_source,poor,why\n";
  for (const ProofRow& r : proof.rows) {
    std::vector<std::string> f = {r.setup.Id(),
                                  CsvField(r.setup.Label()),
                                  Csv(r.rate.median),
                                  Csv(r.blocking_cpu_us.median),
                                  Csv(r.uring_cpu_us.median),
                                  Csv(r.actual_us.median),
                                  Csv(r.actual_us.min),
                                  Csv(r.actual_us.max),
                                  Csv(r.saving_share.median),
                                  Csv(r.predicted_us.median),
                                  Csv(r.predicted_us.min),
                                  Csv(r.predicted_us.max),
                                  r.error_us ? Csv(*r.error_us) : "",
                                  r.relative_error ? Csv(*r.relative_error) : "",
                                  r.agent_cpu_overhead_us ? Csv(*r.agent_cpu_overhead_us) : "",
                                  r.agent_tput_change ? Csv(*r.agent_tput_change) : "",
                                  CsvField(r.verdict_blocking),
                                  CsvField(r.verdict_uring),
                                  r.async_cost_source,
                                  r.poor ? "1" : "0",
                                  CsvField(absl::StrJoin(r.why, " | "))};
    absl::StrAppend(&out, absl::StrJoin(f, ","), "\n");
  }
  return out;
}

std::vector<std::string> WritePlots(const ReportInput& in, std::string* note) {
  const std::string plot_dir = absl::StrCat(in.out_dir, "/plots");
  mkdir(plot_dir.c_str(), 0755);
  absl::Status err;
  std::vector<std::string> scripts;  // relative to out_dir, without extension
  const std::vector<std::string> servers = Servers(in.points);
  const auto panels = ByPanel(in.points);

  // 1. Throughput vs connections (closed loop), one line per model and
  //    placement, one file per (size, work, client).
  {
    std::map<std::string, std::vector<const PointSummary*>> groups;  // by panel without placement
    for (const PointSummary& p : in.points) {
      if (p.point.phase != Phase::kClosed || p.point.agent || !p.throughput.has()) continue;
      Setup k = p.point.setup;
      k.conns = 0;
      k.placement = Placement::kSeparate;
      groups[k.Id()].push_back(&p);
    }
    for (const auto& [key, pts] : groups) {
      const std::string name = absl::StrCat("plots/throughput_vs_conns_", FileSafe(key));
      int min_conns = pts[0]->point.setup.conns, max_conns = min_conns;
      for (const PointSummary* p : pts) {
        min_conns = std::min(min_conns, p->point.setup.conns);
        max_conns = std::max(max_conns, p->point.setup.conns);
      }
      std::string gp = GnuplotHeader(860, 440);
      absl::StrAppend(
          &gp, "set title ",
          GpQuote(absl::StrCat("Closed-loop throughput vs connections (", PanelLabel(pts[0]->point.setup), ")")),
          "\nset xlabel 'connections'\nset ylabel 'requests/s (median, bars: min…max)'\n",
          "set key outside right top\nset logscale x\nset yrange [0:*]\nset format y '%.0s%c'\n",
          absl::StrFormat("set xrange [%g:%g]\nset xtics (", min_conns / 1.5, max_conns * 1.5));
      {
        std::set<int> ticks;
        for (const PointSummary* p : pts) ticks.insert(p->point.setup.conns);
        std::vector<std::string> t;
        for (int c : ticks) t.push_back(absl::StrCat(c));
        absl::StrAppend(&gp, absl::StrJoin(t, ", "), ")\n");
      }
      std::vector<std::string> plots;
      int idx = 0;
      for (const std::string& server : servers) {
        for (Placement pl : {Placement::kSeparate, Placement::kShared}) {
          std::vector<const PointSummary*> line;
          for (const PointSummary* p : pts) {
            if (p->point.server == server && p->point.setup.placement == pl) line.push_back(p);
          }
          if (line.empty()) continue;
          std::sort(line.begin(), line.end(),
                    [](auto* a, auto* b) { return a->point.setup.conns < b->point.setup.conns; });
          std::string dat;
          for (const PointSummary* p : line) {
            absl::StrAppend(&dat, p->point.setup.conns, " ", Csv(p->throughput.median), " ", Csv(p->throughput.min),
                            " ", Csv(p->throughput.max), "\n");
          }
          const std::string dat_name = absl::StrCat(name, "_", idx++, ".dat");
          WriteText(absl::StrCat(in.out_dir, "/", dat_name), dat, &err);
          const bool separate = pl == Placement::kSeparate;
          plots.push_back(
              absl::StrFormat("'%s' using 1:2 with linespoints lw 2 pt %d ps 0.9 dt %d lc rgb '%s' title '%s, %s', "
                              "'' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '%s' notitle",
                              dat_name, separate ? 7 : 6, separate ? 1 : 2, ModelColor(server), ModelLabel(server),
                              PlacementName(pl), ModelColor(server)));
        }
      }
      absl::StrAppend(&gp, "plot ", absl::StrJoin(plots, ", \\\n     "), "\n");
      WriteText(absl::StrCat(in.out_dir, "/", name, ".gp"), gp, &err);
      scripts.push_back(name);
    }
  }

  // 2. Latency vs throughput (response curves) and 3. server CPU per request
  //    vs throughput: one file per panel, a column per connection count.
  for (const auto& [key, pts] : panels) {
    std::vector<int> conns;
    for (const PointSummary* p : pts) {
      if (std::find(conns.begin(), conns.end(), p->point.setup.conns) == conns.end())
        conns.push_back(p->point.setup.conns);
    }
    std::sort(conns.begin(), conns.end());
    const Setup& first = pts[0]->point.setup;
    const std::string title = absl::StrCat(PanelLabel(first), ", ", PlacementName(first.placement));
    for (int kind = 0; kind < 2; ++kind) {
      const std::string name =
          absl::StrCat(kind == 0 ? "plots/latency_vs_throughput_" : "plots/cpu_per_request_", FileSafe(key));
      std::string gp = GnuplotHeader(std::max(520, 420 * static_cast<int>(conns.size())), 440);
      absl::StrAppend(&gp, "set multiplot layout 1,", conns.size(), " title ",
                      GpQuote(absl::StrCat(kind == 0 ? "p99 latency vs throughput (open loop at fractions of each "
                                                       "model's saturation; dotted: its closed-loop saturation)"
                                                     : "Server CPU per request vs throughput",
                                           "\n", title)),
                      "\n");
      absl::StrAppend(&gp, "set xlabel 'requests/s'\nset format x '%.0s%c'\nset xrange [0:*]\n");
      if (kind == 0) {
        absl::StrAppend(&gp,
                        "set ylabel 'p99 latency (ms; median, bars: min…max)'\nset logscale y\nset format y '%g'\n");
      } else {
        absl::StrAppend(&gp, "set ylabel 'server CPU µs/request (median, bars: min…max)'\nset yrange [0:*]\n",
                        "set key top right box opaque\n");
      }
      int idx = 0;
      for (int c : conns) {
        absl::StrAppend(&gp, "set title '", c, " connections'\nunset arrow\n");
        std::vector<std::string> plots;
        for (const std::string& server : servers) {
          std::vector<const PointSummary*> line;
          for (const PointSummary* p : pts) {
            if (p->point.server != server || p->point.setup.conns != c || !p->throughput.has()) continue;
            // The response curve is the open loop; the closed loop's latency
            // is set by the connection count (Little's law), so it is marked
            // as the saturation line instead.
            if (kind == 0 && p->point.phase == Phase::kClosed) {
              absl::StrAppend(&gp, absl::StrFormat("set arrow from %g, graph 0 to %g, graph 1 nohead dt 3 lw 1.5 "
                                                   "lc rgb '%s'\n",
                                                   p->throughput.median, p->throughput.median, ModelColor(server)));
              continue;
            }
            line.push_back(p);
          }
          if (line.empty()) continue;
          std::sort(line.begin(), line.end(), [](auto* a, auto* b) {
            // Open loop by fraction, the closed loop (saturation) last.
            const double fa = a->point.phase == Phase::kClosed ? 2 : a->point.fraction;
            const double fb = b->point.phase == Phase::kClosed ? 2 : b->point.fraction;
            return fa < fb;
          });
          std::string dat;
          for (const PointSummary* p : line) {
            const Spread& y = kind == 0 ? p->p99_us : p->server_cpu_us;
            const double scale = kind == 0 ? 1e-3 : 1;  // latency in ms
            absl::StrAppend(&dat, Csv(p->throughput.median), " ", Csv(y.median * scale), " ", Csv(y.min * scale), " ",
                            Csv(y.max * scale), "\n");
          }
          const std::string dat_name = absl::StrCat(name, "_", idx++, ".dat");
          WriteText(absl::StrCat(in.out_dir, "/", dat_name), dat, &err);
          plots.push_back(
              absl::StrFormat("'%s' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '%s' title '%s', "
                              "'' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '%s' notitle",
                              dat_name, ModelColor(server), ModelLabel(server), ModelColor(server)));
        }
        if (plots.empty()) {
          absl::StrAppend(&gp, "set key off\nplot NaN notitle\nset key on\n");
        } else {
          absl::StrAppend(&gp, "plot ", absl::StrJoin(plots, ", \\\n     "), "\n");
        }
      }
      absl::StrAppend(&gp, "unset multiplot\n");
      WriteText(absl::StrCat(in.out_dir, "/", name, ".gp"), gp, &err);
      scripts.push_back(name);
    }
  }

  // 4. The proof: actual and predicted saving per setup, with their spreads.
  if (!in.proof.rows.empty()) {
    const std::string name = "plots/proof";
    std::string dat;
    for (const ProofRow& r : in.proof.rows) {
      if (!r.actual_us.has()) continue;
      // One line per part of the label ("\n" is a line break in gnuplot's quoted data strings).
      absl::StrAppend(&dat, "\"", absl::StrReplaceAll(r.setup.Label(), {{"\"", "'"}, {", ", "\\n"}}), "\" ",
                      Csv(r.actual_us.median), " ", Csv(r.actual_us.min), " ", Csv(r.actual_us.max), " ",
                      r.predicted_us.has() ? Csv(r.predicted_us.median) : "NaN", " ",
                      r.predicted_us.has() ? Csv(r.predicted_us.min) : "NaN", " ",
                      r.predicted_us.has() ? Csv(r.predicted_us.max) : "NaN", "\n");
    }
    WriteText(absl::StrCat(in.out_dir, "/", name, ".dat"), dat, &err);
    std::string gp = GnuplotHeader(std::max(640, 150 * static_cast<int>(in.proof.rows.size()) + 200), 460);
    absl::StrAppend(
        &gp,
        "set title 'CPU saved per request by io_uring over blocking: measured vs predicted by the agent'\n"
        "set key below\n"
        "set ylabel 'µs per request (median, bars: min…max)'\n"
        "set style data histogram\nset style histogram errorbars gap 2 lw 1\nset style fill solid 0.8 border -1\n"
        "set boxwidth 0.9\nset bmargin 6\nset xtics noenhanced\nset xzeroaxis lt 1 lc rgb '#555555'\n"
        "plot '",
        name,
        ".dat' using 2:3:4:xtic(1) title 'actual (blocking − io_uring, no agent)' lc rgb '#444444', \\\n"
        "     '' using 5:6:7 title 'predicted (iotaxd on the blocking server)' lc rgb '#ff7f0e'\n");
    WriteText(absl::StrCat(in.out_dir, "/", name, ".gp"), gp, &err);
    scripts.push_back(name);
  }

  std::vector<std::string> svgs;
  if (access("/usr/bin/gnuplot", X_OK) != 0) {
    *note =
        "gnuplot is not installed (Debian: apt-get install gnuplot-nox), so there are no plots; the scripts are "
        "in plots/*.gp: install it and run `gnuplot plots/X.gp > plots/X.svg` for each, in the output directory";
    return svgs;
  }
  std::vector<std::string> failed;
  for (const std::string& s : scripts) {
    // Paths in the scripts are relative to the output directory.
    auto out = RunAndCapture(
        {"/usr/bin/gnuplot", "-e", absl::StrCat("cd '", in.out_dir, "'"), absl::StrCat(in.out_dir, "/", s, ".gp")},
        absl::Seconds(30));
    if (out.ok() && !out->empty()) {
      WriteText(absl::StrCat(in.out_dir, "/", s, ".svg"), *out, &err);
      svgs.push_back(absl::StrCat(s, ".svg"));
    } else {
      failed.push_back(s);
    }
  }
  if (!failed.empty())
    *note = absl::StrCat("gnuplot failed on ", absl::StrJoin(failed, ", "), " (run it by hand to see why)");
  if (!err.ok() && note->empty()) *note = std::string(err.message());
  return svgs;
}

std::string MarkdownReport(const ReportInput& in, const std::vector<std::string>& plots, const std::string& plot_note) {
  const BenchConfig& c = *in.config;
  std::string md = "# iotax-bench: reference echo experiments\n\n";
  const int cpus = in.machine.value("online_cpus", 1);
  const CpuPlan sep = PlanCpus(Placement::kSeparate, cpus), shr = PlanCpus(Placement::kShared, cpus);
  absl::StrAppendFormat(&md, "- **Machine:** %s.\n", MachineLine(in.machine));
  double max_load = NAN;
  for (const RunRecord& r : in.runs) {
    if (r.load_average >= 0 && !(r.load_average <= max_load)) max_load = r.load_average;
  }
  absl::StrAppendFormat(
      &md,
      "- **Run:** %s to %s, %s; load average (1 min) %s at the start, %s at the end, at most %s "
      "when a run started.\n",
      in.started_at, in.updated_at,
      in.runs_done == in.runs_total ? absl::StrCat("complete (", in.runs_total, " runs)")
                                    : absl::StrCat("**incomplete: ", in.runs_done, " of ", in.runs_total, " runs**"),
      Fmt(in.machine.value("load_average_1m_at_start", NAN)), Fmt(in.load_average_end), Fmt(max_load));
  absl::StrAppendFormat(&md, "- **Reproduce:** `%s`\n", in.command);
  absl::StrAppendFormat(
      &md,
      "- **Placement:** *separate* = server on CPU %s, client on CPU %s; *shared* = server and client both on CPU %s "
      "(the two placements of the Ceph messenger study, scaled to %d CPUs; the server gets the same CPUs in both).\n",
      sep.server, sep.client, shr.server, cpus);
  absl::StrAppendFormat(
      &md,
      "- **Method:** every point runs %d time(s) (%s warm-up, %s measured; models alternate within each repeat); "
      "figures are medians, ranges are min…max over the repeats. Server CPU is the sum of its threads' run time "
      "(`/proc/PID/task/*/schedstat`) over exactly the client's measured window; client CPU is the load "
      "generator's own (getrusage). Saturation = closed-loop throughput (%d outstanding request(s) per connection); "
      "open-loop loads are Poisson arrivals at fractions of it. Slowdown = latency / the unloaded round trip "
      "(1 connection, closed loop, the lowest median p50 over the models).\n\n",
      c.repeats, absl::FormatDuration(c.warmup), absl::FormatDuration(c.duration), c.saturation_depth);
  if (!plot_note.empty()) absl::StrAppend(&md, "> **Plots:** ", plot_note, "\n\n");

  auto plot_link = [&](const std::string& prefix) {
    std::string out;
    for (const std::string& p : plots) {
      if (p.rfind(prefix, 0) == 0) absl::StrAppend(&out, "![", p, "](", p, ")\n\n");
    }
    return out;
  };

  // Headline: saturation per model, and CPU per request at the proof load.
  const std::vector<std::string> servers = Servers(in.points);
  std::vector<Setup> setups = ExpandSetups(c);
  absl::StrAppend(&md, "## Headline figures\n\n");
  absl::StrAppend(&md,
                  "Saturation (closed-loop throughput, requests/s) and server CPU per request at it:\n\n| setup |");
  for (const std::string& s : servers)
    absl::StrAppend(&md, " ", ModelLabel(s), " req/s | ", ModelLabel(s), " µs CPU/req |");
  absl::StrAppend(&md, "\n|---|");
  for (size_t i = 0; i < servers.size(); ++i) absl::StrAppend(&md, "---:|---:|");
  absl::StrAppend(&md, "\n");
  for (const Setup& s : setups) {
    absl::StrAppend(&md, "| ", s.Label(), " |");
    for (const std::string& server : servers) {
      const PointSummary* found = nullptr;
      for (const PointSummary& p : in.points) {
        if (p.point.phase == Phase::kClosed && !p.point.agent && p.point.server == server && p.point.setup == s)
          found = &p;
      }
      absl::StrAppend(&md, " ", found ? Rate(found->throughput.median) : "—", " | ",
                      found ? Fmt(found->server_cpu_us.median) : "—", " |");
    }
    absl::StrAppend(&md, "\n");
  }
  absl::StrAppend(&md, "\n");
  if (!in.proof.rows.empty()) {
    absl::StrAppendFormat(
        &md,
        "Under the same open-loop load (%s of the blocking server's saturation), server CPU per "
        "request, without the agent:\n\n| setup | offered req/s | blocking µs/req | io_uring µs/req | "
        "saving µs/req |\n|---|---:|---:|---:|---:|\n",
        Pct(*c.proof_load));
    for (const ProofRow& r : in.proof.rows) {
      absl::StrAppend(&md, "| ", r.setup.Label(), " | ", Rate(r.rate.median), " | ", Fmt(r.blocking_cpu_us.median),
                      " | ", Fmt(r.uring_cpu_us.median), " | ", Fmt(r.actual_us.median), " |\n");
    }
    absl::StrAppend(&md, "\n");
  }

  absl::StrAppend(&md, "## Throughput vs connections\n\n", plot_link("plots/throughput_vs_conns"));
  absl::StrAppend(&md, "## Latency vs throughput (response curves)\n\n", plot_link("plots/latency_vs_throughput"));
  absl::StrAppend(&md, "## CPU per request\n\n", plot_link("plots/cpu_per_request"));

  // The proof.
  if (!in.proof.rows.empty()) {
    absl::StrAppend(&md, "## Prediction vs actual\n\n");
    absl::StrAppendFormat(
        &md,
        "For each setup, the blocking and io_uring servers carry the same open-loop load, %s of the blocking "
        "server's saturation. **Actual** saving = blocking CPU/request − io_uring CPU/request, both measured without "
        "the agent (median of the per-repeat differences). **Predicted** = the `estimated_saving_share` of iotaxd "
        "attached to the blocking server (verdict window %s) × that run's server CPU/request. **Error** = predicted − "
        "actual. The agent's async cost: `calibration = %s`%s.\n\n",
        Pct(*c.proof_load), absl::FormatDuration(c.agent_duration - absl::Seconds(1)), c.calibration.ToString(),
        in.calibration.is_object() && in.calibration.contains("note")
            ? absl::StrCat(" (", in.calibration["note"].get<std::string>(), ")")
            : "");
    absl::StrAppend(&md, plot_link("plots/proof"));
    absl::StrAppend(
        &md,
        "| setup | offered req/s | actual µs/req | agent saving share | predicted µs/req | error µs/req | "
        "relative | verdict on blocking | verdict on io_uring |\n|---|---:|---:|---:|---:|---:|---:|---|---|\n");
    for (const ProofRow& r : in.proof.rows) {
      absl::StrAppend(&md, "| ", r.setup.Label(), r.invalid_runs ? " ⚠" : "", " | ", Rate(r.rate.median), " | ",
                      WithRange(r.actual_us), " | ", Pct(r.saving_share.median, 1), " | ", WithRange(r.predicted_us),
                      " | ", r.error_us ? Signed(*r.error_us) : "—", " | ",
                      r.relative_error ? absl::StrFormat("%+.0f%%", 100 * *r.relative_error) : "—", " | ",
                      r.verdict_blocking.empty() ? "—" : r.verdict_blocking, " | ",
                      r.verdict_uring.empty() ? "—" : r.verdict_uring, " |\n");
    }
    absl::StrAppend(&md, "\n");
    if (in.proof.median_abs_error_us) {
      absl::StrAppendFormat(&md, "**Median |error|: %s µs per request%s. Worst: %s µs per request%s, at %s.**\n\n",
                            Fmt(*in.proof.median_abs_error_us),
                            in.proof.median_abs_relative_error
                                ? absl::StrCat(" (", Pct(*in.proof.median_abs_relative_error), " of the actual saving)")
                                : "",
                            Fmt(*in.proof.worst_abs_error_us),
                            in.proof.worst_abs_relative_error
                                ? absl::StrCat(" (worst relative error ", Pct(*in.proof.worst_abs_relative_error), ")")
                                : "",
                            in.proof.worst_setup);
    }
    bool any_why = false;
    for (const ProofRow& r : in.proof.rows) {
      if (r.why.empty()) continue;
      if (!any_why)
        absl::StrAppend(&md,
                        "Why the predictions miss (a miss is poor above max(0.5 µs, 25% of the actual saving)):\n\n");
      any_why = true;
      absl::StrAppend(&md, "- **", r.setup.Label(), "** — ", r.poor ? "poor" : "good",
                      r.error_us ? absl::StrCat(" (", Signed(*r.error_us), " µs)") : "", ":");
      for (const std::string& w : r.why) absl::StrAppend(&md, "\n  - ", w, ".");
      absl::StrAppend(&md, "\n");
    }
    if (any_why) absl::StrAppend(&md, "\n");

    bool any_parts = false;
    for (const ProofRow& r : in.proof.rows) any_parts |= r.parts.has_value();
    if (any_parts) {
      absl::StrAppend(&md,
                      "Where the CPU went, per request (µs; blocking / io_uring, from iotaxd attached to each; "
                      "untraced = kernel time outside syscalls, e.g. softirqs, plus io_uring workers; switches from "
                      "/proc without the agent):\n\n"
                      "| setup | user | in syscalls | untraced | model: direct − async | syscalls/req | switches/req | "
                      "IPIs/req (machine) | client CPU/req |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (const ProofRow& r : in.proof.rows) {
        if (!r.parts) continue;
        const ProofParts& p = *r.parts;
        absl::StrAppend(&md, "| ", r.setup.Label(), " | ", Fmt(p.user_b), " / ", Fmt(p.user_u), " | ", Fmt(p.syscall_b),
                        " / ", Fmt(p.syscall_u), " | ", Fmt(p.untraced_b), " / ", Fmt(p.untraced_u), " | ",
                        Fmt(p.direct), " − ", Fmt(p.async_cost), " | ", Fmt(p.syscalls_b), " / ", Fmt(p.syscalls_u),
                        " | ", Fmt(p.switches_b), " / ", Fmt(p.switches_u), " | ", Fmt(p.ipis_b), " / ", Fmt(p.ipis_u),
                        " | ", Fmt(p.client_b), " / ", Fmt(p.client_u), " |\n");
      }
      absl::StrAppend(&md, "\n");
    }
    absl::StrAppend(&md,
                    "The agent's own overhead on the blocking server (same load, with vs without iotaxd):\n\n"
                    "| setup | throughput without → with | server CPU µs/req without → with | difference |\n"
                    "|---|---:|---:|---:|\n");
    for (const ProofRow& r : in.proof.rows) {
      absl::StrAppend(&md, "| ", r.setup.Label(), " | ", Rate(r.blocking_tput.median), " → ",
                      Rate(r.blocking_attached_tput.median), " | ", Fmt(r.blocking_cpu_us.median), " → ",
                      Fmt(r.blocking_attached_cpu_us.median), " | ",
                      r.agent_cpu_overhead_us ? absl::StrCat(Signed(*r.agent_cpu_overhead_us), " µs") : "—", " |\n");
    }
    absl::StrAppend(&md, "\n");
  }

  // Every point.
  absl::StrAppend(
      &md,
      "## All points\n\nMedians over the repeats (p99 with its min…max). Rate = offered (open loop) or — "
      "(closed loop). CPU (µs), the server's context switches, the machine's IPIs (rescheduling + function call, "
      "/proc/interrupts) and syscalls are per request; syscalls only where iotaxd was attached. "
      "⚠ = a run the client flagged (see Notes).\n\n"
      "| server | setup | load | rate | req/s | p50 µs | p99 µs | p99.9 µs | slowdown p50/p99/p99.9 | "
      "server CPU | client CPU | switches | IPIs | syscalls |\n"
      "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const PointSummary& p : in.points) {
    std::string load;
    switch (p.point.phase) {
      case Phase::kUnloaded:
        load = "unloaded (1 conn)";
        break;
      case Phase::kClosed:
        load = "closed";
        break;
      case Phase::kOpen:
        load = absl::StrFormat("%s of own sat.", Pct(p.point.fraction));
        break;
      case Phase::kProof:
        load = absl::StrFormat("proof, %s of blocking sat.", Pct(p.point.fraction));
        break;
    }
    if (p.point.agent) absl::StrAppend(&load, " + iotaxd");
    absl::StrAppend(&md, "| ", ModelLabel(p.point.server), p.runs_invalid ? " ⚠" : "", p.runs_failed ? " ✗" : "", " | ",
                    p.point.phase == Phase::kUnloaded ? p.point.setup.Unloaded().Label() : p.point.setup.Label(), " | ",
                    load, " | ", p.offered_rate.median > 0 ? Rate(p.offered_rate.median) : "—", " | ",
                    Rate(p.throughput.median), " | ", Fmt(p.p50_us.median, 0), " | ", WithRange(p.p99_us, 0), " | ",
                    Fmt(p.p999_us.median, 0), " | ", Fmt(p.slowdown_p50.median, 1), " / ",
                    Fmt(p.slowdown_p99.median, 1), " / ", Fmt(p.slowdown_p999.median, 1), " | ",
                    Fmt(p.server_cpu_us.median), " | ", Fmt(p.client_cpu_us.median), " | ",
                    Fmt(p.server_switches.median), " | ", Fmt(p.ipis.median), " | ", Fmt(p.syscalls.median), " |\n");
  }
  absl::StrAppend(&md, "\n");

  // Notes: failures and flagged runs.
  std::vector<std::string> notes;
  for (const PointSummary& p : in.points) {
    if (p.runs_failed == 0 && p.runs_invalid == 0) continue;
    notes.push_back(absl::StrFormat("`%s`: %d failed, %d flagged: %s", p.point.Id(), p.runs_failed, p.runs_invalid,
                                    absl::StrJoin(p.notes, "; ")));
  }
  if (!notes.empty()) {
    absl::StrAppend(&md, "## Notes\n\n");
    for (const std::string& n : notes) absl::StrAppend(&md, "- ", n, "\n");
    absl::StrAppend(&md, "\n");
  }
  absl::StrAppend(&md, "## Config\n\n```\n", c.Canonical(),
                  "```\n\nFiles: `results.json` (every run and these tables), "
                  "`results.csv` (one row per point), `runs.csv` (one row per run), `proof.csv`, `plots/`.\n");
  return md;
}

absl::Status WriteReport(const ReportInput& in) {
  absl::Status err;
  WriteText(absl::StrCat(in.out_dir, "/results.csv"), PointsCsv(in.points), &err);
  WriteText(absl::StrCat(in.out_dir, "/runs.csv"), RunsCsv(in.runs), &err);
  WriteText(absl::StrCat(in.out_dir, "/proof.csv"), ProofCsv(in.proof), &err);
  std::string note;
  const std::vector<std::string> plots = WritePlots(in, &note);
  WriteText(absl::StrCat(in.out_dir, "/report.md"), MarkdownReport(in, plots, note), &err);
  return err;
}

}  // namespace iotax::bench
