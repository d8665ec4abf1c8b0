// DnsSdResponder lifecycle: records, probing (RFC 6762 §8.1), announcing (§8.3), goodbyes (§10.1).
#include "shared/lan/dns_sd_responder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"

namespace evermirror::lan {
namespace {

constexpr int kProbes = 3;
constexpr int kAnnouncements = 2;
constexpr absl::Duration kProbeInterval = absl::Milliseconds(250);
constexpr absl::Duration kAnnounceInterval = absl::Seconds(1);

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

bool ValidServiceType(const std::string& type) {
  const DnsName name = DnsName::FromDotted(type);
  if (name.labels.size() != 2) return false;
  const std::string& service = name.labels[0];
  const std::string& proto = name.labels[1];
  return service.size() >= 2 && service.size() <= 16 && service[0] == '_' && (proto == "_tcp" || proto == "_udp");
}

}  // namespace

absl::Status DnsSdResponder::Options::Validate() const {
  if (instance_name.empty() || instance_name.size() > kMaxLabelLength) {
    return absl::InvalidArgumentError("dns-sd: instance_name must be 1-63 bytes");
  }
  if (host_name.empty() || host_name.size() > kMaxLabelLength || host_name.find('.') != std::string::npos) {
    return absl::InvalidArgumentError("dns-sd: host_name must be one label of 1-63 bytes");
  }
  if (!ValidServiceType(service_type)) return absl::InvalidArgumentError("dns-sd: service_type must look like _http._tcp");
  if (port == 0) return absl::InvalidArgumentError("dns-sd: port must be set");
  for (const std::string& s : txt) {
    if (s.size() > 255) return absl::InvalidArgumentError("dns-sd: TXT string over 255 bytes");
  }
  if (host_ttl == 0 || other_ttl == 0) return absl::InvalidArgumentError("dns-sd: TTLs must be positive");
  if (max_renames < 0) return absl::InvalidArgumentError("dns-sd: max_renames must be >= 0");
  return absl::OkStatus();
}

DnsSdResponder::DnsSdResponder(Options options, MdnsTransport* transport, env::Clock* clock,
                               env::Scheduler* scheduler, env::Random* random)
    : options_(std::move(options)), transport_(transport), clock_(clock), scheduler_(scheduler), random_(random) {
  absl::MutexLock lock(&mu_);
  instance_ = options_.instance_name;
  host_ = options_.host_name;
  BuildRecords();
}

DnsSdResponder::~DnsSdResponder() {
  Stop();
  guard_->CloseAndWait();
}

void DnsSdResponder::BuildRecords() {
  const DnsName local = DnsName::FromDotted("local");
  DnsName service = DnsName::FromDotted(options_.service_type);
  service.labels.push_back("local");
  instance_fqdn_ = service;
  instance_fqdn_.labels.insert(instance_fqdn_.labels.begin(), instance_);
  host_fqdn_ = DnsName{{host_, "local"}};
  const uint32_t address = options_.address != 0 ? options_.address : transport_->local_address();

  records_.clear();
  auto add = [&](DnsName name, uint16_t type, uint32_t ttl, Rdata rdata, bool unique) {
    records_.push_back(Record{DnsRecord{std::move(name), type, kDnsClassIn, false, ttl, std::move(rdata)}, unique});
  };
  add(service, kDnsTypePtr, options_.other_ttl, instance_fqdn_, false);
  add(DnsName::FromDotted("_services._dns-sd._udp.local"), kDnsTypePtr, options_.other_ttl, service, false);
  add(instance_fqdn_, kDnsTypeSrv, options_.host_ttl, SrvData{0, 0, options_.port, host_fqdn_}, true);
  add(instance_fqdn_, kDnsTypeTxt, options_.other_ttl, TxtData(options_.txt), true);
  if (address != 0) add(host_fqdn_, kDnsTypeA, options_.host_ttl, address, true);
}

void DnsSdResponder::Start() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kIdle) return;
  // RFC 6762 §8.1: wait a random 0-250 ms before the first probe.
  RestartProbing(absl::Milliseconds(random_->Uniform(251)));
}

void DnsSdResponder::Stop() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kStopped) return;
  scheduler_->Cancel(timer_);
  if (announced_any_) SendAll(/*goodbye=*/true);
  state_ = State::kStopped;
}

DnsSdResponder::State DnsSdResponder::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

std::string DnsSdResponder::instance_name() const {
  absl::MutexLock lock(&mu_);
  return instance_;
}

std::string DnsSdResponder::host_name() const {
  absl::MutexLock lock(&mu_);
  return host_;
}

