#include "core/input_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.hpp"

namespace cclbench {
namespace {

namespace fs = std::filesystem;

class InputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cclbench-input-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    ::setenv("CCLBENCH_INPUT_TIMEOUT", "0.5", 1);
  }
  void TearDown() override {
    ::unsetenv("CCLBENCH_INPUT_TIMEOUT");
    fs::remove_all(dir_);
  }
  std::string at(const std::string& name) const { return (dir_ / name).string(); }
  static std::string refusal(const std::string& path) {
    try {
      readInputFile(path);
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
      return e.what();
    }
  }
  fs::path dir_;
};

TEST_F(InputFileTest, RegularFilesReadWhole) {
  std::string text(200000, 'x');
  text += "\nend\n";
  std::ofstream(at("log.txt"), std::ios::binary) << text;
  EXPECT_EQ(readInputFile(at("log.txt")), text);
  InputStream in(at("log.txt"));
  std::string line, last;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    last = line;
  }
  EXPECT_EQ(lines, 2u);
  EXPECT_EQ(last, "end");
}

TEST_F(InputFileTest, FoldersDevicesAndMissingFilesAreRefusedAtOnce) {
  EXPECT_NE(refusal(dir_.string()).find("is a folder"), std::string::npos);
  EXPECT_NE(refusal("/dev/zero").find("is a device"), std::string::npos);  // would never end
  EXPECT_NE(refusal("/dev/null").find("is a device"), std::string::npos);
  EXPECT_NE(refusal(at("missing")).find("No such file"), std::string::npos);
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
}

TEST_F(InputFileTest, AFifoWithoutAWriterEndsInAnErrorNotAHang) {
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  const std::string message = refusal(at("fifo"));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(message.find("nothing written to this pipe for 0.5 s"), std::string::npos) << message;
  EXPECT_LT(seconds, 10.0);
  // The same through the line reader inspect-log uses.
  EXPECT_THROW(
      {
        InputStream in(at("fifo"));
        std::string line;
        std::getline(in, line);
      },
      Error);
}

TEST_F(InputFileTest, AFifoIsReadAsItsWriterWrites) {
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0600), 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the reader waits for it
    const int fd = ::open(at("fifo").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    for (const char* part : {"first line\n", "second line\n"}) {
      ASSERT_GT(::write(fd, part, std::strlen(part)), 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::close(fd);
  });
  EXPECT_EQ(readInputFile(at("fifo")), "first line\nsecond line\n");
  writer.join();
}

TEST_F(InputFileTest, TheIdleLimitMustBeAPositiveNumber) {
  ::setenv("CCLBENCH_INPUT_TIMEOUT", "never", 1);
  EXPECT_NE(refusal(at("whatever")).find("CCLBENCH_INPUT_TIMEOUT"), std::string::npos);
}

}  // namespace
}  // namespace cclbench
