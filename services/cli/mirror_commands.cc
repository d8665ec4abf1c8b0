#include "services/cli/mirror_commands.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "services/cli/args.h"
#include "shared/base/status_macros.h"

namespace evermirror::cli {
namespace {

namespace cmd = commands::v1;
namespace v1 = ingest::v1;

constexpr absl::Duration kPollSlice = absl::Seconds(20);  // one long poll; the box answers sooner

// The box keeps blocks_total above blocks_downloaded until the content its latest version
// needs is known and stored (ingest::ProgressComplete), so the counts alone tell.
bool Complete(const cmd::SiteProgress& p) {
  return !p.removed() && p.blocks_total() > 0 && p.blocks_downloaded() >= p.blocks_total();
}

std::string Percent(const cmd::SiteProgress& p) {
  if (p.blocks_total() == 0) return "0";
  return absl::StrCat(100 * p.blocks_downloaded() / p.blocks_total());
}

class MirrorCli {
 public:
  MirrorCli(IngestCliEnvironment& env, const Args& args) : env_(env), args_(args), client_(env.ingest_address) {}

  absl::Status Add() {
    EM_RETURN_IF_ERROR(args_.ExpectPositional(2, 2, "evermirror mirror add SITE --to BOX [--alias NAME] [--sparse] [--wait]"));
    EM_ASSIGN_OR_RETURN(std::string site, KeyArgument(args_.positional()[1], "site key"));
    EM_ASSIGN_OR_RETURN(std::string box, Box());
    cmd::Command command;
    command.add_to(box);
    command.mutable_mirror_add()->set_site_key(site);
    command.mutable_mirror_add()->set_alias(args_.GetOr("alias", ""));
    command.mutable_mirror_add()->set_mode(args_.Has("sparse") ? cmd::MODE_SPARSE : cmd::MODE_FULL);
    return Send(command, box, site, args_.Has("sparse"));
  }

  absl::Status Remove() {
    EM_RETURN_IF_ERROR(args_.ExpectPositional(2, 2, "evermirror mirror remove SITE --to BOX [--wait]"));
    EM_ASSIGN_OR_RETURN(std::string site, KeyArgument(args_.positional()[1], "site key"));
    EM_ASSIGN_OR_RETURN(std::string box, Box());
    cmd::Command command;
    command.add_to(box);
    command.mutable_mirror_remove()->set_site_key(site);
    return Send(command, box, "", false);
  }

  absl::Status List() {
    EM_RETURN_IF_ERROR(args_.ExpectPositional(1, 1, "evermirror mirror list [--to BOX]"));
    if (!args_.Has("to")) return ListLocal();
    EM_ASSIGN_OR_RETURN(std::string box, Box());
    EM_ASSIGN_OR_RETURN(BoxReceipts receipts, Follow(box, ""));
    int shown = 0;
    for (const auto& [site, progress] : receipts.sites) {
      if (progress.removed()) continue;
      env_.out(absl::StrCat(site, "  ", DescribeProgress(progress), "\n"));
      ++shown;
    }
    if (shown == 0) env_.out(absl::StrCat(BoxLabel(box, receipts), " reports no mirrored sites\n"));
    return absl::OkStatus();
  }