DnsSdStats DnsSdResponder::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void DnsSdResponder::After(absl::Duration delay) {
  scheduler_->Cancel(timer_);
  timer_ = scheduler_->RunAfter(delay, [this, guard = guard_] {
    LifetimeGuard::Scope scope(guard.get());
    if (scope) Step();
  });
}

void DnsSdResponder::RestartProbing(absl::Duration delay) {
  state_ = State::kProbing;
  steps_done_ = 0;
  After(delay);
}

void DnsSdResponder::Step() {
  absl::MutexLock lock(&mu_);
  timer_ = 0;
  if (state_ == State::kProbing) {
    if (steps_done_ < kProbes) {
      SendProbe();
      ++steps_done_;
      After(kProbeInterval);
      return;
    }
    state_ = State::kAnnounced;
    steps_done_ = 0;
    log::Info("dns_sd_announcing").Kv("instance", instance_).Kv("host", host_).Kv("port", options_.port);
  }
  if (state_ == State::kAnnounced && steps_done_ < kAnnouncements) {
    SendAll(/*goodbye=*/false);
    ++steps_done_;
    if (steps_done_ < kAnnouncements) After(kAnnounceInterval);
  }
}

void DnsSdResponder::SendProbe() {
  DnsMessage probe;
  // RFC 6762 §8.1: ask for ANY of each unique name (QU, so defenders may answer us directly) and
  // put the records we propose in the authority section for simultaneous-probe tie-breaking.
  probe.questions.push_back(DnsQuestion{instance_fqdn_, kDnsTypeAny, kDnsClassIn, true});
  probe.questions.push_back(DnsQuestion{host_fqdn_, kDnsTypeAny, kDnsClassIn, true});
  for (const Record& r : records_) {
    if (r.unique) probe.authorities.push_back(r.record);
  }
  Send(probe, std::nullopt);
  ++stats_.probes_sent;
}

void DnsSdResponder::SendAll(bool goodbye) {
  DnsMessage message;
  message.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  const absl::Time now = clock_->Now();
  for (Record& r : records_) {
    DnsRecord record = r.record;
    record.cache_flush = r.unique;
    if (goodbye) record.ttl = 0;
    message.answers.push_back(std::move(record));
    r.last_multicast = now;
  }
  Send(message, std::nullopt);
  if (!goodbye) {
    announced_any_ = true;
    ++stats_.announcements_sent;
  }
}

void DnsSdResponder::Send(const DnsMessage& message, std::optional<Ipv4Endpoint> to) {
  absl::StatusOr<std::string> datagram = EncodeDnsMessage(message, /*compress=*/true);
  if (!datagram.ok()) {
    log::Error("dns_sd_encode_failed").Kv("error", datagram.status());
    return;
  }
  transport_->Send(*std::move(datagram), to);
}

void DnsSdResponder::OnMdnsMessage(const DnsMessage& message, const Ipv4Endpoint& from) {
  LifetimeGuard::Scope scope(guard_.get());
  if (!scope) return;
  // RFC 6762 §18.3, §18.11: only standard queries and responses with RCODE 0 are mDNS.
  if ((message.flags & 0x780F) != 0) return;
  absl::MutexLock lock(&mu_);
  if (state_ != State::kProbing && state_ != State::kAnnounced) return;
  CheckConflicts(message);
  if (state_ == State::kAnnounced && !message.is_response()) Answer(message, from);
}

void DnsSdResponder::OnConflict(bool host) {
  ++stats_.conflicts;
  if (stats_.renames >= static_cast<uint64_t>(options_.max_renames)) {
    log::Error("dns_sd_gave_up").Kv("instance", instance_).Kv("host", host_);
    scheduler_->Cancel(timer_);
    state_ = State::kGaveUp;
    return;
  }
  ++stats_.renames;
  if (host) {
    const std::string suffix = absl::StrCat("-", ++host_suffix_);
    host_ = TruncateUtf8(options_.host_name, kMaxLabelLength - suffix.size()) + suffix;
  } else {
    const std::string suffix = absl::StrCat(" (", ++instance_suffix_, ")");
    instance_ = TruncateUtf8(options_.instance_name, kMaxLabelLength - suffix.size()) + suffix;
  }
  log::Warn("dns_sd_name_conflict").Kv("renamed_to", host ? host_ : instance_).Kv("host", host);
  BuildRecords();
  RestartProbing(absl::Milliseconds(random_->Uniform(251)));
}

}  // namespace evermirror::lan
