// Drives the real evermirror-echo binary the way an operator does: `buf curl` through
// reflection only (no .proto files given to buf), health checks, /metrics scraped by
// promtool, configuration by file, environment and flags, and SIGTERM.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/metrics/testing/scrape.h"
#include "tests/rpc_reflection/subprocess.h"

namespace evermirror::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kStartTimeout = absl::Seconds(20);

// The value of `key` in a log line, either format: ` key=value` or `"key":"value"`.
std::string Field(const std::string& line, std::string_view key) {
  const std::string k(key);
  for (const auto& [prefix, end] : {std::pair<std::string, char>{" " + k + "=", ' '}, {"\"" + k + "\":\"", '"'}}) {
    const size_t at = line.find(prefix);
    if (at == std::string::npos) continue;
    const size_t begin = at + prefix.size();
    return line.substr(begin, line.find(end, begin) - begin);
  }
  return "";
}

int PortOf(const std::string& address) {
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) return 0;
  return port;
}

class RpcReflectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(EM_BUF, X_OK) != 0) GTEST_SKIP() << "buf not installed: run tests/interop/setup.sh";
    char tmpl[] = "/tmp/em-reflect-XXXXXX";
    dir_ = mkdtemp(tmpl);
    // buf keeps a cache under $HOME: give it a private one.
    buf_env_ = {{"HOME", dir_}, {"XDG_CACHE_HOME", dir_ + "/cache"}, {"BUF_CACHE_DIR", dir_ + "/cache"}};
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) RunCommand({"/bin/rm", "-rf", dir_}).IgnoreError();
  }

  // Starts evermirror-echo with `flags` and waits for its "ready" line.
  void StartServer(std::vector<std::string> flags, EnvOverrides env = {}) {
    std::vector<std::string> argv = {EM_ECHO_SERVER};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto started = Subprocess::Start(argv, env);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    const bool json = std::find(flags.begin(), flags.end(), "--log.format=json") != flags.end() ||
                      env.count("EVERMIRROR_CONFIG") > 0;  // the test's config file asks for json
    absl::StatusOr<std::string> ready = server_->WaitForLine(json ? "\"event\":\"ready\"" : "event=ready", kStartTimeout);
    ASSERT_TRUE(ready.ok()) << ready.status();
    grpc_address_ = Field(*ready, "grpc");
    metrics_address_ = Field(*ready, "metrics");
  }
  void StartDefaultServer() {
    StartServer({"--admin_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0"});
  }

  // buf curl --protocol grpc --http2-prior-knowledge <args>
  CommandResult Buf(std::vector<std::string> args) {
    std::vector<std::string> argv = {EM_BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
                                     "--timeout", "60s"};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> result = RunCommand(argv, buf_env_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : CommandResult{};
  }
  std::string Url(std::string_view method = "") {
    return absl::StrCat("http://", grpc_address_, method.empty() ? "" : "/", absl::string_view(method.data(), method.size()));
  }

  std::string dir_;
  EnvOverrides buf_env_;
  std::unique_ptr<Subprocess> server_;
  std::string grpc_address_;
  std::string metrics_address_;
};

