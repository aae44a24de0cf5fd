// Names for code addresses: user addresses of a process through its
// /proc/PID/maps and the ELF symbol tables of the mapped files (C++ names
// demangled), kernel addresses through /proc/kallsyms. Each binary's symbols
// are read once, keyed by its build ID (or path and inode), so many
// processes of one program cost one read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace iotax {

class Symbolizer {
 public:
  // proc_root: "/proc", or a test tree.
  explicit Symbolizer(std::string proc_root = "/proc");
  ~Symbolizer();

  // "function", or "binary+0xOFFSET" when the binary has no symbol there,
  // or "[unknown]" when no mapping holds it (the process exited, or the
  // address is not code).
  std::string User(int pid, uint64_t address);
  std::string Kernel(uint64_t address);
  // The base name of the file mapped at a user address ("libc.so.6"), "" if none.
  std::string FileOf(int pid, uint64_t address);

  // Forgets what processes had mapped (read again on next use); the
  // binaries' symbols stay cached.
  void ForgetMappings() { mappings_.clear(); }

  // Opens the process's maps now and keeps them open: the kernel checks
  // access when /proc/PID/maps is opened, so a program that drops its
  // privileges (iotaxd) keeps reading what it opened before. KeepOnly
  // closes those of processes no longer in `pids`.
  void Keep(int pid);
  void KeepOnly(const std::vector<int>& pids);

  // Binaries whose symbols were read (each once).
  int binaries_loaded() const { return static_cast<int>(binaries_.size()); }

  struct Mapping {
    uint64_t start = 0, end = 0, offset = 0;
    std::string path;
    uint64_t inode = 0;
  };
  struct Binary;

 private:
  const std::vector<Mapping>& MappingsOf(int pid);
  Binary* BinaryOf(const Mapping& m);

  std::string proc_root_;
  std::map<int, std::vector<Mapping>> mappings_;         // pid -> executable mappings
  std::map<int, int> kept_;                              // pid -> open /proc/PID/maps
  std::map<std::string, std::unique_ptr<Binary>> binaries_;  // build ID (or path:inode) -> symbols
  std::map<std::string, Binary*> by_path_;               // path:inode -> binary
  std::vector<std::pair<uint64_t, std::string>> kernel_;  // sorted kallsyms
  bool kernel_loaded_ = false;
};

// "_ZN3foo3barEv" -> "foo::bar()"; anything else unchanged.
std::string Demangle(const std::string& name);

}  // namespace iotax
