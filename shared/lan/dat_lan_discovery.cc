// dns-discovery over multicast DNS. Wire shapes were read from dns-discovery 6.2.3 and checked
// against a running discovery-swarm 6.1.0 (see dat_lan_discovery_test.cc for captured bytes).
#include "shared/lan/dat_lan_discovery.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "shared/base/bytes.h"
#include "shared/base/hex.h"
#include "shared/base/logging.h"
#include "shared/base/strings.h"

namespace evermirror::lan {
namespace {

constexpr size_t kPeerEntrySize = 6;

bool ValidLabel(const std::string& label) { return !label.empty() && label.size() <= kMaxLabelLength; }

// dns-discovery accepts an SRV target only if it is a dotted IPv4 address.
std::optional<uint32_t> SrvTargetAddress(const DnsName& target) {
  if (target.labels.size() != 4) return std::nullopt;
  return ParseIpv4(target.ToString());
}

// Neither a multicast, broadcast nor unspecified address can be a peer.
bool PlausiblePeer(const Ipv4Endpoint& e) {
  return e.port != 0 && e.address != 0 && (e.address >> 28) != 0xE && e.address != 0xFFFFFFFF;
}

}  // namespace

std::string DnsDiscoveryLabel(std::string_view topic) { return ToHex(topic.substr(0, kMaxTopicBytes)); }

absl::Status DatLanDiscovery::Options::Validate() const {
  const DnsName name = DnsName::FromDotted(domain);
  if (name.labels.size() != 2 || !ValidLabel(name.labels[0]) || !ValidLabel(name.labels[1])) {
    return absl::InvalidArgumentError("lan: domain must be two DNS labels, like dat.local");
  }
  if (query_interval <= absl::ZeroDuration() || query_jitter < absl::ZeroDuration() ||
      repeat_suppression < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lan: query_interval must be positive, jitter and suppression >= 0");
  }
  if (max_topics == 0 || max_remembered_candidates == 0) {
    return absl::InvalidArgumentError("lan: max_topics and max_remembered_candidates must be positive");
  }
  return absl::OkStatus();
}

DatLanDiscovery::DatLanDiscovery(Options options, MdnsTransport* transport, env::Clock* clock,
                                 env::Scheduler* scheduler, env::Random* random, CandidateCallback on_candidate)
    : options_(std::move(options)),
      domain_(DnsName::FromDotted(options_.domain)),
      transport_(transport),
      clock_(clock),
      scheduler_(scheduler),
      on_candidate_(std::move(on_candidate)),
      random_(random) {
  // The token only has to differ from what other peers derive, so our own answers can be told
  // apart when they come back to us over multicast loopback.
  char secret[32];  // 44 base64 characters, as long as dns-discovery's sha256 tokens
  absl::MutexLock lock(&mu_);
  random_->Fill(secret, sizeof(secret));
  token_ = absl::Base64Escape(absl::string_view(secret, sizeof(secret)));
}

DatLanDiscovery::~DatLanDiscovery() {
  {
    absl::MutexLock lock(&mu_);
    for (auto& [label, topic] : topics_) scheduler_->Cancel(topic.timer);
    topics_.clear();
  }
  guard_->CloseAndWait();
}

absl::Status DatLanDiscovery::Join(std::string_view topic_bytes, std::optional<uint16_t> announce_port) {
  if (topic_bytes.empty()) return absl::InvalidArgumentError("lan: empty topic");
  if (announce_port && *announce_port == 0) return absl::InvalidArgumentError("lan: announce port 0");
  const std::string label = DnsDiscoveryLabel(topic_bytes);
  absl::MutexLock lock(&mu_);
  auto it = topics_.find(label);
  if (it == topics_.end()) {
    if (topics_.size() >= options_.max_topics) return absl::ResourceExhaustedError("lan: too many topics");
    Topic topic;
    topic.bytes = std::string(topic_bytes);
    topic.name.labels.push_back(label);
    topic.name.labels.insert(topic.name.labels.end(), domain_.labels.begin(), domain_.labels.end());
    it = topics_.emplace(label, std::move(topic)).first;
  }
  Topic& topic = it->second;
  topic.announce_port = announce_port;
  scheduler_->Cancel(topic.timer);
  QueryAndAnnounce(topic);
  ScheduleQuery(&topic);
  log::Debug("lan_join").Kv("topic", label).Kv("announce_port", announce_port.value_or(0));
  return absl::OkStatus();
}

absl::Status DatLanDiscovery::Leave(std::string_view topic_bytes) {
  const std::string label = DnsDiscoveryLabel(topic_bytes);
  absl::MutexLock lock(&mu_);
  auto it = topics_.find(label);
  if (it == topics_.end()) return absl::NotFoundError("lan: topic not joined");
  scheduler_->Cancel(it->second.timer);
  topics_.erase(it);
  return absl::OkStatus();
}

DatLanDiscoveryStats DatLanDiscovery::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void DatLanDiscovery::ScheduleQuery(Topic* topic) {
  absl::Duration delay = options_.query_interval;
  const int64_t jitter_ms = absl::ToInt64Milliseconds(options_.query_jitter);
  if (jitter_ms > 0) delay += absl::Milliseconds(random_->Uniform(static_cast<uint64_t>(jitter_ms)));
  std::string label = topic->name.labels[0];
  topic->timer = scheduler_->RunAfter(delay, [this, guard = guard_, label = std::move(label)] {
    LifetimeGuard::Scope scope(guard.get());
    if (scope) OnTimer(label);
  });
}

void DatLanDiscovery::OnTimer(const std::string& label) {
  absl::MutexLock lock(&mu_);
  auto it = topics_.find(label);
  if (it == topics_.end()) return;
  QueryAndAnnounce(it->second);
  ScheduleQuery(&it->second);
}

void DatLanDiscovery::QueryAndAnnounce(const Topic& topic) {
  SendQuery(topic);
  if (!topic.announce_port) return;
  // dns-discovery answers its own query over multicast loopback, which is what tells peers that
  // joined earlier about a newcomer (and re-announces it every query interval). Announcing
  // explicitly does the same without relying on loopback; the looped-back query itself is then
  // recognised and not answered twice.
  DnsMessage reply;
  reply.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  MaybeAnswer(DnsQuestion{topic.name, kDnsTypeTxt, kDnsClassIn, false}, &reply.questions, &reply.answers);
  if (!reply.answers.empty()) Send(reply, std::nullopt);
}

void DatLanDiscovery::SendQuery(const Topic& topic) {
  DnsMessage query;
  query.questions.push_back(DnsQuestion{topic.name, kDnsTypeTxt, kDnsClassIn, false});
  Send(query, std::nullopt);
  ++stats_.queries_sent;
  if (topic.announce_port) {
    const absl::Time now = clock_->Now();
    std::erase_if(own_queries_, [&](const OwnQuery& q) { return now - q.sent > absl::Seconds(2); });
    if (own_queries_.size() < options_.max_topics) own_queries_.push_back(OwnQuery{std::move(query), now});
  }
}

// Our own query heard back over multicast loopback: each one we sent is matched once, so an
// identical query from another process on this host is still answered.
bool DatLanDiscovery::ConsumeOwnQuery(const DnsMessage& message, const Ipv4Endpoint& from) {
  if (from.address != transport_->local_address() || from.port != kMdnsPort) return false;
  auto it = std::find_if(own_queries_.begin(), own_queries_.end(),
                         [&](const OwnQuery& q) { return q.message == message; });
  if (it == own_queries_.end()) return false;
  own_queries_.erase(it);
  return true;
}

void DatLanDiscovery::Send(const DnsMessage& message, std::optional<Ipv4Endpoint> unicast_to) {
  // dns-discovery (dns-packet 5) never compresses; neither do we, so our bytes match its bytes.
  absl::StatusOr<std::string> datagram = EncodeDnsMessage(message, /*compress=*/false);
  if (!datagram.ok()) {
    log::Error("lan_encode_failed").Kv("error", datagram.status());
    return;
  }
  transport_->Send(*std::move(datagram), unicast_to);
}

DatLanDiscovery::Topic* DatLanDiscovery::FindTopic(const DnsName& name) {
  if (name.labels.size() != domain_.labels.size() + 1) return nullptr;
  for (size_t i = 0; i < domain_.labels.size(); ++i) {
    if (!absl::EqualsIgnoreCase(name.labels[i + 1], domain_.labels[i])) return nullptr;
  }
  auto it = topics_.find(absl::AsciiStrToLower(name.labels[0]));
  return it == topics_.end() ? nullptr : &it->second;
}

void DatLanDiscovery::MaybeAnswer(const DnsQuestion& question, std::vector<DnsQuestion>* questions,
                                  std::vector<DnsRecord>* answers) {
  Topic* topic = FindTopic(question.name);
  if (topic == nullptr || !topic->announce_port) return;
  DnsRecord answer;
  answer.name = question.name;  // echoed as asked, like dns-discovery
  answer.ttl = 0;
  switch (question.type) {
    case kDnsTypeTxt: {
      std::string entry(kPeerEntrySize, '\0');  // 0.0.0.0 = "the address this came from"
      entry[4] = static_cast<char>(*topic->announce_port >> 8);
      entry[5] = static_cast<char>(*topic->announce_port & 0xFF);
      answer.type = kDnsTypeTxt;
      answer.rdata = TxtData{"token=" + token_, "peers=" + absl::Base64Escape(entry)};
      break;
    }
    case kDnsTypeSrv:
      answer.type = kDnsTypeSrv;
      answer.rdata = SrvData{0, 0, *topic->announce_port, DnsName::FromDotted("0.0.0.0")};
      break;
    case kDnsTypeA:
      if (transport_->local_address() == 0) return;
      answer.type = kDnsTypeA;
      answer.rdata = transport_->local_address();
      break;
    default:
      return;
  }
  // Every query is answered, as dns-discovery does: a newcomer's query is how it asks for peers,
  // and an RFC 6762 one-second limit would leave one that joined just after our announcement
  // waiting a whole query interval.
  questions->push_back(question);
  answers->push_back(std::move(answer));
  ++stats_.answers_sent;
}

void DatLanDiscovery::OnMdnsMessage(const DnsMessage& message, const Ipv4Endpoint& from) {
  LifetimeGuard::Scope scope(guard_.get());
  if (!scope) return;
  std::vector<LanPeerCandidate> found;
  {
    absl::MutexLock lock(&mu_);
    if (!message.is_response() && !ConsumeOwnQuery(message, from)) {
      DnsMessage reply;
      reply.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
      for (const DnsQuestion& q : message.questions) MaybeAnswer(q, &reply.questions, &reply.answers);
      // A legacy (non-5353) querier gets a unicast reply; dns-discovery would multicast it to
      // that port, which reaches nobody.
      if (!reply.answers.empty()) {
        Send(reply, from.port == kMdnsPort ? std::nullopt : std::optional<Ipv4Endpoint>(from));
      }
    }
    // dns-discovery reads answers and additionals of queries as well as of responses.
    for (const DnsRecord& r : message.answers) ParseRecord(r, from, &found);
    for (const DnsRecord& r : message.additionals) ParseRecord(r, from, &found);
  }
  for (const LanPeerCandidate& candidate : found) on_candidate_(candidate);
}

void DatLanDiscovery::ParseRecord(const DnsRecord& record, const Ipv4Endpoint& from,
                                  std::vector<LanPeerCandidate>* out) {
  if (record.type != kDnsTypeTxt && record.type != kDnsTypeSrv) return;
  Topic* topic = FindTopic(record.name);
  if (topic == nullptr) {
    if (record.name.labels.size() == domain_.labels.size() + 1) ++stats_.unknown_topic_records;
    return;
  }
  if (const auto* txt = std::get_if<TxtData>(&record.rdata)) {
    ParseTxt(*topic, *txt, from, out);
    return;
  }
  const auto* srv = std::get_if<SrvData>(&record.rdata);
  std::optional<uint32_t> target = srv ? SrvTargetAddress(srv->target) : std::nullopt;
  if (!target) {
    ++stats_.bad_records_dropped;
    return;
  }
  const uint16_t port = srv->port != 0 ? srv->port : from.port;
  AddCandidate(*topic, Ipv4Endpoint{*target == 0 ? from.address : *target, port}, out);
}

void DatLanDiscovery::ParseTxt(const Topic& topic, const TxtData& txt, const Ipv4Endpoint& from,
                               std::vector<LanPeerCandidate>* out) {
  std::optional<std::string> token;
  std::optional<std::string> peers;
  for (const std::string& s : txt) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos) continue;
    const std::string_view key = std::string_view(s).substr(0, eq);
    // Like dns-discovery's decodeTxt, a later duplicate key wins.
    if (key == "token") token = s.substr(eq + 1);
    if (key == "peers") peers = s.substr(eq + 1);
  }
  if (token && *token == token_) {
    ++stats_.own_echoes_dropped;
    return;
  }
  if (!peers) return;
  std::string raw;
  if (!absl::Base64Unescape(ToAbsl(*peers), &raw)) {
    ++stats_.bad_records_dropped;
    return;
  }
  for (size_t i = 0; i + kPeerEntrySize <= raw.size(); i += kPeerEntrySize) {
    const uint32_t address = LoadU32BE(raw.data() + i);
    const uint16_t port = LoadU16BE(raw.data() + i + 4);
    AddCandidate(topic, Ipv4Endpoint{address == 0 ? from.address : address, port}, out);
  }
}

