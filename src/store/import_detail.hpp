#pragma once
/// Pieces shared by the importers (import*.cpp), not part of the store's API: the source's lines
/// with launcher prefixes removed and split per writer, number parsing, "PATH:LINE: what" errors,
/// and the collection of cases (nccl-tests -N repeats merge into one case with several samples).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/record.hpp"
#include "store/import.hpp"

namespace cclbench::import_detail {

/// One line of the source: its 1-based number in the file and its text without launcher prefix.
struct SourceLine {
  std::size_t number = 0;
  std::string text;
};

/// A file's lines. Every launcher tag ("[1,3]<stdout>:", srun's "3: ", MPICH's "[3] ") is its own
/// stream and untagged lines are another, so ranks whose output interleaves are read as each
/// rank wrote it.
struct SourceText {
  std::string path;
  std::string launcher;                          ///< openmpi, slurm, pmi, or "" when nothing tells
  std::vector<SourceLine> lines;                 ///< every line, prefix removed, in file order
  std::vector<std::vector<SourceLine>> streams;  ///< per writer, in order of first appearance
};

SourceText splitSource(const std::string& path, const std::string& content);

/// Throws Error(kInvalidUsage) "PATH:LINE: what".
[[noreturn]] void fail(const std::string& path, std::size_t line, const std::string& what);

std::string_view trim(std::string_view text);
std::vector<std::string_view> words(std::string_view text);
bool startsWith(std::string_view text, std::string_view prefix);
std::optional<uint64_t> toUnsigned(std::string_view text);
std::optional<int64_t> toInteger(std::string_view text);
/// A decimal number as printf writes it, also "nan" and "inf"; nullopt otherwise.
std::optional<double> toNumber(std::string_view text);

/// The collective an nccl-tests binary measures ("./build/all_gather_perf_mpi" -> allgather);
/// nullopt for names that are not *_perf binaries. Throws for binaries cclbench has no
/// counterpart of (gather_perf, scatter_perf, hypercube_perf).
std::optional<Collective> collectiveOfBinary(std::string_view binary, const std::string& path,
                                             std::size_t line);

/// The one collective named in the file name ("nccltests-allgather-x.txt"), if exactly one is.
std::optional<Collective> collectiveFromFileName(const std::string& path);

/// One printed result (one placement of one table row).
struct Measurement {
  double timeUs = 0;
  double algBandwidthGBps = 0;
  double busBandwidthGBps = 0;
  std::optional<uint64_t> wrong;  ///< nullopt: not checked (N/A, old residual column)
  std::optional<PerIterationStats> perIteration;
};

/// What identifies a case within a run.
struct CaseKey {
  Collective collective = Collective::kAllReduce;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kNone;
  int root = -1;
  Placement placement = Placement::kOutOfPlace;
  uint64_t sizeBytes = 0;
  uint64_t count = 0;
};

/// Collects a run's cases; a case seen again (nccl-tests -N repeats the sweep) gains a sample.
class CaseList {
 public:
  CaseList(int ranks, Aggregation aggregation, int iterationsPerBatch)
      : ranks_(ranks), aggregation_(aggregation), iterationsPerBatch_(iterationsPerBatch) {}
  /// Adds one result. A NaN, infinite or negative time leaves it out; a bandwidth printed as
  /// NaN, infinite or negative is recomputed from the size and time (as nccl-tests defines it).
  void add(const CaseKey& key, Measurement m);
  std::size_t repeats() const { return repeats_; }
  /// What a reader should know about left-out and recomputed results (empty when nothing).
  std::vector<std::string> notes() const;
  std::vector<CaseRecord> take() { return std::move(cases_); }

 private:
  using Index = std::tuple<int, int, int, int, int, uint64_t, uint64_t>;
  int ranks_;
  Aggregation aggregation_;
  int iterationsPerBatch_;
  std::vector<CaseRecord> cases_;
  std::map<Index, std::size_t> index_;
  std::size_t repeats_ = 0;
  std::size_t leftOut_ = 0;
  std::size_t recomputed_ = 0;
};


/// A count among a run's settings (nccl-tests' iterations, threads, GPUs; a record's schema
/// version): `fallback` when absent; anything but a whole number from 0 to 10^9 is refused
/// ("PATH:LINE: setting KEY ..."), so no value from a file reaches an int unchecked.
int settingCount(const nlohmann::json& settings, const char* key, int fallback,
                 const std::string& path, std::size_t line);

/// Fills the trailer from the cases: counts, wrong total, status (complete or incomplete) and
/// the exit code cclbench would give (7 when any element was wrong or `failed` is set).
void finishTrailer(ImportedRun& run, bool failed, const std::string& failure);

/// A run read from one place of a file; `firstLine` orders runs of several formats.
struct ParsedRun {
  std::size_t firstLine = 0;
  ImportedRun run;
};

/// File-wide facts the console parsers use: nccl-tests binaries named on command lines, and
/// what the launcher said about processes that died.
struct FileFacts {
  std::vector<std::pair<std::size_t, std::string>> perfCommands;  ///< line, the *_perf word
  std::vector<std::pair<std::size_t, std::vector<std::string>>> commandLines;
  std::vector<std::pair<std::size_t, std::string>> launcherFailures;
  std::string launcherHint;  ///< from the launcher's own messages when lines carry no prefix
};
FileFacts scanFileFacts(const SourceText& source);

/// True for lines that never carry results: NCCL INFO/WARN lines.
bool isNcclLogLine(std::string_view text);

bool looksLikeNcclTests(const SourceText& source);
bool looksLikeOsu(const SourceText& source);

std::vector<ParsedRun> parseNcclTestsConsole(const SourceText& source, const FileFacts& facts);
std::vector<ParsedRun> parseOsu(const SourceText& source, const FileFacts& facts);
std::vector<ParsedRun> parseNcclTestsJson(const std::string& path, const std::string& content);
std::vector<ParsedRun> parseCclbenchJsonl(const std::string& path, const std::string& content);

}  // namespace cclbench::import_detail
