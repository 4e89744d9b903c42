#include "core/input_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace cclbench {

double inputIdleSeconds() {
  const char* text = std::getenv("CCLBENCH_INPUT_TIMEOUT");
  if (text == nullptr || *text == '\0') return 30;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !std::isfinite(value) || value <= 0) {
    throw usageError(std::string("CCLBENCH_INPUT_TIMEOUT must be a positive number of seconds, "
                                 "got '") + text + "'");
  }
  return value;
}

InputFile::InputFile(const std::string& path) : path_(path), idleSeconds_(inputIdleSeconds()) {
  if (path.empty()) throw usageError("an input file name is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw usageError(path + ": cannot read: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw usageError(path + ": is a folder, not a file");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    throw usageError(path + ": is a device, not a file (it may never end or wait for input)");
  }
  if (S_ISSOCK(st.st_mode)) throw usageError(path + ": is a socket, not a file");
  pipe_ = S_ISFIFO(st.st_mode);
  // A FIFO opened without O_NONBLOCK waits for a writer for ever: open at once, wait in read.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (pipe_ ? O_NONBLOCK : 0));
  if (fd_ < 0) throw usageError(path + ": cannot read: " + std::strerror(errno));
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t InputFile::read(char* buffer, std::size_t size) {
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(idleSeconds_));
  for (;;) {
    if (pipe_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g", idleSeconds_);
        throw usageError(path_ + ": nothing written to this pipe for " + seconds +
                         " s (no writer, or a stuck one; $CCLBENCH_INPUT_TIMEOUT sets the limit)");
      }
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
      if (ready < 0 && errno != EINTR) throw usageError(path_ + ": cannot read: " + std::strerror(errno));
      if (ready <= 0) continue;
    }
    const ssize_t n = ::read(fd_, buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR || errno == EAGAIN) continue;
    throw usageError(path_ + ": cannot read: " + std::strerror(errno));
  }
}

std::string InputFile::readAll() {
  std::string out;
  std::vector<char> chunk(1 << 16);
  for (std::size_t n; (n = read(chunk.data(), chunk.size())) > 0;) out.append(chunk.data(), n);
  return out;
}

std::string readInputFile(const std::string& path) { return InputFile(path).readAll(); }

RereadableFile::RereadableFile(const std::string& path) : path_(path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return;
  const std::string text = readInputFile(path);
  const char* tmp = std::getenv("TMPDIR");
  std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/cclbench-input-XXXXXX";
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw usageError(path + ": cannot keep a copy in " + name.substr(0, name.rfind('/')) + ": " +
                     std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(name.c_str());
      throw usageError(path + ": cannot keep a copy in " + name + ": " + std::strerror(error));
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  path_ = name;
  owned_ = true;
}

RereadableFile::~RereadableFile() {
  if (owned_) ::unlink(path_.c_str());
}

class InputStream::Buffer : public std::streambuf {
 public:
  explicit Buffer(const std::string& path) : file_(path), data_(1 << 16) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const std::size_t n = file_.read(data_.data(), data_.size());
    if (n == 0) return traits_type::eof();
    setg(data_.data(), data_.data(), data_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  InputFile file_;
  std::vector<char> data_;
};

InputStream::InputStream(const std::string& path)
    : std::istream(nullptr), buffer_(std::make_unique<Buffer>(path)) {
  rdbuf(buffer_.get());
  exceptions(std::ios::badbit);  // a read error (a silent pipe) reaches the caller as thrown
}

InputStream::~InputStream() = default;

}  // namespace cclbench
