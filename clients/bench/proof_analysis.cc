#include "proof_analysis.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench_matrix.h"
#include "saturation.h"

namespace iotax::bench {
namespace {

using nlohmann::json;

json Opt(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

// Seconds of an agent figure per request, in µs.
double AgentPerRequestUs(const RunRecord& r, double seconds) {
  if (!r.agent || r.agent->window_s <= 0 || r.throughput_rps <= 0) return std::nan("");
  return seconds / r.agent->window_s / r.throughput_rps * 1e6;
}

std::string Us(double v) { return absl::StrFormat("%.2f µs", v); }

std::string MostCommonVerdict(const std::vector<RunRecord>& runs) {
  std::map<std::string, int> count;
  for (const RunRecord& r : runs) {
    if (r.agent) ++count[absl::StrCat(r.agent->level, " (", r.agent->confidence, ")")];
  }
  std::string best;
  int n = 0;
  for (const auto& [v, c] : count) {
    if (c > n) {
      n = c;
      best = v;
    }
  }
  return best;
}

}  // namespace

bool IsPoor(double predicted_us, double actual_us) {
  return std::fabs(predicted_us - actual_us) > std::max(0.5, 0.25 * std::fabs(actual_us));
}

std::vector<MissPart> SplitMiss(const ProofParts& p) {
  std::vector<MissPart> parts;
  const double model = p.direct - p.async_cost + p.indirect.value_or(0.0);

  const double d_user = p.user_b - p.user_u;
  MissPart user{"user", d_user - p.indirect.value_or(0.0), ""};
  if (p.indirect) {
    user.text = absl::StrFormat(
        "user-mode time: the blocking server spent %s per request vs %s for io_uring; the indirect part (tier 3) "
        "accounted for %s of that difference",
        Us(p.user_b), Us(p.user_u), Us(*p.indirect));
  } else {
    user.text = absl::StrFormat(
        "user-mode time: the blocking server spent %s per request vs %s for io_uring (%+.2f µs): the indirect cost "
        "of switching (caches, TLB and branch predictors refilled after each block) is not in the model without a "
        "PMU (none here)",
        Us(p.user_b), Us(p.user_u), d_user);
  }
  parts.push_back(user);

  const double d_sys = p.syscall_b - p.syscall_u;
  MissPart sys{
      "syscalls", d_sys - (p.direct - p.async_cost),
      absl::StrFormat("kernel time inside syscalls: %s per request (blocking, %.2f syscalls/request) vs %s "
                      "(io_uring, %.2f syscalls/request), a difference of %+.2f µs; the model explains %+.2f µs "
                      "of it (blocked-call cost %s minus async cost %s)",
                      Us(p.syscall_b), p.syscalls_b, Us(p.syscall_u), p.syscalls_u, d_sys, p.direct - p.async_cost,
                      Us(p.direct), Us(p.async_cost))};
  // An event loop that sleeps about as often as the blocking threads pays
  // the same sleep and wakeup inside io_uring_enter: more than the async
  // cost's estimate of its sleeps (the process's idle share) allowed for.
  if (sys.us < 0 && p.switches_b > 0 && p.switches_u >= 0.5 * p.switches_b) {
    absl::StrAppendFormat(&sys.text,
                          "; the io_uring server switched %.2f times per request against the blocking server's %.2f: "
                          "at this load its event loop sleeps and is woken for almost every request, paying inside "
                          "io_uring_enter much of what blocking pays, more than the async cost's estimate of the "
                          "loop's sleeps allowed for",
                          p.switches_u, p.switches_b);
  }
  parts.push_back(sys);

  const double d_untraced = p.untraced_b - p.untraced_u;
  parts.push_back(MissPart{
      "untraced", d_untraced,
      absl::StrFormat("kernel time outside syscalls (softirqs and interrupts charged to the process, the scheduler, "
                      "io_uring task work and workers; the tracer does not see it): %s per request (blocking) vs %s "
                      "(io_uring)",
                      Us(p.untraced_b), Us(p.untraced_u))});

  // Against the agent's own accounting of the attached runs, so the parts add
  // up exactly to actual − model.
  parts.push_back(
      MissPart{"noise", p.actual - (d_user + d_sys + d_untraced),
               absl::StrFormat(
                   "the truth moved: without the agent the difference was %s per request; with it attached to each "
                   "server it accounted %s (run-to-run noise, and the agent's own cost, which weighs on the blocking "
                   "server's 2 syscalls per request more than on io_uring's)",
                   Us(p.actual), Us(p.attached_difference))});

  // Largest contribution in the direction of the miss first.
  const double miss = p.actual - model;
  std::sort(parts.begin(), parts.end(), [miss](const MissPart& a, const MissPart& b) {
    const double sa = miss >= 0 ? a.us : -a.us;
    const double sb = miss >= 0 ? b.us : -b.us;
    return sa > sb;
  });
  return parts;
}

Spread PairedDifference(const std::vector<RunRecord>& blocking, const std::vector<RunRecord>& uring) {
  std::vector<double> diffs;
  for (const RunRecord& b : blocking) {
    for (const RunRecord& u : uring) {
      if (b.repeat == u.repeat) diffs.push_back(b.ServerCpuPerRequestUs() - u.ServerCpuPerRequestUs());
    }
  }
  return Summarize(diffs);
}

json ProofRow::ToJson() const {
  json j;
  j["setup"] = setup.Id();
  j["label"] = setup.Label();
  j["fraction_of_blocking_saturation"] = fraction;
  j["rate_rps"] = rate.ToJson();
  j["blocking_cpu_us"] = blocking_cpu_us.ToJson();
  j["uring_cpu_us"] = uring_cpu_us.ToJson();
  j["actual_saving_us"] = actual_us.ToJson();
  j["blocking_attached_cpu_us"] = blocking_attached_cpu_us.ToJson();
  j["uring_attached_cpu_us"] = uring_attached_cpu_us.ToJson();
  j["estimated_saving_share"] = saving_share.ToJson();
  j["predicted_saving_us"] = predicted_us.ToJson();
  j["error_us"] = Opt(error_us);
  j["relative_error"] = Opt(relative_error);
  j["blocking_throughput_rps"] = blocking_tput.ToJson();
  j["blocking_attached_throughput_rps"] = blocking_attached_tput.ToJson();
  j["agent_cpu_overhead_us"] = Opt(agent_cpu_overhead_us);
  j["agent_throughput_change"] = Opt(agent_tput_change);
  if (parts) {
    const ProofParts& p = *parts;
    j["parts_us"] = {{"actual", p.actual},
                     {"attached_difference", p.attached_difference},
                     {"user_blocking", p.user_b},
                     {"user_uring", p.user_u},
                     {"syscall_blocking", p.syscall_b},
                     {"syscall_uring", p.syscall_u},
                     {"untraced_blocking", p.untraced_b},
                     {"untraced_uring", p.untraced_u},
                     {"direct", p.direct},
                     {"async_cost", p.async_cost},
                     {"indirect", Opt(p.indirect)},
                     {"syscalls_per_request_blocking", p.syscalls_b},
                     {"syscalls_per_request_uring", p.syscalls_u},
                     {"switches_per_request_blocking", p.switches_b},
                     {"switches_per_request_uring", p.switches_u},
                     {"client_cpu_blocking", p.client_b},
                     {"client_cpu_uring", p.client_u},
                     {"ipis_per_request_blocking", Opt(p.ipis_b)},
                     {"ipis_per_request_uring", Opt(p.ipis_u)}};
  }
  j["verdict_blocking"] = verdict_blocking;
  j["verdict_uring"] = verdict_uring;
  j["async_cost_source"] = async_cost_source;
  j["invalid_runs"] = invalid_runs;
  j["poor"] = poor;
  j["why"] = why;
  return j;
}

json ProofSummary::ToJson() const {
  json rows_json = json::array();
  for (const ProofRow& r : rows) rows_json.push_back(r.ToJson());
  return {{"rows", rows_json},
          {"median_abs_error_us", Opt(median_abs_error_us)},
          {"worst_abs_error_us", Opt(worst_abs_error_us)},
          {"median_abs_relative_error", Opt(median_abs_relative_error)},
          {"worst_abs_relative_error", Opt(worst_abs_relative_error)},
          {"worst_setup", worst_setup}};
}

ProofSummary AnalyzeProof(const std::vector<RunRecord>& runs, const BenchConfig& config) {
  ProofSummary out;
  if (!config.proof_load) return out;
  std::vector<double> abs_err, abs_rel;
  for (const Setup& setup : ExpandSetups(config)) {
    auto select = [&](const char* server, bool agent) {
      std::vector<RunRecord> v;
      for (const RunRecord& r : runs) {
        if (r.ok && r.point.phase == Phase::kProof && r.point.setup == setup && r.point.server == server &&
            r.point.agent == agent) {
          v.push_back(r);
        }
      }
      return v;
    };
    const std::vector<RunRecord> b = select("blocking", false), u = select("uring", false);
    const std::vector<RunRecord> ba = select("blocking", true), ua = select("uring", true);
    if (b.empty() && u.empty() && ba.empty()) continue;

    ProofRow row;
    row.setup = setup;
    row.fraction = *config.proof_load;
    auto per_run = [](const std::vector<RunRecord>& v, auto f) {
      std::vector<double> x;
      for (const RunRecord& r : v) x.push_back(f(r));
      return Summarize(x);
    };
    auto cpu = [](const RunRecord& r) { return r.ServerCpuPerRequestUs(); };
    auto tput = [](const RunRecord& r) { return r.throughput_rps; };
    std::vector<RunRecord> all = b;
    all.insert(all.end(), u.begin(), u.end());
    row.rate = per_run(all, [](const RunRecord& r) { return r.offered_rate; });
    for (const auto* v : {&b, &u, &ba, &ua}) {
      for (const RunRecord& r : *v) row.invalid_runs += r.valid ? 0 : 1;
    }
    row.blocking_cpu_us = per_run(b, cpu);
    row.uring_cpu_us = per_run(u, cpu);
    row.actual_us = PairedDifference(b, u);
    row.blocking_attached_cpu_us = per_run(ba, cpu);
    row.uring_attached_cpu_us = per_run(ua, cpu);
    row.blocking_tput = per_run(b, tput);
    row.blocking_attached_tput = per_run(ba, tput);
    std::vector<double> share, predicted;
    for (const RunRecord& r : ba) {
      if (r.agent && r.agent->saving_share) share.push_back(*r.agent->saving_share);
      if (auto p = r.PredictedSavingPerRequestUs()) predicted.push_back(*p);
      if (row.async_cost_source.empty() && r.agent) row.async_cost_source = r.agent->async_cost_source;
    }
    row.saving_share = Summarize(share);
    row.predicted_us = Summarize(predicted);
    row.verdict_blocking = MostCommonVerdict(ba);
    row.verdict_uring = MostCommonVerdict(ua);
    if (row.blocking_cpu_us.has() && row.blocking_attached_cpu_us.has()) {
      row.agent_cpu_overhead_us = row.blocking_attached_cpu_us.median - row.blocking_cpu_us.median;
    }
    if (row.blocking_tput.has() && row.blocking_attached_tput.has() && row.blocking_tput.median > 0) {
      row.agent_tput_change = row.blocking_attached_tput.median / row.blocking_tput.median - 1;
    }

    if (!ba.empty() && !ua.empty() && row.actual_us.has()) {
      auto med = [&](const std::vector<RunRecord>& v, auto f) {
        std::vector<double> x;
        for (const RunRecord& r : v) x.push_back(f(r));
        return Median(x);
      };
      ProofParts p;
      p.actual = row.actual_us.median;
      p.user_b = med(ba, [](const RunRecord& r) { return AgentPerRequestUs(r, r.agent ? r.agent->user_s : 0); });
      p.user_u = med(ua, [](const RunRecord& r) { return AgentPerRequestUs(r, r.agent ? r.agent->user_s : 0); });
      p.syscall_b = med(ba, [](const RunRecord& r) { return AgentPerRequestUs(r, r.agent ? r.agent->syscall_s : 0); });
      p.syscall_u = med(ua, [](const RunRecord& r) { return AgentPerRequestUs(r, r.agent ? r.agent->syscall_s : 0); });
      auto untraced = [](const RunRecord& r) {
        if (!r.agent) return std::nan("");
        return AgentPerRequestUs(r, r.agent->untraced_s.value_or(0.0) + r.agent->io_worker_s);
      };
      p.untraced_b = med(ba, untraced);
      p.untraced_u = med(ua, untraced);
      p.direct = med(ba, [](const RunRecord& r) {
        return r.agent && r.agent->direct_s ? AgentPerRequestUs(r, *r.agent->direct_s) : std::nan("");
      });
      p.async_cost = med(ba, [](const RunRecord& r) {
        return r.agent && r.agent->async_cost_s ? AgentPerRequestUs(r, *r.agent->async_cost_s) : std::nan("");
      });
      const double indirect = med(ba, [](const RunRecord& r) {
        return r.agent && r.agent->indirect_s ? AgentPerRequestUs(r, *r.agent->indirect_s) : std::nan("");
      });
      if (!std::isnan(indirect)) p.indirect = indirect;
      p.syscalls_b = med(ba, [](const RunRecord& r) { return r.SyscallsPerRequest().value_or(std::nan("")); });
      p.syscalls_u = med(ua, [](const RunRecord& r) { return r.SyscallsPerRequest().value_or(std::nan("")); });
      p.switches_b = med(b, [](const RunRecord& r) { return r.ServerSwitchesPerRequest(); });
      p.switches_u = med(u, [](const RunRecord& r) { return r.ServerSwitchesPerRequest(); });
      p.client_b = med(b, [](const RunRecord& r) { return r.ClientCpuPerRequestUs(); });
      p.client_u = med(u, [](const RunRecord& r) { return r.ClientCpuPerRequestUs(); });
      p.ipis_b = med(b, [](const RunRecord& r) { return r.IpisPerRequest(); });
      p.ipis_u = med(u, [](const RunRecord& r) { return r.IpisPerRequest(); });
      for (double* v : {&p.direct, &p.async_cost, &p.untraced_b, &p.untraced_u}) {
        if (std::isnan(*v)) *v = 0;
      }
      p.attached_difference = (p.user_b + p.syscall_b + p.untraced_b) - (p.user_u + p.syscall_u + p.untraced_u);
      row.parts = p;
    }

    if (row.predicted_us.has() && row.actual_us.has()) {
      const double predicted_us = row.predicted_us.median, actual = row.actual_us.median;
      row.error_us = predicted_us - actual;
      if (std::fabs(actual) >= 0.5) row.relative_error = *row.error_us / std::fabs(actual);
      abs_err.push_back(std::fabs(*row.error_us));
      if (row.relative_error) abs_rel.push_back(std::fabs(*row.relative_error));
      if (!out.worst_abs_error_us || std::fabs(*row.error_us) > *out.worst_abs_error_us) {
        out.worst_abs_error_us = std::fabs(*row.error_us);
        out.worst_setup = setup.Label();
      }
      row.poor = IsPoor(predicted_us, actual);
      const bool within_spread = predicted_us >= row.actual_us.min && predicted_us <= row.actual_us.max;
      if (row.poor && row.parts) {
        const double miss = actual - predicted_us;
        for (const MissPart& part : SplitMiss(*row.parts)) {
          // Name the parts that push the way of the miss and matter.
          const double along = miss >= 0 ? part.us : -part.us;
          if (along >= std::max(0.3, 0.25 * std::fabs(miss)) && row.why.size() < 2) {
            row.why.push_back(absl::StrFormat("%s (%+.2f µs of the %+.2f µs miss)", part.text, part.us, miss));
          }
        }
        if (row.why.empty()) {
          row.why.push_back("no single part of the cost model explains the miss: the parts offset each other");
        }
      } else if (row.poor) {
        row.why.push_back(
            "the attached runs of both servers are needed to say which part misses (agent = proof or all)");
      }
      // Both servers must have carried the offered load for the comparison to hold.
      if (row.rate.has() && row.rate.median > 0) {
        const Spread ut = per_run(u, tput);
        if (row.blocking_tput.has() && ut.has() &&
            std::fabs(row.blocking_tput.median - ut.median) > 0.03 * row.rate.median) {
          row.why.push_back(absl::StrFormat(
              "the two servers did not carry the same load (%.0f vs %.0f requests/s for %.0f offered): a server "
              "saturated or the client fell behind, so the CPU per request is not compared like for like",
              row.blocking_tput.median, ut.median, row.rate.median));
        }
      }
      if (within_spread) {
        row.why.push_back(
            absl::StrFormat("the prediction lies inside the run-to-run spread of the actual saving (%.2f to %.2f µs)",
                            row.actual_us.min, row.actual_us.max));
      }
      if (row.parts && std::fabs(row.parts->client_b - row.parts->client_u) >= 1.0) {
        row.why.push_back(absl::StrFormat(
            "outside the server: the client spent %.2f µs per request against the blocking server vs %.2f µs against "
            "io_uring (on loopback the sender wakes the blocked reader); a per-process agent does not see that part",
            row.parts->client_b, row.parts->client_u));
      }
    }
    out.rows.push_back(std::move(row));
  }
  if (!abs_err.empty()) out.median_abs_error_us = Median(abs_err);
  if (!abs_rel.empty()) {
    out.median_abs_relative_error = Median(abs_rel);
    out.worst_abs_relative_error = *std::max_element(abs_rel.begin(), abs_rel.end());
  }
  return out;
}

}  // namespace iotax::bench
