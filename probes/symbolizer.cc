#include "symbolizer.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace iotax {

struct Symbolizer::Binary {
  struct Symbol {
    uint64_t start, size;
    std::string name;
  };
  struct Segment {
    uint64_t offset, vaddr, size;
  };
  std::string name;               // the file's base name, for "name+0x..."
  std::vector<Symbol> symbols;    // sorted by start
  std::vector<Segment> segments;  // PT_LOAD: file offset -> virtual address
};

namespace {

std::string BuildId(Elf* elf) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr) continue;
    size_t offset = 0, name_offset = 0, desc_offset = 0;
    GElf_Nhdr note;
    while ((offset = gelf_getnote(data, offset, &note, &name_offset, &desc_offset)) > 0) {
      if (note.n_type == NT_GNU_BUILD_ID) {
        std::string id;
        const auto* bytes = static_cast<const unsigned char*>(data->d_buf) + desc_offset;
        for (size_t i = 0; i < note.n_descsz; ++i) absl::StrAppend(&id, absl::Hex(bytes[i], absl::kZeroPad2));
        return id;
      }
    }
  }
  return "";
}

// Reads the symbols and load segments of one ELF file; an empty Binary when
// it cannot be read (the caller still names addresses by file and offset).
std::unique_ptr<Symbolizer::Binary> ReadBinary(const std::string& path, std::string* build_id) {
  auto binary = std::make_unique<Symbolizer::Binary>();
  binary->name = path.substr(path.find_last_of('/') + 1);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return binary;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  if (elf != nullptr) {
    *build_id = BuildId(elf);
    size_t phnum = 0;
    elf_getphdrnum(elf, &phnum);
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) != nullptr && ph.p_type == PT_LOAD) {
        binary->segments.push_back({ph.p_offset, ph.p_vaddr, ph.p_filesz});
      }
    }
    // .symtab when present (not stripped), .dynsym otherwise.
    for (Elf64_Word wanted : {SHT_SYMTAB, SHT_DYNSYM}) {
      Elf_Scn* scn = nullptr;
      while ((scn = elf_nextscn(elf, scn)) != nullptr) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != wanted || shdr.sh_entsize == 0) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        const size_t n = shdr.sh_size / shdr.sh_entsize;
        for (size_t i = 0; data != nullptr && i < n; ++i) {
          GElf_Sym sym;
          if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
          if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0) continue;
          const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
          if (name != nullptr && *name != '\0') binary->symbols.push_back({sym.st_value, sym.st_size, name});
        }
      }
      if (!binary->symbols.empty()) break;
    }
    elf_end(elf);
  }
  close(fd);
  std::sort(binary->symbols.begin(), binary->symbols.end(),
            [](const auto& a, const auto& b) { return a.start < b.start; });
  return binary;
}

}  // namespace

