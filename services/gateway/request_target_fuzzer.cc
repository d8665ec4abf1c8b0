// libFuzzer target for ParseRequestTarget: no crash, and every accepted target satisfies
// the parser's contract (a clean relative path that survives re-encoding unchanged).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "services/gateway/request_target.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckTarget(const evermirror::gateway::RequestTarget& t, bool site_from_host) {
  using evermirror::gateway::ParseRequestTarget;
  Check(t.key.empty() || t.key.size() == 32);
  Check(!site_from_host || t.key.empty());
  Check(t.path.find('\0') == std::string::npos);
  if (t.path.empty()) return;
  Check(t.path.front() != '/' && t.path.back() != '/');
  Check(t.path.find("//") == std::string::npos);
  std::string reencoded;
  size_t start = 0;
  while (start <= t.path.size()) {
    size_t end = t.path.find('/', start);
    if (end == std::string::npos) end = t.path.size();
    const std::string segment = t.path.substr(start, end - start);
    Check(segment != "." && segment != "..");
    reencoded += "/" + evermirror::gateway::EncodePathSegment(segment);
    start = end + 1;
  }
  auto again = ParseRequestTarget(reencoded, true, {1 << 20, 1 << 20});
  // A path starting with a "$" segment may read as a version prefix when re-parsed.
  Check(again.ok() || t.path[0] == '$');
  if (again.ok() && !again->version.has_value()) Check(again->path == t.path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool site_from_host = data[0] & 1;
  const std::string_view target(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = evermirror::gateway::ParseRequestTarget(target, site_from_host, {8192, 256});
  if (parsed.ok()) CheckTarget(*parsed, site_from_host);
  return 0;
}
