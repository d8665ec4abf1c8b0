// Structured logging: one line per event on stderr, as key=value pairs or JSON.
//   log::Info("peer_connected").Kv("addr", addr).Kv("feeds", 3);
// The line is written when the temporary goes out of scope. Thread-safe.
// Never pass secrets: keys are logged only as discovery keys or short prefixes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace evermirror::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kKeyValue, kJson };

// Sets the process-wide minimum level, format and the `service=` field. Thread-safe.
void Configure(Level min_level, Format format, std::string_view service);
std::optional<Level> ParseLevel(std::string_view text);
std::optional<Format> ParseFormat(std::string_view text);
bool Enabled(Level level);

// Replaces the stderr writer (tests). Pass nullptr to restore stderr.
void SetSinkForTest(std::function<void(std::string_view line)> sink);

class Event {
 public:
  Event(Level level, std::string_view name);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  Event& Kv(std::string_view key, std::string_view value);
  Event& Kv(std::string_view key, const char* value) { return Kv(key, std::string_view(value)); }
  Event& Kv(std::string_view key, const std::string& value) { return Kv(key, std::string_view(value)); }
  Event& Kv(std::string_view key, int64_t value);
  Event& Kv(std::string_view key, uint64_t value);
  Event& Kv(std::string_view key, int value) { return Kv(key, static_cast<int64_t>(value)); }
  Event& Kv(std::string_view key, unsigned value) { return Kv(key, static_cast<uint64_t>(value)); }
  Event& Kv(std::string_view key, long long value) { return Kv(key, static_cast<int64_t>(value)); }
  Event& Kv(std::string_view key, unsigned long long value) { return Kv(key, static_cast<uint64_t>(value)); }
  Event& Kv(std::string_view key, double value);
  Event& Kv(std::string_view key, bool value);
  Event& Kv(std::string_view key, const absl::Status& status);

 private:
  void AddRaw(std::string_view key, std::string_view value, bool quote_always);

  bool enabled_;
  Level level_;
  std::string fields_;
};

inline Event Debug(std::string_view name) { return Event(Level::kDebug, name); }
inline Event Info(std::string_view name) { return Event(Level::kInfo, name); }
inline Event Warn(std::string_view name) { return Event(Level::kWarn, name); }
inline Event Error(std::string_view name) { return Event(Level::kError, name); }

}  // namespace evermirror::log