std::string Demangle(const std::string& name) {
  if (name.rfind("_Z", 0) != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return name;
  std::string result(out);
  std::free(out);
  return result;
}

Symbolizer::Symbolizer(std::string proc_root) : proc_root_(std::move(proc_root)) {}
Symbolizer::~Symbolizer() {
  for (const auto& [pid, fd] : kept_) close(fd);
}

void Symbolizer::Keep(int pid) {
  if (kept_.count(pid)) return;
  const int fd = open(absl::StrCat(proc_root_, "/", pid, "/maps").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) kept_[pid] = fd;
}

void Symbolizer::KeepOnly(const std::vector<int>& pids) {
  for (auto it = kept_.begin(); it != kept_.end();) {
    if (std::find(pids.begin(), pids.end(), it->first) == pids.end()) {
      close(it->second);
      it = kept_.erase(it);
    } else {
      ++it;
    }
  }
}

namespace {

// The whole text of an open /proc file, from its start.
std::string ReadAllFrom(int fd) {
  std::string text;
  char buf[16384];
  off_t offset = 0;
  ssize_t n;
  while ((n = pread(fd, buf, sizeof(buf), offset)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

}  // namespace

const std::vector<Symbolizer::Mapping>& Symbolizer::MappingsOf(int pid) {
  auto it = mappings_.find(pid);
  if (it != mappings_.end()) return it->second;
  std::vector<Mapping>& out = mappings_[pid];
  std::stringstream maps;
  if (auto kept = kept_.find(pid); kept != kept_.end()) {
    maps << ReadAllFrom(kept->second);
  } else {
    maps << std::ifstream(absl::StrCat(proc_root_, "/", pid, "/maps")).rdbuf();
  }
  std::string line;
  while (std::getline(maps, line)) {
    // start-end perms offset dev inode path
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 6 || f[1].size() < 3 || f[1][2] != 'x' || f[5].front() != '/') continue;
    std::vector<absl::string_view> range = absl::StrSplit(f[0], '-');
    Mapping m;
    if (range.size() != 2 || !absl::SimpleHexAtoi(range[0], &m.start) || !absl::SimpleHexAtoi(range[1], &m.end) ||
        !absl::SimpleHexAtoi(f[2], &m.offset) || !absl::SimpleAtoi(f[4], &m.inode)) {
      continue;
    }
    m.path = std::string(f[5]);
    out.push_back(std::move(m));
  }
  return out;
}

Symbolizer::Binary* Symbolizer::BinaryOf(const Mapping& m) {
  const std::string path_key = absl::StrCat(m.path, ":", m.inode);
  if (auto it = by_path_.find(path_key); it != by_path_.end()) return it->second;
  std::string build_id;
  std::unique_ptr<Binary> binary = ReadBinary(m.path, &build_id);
  const std::string key = build_id.empty() ? path_key : build_id;
  auto [it, inserted] = binaries_.try_emplace(key, std::move(binary));
  by_path_[path_key] = it->second.get();
  return it->second.get();
}

std::string Symbolizer::User(int pid, uint64_t address) {
  for (const Mapping& m : MappingsOf(pid)) {
    if (address < m.start || address >= m.end) continue;
    Binary* b = BinaryOf(m);
    const uint64_t file_offset = address - m.start + m.offset;
    uint64_t vaddr = file_offset;
    for (const Binary::Segment& s : b->segments) {
      if (file_offset >= s.offset && file_offset < s.offset + s.size) {
        vaddr = file_offset - s.offset + s.vaddr;
        break;
      }
    }
    auto it = std::upper_bound(b->symbols.begin(), b->symbols.end(), vaddr,
                               [](uint64_t v, const Binary::Symbol& s) { return v < s.start; });
    if (it != b->symbols.begin()) {
      --it;
      if (vaddr < it->start + std::max<uint64_t>(it->size, 1)) return Demangle(it->name);
    }
    return absl::StrFormat("%s+0x%x", b->name, file_offset);
  }
  return "[unknown]";
}

std::string Symbolizer::FileOf(int pid, uint64_t address) {
  for (const Mapping& m : MappingsOf(pid)) {
    if (address >= m.start && address < m.end) return m.path.substr(m.path.find_last_of('/') + 1);
  }
  return "";
}

std::string Symbolizer::Kernel(uint64_t address) {
  if (!kernel_loaded_) {
    kernel_loaded_ = true;
    std::ifstream in("/proc/kallsyms");
    std::string line;
    while (std::getline(in, line)) {
      std::vector<absl::string_view> f = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      uint64_t a = 0;
      if (f.size() < 3 || !absl::SimpleHexAtoi(f[0], &a) || a == 0) continue;
      if (f[1] != "t" && f[1] != "T" && f[1] != "w" && f[1] != "W") continue;
      kernel_.emplace_back(a, std::string(f[2]));
    }
    std::sort(kernel_.begin(), kernel_.end());
  }
  auto it = std::upper_bound(kernel_.begin(), kernel_.end(), std::make_pair(address, std::string("\xff")));
  if (it == kernel_.begin()) return "[unknown]";
  return std::prev(it)->second;
}

}  // namespace iotax
