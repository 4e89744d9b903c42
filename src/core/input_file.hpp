#pragma once
/// Reading a file named on the command line without ever blocking for good. A folder, a device
/// (/dev/zero never ends, a terminal waits for a person) or a socket is refused; a FIFO or a pipe
/// (`--hostfile <(...)`, `import /dev/stdin`) is read as its writer writes, and a writer that
/// stays silent for the idle limit (default 30 s, $CCLBENCH_INPUT_TIMEOUT seconds) ends the read
/// with a one-line error. Regular files read as usual.

#include <cstddef>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>

namespace cclbench {

class InputFile {
 public:
  /// Opens `path`; throws Error(kInvalidUsage) "PATH: ..." when it cannot be read as a file.
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  /// Up to `size` bytes into `buffer`, 0 at the end; throws when a pipe's writer stays silent.
  std::size_t read(char* buffer, std::size_t size);
  std::string readAll();
  bool isPipe() const { return pipe_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool pipe_ = false;
  double idleSeconds_ = 30;
};

/// The idle limit for pipes: $CCLBENCH_INPUT_TIMEOUT seconds when set to a positive number.
double inputIdleSeconds();

/// Reads the whole file with InputFile's rules.
std::string readInputFile(const std::string& path);

/// A regular file with the content of `path`, for a program that reads it more than once
/// (mpirun reads a hostfile several times, so `mpirun --hostfile <(...)` alone finds no nodes):
/// `path` itself when it is a regular file, else a private copy in $TMPDIR, removed with this.
class RereadableFile {
 public:
  explicit RereadableFile(const std::string& path);
  ~RereadableFile();
  RereadableFile(const RereadableFile&) = delete;
  RereadableFile& operator=(const RereadableFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

/// An std::istream over an InputFile, for parsers that read line by line (NCCL logs of any size
/// stream through a 64 KiB buffer).
class InputStream : public std::istream {
 public:
  explicit InputStream(const std::string& path);
  ~InputStream() override;

 private:
  class Buffer;
  std::unique_ptr<Buffer> buffer_;
};

}  // namespace cclbench
