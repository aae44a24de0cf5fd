#include "bench_aggregate.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "saturation.h"

namespace iotax::bench {
namespace {

using nlohmann::json;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

json Spread::ToJson() const { return {{"median", Num(median)}, {"min", Num(min)}, {"max", Num(max)}, {"n", n}}; }

Spread Summarize(const std::vector<double>& values) {
  Spread s;
  std::vector<double> v;
  for (double x : values) {
    if (!std::isnan(x)) v.push_back(x);
  }
  if (v.empty()) return s;
  s.n = static_cast<int>(v.size());
  s.median = Median(v);
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

json PointSummary::ToJson() const {
  json j = PointFieldsJson(point);
  j["runs_ok"] = runs_ok;
  j["runs_failed"] = runs_failed;
  j["runs_invalid"] = runs_invalid;
  j["notes"] = notes;
  j["offered_rate"] = offered_rate.ToJson();
  j["throughput_rps"] = throughput.ToJson();
  j["latency_us"] = {{"p50", p50_us.ToJson()}, {"p99", p99_us.ToJson()}, {"p999", p999_us.ToJson()}};
  j["slowdown"] = {{"p50", slowdown_p50.ToJson()}, {"p99", slowdown_p99.ToJson()}, {"p999", slowdown_p999.ToJson()}};
  j["per_request"] = {{"server_cpu_us", server_cpu_us.ToJson()},
                      {"server_user_us", server_user_us.ToJson()},
                      {"server_sys_us", server_sys_us.ToJson()},
                      {"client_cpu_us", client_cpu_us.ToJson()},
                      {"machine_cpu_us", machine_cpu_us.ToJson()},
                      {"server_switches", server_switches.ToJson()},
                      {"syscalls", syscalls.ToJson()},
                      {"machine_ipis", ipis.ToJson()}};
  j["server_threads"] = server_threads.ToJson();
  if (point.agent) {
    j["agent"] = {{"overhead_share", overhead_share.ToJson()},
                  {"estimated_saving_share", saving_share.ToJson()},
                  {"predicted_saving_us", predicted_saving_us.ToJson()},
                  {"verdict", verdict}};
  }
  return j;
}

std::vector<PointSummary> SummarizePoints(const std::vector<RunRecord>& runs, const std::vector<RunSlot>& order) {
  std::vector<PointSummary> out;
  std::set<std::string> seen;
  std::map<std::string, std::vector<const RunRecord*>> by_point;
  for (const RunRecord& r : runs) by_point[r.point.Id()].push_back(&r);

  for (const RunSlot& slot : order) {
    const std::string id = slot.point.Id();
    if (!seen.insert(id).second) continue;
    auto it = by_point.find(id);
    if (it == by_point.end()) continue;
    PointSummary s;
    s.point = slot.point;
    const std::optional<double> rtt = UnloadedRttUs(runs, slot.point.setup);
    std::vector<double> rate, tput, p50, p99, p999, sd50, sd99, sd999, scpu, suser, ssys, ccpu, mcpu, sw, sc, thr;
    std::vector<double> overhead, saving, predicted, ipis;
    std::map<std::string, int> verdicts;
    auto note = [&s](const std::string& n) {
      if (std::find(s.notes.begin(), s.notes.end(), n) == s.notes.end()) s.notes.push_back(n);
    };
    for (const RunRecord* r : it->second) {
      if (!r->ok) {
        ++s.runs_failed;
        note(r->error);
        continue;
      }
      ++s.runs_ok;
      if (!r->valid) {
        ++s.runs_invalid;
        for (const std::string& why : r->invalid_reasons) note(why);
      }
      rate.push_back(r->offered_rate);
      tput.push_back(r->throughput_rps);
      p50.push_back(r->p50_us);
      p99.push_back(r->p99_us);
      p999.push_back(r->p999_us);
      if (rtt && *rtt > 0) {
        sd50.push_back(r->p50_us / *rtt);
        sd99.push_back(r->p99_us / *rtt);
        sd999.push_back(r->p999_us / *rtt);
      }
      scpu.push_back(r->ServerCpuPerRequestUs());
      suser.push_back(r->ServerUserPerRequestUs());
      ssys.push_back(r->ServerSysPerRequestUs());
      ccpu.push_back(r->ClientCpuPerRequestUs());
      mcpu.push_back(r->MachineCpuPerRequestUs());
      sw.push_back(r->ServerSwitchesPerRequest());
      thr.push_back(r->server_threads);
      ipis.push_back(r->IpisPerRequest());
      if (auto v = r->SyscallsPerRequest()) sc.push_back(*v);
      if (r->agent) {
        if (r->agent->overhead_share) overhead.push_back(*r->agent->overhead_share);
        if (r->agent->saving_share) saving.push_back(*r->agent->saving_share);
        if (auto v = r->PredictedSavingPerRequestUs()) predicted.push_back(*v);
        ++verdicts[absl::StrCat(r->agent->level, " (", r->agent->confidence, ")")];
      }
    }
    s.offered_rate = Summarize(rate);
    s.throughput = Summarize(tput);
    s.p50_us = Summarize(p50);
    s.p99_us = Summarize(p99);
    s.p999_us = Summarize(p999);
    s.slowdown_p50 = Summarize(sd50);
    s.slowdown_p99 = Summarize(sd99);
    s.slowdown_p999 = Summarize(sd999);
    s.server_cpu_us = Summarize(scpu);
    s.server_user_us = Summarize(suser);
    s.server_sys_us = Summarize(ssys);
    s.client_cpu_us = Summarize(ccpu);
    s.machine_cpu_us = Summarize(mcpu);
    s.server_switches = Summarize(sw);
    s.syscalls = Summarize(sc);
    s.server_threads = Summarize(thr);
    s.ipis = Summarize(ipis);
    s.overhead_share = Summarize(overhead);
    s.saving_share = Summarize(saving);
    s.predicted_saving_us = Summarize(predicted);
    int best = 0;
    for (const auto& [v, count] : verdicts) {
      if (count > best) {
        best = count;
        s.verdict = v;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace iotax::bench