  absl::Status Status() {
    EM_RETURN_IF_ERROR(args_.ExpectPositional(1, 2, "evermirror mirror status [SITE] --to BOX"));
    std::string only;
    if (args_.positional().size() == 2) {
      EM_ASSIGN_OR_RETURN(only, KeyArgument(args_.positional()[1], "site key"));
    }
    EM_ASSIGN_OR_RETURN(std::string box, Box());
    EM_ASSIGN_OR_RETURN(v1::Identity self, client_.Identity());
    EM_ASSIGN_OR_RETURN(BoxReceipts receipts, Follow(box, self.command_log_key()));
    env_.out(absl::StrCat(BoxLabel(box, receipts), ": ", receipts.length > 0 ? receipts.length - 1 : 0,
                          " receipts\n"));
    PrintOurCommands(receipts);
    bool found = false;
    for (const auto& [site, progress] : receipts.sites) {
      if (!only.empty() && site != only) continue;
      found = true;
      env_.out(absl::StrCat("  ", site, "  ", DescribeProgress(progress), "\n"));
    }
    if (!only.empty() && !found) env_.out(absl::StrCat("  ", only, ": no progress reported by the box\n"));
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<std::string> Box() {
    std::optional<std::string> box = args_.Get("to");
    if (!box.has_value()) return absl::InvalidArgumentError("--to BOX is required (the box key `evermirror pair` prints on the box)");
    return KeyArgument(*box, "box key");
  }

  absl::Status Send(const cmd::Command& command, const std::string& box, const std::string& site, bool sparse) {
    EM_ASSIGN_OR_RETURN(v1::AppendCommandResponse appended, client_.Append(command));
    EM_RETURN_IF_ERROR(client_.FollowBox(box).status());
    env_.out(absl::StrCat("command ", appended.command_id(), " is #", appended.index(), " in this machine's log ",
                          appended.log_key().substr(0, 16), "...; box ", box.substr(0, 16),
                          "... applies it when it gets it\n"));
    if (!args_.Has("wait")) return absl::OkStatus();
    absl::Time deadline = absl::InfiniteFuture();
    if (std::optional<std::string> timeout = args_.Get("timeout"); timeout.has_value()) {
      absl::Duration d;
      if (!absl::ParseDuration(*timeout, &d) || d <= absl::ZeroDuration()) {
        return absl::InvalidArgumentError(absl::StrCat("bad --timeout \"", *timeout, "\" (e.g. 90s, 5m)"));
      }
      deadline = absl::Now() + d;
    }
    return Wait(box, appended, site, sparse, deadline);
  }

  // Follows the box's receipts until (log, index) is receipted and, with `site`, until the
  // site's progress shows its latest version complete.
  absl::Status Wait(const std::string& box, const v1::AppendCommandResponse& sent, const std::string& site,
                    bool sparse, absl::Time deadline) {
    uint64_t from = 1;
    bool applied = false, hinted = false;
    while (true) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        EndBar();
        return absl::DeadlineExceededError(absl::StrCat(
            "gave up waiting; the command stays in this machine's log and the box applies it when it gets it "
            "(see `evermirror mirror status --to ", box, "`)"));
      }
      EM_ASSIGN_OR_RETURN(v1::GetReceiptsResponse page, client_.Receipts(box, from, std::min(left, kPollSlice)));
      for (const v1::IndexedReceipt& r : page.receipts()) {
        const cmd::Receipt& receipt = r.receipt();
        if (receipt.has_command() && receipt.command().log_key() == sent.log_key() &&
            receipt.command().index() == sent.index()) {
          EM_RETURN_IF_ERROR(Outcome(receipt.command(), page.name(), box));
          applied = true;
          if (site.empty() || sparse) return absl::OkStatus();
        } else if (applied && receipt.has_progress() && receipt.progress().site_key() == site) {
          if (receipt.progress().removed()) {
            EndBar();
            return absl::FailedPreconditionError("the site was removed from the box while waiting");
          }
          if (Progress(receipt.progress())) return absl::OkStatus();
        }
      }
      if (!applied && !hinted && page.receipts().empty()) {
        hinted = true;
        env_.err(absl::StrCat("waiting for the box", page.name().empty() ? "" : absl::StrCat(" \"", page.name(), "\""),
                              " (it must be online and trust this machine's owner key: see `evermirror pair`)...\n"));
      }
      from = page.next_index();
    }
  }

  absl::Status Outcome(const cmd::CommandReceipt& receipt, const std::string& name, const std::string& box) {
    const std::string who = name.empty() ? absl::StrCat("box ", box.substr(0, 16), "...") : absl::StrCat("\"", name, "\"");
    switch (receipt.outcome()) {
      case cmd::OUTCOME_APPLIED:
        env_.out(absl::StrCat("applied by ", who, receipt.reason().empty() ? "" : absl::StrCat(" (", receipt.reason(), ")"),
                              "\n"));
        return absl::OkStatus();
      case cmd::OUTCOME_REJECTED:
        return absl::FailedPreconditionError(absl::StrCat(who, " rejected the command: ", receipt.reason()));
      default:
        return absl::FailedPreconditionError(absl::StrCat(who, " ignored the command (addressed to other boxes)"));
    }
  }

  // Shows progress; true once the site is complete.
  bool Progress(const cmd::SiteProgress& p) {
    const bool done = Complete(p);
    if (env_.terminal) {
      const int width = 30;
      const int filled = p.blocks_total() ? static_cast<int>(width * p.blocks_downloaded() / p.blocks_total()) : 0;
      env_.out(absl::StrFormat("\r[%s%s] %s%%  %d/%d blocks  %.1f/%.1f MB  version %d", std::string(filled, '#'),
                               std::string(width - filled, ' '), Percent(p), p.blocks_downloaded(), p.blocks_total(),
                               p.bytes_downloaded() / 1e6, p.bytes_total() / 1e6, p.latest_version()));
      bar_drawn_ = true;
    } else {
      env_.out(absl::StrCat("progress: ", DescribeProgress(p), "\n"));
    }
    if (done) {
      EndBar();
      env_.out(absl::StrCat("mirrored: version ", p.latest_version(), ", ", p.blocks_total(), " blocks\n"));
    }
    return done;
  }

  void EndBar() {
    if (bar_drawn_) env_.out("\n");
    bar_drawn_ = false;
  }

  absl::StatusOr<BoxReceipts> Follow(const std::string& box, const std::string& log_key) {
    EM_RETURN_IF_ERROR(client_.FollowBox(box).status());
    EM_ASSIGN_OR_RETURN(BoxReceipts receipts, ReadBoxReceipts(client_, box, log_key));
    if (receipts.length <= 1) {
      env_.err(absl::StrCat("no receipts from box ", box.substr(0, 16),
                            "... yet: is it online, and does it trust this machine? (`evermirror pair` shows how)\n"));
    }
    return receipts;
  }