void DatLanDiscovery::AddCandidate(const Topic& topic, Ipv4Endpoint endpoint, std::vector<LanPeerCandidate>* out) {
  if (!PlausiblePeer(endpoint)) {
    ++stats_.bad_records_dropped;
    return;
  }
  if (topic.announce_port && endpoint.port == *topic.announce_port && endpoint.address == transport_->local_address()) {
    ++stats_.own_echoes_dropped;  // e.g. our SRV answer heard back: the target 0.0.0.0 is us
    return;
  }
  const absl::Time now = clock_->Now();
  auto key = std::make_pair(topic.name.labels[0], endpoint);
  auto it = seen_.find(key);
  if (it != seen_.end() && now - it->second < options_.repeat_suppression) return;
  if (it == seen_.end() && seen_.size() >= options_.max_remembered_candidates) {
    // Forget whatever is no longer suppressed; if everything still is, start over.
    std::erase_if(seen_, [&](const auto& e) { return now - e.second >= options_.repeat_suppression; });
    if (seen_.size() >= options_.max_remembered_candidates) seen_.clear();
  }
  seen_[key] = now;
  out->push_back(LanPeerCandidate{topic.bytes, endpoint, PeerSource::kLan});
  ++stats_.candidates_delivered;
}

}  // namespace evermirror::lan
