#include "store/result_store.hpp"

#include <sqlite3.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace cclbench {
namespace {

std::vector<char> packSamples(const std::vector<double>& samples) {
  std::vector<char> blob(samples.size() * sizeof(double));
  if (!blob.empty()) std::memcpy(blob.data(), samples.data(), blob.size());
  return blob;
}

std::vector<double> unpackSamples(const std::vector<char>& blob) {
  std::vector<double> samples(blob.size() / sizeof(double));
  if (!samples.empty()) std::memcpy(samples.data(), blob.data(), samples.size() * sizeof(double));
  return samples;
}

std::string localHost() {
  char buffer[256] = {};
  gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

std::vector<HostEntry> hostsFromColumn(const std::string& text) {
  std::vector<HostEntry> hosts;
  if (text.empty()) return hosts;
  for (const auto& h : nlohmann::json::parse(text)) hosts.push_back(hostEntryFromJson(h));
  return hosts;
}

std::string hostsColumn(const std::vector<HostEntry>& hosts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hosts) out.push_back(toJson(h));
  return jsonText(out);
}

constexpr const char* kRunColumns =
    "id, run_uid, status, source, source_file, started_utc, ended_utc, tool_version, "
    "git_revision, command_line, launcher, ranks, hosts, backend, libraries, environment, config, "
    "aggregation, fingerprint, exit_code, message, writer_host, writer_pid, "
    "(SELECT COUNT(*) FROM cases WHERE cases.run_id = runs.id), topology, header_record, "
    "end_record";

/// A run written before schema version 3 has no header record: rebuild what the columns hold.
RunHeader headerFromColumns(sql::Statement& s, const std::string& uid) {
  RunHeader h;
  h.runId = uid;
  h.startUtc = s.text(5);
  h.toolVersion = s.text(7);
  h.gitRevision = s.text(8);
  if (!s.isNull(9)) h.commandLine = nlohmann::json::parse(s.text(9));
  h.launcher = s.text(10);
  h.ranks = static_cast<int>(s.integer(11));
  h.hosts = hostsFromColumn(s.text(12));
  h.backend = s.text(13);
  if (!s.isNull(14)) h.libraryVersions = nlohmann::json::parse(s.text(14));
  if (!s.isNull(15)) h.environment = nlohmann::json::parse(s.text(15));
  if (!s.isNull(16)) h.config = nlohmann::json::parse(s.text(16));
  h.aggregation = parseAggregation(s.text(17)).value_or(Aggregation::kMax);
  if (!s.isNull(24)) h.topology = nlohmann::json::parse(s.text(24));
  h.fingerprint = s.text(18);
  return h;
}

StoredRun readRun(sql::Statement& s) {
  StoredRun r;
  r.id = s.integer(0);
  r.uid = s.text(1);
  r.status = s.text(2);
  r.source = s.text(3);
  r.sourceFile = s.text(4);
  r.endUtc = s.text(6);
  r.fingerprint = s.text(18);
  r.exitCode = static_cast<int>(s.integer(19));
  r.message = s.text(20);
  r.writerHost = s.text(21);
  r.writerPid = s.integer(22);
  r.caseCount = s.integer(23);
  r.header = s.isNull(25) ? headerFromColumns(s, r.uid)
                          : runHeaderFromJson(nlohmann::json::parse(s.text(25)));
  if (r.header.fingerprint.empty()) r.header.fingerprint = r.fingerprint;
  if (!s.isNull(26)) {
    r.trailer = trailerFromJson(nlohmann::json::parse(s.text(26)));
  } else if (r.status != "running") {
    r.trailer = Trailer{r.uid, r.status, r.exitCode, r.message,
                        static_cast<std::size_t>(r.caseCount), 0, r.endUtc, 0, {}};
  }
  return r;
}

/// A case written before schema version 3 has no record: rebuild what the columns hold.
CaseRecord caseFromColumns(sql::Statement& s) {
  CaseRecord c;
  c.collective = parseCollective(s.text(0)).value_or(Collective::kAllReduce);
  c.dtype = parseDType(s.text(1)).value_or(DType::kFloat);
  c.op = s.text(2) == "none" ? RedOp::kNone : parseRedOp(s.text(2)).value_or(RedOp::kSum);
  c.root = static_cast<int>(s.integer(3));
  c.placement = parsePlacement(s.text(4)).value_or(Placement::kOutOfPlace);
  c.sizeBytes = static_cast<uint64_t>(s.integer(5));
  c.count = static_cast<uint64_t>(s.integer(6));
  c.ranks = static_cast<int>(s.integer(7));
  c.aggregation = parseAggregation(s.text(8)).value_or(Aggregation::kMax);
  c.iterationsPerBatch = static_cast<int>(s.integer(9));
  c.algBandwidthGBps = s.real(10);
  c.busBandwidthGBps = s.real(11);
  c.checked = s.integer(12) != 0;
  c.wrong = static_cast<uint64_t>(s.integer(13));
  c.slowestRank = static_cast<int>(s.integer(14));
  c.stopReason = s.text(15);
  if (!s.isNull(16)) c.perIteration = PerIterationStats{0, s.real(16), s.real(17), 0, 0};
  c.samplesUs = unpackSamples(s.blob(18));
  c.timeUs = stats::summarize(c.samplesUs);
  return c;
}

}  // namespace

