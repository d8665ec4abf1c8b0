#include "shared/drive/paths.h"

#include "absl/strings/str_cat.h"

namespace evermirror::drive {

constexpr size_t kMaxPathBytes = 4096;

Names SplitName(std::string_view name) {
  Names out;
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    out.emplace_back(name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!out.empty() && out.front().empty()) out.erase(out.begin());
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

std::string JoinNames(const Names& names, size_t n) {
  std::string out = "/";
  for (size_t i = 0; i < names.size() && i < n; ++i) {
    if (i > 0) out += '/';
    out += names[i];
  }
  return out;
}

size_t CommonPrefix(const Names& a, const Names& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

absl::StatusOr<Names> NormalizePath(std::string_view path) {
  if (path.size() > kMaxPathBytes) return absl::InvalidArgumentError("path is longer than 4096 bytes");
  if (path.find('\0') != std::string_view::npos) return absl::InvalidArgumentError("path contains a NUL byte");
  std::string unix(path);
  for (char& c : unix) {
    if (c == '\\') c = '/';
  }
  Names out;
  for (std::string& part : SplitName(unix)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(part));
  }
  return out;
}

bool IsWritableComponent(std::string_view component) {
  if (component.empty() || component == "." || component == "..") return false;
  return component.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

}  // namespace evermirror::drive
