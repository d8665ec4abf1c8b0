// The GoogleTest fixture of tests/e2e: a private network namespace for the whole binary (entered
// once, before any test), a TestLan per test, and hosts on it; the laptop (10.77.0.1) and the box
// (10.77.0.2, trusting the laptop's owner key) are the usual pair. On failure every host's
// service logs are printed (also with EM_E2E_LOGS set).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_host.h"
#include "tests/e2e/e2e_lan.h"
#include "tests/e2e/e2e_steps.h"

namespace evermirror::e2e {

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts a host (its name, index and discovery settings in `o`); nullptr (and a test
  // failure) if it did not come up.
  Host* StartHost(HostOptions o);
  // The laptop, then the box trusting the laptop's owner key in its configuration
  // (`trust_in_config`) or by `evermirror trust` run on the box afterwards.
  void StartLaptopAndBox(bool dht, bool lan, bool trust_in_config = true);
  // Writes `files` to a folder of the laptop's, publishes it as `site` (empty: a new site)
  // and seeds it from the laptop.
  Published PublishOnLaptop(const Files& files, const std::string& site = "");
  // `evermirror ARGS...` against `host`'s ingest.
  CliResult Cli(const Host& host, std::vector<std::string> args, absl::Duration timeout = kPatience);
  void PrintLogs();

  std::string tmp_;
  std::unique_ptr<TestLan> lan_;
  std::vector<std::unique_ptr<Host>> hosts_;
  Host* laptop_ = nullptr;
  Host* box_ = nullptr;
};

HostOptions Options(const std::string& name, int index, bool dht, bool lan);

// A small site with a nested folder and a file of several 64 KiB blocks.
Files SmallSite(const std::string& tag);

}  // namespace evermirror::e2e
