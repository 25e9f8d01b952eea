//===- Bench.cpp - gemma-exec --bench -------------------------------------===//

#include "tools/gemma-exec/Bench.h"

#include "runtime/exec/Backends.h"
#include "runtime/formats/OutputFile.h"
#include "tools/gemma-exec/ProfileTable.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sys/resource.h>
#include <thread>

namespace gemma {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Value at quantile q (0..1) of `v`, by nearest rank.
double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))];
}

// A STREAM-like read: `threads` threads sum disjoint slices of a buffer
// much larger than any last-level cache; the best of 3 passes, in GB/s.
double ReadBandwidth(int threads) {
  constexpr size_t kBytes = size_t(512) << 20;
  std::vector<uint64_t> buffer(kBytes / 8);
  for (size_t i = 0; i < buffer.size(); ++i)
    buffer[i] = i;
  double best = 0;
  std::vector<uint64_t> sums(static_cast<size_t>(threads));
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    const size_t slice = buffer.size() / size_t(threads);
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const uint64_t *p = buffer.data() + size_t(t) * slice;
        for (size_t i = 0; i + 4 <= slice; i += 4) {
          s0 += p[i];
          s1 += p[i + 1];
          s2 += p[i + 2];
          s3 += p[i + 3];
        }
        sums[size_t(t)] = s0 + s1 + s2 + s3;
      });
    for (std::thread &w : workers)
      w.join();
    best = std::max(best, double(kBytes) / Seconds(start, Clock::now()) / 1e9);
  }
  // Published through a volatile so the reads cannot be optimized away.
  volatile uint64_t sink = 0;
  for (uint64_t s : sums)
    sink = sink + s;
  return best;
}

} // namespace

std::string CpuName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