  static std::string BoxLabel(const std::string& box, const BoxReceipts& r) {
    return r.name.empty() ? absl::StrCat("box ", box.substr(0, 16), "...") : absl::StrCat("box \"", r.name, "\"");
  }

  void PrintOurCommands(const BoxReceipts& receipts) {
    if (receipts.commands.empty()) {
      env_.out("  no commands of this machine handled yet\n");
      return;
    }
    const auto& [index, last] = *receipts.commands.rbegin();
    env_.out(absl::StrCat("  handled this machine's commands up to #", index, " (last: ",
                          cmd::Outcome_Name(last.outcome()).substr(8),
                          last.reason().empty() ? "" : absl::StrCat(": ", last.reason()), ")\n"));
  }

  absl::Status ListLocal() {
    EM_ASSIGN_OR_RETURN(v1::ListMirrorsResponse mirrors, client_.Mirrors());
    if (mirrors.mirrors().empty()) env_.out("this node mirrors no sites\n");
    for (const v1::Mirror& m : mirrors.mirrors()) {
      std::string line = absl::StrCat(m.site_key(), "  v", m.latest_version(), "  ", m.blocks_downloaded(), "/",
                                       m.blocks_total(), " blocks");
      for (const std::string& alias : m.aliases()) absl::StrAppend(&line, "  ", alias);
      if (m.pinned()) absl::StrAppend(&line, "  pinned v", m.pinned_version());
      if (!m.status_error().empty()) absl::StrAppend(&line, "  (", m.status_error(), ")");
      env_.out(line + "\n");
    }
    return absl::OkStatus();
  }

  IngestCliEnvironment& env_;
  const Args& args_;
  IngestClient client_;
  bool bar_drawn_ = false;
};

}  // namespace

absl::StatusOr<BoxReceipts> ReadBoxReceipts(IngestClient& client, const std::string& box_key,
                                            const std::string& log_key) {
  BoxReceipts out;
  uint64_t from = 1;
  while (true) {
    EM_ASSIGN_OR_RETURN(v1::GetReceiptsResponse page, client.Receipts(box_key, from, absl::ZeroDuration()));
    out.name = page.name();
    out.length = page.length();
    for (const v1::IndexedReceipt& r : page.receipts()) {
      if (r.receipt().has_progress()) out.sites[r.receipt().progress().site_key()] = r.receipt().progress();
      if (r.receipt().has_command() && r.receipt().command().log_key() == log_key) {
        out.commands[r.receipt().command().index()] = r.receipt().command();
      }
    }
    if (page.next_index() <= from || page.next_index() >= page.length()) break;
    from = page.next_index();
  }
  return out;
}

std::string DescribeProgress(const cmd::SiteProgress& p) {
  if (p.removed()) return "removed";
  std::string state = Complete(p) ? "complete" : absl::StrCat("syncing ", Percent(p), "%");
  return absl::StrFormat("v%d (serving v%d)  %d/%d blocks  %.1f/%.1f MB  %s", p.latest_version(), p.serving_version(),
                         p.blocks_downloaded(), p.blocks_total(), p.bytes_downloaded() / 1e6, p.bytes_total() / 1e6,
                         state);
}

int RunMirror(const std::vector<std::string>& words, IngestCliEnvironment& environment) {
  using Method = absl::Status (MirrorCli::*)();
  const std::map<std::string, Method> commands = {
      {"add", &MirrorCli::Add}, {"remove", &MirrorCli::Remove}, {"list", &MirrorCli::List}, {"status", &MirrorCli::Status}};
  const std::string sub = words.empty() ? "" : words[0];
  auto it = commands.find(sub);
  if (it == commands.end()) {
    environment.err(
        "usage: evermirror mirror add SITE --to BOX [--alias NAME] [--sparse] [--wait] [--timeout D]\n"
        "                         remove SITE --to BOX [--wait] | list [--to BOX] | status [SITE] --to BOX\n"
        "       (every command takes --ingest ADDRESS, default 127.0.0.1:7403)\n");
    return 2;
  }
  std::vector<char*> argv;
  for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  absl::StatusOr<Args> args =
      Args::Parse(static_cast<int>(argv.size()), argv.data(), 0, {"to", "alias", "ingest", "timeout"}, {"sparse", "wait"});
  absl::Status status = args.status();
  if (args.ok()) {
    if (args->Has("ingest")) environment.ingest_address = *args->Get("ingest");
    MirrorCli cli(environment, *args);
    status = (cli.*(it->second))();
  }
  if (!status.ok()) {
    environment.err(absl::StrCat("evermirror mirror ", sub, ": ", status.message(), "\n"));
    return absl::IsInvalidArgument(status) ? 2 : 1;
  }
  return 0;
}

int RunMirrorCommand(int argc, char** argv) {
  IngestCliEnvironment environment = ProcessIngestEnvironment();
  return RunMirror(std::vector<std::string>(argv + std::min(argc, 2), argv + argc), environment);
}

}  // namespace evermirror::cli
