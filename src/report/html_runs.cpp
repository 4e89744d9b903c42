// The report's "Runs and topology" table: provenance, topology and environment of every run side
// by side, with the cells that differ from the baseline's marked, so a reader sees at once why
// two runs may differ (another transport, another library, other ranks).

#include <map>
#include <sstream>

#include "report/html_page.hpp"

namespace cclbench::html {
namespace {

using nlohmann::json;

constexpr const char* kMuted = "<span class=muted>–</span>";

std::string text(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return {};
  const json& v = j.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return {};
}

std::string orDash(const std::string& html) {
  return html.empty() ? kMuted : html;
}

/// Launcher bookkeeping that says nothing about what was measured.
bool launcherNoise(const std::string& key) {
  static const char* prefixes[] = {"OMPI_COMM_WORLD",
                                   "OMPI_MCA_orte_",
                                   "OMPI_MCA_ess",
                                   "OMPI_MCA_pmix",
                                   "OMPI_MCA_shmem_",
                                   "OMPI_MCA_initial_wdir",
                                   "OMPI_MCA_mpi_oversubscribe",
                                   "OMPI_FILE_LOCATION",
                                   "OMPI_ARGV",
                                   "OMPI_COMMAND",
                                   "OMPI_APP_CTX",
                                   "OMPI_NUM_APP_CTX",
                                   "OMPI_UNIVERSE_SIZE",
                                   "OMPI_FIRST_RANKS",
                                   "OMPI_ALLOW_RUN_AS",
                                   "CCLBENCH_SELF"};
  for (const char* p : prefixes) {
    if (key.rfind(p, 0) == 0) return true;
  }
  return false;
}

std::string libraries(const RunHeader& h) {
  std::string out;
  for (const auto& [key, value] : h.libraryVersions) {
    out += (out.empty() ? "" : "<br>") + ("<span class=muted>" + escape(key) + "</span> ") +
           escape(value);
  }
  return out;
}

std::string ranksAndHosts(const RunHeader& h) {
  std::string out = h.ranks > 0 ? std::to_string(h.ranks) + " ranks" : "";
  if (h.hosts.empty()) return out;
  out += (out.empty() ? "" : " on ") + std::to_string(h.hosts.size()) +
         (h.hosts.size() == 1 ? " host" : " hosts");
  for (std::size_t i = 0; i < h.hosts.size() && i < 4; ++i) {
    out += "<br>" + escape(h.hosts[i].host) + " <span class=muted>(" +
           std::to_string(h.hosts[i].ranks.size()) + " ranks)</span>";
  }
  if (h.hosts.size() > 4)
    out += "<br><span class=muted>and " + std::to_string(h.hosts.size() - 4) + " more</span>";
  return out;
}

const json& hostTopology(const RunHeader& h) {
  static const json none;
  return h.topology.is_object() && h.topology.contains("host") ? h.topology.at("host") : none;
}

std::string cpu(const RunHeader& h) {
  const json& host = hostTopology(h);
  if (!host.is_object() || !host.contains("cpu")) return {};
  const json& c = host.at("cpu");
  std::string out = escape(text(c, "model"));
  if (const std::string s = text(c, "sockets"); !s.empty()) out += " · " + s + " socket(s)";
  if (const std::string n = text(c, "logicalCpus"); !n.empty()) out += " · " + n + " CPUs";
  return out;
}

std::string gpus(const RunHeader& h) {
  const json& host = hostTopology(h);
  if (!host.is_object() || !host.contains("gpus") || !host.at("gpus").is_array()) return {};
  std::map<std::string, int> models;
  for (const json& g : host.at("gpus")) ++models[text(g, "model")];
  std::string out;
  for (const auto& [model, n] : models) {
    out += (out.empty() ? "" : "<br>") + std::to_string(n) + " × " + escape(model);
  }
  if (!out.empty() && text(host, "nvswitch") == "true") out += "<br>NVSwitch";
  return out.empty() ? "none" : out;
}

std::string nics(const RunHeader& h) {
  const json& host = hostTopology(h);
  if (!host.is_object() || !host.contains("nics") || !host.at("nics").is_array()) return {};
  std::string out;
  for (const json& n : host.at("nics")) {
    std::string line = escape(text(n, "name")) + " <span class=muted>" + escape(text(n, "model"));
    if (const std::string rate = text(n, "ratedGbps"); !rate.empty())
      line += " · " + rate + " Gb/s";
    if (text(n, "rdma") == "true") line += " · RDMA";
    out += (out.empty() ? "" : "<br>") + line + "</span>";
  }
  return out;
}

std::string notes(const RunHeader& h) {
  std::string out;
  if (h.topology.is_object() && h.topology.contains("notes") && h.topology.at("notes").is_array()) {
    for (const json& n : h.topology.at("notes")) {
      if (n.is_string()) out += (out.empty() ? "" : "<br>") + escape(n.get<std::string>());
    }
  }
  return out.empty() ? "" : "<span class=small>" + out + "</span>";
}

std::string transport(const RunHeader& h) {
  if (!h.transport.is_object()) return {};
  std::string out = escape(text(h.transport, "summary"));
  if (h.transport.contains("verification")) {
    out += (out.empty() ? "" : "<br>") + escape(text(h.transport.at("verification"), "message"));
  }
  return out;
}

std::string environment(const RunHeader& h) {
  std::string out;
  for (const auto& [key, value] : h.environment) {
    if (!launcherNoise(key)) out += escape(key) + "=" + escape(value) + "\n";
  }
  return out.empty() ? "" : "<div class=mono>" + out + "</div>";
}

/// The command line, one unbreakable box per argument (lines break between arguments, not at
/// the hyphens of "--no-progress"); a long one folded after its first arguments.
std::string commandLine(const RunHeader& h) {
  std::vector<std::string> args;
  std::size_t length = 0;
  for (const std::string& arg : h.commandLine) {
    const bool quote = arg.empty() || arg.find_first_of(" \t'\"$") != std::string::npos;
    args.push_back(quote ? "'" + arg + "'" : arg);
    length += args.back().size() + 1;
  }
  if (args.empty()) return {};
  auto boxes = [&](std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i)
      out += "<span class=arg>" + escape(args[i]) + "</span> ";
    return out;
  };
  constexpr std::size_t kFoldAbove = 320;  // characters
  if (length <= kFoldAbove) return "<div class=mono>" + boxes(0, args.size()) + "</div>";
  std::size_t shown = 0, shownLength = 0;
  while (shown < args.size() && (shown == 0 || shownLength + args[shown].size() < kFoldAbove / 2)) {
    shownLength += args[shown++].size() + 1;
  }
  return "<details><summary class=mono>" + boxes(0, shown) + "… (" +
         std::to_string(args.size() - shown) + " more arguments)</summary><div class=mono>" +
         boxes(shown, args.size()) + "</div></details>";
}

}  // namespace