const char* name(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning: return "running";
    case RunStatus::kComplete: return "complete";
    case RunStatus::kIncomplete: return "incomplete";
    case RunStatus::kInterrupted: return "interrupted";
  }
  return "?";
}

std::string networkFilesystemWarning(const std::string& path) {
  std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
  struct statfs info {};
  if (statfs(folder.c_str(), &info) != 0) return "";
  const auto type = static_cast<unsigned long>(info.f_type);
  const char* kind = nullptr;
  switch (type) {
    case 0x6969: kind = "NFS"; break;
    case 0x0BD00BD0: kind = "Lustre"; break;
    case 0xFF534D42: kind = "CIFS"; break;
    case 0xFE534D42: kind = "SMB2"; break;
    case 0x47504653: kind = "GPFS"; break;
    case 0x65735546: kind = "FUSE"; break;
    case 0x013111A8: kind = "IBRIX"; break;
    case 0x19830326: kind = "BeeGFS"; break;
    default: return "";
  }
  return std::string("the results database ") + path + " is on " + kind +
         ", where SQLite's file locking is unsafe: concurrent writers can corrupt it; put it on "
         "a local disk (--db /local/path/cclbench.db or CCLBENCH_DB) and copy it afterwards";
}

ResultStore::ResultStore(const std::string& path, Access access) {
  if (access == Access::kRead) {
    openForReading(path);
    return;
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw usageError("cannot create folder " + parent.string() + ": " + ec.message());
  }
  warning_ = networkFilesystemWarning(path);
  db_ = std::make_unique<sql::Database>(path, true);
  sqlite3_busy_timeout(db_->handle(), 30000);  // concurrent writers wait, never fail
  db_->exec("PRAGMA journal_mode = WAL");
  db_->exec("PRAGMA synchronous = NORMAL");
  db_->exec("PRAGMA foreign_keys = ON");
  store::migrate(*db_);
}

void ResultStore::openForReading(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw usageError("no results database at " + path +
                     " (cclbench run and cclbench import create it; --db or CCLBENCH_DB name another)");
  }
  auto readable = [&](sql::Database& db) {
    try {
      sql::Statement probe(db, "SELECT count(*) FROM sqlite_master");
      probe.step();
      return true;
    } catch (const Error&) {
      return false;
    }
  };
  db_ = std::make_unique<sql::Database>(path, sql::Database::Access::kReadOnly);
  sqlite3_busy_timeout(db_->handle(), 30000);
  if (!readable(*db_)) {
    // A WAL database on a read-only file or mount: SQLite cannot create its -shm file there.
    db_ = std::make_unique<sql::Database>(path, sql::Database::Access::kImmutable);
    if (!readable(*db_)) {
      throw usageError("cannot read the results database " + path + ": " +
                       sqlite3_errmsg(db_->handle()));
    }
  }
  const int version = store::schemaVersion(*db_);
  if (version != store::currentSchemaVersion()) {
    throw usageError(
        "the results database " + path + " has schema version " + std::to_string(version) +
        (version > store::currentSchemaVersion()
             ? ", newer than this cclbench understands: use a newer cclbench"
             : ", older than this cclbench reads: open it once where it is writable (cclbench "
               "import or run upgrades it) or copy it somewhere writable"));
  }
}

