#include "core/output_path.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace cclbench {
namespace {

namespace fs = std::filesystem;

class OutputPath : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cclbench-output-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string at(const std::string& name) const { return (dir_ / name).string(); }
  /// The message of the refusal, or "" when the path is accepted.
  static std::string refusal(const std::string& path, const OutputRules& rules) {
    try {
      checkOutputPath(path, "--out", rules);
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
      return e.what();
    }
  }
  fs::path dir_;
};

TEST_F(OutputPath, NeverTheDatabaseNorItsCompanionFilesHoweverSpelled) {
  const std::string db = at("h.db");
  std::ofstream(db) << "sqlite";
  const OutputRules rules{{db}, false};
  EXPECT_NE(refusal(db, rules).find("is the results database"), std::string::npos);
  EXPECT_NE(refusal(at("h.db-wal"), rules).find("wal file"), std::string::npos);
  EXPECT_NE(refusal(at("h.db-shm"), rules), "");
  EXPECT_NE(refusal(at("sub/../h.db"), rules), "") << "the same file through ..";
  fs::create_symlink(db, at("link.db"));
  EXPECT_NE(refusal(at("link.db"), rules), "") << "the same file through a link";
  EXPECT_NE(refusal(db, {{at("./h.db")}, false}), "") << "the protected path spelled otherwise";
  EXPECT_EQ(refusal(at("other.html"), rules), "");
  EXPECT_NE(refusal(at("new.db"), {{at("new.db")}, false}), "") << "a database not created yet";
}

TEST_F(OutputPath, NoFoldersNoSpecialFilesNoEmptyName) {
  EXPECT_NE(refusal(dir_.string(), {}).find("is a folder"), std::string::npos);
  EXPECT_NE(refusal("", {}).find("empty"), std::string::npos);
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0600), 0);
  EXPECT_NE(refusal(at("fifo"), {}).find("not a regular file"), std::string::npos);
  EXPECT_NE(refusal("/dev/null", {}), "");
}

TEST_F(OutputPath, AnExistingFileOnlyWhereOutputsMayReplaceOne) {
  std::ofstream(at("old.jsonl")) << "{}\n";
  EXPECT_EQ(refusal(at("old.jsonl"), {}), "");
  EXPECT_NE(refusal(at("old.jsonl"), {{}, true}).find("exists"), std::string::npos);
  EXPECT_EQ(refusal(at("new.jsonl"), {{}, true}), "");
}

}  // namespace
}  // namespace cclbench