std::string runsTable(const ReportInput& input) {
  std::ostringstream o;
  o << "<div class=scroll><table class=runs><tr><th></th>";
  for (std::size_t i = 0; i < input.runs.size(); ++i) {
    o << "<th>" << swatch(i) << escape(input.runs[i].label)
      << (i == 0 && input.runs.size() > 1 ? " (baseline)" : "") << "</th>";
  }
  o << "</tr>";
  // compare: mark the cells that differ from the baseline's (a difference that matters there).
  // A value every run shares is shown once, across the columns.
  auto row = [&](const char* title, bool compare, auto&& cell) {
    std::vector<std::string> cells;
    bool any = false, same = input.runs.size() > 1;
    for (const ReportRun& r : input.runs) {
      cells.push_back(cell(r));
      any = any || !cells.back().empty();
      same = same && cells.back() == cells.front();
    }
    if (!any) return;
    o << "<tr><th>" << title << "</th>";
    if (same) {
      o << "<td colspan=" << cells.size() << ">" << cells[0]
        << " <span class=small>(every run)</span></td></tr>";
      return;
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const bool differs = compare && i > 0 && cells[i] != cells[0];
      o << (differs ? "<td class=diff title='differs from the baseline'>" : "<td>")
        << orDash(cells[i]) << "</td>";
    }
    o << "</tr>";
  };
  row("run id", false, [](const ReportRun& r) { return escape(r.header.runId); });
  row("started (UTC)", false, [](const ReportRun& r) { return escape(r.header.startUtc); });
  row("status", true, [](const ReportRun& r) {
    return escape(r.status) +
           (r.source.empty() ? "" : " <span class=muted>(" + escape(r.source) + ")</span>");
  });
  row("cases", false, [](const ReportRun& r) { return std::to_string(r.cases.size()); });
  row("tags", true, [](const ReportRun& r) {
    std::string t;
    for (const auto& x : r.tags) t += (t.empty() ? "" : ", ") + escape(x);
    return t;
  });
  row("backend", true, [](const ReportRun& r) { return escape(r.header.backend); });
  row("libraries", true, [](const ReportRun& r) { return libraries(r.header); });
  row("ranks and hosts", true, [](const ReportRun& r) { return ranksAndHosts(r.header); });
  row("rank aggregation", true, [](const ReportRun& r) {
    return r.header.ranks > 0 || !r.cases.empty() ? std::string(name(r.header.aggregation)) : "";
  });
  row("launcher", true, [](const ReportRun& r) { return escape(r.header.launcher); });
  row("CPU", true, [](const ReportRun& r) { return cpu(r.header); });
  row("GPUs", true, [](const ReportRun& r) { return gpus(r.header); });
  row("NICs", true, [](const ReportRun& r) { return nics(r.header); });
  row("kernel", true, [](const ReportRun& r) {
    const json& host = hostTopology(r.header);
    return host.is_object() && host.contains("software")
               ? escape(text(host.at("software"), "kernel"))
               : std::string();
  });
  row("topology fingerprint", true, [](const ReportRun& r) {
    return escape(r.fingerprint.empty() ? r.header.fingerprint : r.fingerprint);
  });
  row("topology notes", false, [](const ReportRun& r) { return notes(r.header); });
  row("NCCL transport", true, [](const ReportRun& r) { return transport(r.header); });
  row("environment", true, [](const ReportRun& r) { return environment(r.header); });
  row("cclbench", true, [](const ReportRun& r) {
    return escape(r.header.toolVersion) + " " + escape(r.header.gitRevision);
  });
  row("command", false, [](const ReportRun& r) { return commandLine(r.header); });
  o << "</table></div>";
  return o.str();
}

}  // namespace cclbench::html