namespace {

// What the measured iterations gave.
struct Timings {
  std::vector<double> prefill_rates, ttft, step_seconds;
  // With options.profile: the backend's kernel times in the measured
  // prefills and in the measured decode steps.
  std::vector<KernelProfile> prefill_profile, decode_profile;
};

// warmup + iters runs of `prompt` (all but its last token prefilled, then
// options.tokens greedy decode steps), each on fresh caches.
absl::StatusOr<Timings> Measure(PlanSession &session,
                                const std::vector<int32_t> &prompt,
                                const BenchOptions &options) {
  Timings t;
  Backend &backend = session.backend();
  // Profiling restarts the backend's totals: on for one phase of a
  // measured iteration, read, and off again.
  const auto profile_from_here = [&](bool measured) {
    backend.SetProfiling(measured && options.profile);
  };
  const auto add_profile = [&](bool measured,
                               std::vector<KernelProfile> &totals) {
    if (measured && options.profile) {
      AddProfiles(totals, backend.Profile());
      backend.SetProfiling(false);
    }
  };
  for (int iter = 0; iter < options.warmup + options.iters; ++iter) {
    const bool measured = iter >= options.warmup;
    std::unique_ptr<KvCaches> caches = session.NewCaches();
    profile_from_here(measured);
    const auto start = Clock::now();
    if (absl::Status s = session.Prefill(
            std::span(prompt).first(prompt.size() - 1), 0, *caches);
        !s.ok())
      return s;
    const auto prefilled = Clock::now();
    add_profile(measured, t.prefill_profile);
    profile_from_here(measured);
    int32_t token = prompt.back();
    auto step_start = prefilled;
    for (int k = 0; k < options.tokens; ++k) {
      absl::StatusOr<std::vector<float>> logits =
          session.Decode(token, int32_t(prompt.size()) - 1 + k, *caches);
      if (!logits.ok())
        return logits.status();
      token = int32_t(std::max_element(logits->begin(), logits->end()) -
                      logits->begin());
      const auto now = Clock::now();
      if (measured) {
        t.step_seconds.push_back(Seconds(step_start, now));
        if (k == 0)
          t.ttft.push_back(Seconds(start, now));
      }
      step_start = now;
    }
    add_profile(measured, t.decode_profile);
    if (measured)
      t.prefill_rates.push_back(double(prompt.size() - 1) /
                                Seconds(start, prefilled));
  }
  return t;
}

// What the report prints and --bench-json writes.
struct Report {
  uint64_t weight_bytes = 0, kv_bytes = 0, step_bytes = 0;
  int threads = 0;
  double rss_mib = 0, gpu_bandwidth = 0, bandwidth = 0;
  std::string gpu;
  std::vector<double> step_rates;
  double decode_mean = 0, prefill_mean = 0, achieved = 0;
};

// Bytes one decode step reads: every weight its program names, whole
// (the tied logits read the entire table), except tables only gathered
// from (Gemma 4's per-layer embeddings), of which a step reads its token's
// row; then the KV cache at the middle of the measured steps.
void StepBytes(const PlanSession &session, const BenchOptions &options,
               Report &r) {
  std::set<std::string> whole, gathered;
  for (const plan::Program &program : session.programs())
    if (program.name == "decode_1")
      for (const plan::Call &call : program.calls)
        for (const std::string &w : call.weights)
          if (!w.empty())
            (call.kernel == plan::Kernel::kEmbed ? gathered : whole).insert(w);
  for (const std::string &w : whole)
    if (const WeightTensor *t = session.weights().Find(w))
      r.weight_bytes += t->bytes.size();
  for (const std::string &w : gathered)
    if (const WeightTensor *t = session.weights().Find(w);
        t && !whole.contains(w) && t->rows > 0)
      r.weight_bytes += t->bytes.size() / t->rows;
  const uint64_t position = uint64_t(options.prompt_len + options.tokens / 2);
  for (const plan::LayerCacheShape &c : session.meta().caches)
    r.kv_bytes +=
        2 * 4 * std::min<uint64_t>(position, c.slots) * c.kv_heads * c.head_dim;
  r.step_bytes = r.weight_bytes + r.kv_bytes;
}

Report MakeReport(PlanSession &session, const BenchOptions &options,
                  const Timings &t) {
  Report r;
  StepBytes(session, options, r);
  r.threads = options.threads > 0
                  ? options.threads
                  : int(std::max(1u, std::thread::hardware_concurrency()));
  // Peak RSS of the run, before the bandwidth buffer counts.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.rss_mib = double(usage.ru_maxrss) / 1024.0;
  // A GPU's own memory where the backend reads one, else the host's.
  r.gpu = session.backend().DeviceName();
  r.gpu_bandwidth = session.backend().MeasureBandwidth();
  r.bandwidth =
      r.gpu_bandwidth > 0 ? r.gpu_bandwidth : ReadBandwidth(r.threads);
  double total_steps = 0;
  for (double s : t.step_seconds) {
    r.step_rates.push_back(1.0 / s);
    total_steps += s;
  }
  r.decode_mean = double(t.step_seconds.size()) / total_steps;
  for (double rate : t.prefill_rates)
    r.prefill_mean += rate / double(t.prefill_rates.size());
  r.achieved = r.decode_mean * double(r.step_bytes) / 1e9;
  return r;
}

void PrintReport(PlanSession &session, const std::string &plan_path,
                 const BenchOptions &options, const Timings &t,
                 const Report &r) {
  const plan::PlanMeta &meta = session.meta();
  std::printf("%s: %s, %s, fusions %s\n", plan_path.c_str(),
              meta.model_name.c_str(), session.backend().Describe().c_str(),
              meta.fusions.empty()
                  ? "none"
                  : fmt::format("{}", fmt::join(meta.fusions, ",")).c_str());
  std::printf("prompt %d tokens, %d decode steps, %d warmup + %d measured "
              "iterations\n",
              options.prompt_len, options.tokens, options.warmup,
              options.iters);
  std::printf("prefill:  %8.1f tok/s mean  %8.1f p50  %8.1f p90\n",
              r.prefill_mean, Quantile(t.prefill_rates, 0.5),
              Quantile(t.prefill_rates, 0.1));
  std::printf("decode:   %8.1f tok/s mean  %8.1f p50  %8.1f p90 (per step)\n",
              r.decode_mean, Quantile(r.step_rates, 0.5),
              Quantile(r.step_rates, 0.1));
  std::printf("time to first token: %.1f ms (p50)\n",
              1e3 * Quantile(t.ttft, 0.5));
  std::printf("decode reads %.1f MB a step (weights %.1f MB, KV cache %.1f "
              "MB): %.2f GB/s\n",
              double(r.step_bytes) / 1e6, double(r.weight_bytes) / 1e6,
              double(r.kv_bytes) / 1e6, r.achieved);
  if (r.gpu_bandwidth > 0)
    std::printf("device memory bandwidth (%s, copies of 256 MiB): %.1f GB/s; "
                "decode at %.0f%% of the roofline\n",
                r.gpu.c_str(), r.bandwidth, 100.0 * r.achieved / r.bandwidth);
  else
    std::printf("machine read bandwidth (%d threads, 512 MiB): %.2f GB/s; "
                "decode at %.0f%% of the roofline\n",
                r.threads, r.bandwidth, 100.0 * r.achieved / r.bandwidth);
  std::printf("peak RSS: %.0f MiB\n", r.rss_mib);
}

absl::Status WriteJson(PlanSession &session, const std::string &plan_path,
                       const BenchOptions &options, const Timings &t,
                       const Report &r) {
  const plan::PlanMeta &meta = session.meta();
  std::map<std::string, int> types;
  for (const auto &[name, tensor] : session.weights().tensors)
    ++types[std::string(StoredTypeName(tensor.type))];
  nlohmann::ordered_json j;
  j["plan"] = plan_path;
  j["model"] = meta.model_name;
  j["device"] = r.gpu.empty() ? CpuName() : r.gpu;
  j["host_cpu"] = CpuName();
  // Every device of the machine as --print-backend lists them (CUDA GPUs
  // with compute capability and free/total memory).
  j["devices"] = DeviceLines();
  j["backend"] = meta.backend;
  j["backend_detail"] = session.backend().Describe();
  j["threads"] = r.threads;
  j["seed"] = options.seed;
  j["fusions"] = meta.fusions;
  j["weight_types"] = types;
  j["cache_key"] = meta.cache_key;
  j["prompt_tokens"] = options.prompt_len;
  j["decode_steps"] = options.tokens;
  j["warmup"] = options.warmup;
  j["iterations"] = options.iters;
  j["prefill_tok_s"] = {{"mean", r.prefill_mean},
                        {"p50", Quantile(t.prefill_rates, 0.5)},
                        {"p90", Quantile(t.prefill_rates, 0.1)}};
  j["decode_tok_s"] = {{"mean", r.decode_mean},
                       {"p50", Quantile(r.step_rates, 0.5)},
                       {"p90", Quantile(r.step_rates, 0.1)}};
  j["time_to_first_token_ms"] = 1e3 * Quantile(t.ttft, 0.5);
  j["decode_bytes_per_token"] = r.step_bytes;
  j["decode_weight_bytes"] = r.weight_bytes;
  j["decode_kv_bytes"] = r.kv_bytes;
  j["decode_gb_s"] = r.achieved;
  j["machine_read_gb_s"] = r.bandwidth;
  j["bandwidth_source"] = r.gpu_bandwidth > 0 ? "device copy" : "host read";
  j["roofline_fraction"] = r.achieved / r.bandwidth;
  j["peak_rss_mib"] = r.rss_mib;
  absl::StatusOr<OutputFile> file = OutputFile::Create(options.json_path);
  if (!file.ok())
    return file.status();
  std::ofstream out(file->temp_path());
  out << j.dump(2) << "\n";
  out.close();
  return out ? file->Commit()
             : absl::InternalError(
                   fmt::format("{}: cannot write", options.json_path));
}

} // namespace

