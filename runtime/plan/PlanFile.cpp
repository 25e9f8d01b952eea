//===- PlanFile.cpp - The .plan file --------------------------------------===//

#include "runtime/plan/PlanFile.h"

#include "runtime/formats/MappedFile.h"
#include "runtime/formats/OutputFile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace gemma::plan {
namespace {

constexpr char kMagic[8] = {'G', 'E', 'M', 'M', 'A', 'P', 'L', 'N'};
constexpr size_t kHeaderBytes = 64;
constexpr uint32_t kMetaSection = 1, kProgramsSection = 2, kWeightsSection = 3;

uint64_t Fnv1a(std::span<const uint8_t> bytes) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (uint8_t b : bytes)
    h = (h ^ b) * 0x100000001B3ull;
  return h;
}

// Little-endian appends (the project's targets are little-endian).
class Writer {
public:
  template <typename T> void Put(T value) {
    const auto *p = reinterpret_cast<const uint8_t *>(&value);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  void PutString(const std::string &s) {
    Put<uint32_t>(uint32_t(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void Align() {
    while (bytes.size() % 64)
      bytes.push_back(0);
  }
  std::vector<uint8_t> bytes;
};

// Bounds-checked reads; the first failure sticks.
class Reader {
public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  template <typename T> T Get() {
    T value{};
    if (!ok_ || at_ + sizeof(T) > bytes_.size()) {
      ok_ = false;
      return value;
    }
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  // A count of items of at least `item_bytes` each that must fit in the rest.
  uint32_t Count(size_t item_bytes) {
    const uint32_t n = Get<uint32_t>();
    if (ok_ && uint64_t(n) * item_bytes > bytes_.size() - at_)
      ok_ = false;
    return ok_ ? n : 0;
  }
  std::string GetString() {
    const uint32_t n = Count(1);
    if (!ok_)
      return {};
    std::string s(reinterpret_cast<const char *>(bytes_.data() + at_), n);
    at_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  bool done() const { return at_ == bytes_.size(); }

private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

void PutBuffer(Writer &w, const Buffer &b) {
  w.Put<int32_t>(b.arg);
  w.Put<int64_t>(b.offset);
  w.Put<int64_t>(b.elements);
}

Buffer GetBuffer(Reader &r) {
  Buffer b;
  b.arg = r.Get<int32_t>();
  b.offset = r.Get<int64_t>();
  b.elements = r.Get<int64_t>();
  return b;
}

std::vector<uint8_t> EncodePrograms(const std::vector<Program> &programs) {
  Writer w;
  w.Put<uint32_t>(uint32_t(programs.size()));
  for (const Program &p : programs) {
    w.PutString(p.name);
    w.Put<uint32_t>(uint32_t(p.arg_elements.size()));
    for (int64_t e : p.arg_elements)
      w.Put<int64_t>(e);
    w.Put<int64_t>(p.arena_elements);
    w.Put<uint32_t>(uint32_t(p.calls.size()));
    for (const Call &c : p.calls) {
      w.Put<uint32_t>(static_cast<uint32_t>(c.kernel));
      w.Put<uint32_t>(uint32_t(c.buffers.size()));
      for (const Buffer &b : c.buffers)
        PutBuffer(w, b);
      w.Put<uint32_t>(uint32_t(c.weights.size()));
      for (const std::string &s : c.weights)
        w.PutString(s);
      w.Put<uint32_t>(uint32_t(c.ints.size()));
      for (int64_t v : c.ints)
        w.Put<int64_t>(v);
      w.Put<uint32_t>(uint32_t(c.reals.size()));
      for (double v : c.reals)
        w.Put<double>(v);
    }
    w.Put<uint32_t>(uint32_t(p.outputs.size()));
    for (const Buffer &b : p.outputs)
      PutBuffer(w, b);
  }
  return std::move(w.bytes);
}

bool DecodePrograms(std::span<const uint8_t> bytes,
                    std::vector<Program> *programs) {
  Reader r(bytes);
  const uint32_t count = r.Count(32);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    Program p;
    p.name = r.GetString();
    const uint32_t args = r.Count(8);
    for (uint32_t a = 0; a < args; ++a)
      p.arg_elements.push_back(r.Get<int64_t>());
    p.arena_elements = r.Get<int64_t>();
    const uint32_t calls = r.Count(20);
    for (uint32_t c = 0; c < calls && r.ok(); ++c) {
      Call call;
      call.kernel = static_cast<Kernel>(r.Get<uint32_t>());
      const uint32_t buffers = r.Count(20);
      for (uint32_t b = 0; b < buffers; ++b)
        call.buffers.push_back(GetBuffer(r));
      const uint32_t weights = r.Count(4);
      for (uint32_t k = 0; k < weights && r.ok(); ++k)
        call.weights.push_back(r.GetString());
      const uint32_t ints = r.Count(8);
      for (uint32_t k = 0; k < ints; ++k)
        call.ints.push_back(r.Get<int64_t>());
      const uint32_t reals = r.Count(8);
      for (uint32_t k = 0; k < reals; ++k)
        call.reals.push_back(r.Get<double>());
      p.calls.push_back(std::move(call));
    }
    const uint32_t outputs = r.Count(20);
    for (uint32_t o = 0; o < outputs; ++o)
      p.outputs.push_back(GetBuffer(r));
    programs->push_back(std::move(p));
  }
  return r.ok() && r.done();
}

nlohmann::json MetaToJson(const PlanMeta &m) {
  nlohmann::json caches = nlohmann::json::array();
  for (const LayerCacheShape &c : m.caches)
    caches.push_back({c.slots, c.kv_heads, c.head_dim});
  return {{"compiler_version", m.compiler_version},
          {"backend", m.backend},
          {"fusions", m.fusions},
          {"context", m.context},
          {"prefill_buckets", m.prefill_buckets},
          {"decode_buckets", m.decode_buckets},
          {"caches", caches},
          {"model", m.model_name},
          {"vocab_size", m.vocab_size},
          {"bos_id", m.bos_id},
          {"eos_ids", m.eos_ids},
          {"chat_format", m.chat_format},
          {"weights",
           {{"path", m.weights_path},
            {"size", m.weights_size},
            {"fingerprint", m.weights_fingerprint},
            {"embedded", m.weights_embedded}}},
          {"cache_key", m.cache_key}};
}

absl::StatusOr<PlanMeta> MetaFromJson(const nlohmann::json &j) {
  PlanMeta m;
  try {
    m.compiler_version = j.at("compiler_version").get<std::string>();
    m.backend = j.at("backend").get<std::string>();
    m.fusions = j.at("fusions").get<std::vector<std::string>>();
    m.context = j.at("context").get<uint32_t>();
    m.prefill_buckets = j.at("prefill_buckets").get<std::vector<int64_t>>();
    m.decode_buckets = j.at("decode_buckets").get<std::vector<int64_t>>();
    for (const auto &c : j.at("caches")) {
      if (!c.is_array() || c.size() != 3)
        return absl::InvalidArgumentError("a cache shape is not [slots, kv "
                                          "heads, head dim]");
      m.caches.push_back(
          {c[0].get<int64_t>(), c[1].get<int64_t>(), c[2].get<int64_t>()});
    }
    m.model_name = j.at("model").get<std::string>();
    m.vocab_size = j.at("vocab_size").get<uint32_t>();
    m.bos_id = j.at("bos_id").get<int32_t>();
    m.eos_ids = j.at("eos_ids").get<std::vector<int32_t>>();
    m.chat_format = j.at("chat_format").get<uint32_t>();
    const auto &w = j.at("weights");
    m.weights_path = w.at("path").get<std::string>();
    m.weights_size = w.at("size").get<uint64_t>();
    m.weights_fingerprint = w.at("fingerprint").get<std::string>();
    m.weights_embedded = w.at("embedded").get<bool>();
    m.cache_key = j.at("cache_key").get<std::string>();
  } catch (const nlohmann::json::exception &e) {
    return absl::InvalidArgumentError(fmt::format("metadata: {}", e.what()));
  }
  for (const LayerCacheShape &c : m.caches)
    if (c.slots <= 0 || c.kv_heads <= 0 || c.head_dim <= 0 ||
        c.slots > int64_t(1) << 24 || c.kv_heads * c.head_dim > 1 << 20)
      return absl::InvalidArgumentError("metadata: an impossible cache shape");
  return m;
}

} // namespace

namespace {

// Everything before the embedded weights (header, section table, metadata,
// programs), and the whole file's size once `weights_size` bytes of weights
// and the final alignment follow.
struct PlanHead {
  std::vector<uint8_t> bytes;
  uint64_t file_size = 0;
};

PlanHead EncodeHead(const PlanFile &plan, uint64_t weights_size) {
  const std::string meta = MetaToJson(plan.meta).dump(1);
  const std::vector<uint8_t> programs = EncodePrograms(plan.programs);
  const uint32_t sections = weights_size == 0 ? 2 : 3;
  Writer w;
  w.bytes.assign(kHeaderBytes, 0);
  // Section table, then the sections, 64-byte aligned.
  const size_t table = w.bytes.size();
  w.bytes.resize(table + sections * 24, 0);
  w.Align();
  const uint64_t meta_offset = w.bytes.size();
  w.bytes.insert(w.bytes.end(), meta.begin(), meta.end());
  w.Align();
  const uint64_t programs_offset = w.bytes.size();
  w.bytes.insert(w.bytes.end(), programs.begin(), programs.end());
  w.Align();
  const uint64_t weights_offset = w.bytes.size();
  const uint64_t file_size = (weights_offset + weights_size + 63) / 64 * 64;
  auto put = [&](size_t at, auto value) {
    std::memcpy(w.bytes.data() + at, &value, sizeof(value));
  };
  put(table + 0, kMetaSection);
  put(table + 8, meta_offset);
  put(table + 16, uint64_t(meta.size()));
  put(table + 24, kProgramsSection);
  put(table + 32, programs_offset);
  put(table + 40, uint64_t(programs.size()));
  if (weights_size != 0) {
    put(table + 48, kWeightsSection);
    put(table + 56, weights_offset);
    put(table + 64, weights_size);
  }
  std::memcpy(w.bytes.data(), kMagic, sizeof(kMagic));
  put(8, kPlanFormatVersion);
  put(12, sections);
  put(16, file_size);
  // The weights are guarded by their fingerprint, not the checksum: a
  // multi-gigabyte hash on every load would cost more than it saves.
  put(24, Fnv1a(std::span(w.bytes).subspan(kHeaderBytes)));
  return {std::move(w.bytes), file_size};
}

} // namespace

std::vector<uint8_t> EncodePlan(const PlanFile &plan,
                                std::span<const uint8_t> weights) {
  PlanHead head = EncodeHead(plan, weights.size());
  std::vector<uint8_t> bytes = std::move(head.bytes);
  bytes.insert(bytes.end(), weights.begin(), weights.end());
  bytes.resize(head.file_size, 0);
  return bytes;
}

absl::StatusOr<PlanFile> DecodePlan(std::span<const uint8_t> bytes,
                                    const std::string &name) {
  auto fail = [&](std::string what) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", name, what));
  };
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return fail("not a .plan file (no GEMMAPLN magic)");
  Reader header(bytes.first(kHeaderBytes));
  header.Get<uint64_t>(); // magic
  const uint32_t version = header.Get<uint32_t>();
  const uint32_t sections = header.Get<uint32_t>();
  const uint64_t size = header.Get<uint64_t>();
  const uint64_t checksum = header.Get<uint64_t>();
  if (version < kPlanFormatVersion)
    return fail(fmt::format("compiled by an older gemma-compile (plan format "
                            "version {}, this build reads version {}): "
                            "compile it again",
                            version, kPlanFormatVersion));
  if (version > kPlanFormatVersion)
    return fail(fmt::format("plan format version {}, this build reads "
                            "version {}: compile the plan again with this "
                            "gemma-compile",
                            version, kPlanFormatVersion));
  if (size != bytes.size())
    return fail(fmt::format("the file is {} bytes, its header says {} "
                            "(truncated or padded)",
                            bytes.size(), size));
  if (sections < 2 || sections > 3 ||
      kHeaderBytes + sections * 24 > bytes.size())
    return fail(
        fmt::format("expects 2 or 3 sections, the header says {}", sections));
  std::span<const uint8_t> found[4];
  uint64_t offsets[4] = {};
  Reader table(bytes.subspan(kHeaderBytes, sections * 24));
  for (uint32_t s = 0; s < sections; ++s) {
    const uint32_t kind = table.Get<uint32_t>();
    table.Get<uint32_t>();
    const uint64_t offset = table.Get<uint64_t>(),
                   length = table.Get<uint64_t>();
    if (kind < 1 || kind > 3 || offsets[kind] != 0 || offset % 64 != 0 ||
        offset < kHeaderBytes + sections * 24 || offset > bytes.size() ||
        length > bytes.size() - offset)
      return fail(fmt::format("section {} (kind {}) at {} + {} is not a "
                              "valid section",
                              s, kind, offset, length));
    found[kind] = bytes.subspan(offset, length);
    offsets[kind] = offset;
  }
  if (offsets[kMetaSection] == 0 || offsets[kProgramsSection] == 0)
    return fail("no metadata or programs section");
  // The checksum covers everything from the table to the end of the
  // programs (and their padding), not the embedded weights.
  uint64_t checked_end =
      offsets[kProgramsSection] + found[kProgramsSection].size();
  checked_end = std::min<uint64_t>((checked_end + 63) / 64 * 64, bytes.size());
  checked_end =
      std::max(checked_end, offsets[kMetaSection] + found[kMetaSection].size());
  if (Fnv1a(bytes.subspan(kHeaderBytes, checked_end - kHeaderBytes)) !=
      checksum)
    return fail("checksum mismatch: the file is damaged");
  nlohmann::json json = nlohmann::json::parse(
      found[kMetaSection].begin(), found[kMetaSection].end(), nullptr,
      /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return fail("metadata: not a JSON object");
  absl::StatusOr<PlanMeta> meta = MetaFromJson(json);
  if (!meta.ok())
    return fail(std::string(meta.status().message()));
  PlanFile plan;
  plan.meta = *std::move(meta);
  if (plan.meta.weights_embedded != (offsets[kWeightsSection] != 0))
    return fail("the metadata and the sections disagree on embedded weights");
  plan.embedded_weights = found[kWeightsSection];
  if (!DecodePrograms(found[kProgramsSection], &plan.programs))
    return fail("programs: truncated or malformed");
  for (const Program &p : plan.programs)
    if (absl::Status s = ValidateProgram(p); !s.ok())
      return fail(std::string(s.message()));
  return plan;
}

absl::StatusOr<PlanFile> ReadPlan(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> mapped =
      MappedFile::Open(path);
  if (!mapped.ok())
    return mapped.status();
  absl::StatusOr<PlanFile> plan = DecodePlan((*mapped)->bytes(), path);
  // The mapping lives as long as the plan (embedded weights are read in
  // place).
  if (plan.ok())
    plan->mapping = *std::move(mapped);
  return plan;
}

absl::Status WritePlan(const PlanFile &plan, const std::string &path,
                       std::span<const uint8_t> weights,
                       const WriteProgress &progress) {
  const PlanHead head = EncodeHead(plan, weights.size());
  absl::StatusOr<OutputFile> file = OutputFile::Create(path);
  if (!file.ok())
    return file.status();
  {
    std::ofstream out(file->temp_path(), std::ios::binary);
    out.write(reinterpret_cast<const char *>(head.bytes.data()),
              std::streamsize(head.bytes.size()));
    // The weights go out in slices straight from their mapping: no copy of
    // a multi-gigabyte file in memory, and progress to show.
    constexpr size_t kSlice = size_t(64) << 20;
    for (size_t done = 0; out && done < weights.size();) {
      const size_t n = std::min(kSlice, weights.size() - done);
      out.write(reinterpret_cast<const char *>(weights.data() + done),
                std::streamsize(n));
      done += n;
      if (progress)
        progress(done, weights.size());
    }
    const std::vector<char> pad(
        head.file_size - head.bytes.size() - weights.size(), 0);
    out.write(pad.data(), std::streamsize(pad.size()));
    out.close();
    if (!out)
      return absl::PermissionDeniedError(
          fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
  return file->Commit();
}

} // namespace gemma::plan
