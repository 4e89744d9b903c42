// Shared pieces of the importers: lines and launcher prefixes, numbers, errors, case collection.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "store/import_detail.hpp"

namespace cclbench::import_detail {
namespace {

std::size_t skipDigits(std::string_view s, std::size_t i) {
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

/// Open MPI --tag-output: "[1,0]<stdout>:". Returns the tag's length, 0 when absent.
std::size_t openMpiTag(std::string_view s) {
  if (s.empty() || s[0] != '[') return 0;
  std::size_t i = skipDigits(s, 1);
  if (i == 1 || i >= s.size() || s[i] != ',') return 0;
  const std::size_t j = skipDigits(s, i + 1);
  if (j == i + 1 || s.substr(j, 2) != "]<") return 0;
  const std::size_t close = s.find(">:", j + 2);
  if (close == std::string_view::npos || close > j + 10) return 0;
  return close + 2;
}

/// srun --label: "3: " (leading spaces allowed). Returns the label's length, 0 when absent.
std::size_t srunLabel(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  const std::size_t j = skipDigits(s, i);
  if (j == i || s.substr(j, 2) != ": ") return 0;
  return j + 2;
}

/// MPICH / Intel MPI -prepend-rank: "[3] ". Returns the tag's length, 0 when absent.
std::size_t mpichTag(std::string_view s) {
  if (s.empty() || s[0] != '[') return 0;
  const std::size_t i = skipDigits(s, 1);
  if (i == 1 || s.substr(i, 2) != "] ") return 0;
  return i + 2;
}

struct Prefix {
  std::size_t length = 0;
  const char* launcher = "";
};

Prefix launcherPrefix(std::string_view s) {
  if (const std::size_t n = openMpiTag(s)) return {n, "openmpi"};
  if (const std::size_t n = mpichTag(s)) return {n, "pmi"};
  if (const std::size_t n = srunLabel(s)) return {n, "slurm"};
  return {};
}

std::string baseName(std::string_view path) {
  const std::size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

SourceText splitSource(const std::string& path, const std::string& content) {
  SourceText out;
  out.path = path;
  std::map<std::string, std::size_t> streamOf;
  std::map<std::string, std::size_t> launcherLines;
  std::size_t start = 0;
  for (std::size_t number = 1; start < content.size(); ++number) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const Prefix prefix = launcherPrefix(line);
    const std::string key(line.substr(0, prefix.length));
    if (prefix.length > 0) ++launcherLines[prefix.launcher];
    auto [it, added] = streamOf.emplace(key, out.streams.size());
    if (added) out.streams.emplace_back();
    SourceLine sl{number, std::string(line.substr(prefix.length))};
    out.streams[it->second].push_back(sl);
    out.lines.push_back(std::move(sl));
  }
  std::size_t most = 0;
  for (const auto& [launcher, count] : launcherLines) {
    if (count > most) out.launcher = launcher, most = count;
  }
  return out;
}

void fail(const std::string& path, std::size_t line, const std::string& what) {
  throw usageError(path + ":" + std::to_string(line) + ": " + what);
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::optional<uint64_t> toUnsigned(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<int64_t> toInteger(std::string_view text) {
  text = trim(text);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> toNumber(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<Collective> collectiveOfBinary(std::string_view binary, const std::string& path,
                                             std::size_t line) {
  std::string name = baseName(binary);
  if (endsWith(name, "_mpi")) name.resize(name.size() - 4);
  if (!endsWith(name, "_perf")) return std::nullopt;
  const auto c = parseCollective(name);
  if (!c || info(*c).pointToPoint) {
    fail(path, line,
         "nccl-tests binary '" + std::string(binary) +
             "' measures an operation cclbench has no counterpart for");
  }
  return c;
}

std::optional<Collective> collectiveFromFileName(const std::string& path) {
  std::string name = baseName(path);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::set<Collective> found;
  for (std::string_view token : words(std::string_view(name))) {
    std::size_t i = 0;
    while (i <= token.size()) {
      const std::size_t j = std::min(token.find_first_of("-. +", i), token.size());
      std::string piece(token.substr(i, j - i));
      if (endsWith(piece, "_mpi")) piece.resize(piece.size() - 4);
      const auto c = parseCollective(piece);
      if (c && !info(*c).pointToPoint) found.insert(*c);
      i = j + 1;
    }
  }
  if (found.size() != 1) return std::nullopt;
  return *found.begin();
}

void CaseList::add(const CaseKey& k, Measurement m) {
  // Nothing is stored that the source did not say: a time that is no time leaves the result out;
  // a bandwidth printed as nan/inf (or negative) is what the source's own time and size give.
  if (!std::isfinite(m.timeUs) || m.timeUs < 0) {
    ++leftOut_;
    return;
  }
  const auto bad = [](double v) { return !std::isfinite(v) || v < 0; };
  if (bad(m.algBandwidthGBps) || bad(m.busBandwidthGBps)) {
    if (m.timeUs <= 0) {
      ++leftOut_;
      return;
    }
    const double alg = algorithmBytes(k.collective, k.sizeBytes) / m.timeUs / 1e3;
    const double bus = info(k.collective).pointToPoint || ranks_ <= 0
                           ? alg
                           : alg * busBandwidthFactor(k.collective, ranks_);
    if (bad(m.algBandwidthGBps)) m.algBandwidthGBps = alg;
    if (bad(m.busBandwidthGBps)) m.busBandwidthGBps = bus;
    ++recomputed_;
  }
  const Index index{static_cast<int>(k.collective),
                    static_cast<int>(k.dtype),
                    static_cast<int>(k.op),
                    k.root,
                    static_cast<int>(k.placement),
                    k.sizeBytes,
                    k.count};
  if (const auto it = index_.find(index); it != index_.end()) {
    // The same case again (-N sweep repeats): one more sample; bandwidths follow the median.
    CaseRecord& r = cases_[it->second];
    const double algWork = r.algBandwidthGBps * r.timeUs.median;
    const double busWork = r.busBandwidthGBps * r.timeUs.median;
    r.samplesUs.push_back(m.timeUs);
    r.timeUs = stats::summarize(r.samplesUs);
    if (r.timeUs.median > 0) {
      r.algBandwidthGBps = algWork / r.timeUs.median;
      r.busBandwidthGBps = busWork / r.timeUs.median;
    }
    r.checked = r.checked && m.wrong.has_value();
    r.wrong += m.wrong.value_or(0);
    ++repeats_;
    return;
  }
  CaseRecord r;
  r.collective = k.collective;
  r.dtype = k.dtype;
  r.op = k.op;
  r.root = k.root;
  r.placement = k.placement;
  r.sizeBytes = k.sizeBytes;
  r.count = k.count;
  r.ranks = ranks_;
  r.aggregation = aggregation_;
  r.iterationsPerBatch = iterationsPerBatch_;
  r.samplesUs = {m.timeUs};
  r.timeUs = stats::summarize(r.samplesUs);
  r.algBandwidthGBps = m.algBandwidthGBps;
  r.busBandwidthGBps = m.busBandwidthGBps;
  r.checked = m.wrong.has_value();
  r.wrong = m.wrong.value_or(0);
  r.stopReason = "fixed";
  r.perIteration = m.perIteration;
  index_.emplace(index, cases_.size());
  cases_.push_back(std::move(r));
}

int settingCount(const nlohmann::json& settings, const char* key, int fallback,
                 const std::string& path, std::size_t line) {
  if (!settings.is_object()) return fallback;
  const auto it = settings.find(key);
  if (it == settings.end() || it->is_null()) return fallback;
  const bool whole = it->is_number_unsigned() || it->is_number_integer() ||
                     (it->is_number_float() && std::isfinite(it->get<double>()) &&
                      it->get<double>() == std::floor(it->get<double>()));
  const double value = whole ? it->get<double>() : -1;
  if (!whole || value < 0 || value > 1e9) {
    fail(path, line, std::string("setting '") + key + "' is not a count: " + it->dump());
  }
  return static_cast<int>(value);
}

std::vector<std::string> CaseList::notes() const {
  std::vector<std::string> out;
  if (leftOut_ > 0) {
    out.push_back(std::to_string(leftOut_) +
                  " results printed with a NaN, infinite or negative time (or a zero time and no "
                  "bandwidth) were left out");
  }
  if (recomputed_ > 0) {
    out.push_back(std::to_string(recomputed_) +
                  " results printed a bandwidth as nan, inf or negative: recomputed from their "
                  "size and time");
  }
  return out;
}

void finishTrailer(ImportedRun& run, bool failed, const std::string& failure) {
  Trailer& t = run.trailer;
  t.cases = run.cases.size();
  t.wrongTotal = 0;
  std::size_t wrongCases = 0;
  for (const CaseRecord& r : run.cases) {
    t.wrongTotal += r.wrong;
    wrongCases += r.wrong > 0 ? 1 : 0;
  }
  t.status = run.incomplete ? "incomplete" : "complete";
  if (t.wrongTotal > 0) {
    t.exitCode = static_cast<int>(ExitCode::kWrongData);
    t.message = "wrong data: " + std::to_string(t.wrongTotal) + " wrong elements in " +
                std::to_string(wrongCases) + " cases";
  } else if (failed) {
    t.exitCode = static_cast<int>(ExitCode::kWrongData);
    t.message = failure;
  }
}

bool isNcclLogLine(std::string_view text) {
  return text.find(" NCCL INFO") != std::string_view::npos ||
         text.find(" NCCL WARN") != std::string_view::npos ||
         text.find(" NCCL TRACE") != std::string_view::npos;
}

}  // namespace cclbench::import_detail