int RunBench(PlanSession &session, const std::string &plan_path,
             const BenchOptions &options) {
  const plan::PlanMeta &meta = session.meta();
  if (options.prompt_len < 2 || options.tokens < 1 || options.iters < 1 ||
      options.warmup < 0) {
    std::fprintf(stderr, "gemma-exec: error: --bench needs --bench-prompt-len "
                         ">= 2, --max-tokens >= 1, --bench-iters >= 1\n");
    return 1;
  }
  if (uint64_t(options.prompt_len) + uint64_t(options.tokens) > meta.context) {
    std::fprintf(stderr,
                 "gemma-exec: error: --bench-prompt-len %d + --max-tokens %d "
                 "is past the plan's context of %u positions\n",
                 options.prompt_len, options.tokens, meta.context);
    return 1;
  }
  // Deterministic prompt: BOS, then ids spread over the vocabulary.
  std::vector<int32_t> prompt = {meta.bos_id};
  for (int i = 1; i < options.prompt_len; ++i)
    prompt.push_back(int32_t((1000 + 7919 * uint64_t(i)) % meta.vocab_size));
  absl::StatusOr<Timings> timings = Measure(session, prompt, options);
  if (!timings.ok()) {
    std::fprintf(stderr, "gemma-exec: error: %s\n",
                 std::string(timings.status().message()).c_str());
    return 1;
  }
  const Report report = MakeReport(session, options, *timings);
  PrintReport(session, plan_path, options, *timings, report);
  if (options.profile) {
    std::fflush(stdout); // the report first, then the tables on stderr
    PrintProfile(fmt::format("{} measured prefills of {} tokens", options.iters,
                             options.prompt_len - 1),
                 timings->prefill_profile);
    PrintProfile(
        fmt::format("{} measured decode steps", options.iters * options.tokens),
        timings->decode_profile);
  }
  if (!options.json_path.empty())
    if (absl::Status s =
            WriteJson(session, plan_path, options, *timings, report);
        !s.ok()) {
      std::fprintf(stderr, "gemma-exec: error: %s\n",
                   std::string(s.message()).c_str());
      return 1;
    }
  return 0;
}

} // namespace gemma
