#include "shared/base/logging.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "shared/base/strings.h"

namespace evermirror::log {
namespace {

struct Config {
  absl::Mutex mu;
  Format format ABSL_GUARDED_BY(mu) = Format::kKeyValue;
  std::string service ABSL_GUARDED_BY(mu);
  std::function<void(std::string_view)> sink ABSL_GUARDED_BY(mu);
};

Config& GetConfig() {
  static Config* config = new Config;
  return *config;
}

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

bool NeedsQuoting(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

// JSON-style escaping; also used for quoted key=value values so a line never breaks.
std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

void Configure(Level min_level, Format format, std::string_view service) {
  g_min_level.store(static_cast<int>(min_level));
  Config& config = GetConfig();
  absl::MutexLock lock(&config.mu);
  config.format = format;
  config.service = std::string(service);
}

std::optional<Level> ParseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn" || text == "warning") return Level::kWarn;
  if (text == "error") return Level::kError;
  return std::nullopt;
}

std::optional<Format> ParseFormat(std::string_view text) {
  if (text == "kv" || text == "logfmt" || text == "text") return Format::kKeyValue;
  if (text == "json") return Format::kJson;
  return std::nullopt;
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed); }

void SetSinkForTest(std::function<void(std::string_view)> sink) {
  Config& config = GetConfig();
  absl::MutexLock lock(&config.mu);
  config.sink = std::move(sink);
}

Event::Event(Level level, std::string_view name) : enabled_(Enabled(level)), level_(level) {
  if (enabled_) AddRaw("event", name, false);
}

Event& Event::Kv(std::string_view key, std::string_view value) {
  if (enabled_) AddRaw(key, value, false);
  return *this;
}
Event& Event::Kv(std::string_view key, int64_t value) {
  if (enabled_) AddRaw(key, absl::StrCat(value), false);
  return *this;
}
Event& Event::Kv(std::string_view key, uint64_t value) {
  if (enabled_) AddRaw(key, absl::StrCat(value), false);
  return *this;
}
Event& Event::Kv(std::string_view key, double value) {
  if (enabled_) AddRaw(key, absl::StrCat(value), false);
  return *this;
}
Event& Event::Kv(std::string_view key, bool value) {
  if (enabled_) AddRaw(key, value ? "true" : "false", false);
  return *this;
}
Event& Event::Kv(std::string_view key, const absl::Status& status) {
  if (enabled_) AddRaw(key, status.ToString(), true);
  return *this;
}

// Fields are kept as "key \x1f flag value \x1e" records and rendered in the destructor,
// under the lock, so a Configure() racing with an event never yields a half-formatted line.
void Event::AddRaw(std::string_view key, std::string_view value, bool quote_always) {
  fields_.append(key.data(), key.size());
  fields_.push_back('\x1f');
  fields_.push_back(quote_always ? 'q' : '-');
  fields_.append(value.data(), value.size());
  fields_.push_back('\x1e');
}

Event::~Event() {
  if (!enabled_) return;
  Config& config = GetConfig();
  absl::MutexLock lock(&config.mu);
  const bool json = config.format == Format::kJson;
  const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line;
  auto add = [&](std::string_view key, std::string_view value, bool quote) {
    if (json) {
      absl::StrAppend(&line, line.empty() ? "{" : ",", Quote(key), ":", Quote(value));
    } else {
      absl::StrAppend(&line, line.empty() ? "" : " ", ToAbsl(key), "=",
                      (quote || NeedsQuoting(value)) ? Quote(value) : std::string(value));
    }
  };
  add("ts", ts, false);
  add("level", LevelName(level_), false);
  if (!config.service.empty()) add("service", config.service, false);
  std::string_view rest = fields_;
  while (!rest.empty()) {
    const size_t sep = rest.find('\x1f');
    const size_t end = rest.find('\x1e');
    add(rest.substr(0, sep), rest.substr(sep + 2, end - sep - 2), rest[sep + 1] == 'q');
    rest.remove_prefix(end + 1);
  }
  line += json ? "}\n" : "\n";
  if (config.sink) {
    config.sink(line);
  } else {
    // One write(2) per line so lines from several threads or processes never interleave.
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  }
}

}  // namespace evermirror::log