TEST_F(RpcReflectionTest, ListMethodsThroughReflectionOnly) {
  StartDefaultServer();
  CommandResult list = Buf({"--list-methods", Url()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, AllOf(HasSubstr("evermirror.testing.v1.EchoService/Echo\n"),
                              HasSubstr("evermirror.testing.v1.EchoService/EchoStream\n"),
                              HasSubstr("grpc.health.v1.Health/Check\n"), HasSubstr("grpc.health.v1.Health/Watch\n")));
}

TEST_F(RpcReflectionTest, UnaryCallWithJson) {
  StartDefaultServer();
  CommandResult echo = Buf({"-d", R"({"message": "hello from buf"})", Url("evermirror.testing.v1.EchoService/Echo")});
  ASSERT_EQ(echo.exit_code, 0) << echo.err;
  EXPECT_THAT(echo.out, HasSubstr(R"("message": "hello from buf")"));
}

TEST_F(RpcReflectionTest, ErrorsArriveWithTheirCodeAndMessage) {
  StartDefaultServer();
  CommandResult failed =
      Buf({"-d", R"({"message": "no such site", "failCode": 5})", Url("evermirror.testing.v1.EchoService/Echo")});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_THAT(failed.err, AllOf(HasSubstr(R"("code": "not_found")"), HasSubstr(R"("message": "no such site")")));
}

TEST_F(RpcReflectionTest, ServerStreamingCall) {
  StartDefaultServer();
  CommandResult stream =
      Buf({"-d", R"({"message": "tick", "count": 3})", Url("evermirror.testing.v1.EchoService/EchoStream")});
  ASSERT_EQ(stream.exit_code, 0) << stream.err;
  EXPECT_THAT(stream.out, AllOf(HasSubstr(R"("sequence": 1)"), HasSubstr(R"("sequence": 3)")));
}

TEST_F(RpcReflectionTest, HealthCheckSaysServing) {
  StartDefaultServer();
  CommandResult overall = Buf({"-d", "{}", Url("grpc.health.v1.Health/Check")});
  ASSERT_EQ(overall.exit_code, 0) << overall.err;
  EXPECT_THAT(overall.out, HasSubstr(R"("status": "SERVING")"));
  CommandResult service =
      Buf({"-d", R"({"service": "evermirror.testing.v1.EchoService"})", Url("grpc.health.v1.Health/Check")});
  ASSERT_EQ(service.exit_code, 0) << service.err;
  EXPECT_THAT(service.out, HasSubstr(R"("status": "SERVING")"));
}

TEST_F(RpcReflectionTest, AdminOverAUnixSocket) {
  const std::string sock = dir_ + "/echo.sock";
  StartServer({absl::StrCat("--admin_address=unix:", sock), "--metrics_address="});
  EXPECT_EQ(grpc_address_, absl::StrCat("unix:", sock));
  EXPECT_EQ(metrics_address_, "off");
  CommandResult list = Buf({"--unix-socket", sock, "--list-methods", "http://localhost"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("evermirror.testing.v1.EchoService/Echo\n"));
  CommandResult health = Buf({"--unix-socket", sock, "-d", "{}", "http://localhost/grpc.health.v1.Health/Check"});
  EXPECT_THAT(health.out, HasSubstr(R"("status": "SERVING")"));
}

TEST_F(RpcReflectionTest, MetricsCountTheCallsAndPassPromtool) {
  StartDefaultServer();
  ASSERT_EQ(Buf({"-d", "{}", Url("grpc.health.v1.Health/Check")}).exit_code, 0);
  ASSERT_EQ(Buf({"-d", R"({"message": "x"})", Url("evermirror.testing.v1.EchoService/Echo")}).exit_code, 0);
  absl::StatusOr<metrics::testing::HttpResponse> page = metrics::testing::HttpGet(PortOf(metrics_address_));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->body, HasSubstr(R"(evermirror_echo_grpc_server_handled_total{code="OK",method="grpc.health.v1.Health/Check"} 1)"));
  EXPECT_THAT(page->body, HasSubstr(R"(evermirror_echo_grpc_server_handled_total{code="OK",method="evermirror.testing.v1.EchoService/Echo"} 1)"));
  EXPECT_THAT(page->body, HasSubstr("# TYPE evermirror_echo_grpc_server_handling_seconds histogram"));
  if (!metrics::testing::FindPromtool()) GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  absl::StatusOr<metrics::testing::PromtoolResult> lint = metrics::testing::PromtoolCheckMetrics(page->body);
  ASSERT_TRUE(lint.ok()) << lint.status();
  EXPECT_EQ(lint->exit_code, 0) << lint->output;
  EXPECT_EQ(lint->output, "");
}

TEST_F(RpcReflectionTest, SigtermShutsDownGracefully) {
  StartDefaultServer();
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0);
  const std::string err = server_->Stderr();
  EXPECT_THAT(err, HasSubstr("event=shutdown_requested signal=SIGTERM"));
  EXPECT_THAT(err, HasSubstr("event=grpc_server_stopped"));
  EXPECT_NE(Buf({"-d", "{}", Url("grpc.health.v1.Health/Check")}).exit_code, 0);
}

