#include "services/gateway/etag.h"

#include "shared/base/hex.h"
#include "shared/crypto/crypto.h"

namespace evermirror::gateway {
namespace {

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Removes one entity-tag (W/"..." or "...") from the front of *in, returning its quoted
// part; false if *in does not start with one.
bool ConsumeTag(std::string_view* in, std::string_view* quoted) {
  std::string_view s = *in;
  if (s.size() >= 2 && s[0] == 'W' && s[1] == '/') s.remove_prefix(2);
  if (s.empty() || s[0] != '"') return false;
  const size_t close = s.find('"', 1);
  if (close == std::string_view::npos) return false;
  *quoted = s.substr(0, close + 1);
  in->remove_prefix(static_cast<size_t>(s.data() - in->data()) + close + 1);
  return true;
}

}  // namespace

std::string MakeETag(std::string_view site_key, std::string_view content_id) {
  crypto::Blake2b hasher;
  hasher.Update("evermirror-etag-v1");
  const char key_size = static_cast<char>(site_key.size());
  hasher.Update(std::string_view(&key_size, 1));
  hasher.Update(site_key);
  hasher.Update(content_id);
  const crypto::Hash hash = hasher.Final();
  std::string out = "\"";
  out += ToHex(std::string_view(reinterpret_cast<const char*>(hash.data()), 16));
  out += '"';
  return out;
}

bool IfNoneMatchMatches(std::string_view header, std::string_view etag) {
  header = TrimSpace(header);
  if (header == "*") return true;
  const std::string_view mine = etag.substr(etag.size() >= 2 && etag[0] == 'W' ? 2 : 0);
  while (true) {
    header = TrimSpace(header);
    while (!header.empty() && header.front() == ',') header = TrimSpace(header.substr(1));
    if (header.empty()) return false;
    std::string_view quoted;
    if (!ConsumeTag(&header, &quoted)) return false;
    if (quoted == mine) return true;
    header = TrimSpace(header);
    if (!header.empty() && header.front() != ',') return false;
  }
}

bool IfRangeMatches(std::string_view header, std::string_view etag,
                    std::string_view last_modified) {
  header = TrimSpace(header);
  if (header.empty()) return false;
  if (header[0] == '"') return header == etag;  // strong comparison
  if (header.size() >= 2 && header[0] == 'W' && header[1] == '/') return false;
  return !last_modified.empty() && header == last_modified;
}

}  // namespace evermirror::gateway