ResultStore::~ResultStore() = default;

const std::string& ResultStore::path() const { return db_->path(); }

int64_t ResultStore::beginRun(const RunHeader& h, const RunMeta& meta, const std::string& source,
                              const std::string& sourceFile, RunStatus status,
                              const std::string& fingerprint) {
  sql::Transaction tx(*db_);
  const int64_t id = insertRun(h, meta, source, sourceFile, status, fingerprint);
  tx.commit();
  return id;
}

int64_t ResultStore::insertRun(const RunHeader& h, const RunMeta& meta, const std::string& source,
                               const std::string& sourceFile, RunStatus status,
                               const std::string& fingerprint) {
  sql::Statement s(*db_,
                   "INSERT INTO runs (run_uid, status, source, source_file, started_utc, "
                   "tool_version, git_revision, command_line, launcher, ranks, hosts, backend, "
                   "libraries, environment, config, aggregation, fingerprint, writer_host, "
                   "writer_pid, topology, header_record) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(1, std::string_view(h.runId)).bind(2, std::string_view(name(status)));
  s.bind(3, std::string_view(source)).bind(4, std::string_view(sourceFile));
  s.bind(5, std::string_view(h.startUtc)).bind(6, std::string_view(h.toolVersion));
  s.bind(7, std::string_view(h.gitRevision));
  s.bind(8, std::string_view(jsonText(nlohmann::json(h.commandLine))));
  s.bind(9, std::string_view(h.launcher)).bind(10, static_cast<int64_t>(h.ranks));
  s.bind(11, std::string_view(hostsColumn(h.hosts))).bind(12, std::string_view(h.backend));
  s.bind(13, std::string_view(jsonText(nlohmann::json(h.libraryVersions))));
  s.bind(14, std::string_view(jsonText(nlohmann::json(h.environment))));
  s.bind(15, std::string_view(jsonText(h.config)));
  s.bind(16, std::string_view(name(h.aggregation))).bind(17, std::string_view(fingerprint));
  s.bind(18, std::string_view(localHost())).bind(19, static_cast<int64_t>(getpid()));
  if (h.topology.is_null()) s.bindNull(20);
  else s.bind(20, std::string_view(jsonText(h.topology)));
  s.bind(21, std::string_view(jsonText(toJson(h))));
  s.run();
  const int64_t id = db_->lastInsertId();
  // The header's own tags and labels, then those given now (an import's --tag, --label).
  sql::Statement tag(*db_, "INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)");
  for (const auto* tags : {&h.tags, &meta.tags}) {
    for (const auto& t : *tags) tag.bind(1, id).bind(2, std::string_view(t)).run();
  }
  sql::Statement label(*db_, "INSERT OR REPLACE INTO run_labels (run_id, key, value) VALUES (?,?,?)");
  for (const auto* labels : {&h.labels, &meta.labels}) {
    for (const auto& [k, v] : *labels) {
      label.bind(1, id).bind(2, std::string_view(k)).bind(3, std::string_view(v)).run();
    }
  }
  return id;
}

void ResultStore::insertCases(int64_t run, const std::vector<CaseRecord>& cases) {
  sql::Statement s(*db_,
                   "INSERT INTO cases (run_id, collective, dtype, redop, root, placement, "
                   "size_bytes, count, ranks, aggregation, iterations_per_batch, batches, "
                   "median_us, min_us, max_us, ci_low_us, ci_high_us, cv, algbw_gbps, busbw_gbps, "
                   "checked, wrong, slowest_rank, stop_reason, p50_us, p99_us, samples, record) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const CaseRecord& c : cases) {
    nlohmann::json record = toJson(c, "");
    record.erase("samples_us");  // kept exactly in the blob
    record.erase("run_id");
    s.bind(1, run).bind(2, std::string_view(name(c.collective)));
    s.bind(3, std::string_view(name(c.dtype))).bind(4, std::string_view(name(c.op)));
    s.bind(5, static_cast<int64_t>(c.root)).bind(6, std::string_view(name(c.placement)));
    s.bind(7, static_cast<int64_t>(c.sizeBytes)).bind(8, static_cast<int64_t>(c.count));
    s.bind(9, static_cast<int64_t>(c.ranks)).bind(10, std::string_view(name(c.aggregation)));
    s.bind(11, static_cast<int64_t>(c.iterationsPerBatch));
    s.bind(12, static_cast<int64_t>(c.samplesUs.size()));
    s.bind(13, c.timeUs.median).bind(14, c.timeUs.min).bind(15, c.timeUs.max);
    s.bind(16, c.timeUs.medianCi.low).bind(17, c.timeUs.medianCi.high).bind(18, c.timeUs.cv);
    s.bind(19, c.algBandwidthGBps).bind(20, c.busBandwidthGBps);
    s.bind(21, static_cast<int64_t>(c.checked)).bind(22, static_cast<int64_t>(c.wrong));
    s.bind(23, static_cast<int64_t>(c.slowestRank)).bind(24, std::string_view(c.stopReason));
    if (c.perIteration) {
      s.bind(25, c.perIteration->p50Us).bind(26, c.perIteration->p99Us);
    } else {
      s.bindNull(25).bindNull(26);
    }
    const std::vector<char> blob = packSamples(c.samplesUs);
    s.bindBlob(27, blob.data(), blob.size());
    s.bind(28, std::string_view(jsonText(record)));
    s.run();
  }
}

std::size_t ResultStore::pruneRuns(const std::string& beforeUtc, const std::set<int64_t>& keep) {
  sql::Transaction tx(*db_);
  std::vector<int64_t> old;
  {
    sql::Statement q(*db_, "SELECT id FROM runs WHERE started_utc < ?");
    q.bind(1, std::string_view(beforeUtc));
    while (q.step()) {
      if (!keep.count(q.integer(0))) old.push_back(q.integer(0));
    }
  }
  sql::Statement remove(*db_, "DELETE FROM runs WHERE id = ?");  // cases, tags, labels cascade
  for (int64_t id : old) remove.bind(1, id).run();
  tx.commit();
  return old.size();
}

void ResultStore::addCases(int64_t run, const std::vector<CaseRecord>& cases) {
  sql::Transaction tx(*db_);
  insertCases(run, cases);
  tx.commit();
}

void ResultStore::finishRun(int64_t run, const Trailer& t, RunStatus status) {
  sql::Transaction tx(*db_);
  updateFinish(run, t, status);
  tx.commit();
}

void ResultStore::updateFinish(int64_t run, const Trailer& t, RunStatus status) {
  sql::Statement s(*db_,
                   "UPDATE runs SET status = ?, ended_utc = ?, exit_code = ?, message = ?, "
                   "end_record = ? WHERE id = ?");
  s.bind(1, std::string_view(name(status))).bind(2, std::string_view(t.endUtc));
  s.bind(3, static_cast<int64_t>(t.exitCode)).bind(4, std::string_view(t.message));
  s.bind(5, std::string_view(jsonText(toJson(t)))).bind(6, run);
  s.run();
}

int64_t ResultStore::importRun(const RunHeader& header, const RunMeta& meta,
                               const std::string& source, const std::string& sourceFile,
                               const std::vector<CaseRecord>& cases, const Trailer& trailer,
                               RunStatus status, const std::string& fingerprint) {
  sql::Transaction tx(*db_);  // all of the run, or nothing
  const int64_t id = insertRun(header, meta, source, sourceFile, status, fingerprint);
  insertCases(id, cases);
  updateFinish(id, trailer, status);
  tx.commit();
  return id;
}

std::vector<int64_t> ResultStore::importRuns(const std::vector<Import>& runs, const RunMeta& meta,
                                             const std::string& sourceFile) {
  sql::Transaction tx(*db_);
  std::vector<int64_t> ids;
  for (const Import& r : runs) {
    const int64_t id =
        insertRun(r.header, meta, r.source, sourceFile, r.status, r.header.fingerprint);
    insertCases(id, r.cases);
    updateFinish(id, r.trailer, r.status);
    ids.push_back(id);
  }
  tx.commit();
  return ids;
}

std::optional<int64_t> ResultStore::findRun(const std::string& uid) {
  sql::Statement s(*db_, "SELECT id FROM runs WHERE run_uid = ?");
  s.bind(1, std::string_view(uid));
  if (!s.step()) return std::nullopt;
  return s.integer(0);
}

std::optional<StoredRun> ResultStore::run(int64_t id) {
  sql::Statement s(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  StoredRun r = readRun(s);
  loadMeta(r);
  return r;
}

void ResultStore::loadMeta(StoredRun& r) {
  sql::Statement tags(*db_, "SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag");
  tags.bind(1, r.id);
  while (tags.step()) r.meta.tags.push_back(tags.text(0));
  sql::Statement labels(*db_, "SELECT key, value FROM run_labels WHERE run_id = ?");
  labels.bind(1, r.id);
  while (labels.step()) r.meta.labels[labels.text(0)] = labels.text(1);
}

std::vector<StoredRun> ResultStore::listRuns(const RunFilter& f) {
  std::string query = std::string("SELECT ") + kRunColumns + " FROM runs WHERE 1=1";
  std::vector<std::string> values;
  auto where = [&](const std::optional<std::string>& value, const char* clause) {
    if (!value) return;
    query += clause;
    values.push_back(*value);
  };
  // EXISTS, not IN (SELECT ...): IN makes SQLite walk every run with the tag, count its cases
  // and sort them all before LIMIT; EXISTS lets it walk runs newest first (runs_by_time or
  // runs_by_fingerprint) and stop at LIMIT, each tag checked on run_tags' primary key.
  where(f.tag, " AND EXISTS (SELECT 1 FROM run_tags WHERE run_tags.run_id = runs.id AND "
               "run_tags.tag = ?)");
  where(f.fingerprint, " AND fingerprint = ?");
  where(f.host, " AND EXISTS (SELECT 1 FROM json_each(runs.hosts) WHERE "
                "json_extract(json_each.value, '$.host') = ?)");
  where(f.backend, " AND backend = ?");
  where(f.since, " AND started_utc >= ?");
  where(f.until, " AND started_utc < ?");
  where(f.status, " AND status = ?");
  for (const auto& [key, value] : f.labels) {
    query += " AND EXISTS (SELECT 1 FROM run_labels WHERE run_labels.run_id = runs.id AND "
             "run_labels.key = ? AND run_labels.value = ?)";
    values.push_back(key);
    values.push_back(value);
  }
  query += " ORDER BY started_utc DESC, id DESC";
  if (f.limit > 0) query += " LIMIT " + std::to_string(f.limit);
  sql::Statement s(*db_, query);
  for (std::size_t i = 0; i < values.size(); ++i) {
    s.bind(static_cast<int>(i + 1), std::string_view(values[i]));
  }
  std::vector<StoredRun> runs;
  while (s.step()) runs.push_back(readRun(s));
  for (StoredRun& r : runs) loadMeta(r);
  return runs;
}

std::vector<CaseRecord> ResultStore::cases(int64_t run) {
  sql::Statement s(*db_,
                   "SELECT collective, dtype, redop, root, placement, size_bytes, count, ranks, "
                   "aggregation, iterations_per_batch, algbw_gbps, busbw_gbps, checked, wrong, "
                   "slowest_rank, stop_reason, p50_us, p99_us, samples, record FROM cases "
                   "WHERE run_id = ? ORDER BY id");
  s.bind(1, run);
  std::vector<CaseRecord> out;
  while (s.step()) {
    if (s.isNull(19)) {
      out.push_back(caseFromColumns(s));
      continue;
    }
    nlohmann::json record = nlohmann::json::parse(s.text(19));
    record["samples_us"] = unpackSamples(s.blob(18));
    out.push_back(caseRecordFromJson(record));
  }
  return out;
}

RunRecords ResultStore::records(int64_t id) {
  const auto stored = run(id);
  if (!stored) throw usageError("no run " + std::to_string(id) + " in " + path());
  RunRecords out{stored->header, cases(id), stored->trailer};
  out.header.runId = stored->uid;
  return out;
}

}  // namespace cclbench

namespace cclbench {

std::string displayStatus(const StoredRun& run) {
  if (run.status != "running") return run.status;
  if (run.writerHost == localHost() && run.writerPid > 0 &&
      kill(static_cast<pid_t>(run.writerPid), 0) != 0 && errno == ESRCH) {
    return "incomplete";
  }
  return "running";
}

}  // namespace cclbench