TEST_F(RpcReflectionTest, ConfigFileThenEnvironmentThenFlags) {
  const std::string file = dir_ + "/evermirror.toml";
  std::ofstream(file) << "[box]\nname = \"test-box\"\n[log]\nformat = \"json\"\nlevel = \"debug\"\n"
                         "[echo]\nadmin_address = \"127.0.0.1:1\"\nmetrics_address = \"\"\nshutdown_grace = \"2s\"\n"
                         "[replicator]\nanything = \"ignored by echo\"\n";
  // The file's admin port 1 is overridden by the environment; the grace comes from a flag.
  const EnvOverrides env = {{"EVERMIRROR_CONFIG", file}, {"EVERMIRROR_ECHO_ADMIN_ADDRESS", "127.0.0.1:0"}};
  StartServer({"--shutdown-grace=3s"}, env);
  EXPECT_EQ(grpc_address_.rfind("127.0.0.1:", 0), 0u);  // found in a json line: [log] format from the file
  EXPECT_GT(PortOf(grpc_address_), 1);
  EXPECT_EQ(metrics_address_, "off");
  std::string err = server_->Stderr();
  EXPECT_THAT(err, HasSubstr(absl::StrCat(R"("event":"config_loaded","file":")", file, R"(")")));
  // At level debug (from the file) the effective values are logged, with their winners.
  EXPECT_THAT(err, HasSubstr(R"("key":"box.name","value":"test-box")"));
  EXPECT_THAT(err, HasSubstr(R"("key":"echo.admin_address","value":"127.0.0.1:0")"));
  EXPECT_THAT(err, HasSubstr(R"("key":"echo.shutdown_grace","value":"3s")"));
  EXPECT_THAT(err, HasSubstr(R"("key":"echo.max_message_size","value":"4MiB")"));  // default
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0);

  // A flag beats the file's level: no debug lines.
  StartServer({"--log.level=info"}, env);
  err = server_->Stderr();
  EXPECT_THAT(err, HasSubstr(R"("event":"ready")"));
  EXPECT_THAT(err, Not(HasSubstr("config_value")));
}

TEST_F(RpcReflectionTest, BadConfigurationExitsWithStatus2NamingTheField) {
  struct Case {
    std::vector<std::string> args;
    EnvOverrides env;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--admin_address=0.0.0.0:7399"}, {}, "admin_address: 0.0.0.0:7399 is not a loopback address"},
      {{"--max_message_size=lots"}, {}, "echo.max_message_size: bad size \"lots\""},
      {{}, {{"EVERMIRROR_ECHO_SHUTDOWN_GRACE", "soon"}}, "echo.shutdown_grace: bad duration \"soon\""},
      {{"--config=/nonexistent/evermirror.toml"}, {}, "config file /nonexistent/evermirror.toml"},
      {{"--no_such_flag=1"}, {}, "unknown flag --no_such_flag"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {EM_ECHO_SERVER};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    absl::StatusOr<CommandResult> run = RunCommand(argv, c.env);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->exit_code, 2) << c.message << "\n" << run->err;
    EXPECT_THAT(run->err, HasSubstr("evermirror-echo: bad configuration:")) << c.message;
    EXPECT_THAT(run->err, HasSubstr(c.message));
  }
}

TEST_F(RpcReflectionTest, HelpListsEveryOptionAndExits0) {
  absl::StatusOr<CommandResult> help = RunCommand({EM_ECHO_SERVER, "--help"});
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(help->exit_code, 0);
  EXPECT_THAT(help->out, AllOf(HasSubstr("--admin_address=ADDRESS  (default 127.0.0.1:0)"),
                               HasSubstr("env EVERMIRROR_ECHO_METRICS_ADDRESS"), HasSubstr("--log.level=")));
}

}  // namespace
}  // namespace evermirror::testing
