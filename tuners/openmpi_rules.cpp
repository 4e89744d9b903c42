#include "tuners/openmpi_rules.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace cclbench::tune {

RulesFile rulesFor(const std::vector<RulesRange>& ranges, int ranks) {
  std::map<int, std::vector<RulesRange>> byCollective;
  for (const RulesRange& r : ranges) byCollective[r.collectiveId].push_back(r);
  RulesFile file;
  for (auto& [id, list] : byCollective) {
    std::sort(list.begin(), list.end(),
              [](const RulesRange& a, const RulesRange& b) { return a.minBytes < b.minBytes; });
    RulesCommSize tuned{ranks, {{0, 0, 0, 0}}};
    for (const RulesRange& r : list) {
      if (tuned.lines.back().messageBytes == r.minBytes) tuned.lines.pop_back();
      tuned.lines.push_back({r.minBytes, r.algorithm, 0, r.segmentBytes});
      tuned.lines.push_back({r.maxBytes + 1, 0, 0, 0});
    }
    RulesCollective c{id, {}};
    // Fall-through entries around the tuned rank count: lookup takes the largest entry <= the
    // job's ranks, or else the first one, so other rank counts get Open MPI's own choices.
    if (ranks > 1) c.commSizes.push_back({ranks - 1, {{0, 0, 0, 0}}});
    c.commSizes.push_back(tuned);
    c.commSizes.push_back({ranks + 1, {{0, 0, 0, 0}}});
    file.collectives.push_back(std::move(c));
  }
  return file;
}

std::string formatRules(const RulesFile& rules, const std::vector<std::string>& comments) {
  std::ostringstream out;
  for (const std::string& c : comments) out << "# " << c << "\n";
  out << rules.collectives.size() << "  # collectives\n";
  for (const RulesCollective& c : rules.collectives) {
    out << c.id << "  # collective id\n" << c.commSizes.size() << "  # communicator sizes\n";
    for (const RulesCommSize& s : c.commSizes) {
      out << s.ranks << "  # ranks\n" << s.lines.size() << "  # message sizes\n";
      for (const RulesLine& l : s.lines) {
        out << l.messageBytes << " " << l.algorithm << " " << l.faninout << " " << l.segmentBytes
            << "\n";
      }
    }
  }
  return out.str();
}

namespace {

/// The numbers of a file as Open MPI reads them, with the line each stands on.
class Numbers {
 public:
  explicit Numbers(const std::string& text) {
    std::istringstream lines(text);
    std::size_t number = 0;
    for (std::string line; std::getline(lines, line);) {
      ++number;
      if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
      std::istringstream words(line);
      for (std::string w; words >> w;) {
        if (w.find_first_not_of("0123456789") != std::string::npos) {
          throw usageError("rules file line " + std::to_string(number) + ": '" + w +
                           "' is not a whole number");
        }
        uint64_t value = 0;
        const auto [end, error] = std::from_chars(w.data(), w.data() + w.size(), value);
        if (error != std::errc() || end != w.data() + w.size()) {
          throw usageError("rules file line " + std::to_string(number) + ": '" + w +
                           "' is too large");
        }
        values_.push_back({value, number});
      }
    }
  }
  uint64_t next(const char* what) {
    if (at_ >= values_.size()) throw usageError(std::string("rules file ends before ") + what);
    return values_[at_++].first;
  }
  /// The next number as an int no larger than `most`.
  int small(const char* what, uint64_t most) {
    const uint64_t value = next(what);
    if (value > most) {
      throw usageError("rules file line " + std::to_string(line()) + ": " + what + " " +
                       std::to_string(value) + " is out of range (at most " +
                       std::to_string(most) + ")");
    }
    return static_cast<int>(value);
  }
  std::size_t line() const { return at_ == 0 ? 0 : values_[at_ - 1].second; }
  bool done() const { return at_ == values_.size(); }

 private:
  std::vector<std::pair<uint64_t, std::size_t>> values_;
  std::size_t at_ = 0;
};

[[noreturn]] void bad(const Numbers& n, const std::string& what) {
  throw usageError("rules file line " + std::to_string(n.line()) + ": " + what);
}

}  // namespace

RulesFile parseRules(const std::string& text) {
  Numbers n(text);
  RulesFile file;
  const uint64_t collectives = n.next("the number of collectives");
  if (collectives > 64) bad(n, "more collectives than Open MPI has");
  for (uint64_t i = 0; i < collectives; ++i) {
    RulesCollective c;
    c.id = n.small("collective id", 64);
    const uint64_t sizes = n.next("the number of communicator sizes");
    for (uint64_t k = 0; k < sizes; ++k) {
      RulesCommSize s;
      s.ranks = n.small("communicator size", std::numeric_limits<int>::max());
      if (!c.commSizes.empty() && s.ranks <= c.commSizes.back().ranks) {
        bad(n, "communicator sizes must ascend");
      }
      const uint64_t lines = n.next("the number of message sizes");
      for (uint64_t m = 0; m < lines; ++m) {
        RulesLine l;
        l.messageBytes = n.next("a message size");
        if (m == 0 && l.messageBytes != 0) bad(n, "the first message size must be 0");
        if (m > 0 && l.messageBytes <= s.lines.back().messageBytes) {
          bad(n, "message sizes must ascend");
        }
        l.algorithm = n.small("algorithm", 64);
        l.faninout = n.small("fan-in/out", std::numeric_limits<int>::max());
        l.segmentBytes = n.next("a segment size");
        s.lines.push_back(l);
      }
      c.commSizes.push_back(std::move(s));
    }
    file.collectives.push_back(std::move(c));
  }
  if (!n.done()) bad(n, "numbers after the last collective");
  return file;
}

int lookupAlgorithm(const RulesFile& rules, int collectiveId, int ranks, uint64_t messageBytes) {
  for (const RulesCollective& c : rules.collectives) {
    if (c.id != collectiveId || c.commSizes.empty()) continue;
    const RulesCommSize* comm = &c.commSizes.front();  // none <= ranks: the first one
    for (const RulesCommSize& s : c.commSizes) {
      if (s.ranks <= ranks) comm = &s;
    }
    int algorithm = 0;
    for (const RulesLine& l : comm->lines) {
      if (l.messageBytes <= messageBytes) algorithm = l.algorithm;
    }
    return algorithm;
  }
  return 0;
}

}  // namespace cclbench::tune
