// Exposure without root: basic auth (file format, header parsing, 401/200 on
// a real loopback server), TLS (HTTPS with a certificate made by openssl,
// plain HTTP refused, bad files named in one-line errors), the loopback test
// behind iotaxd's "exposed" warning, and the flags that turn these on.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "exposure_util.h"
#include "http_auth.h"
#include "http_server.h"
#include "iotaxd_options.h"
#include "metrics_route.h"
#include "tls_credentials.h"

namespace iotax {
namespace {

using testing::AuthLine;
using testing::Get;
using testing::MakeSelfSignedCert;
using testing::RunShell;
using testing::ScratchDir;
using testing::SendRaw;

std::string Basic(const std::string& user_and_password) { return "Basic " + absl::Base64Escape(user_and_password); }

// --- the auth file and the header -------------------------------------------

TEST(BasicAuth, AcceptsOnlyTheRightPasswordOfAKnownUser) {
  ScratchDir dir;
  const std::string file = dir.Write("users", "# Prometheus\n" + AuthLine("prom", "s3cret") + "\n" +
                                                  AuthLine("ops", "other-pass"));
  absl::StatusOr<BasicAuth> auth = BasicAuth::FromFile(file);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->users(), 2u);
  EXPECT_TRUE(auth->Allows(Basic("prom:s3cret")));
  EXPECT_TRUE(auth->Allows(Basic("ops:other-pass")));
  EXPECT_TRUE(auth->Allows("basic  " + absl::Base64Escape("prom:s3cret")));  // scheme is case-insensitive
  EXPECT_FALSE(auth->Allows(Basic("prom:other-pass")));                      // another user's password
  EXPECT_FALSE(auth->Allows(Basic("prom:s3cret ")));
  EXPECT_FALSE(auth->Allows(Basic("prom:S3cret")));
  EXPECT_FALSE(auth->Allows(Basic("nobody:s3cret")));
  EXPECT_FALSE(auth->Allows(Basic(std::string("prom:s3cret\0tail", 16))));  // crypt stops at NUL; we must not
  EXPECT_FALSE(auth->Allows(""));
  EXPECT_FALSE(auth->Allows("Bearer s3cret"));
  EXPECT_FALSE(auth->Allows("Basic"));
  EXPECT_FALSE(auth->Allows("Basic !!!!"));
}

TEST(BasicAuth, AcceptsBcryptFromHtpasswd) {
  // The hash format `htpasswd -nbB` writes ($2y$ bcrypt); python's crypt
  // module is the independent source of the hash here.
  testing::CommandResult hash = RunShell(
      "python3 -W ignore -c \"import crypt; print(crypt.crypt(\\\"pw\\\", crypt.mksalt(crypt.METHOD_BLOWFISH, "
      "rounds=16)))\"");
  if (hash.exit_code != 0 || !absl::StartsWith(hash.output, "$2")) GTEST_SKIP() << "no bcrypt here: " << hash.output;
  hash.output.pop_back();
  absl::StatusOr<BasicAuth> auth = BasicAuth::FromText("u:" + hash.output + "\n", "test");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE(auth->Allows(Basic("u:pw")));
  EXPECT_FALSE(auth->Allows(Basic("u:pw2")));
}

TEST(BasicAuth, ParsesTheHeaderIntoUserAndPassword) {
  auto c = ParseBasicAuthorization(Basic("a:b:c"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "a");
  EXPECT_EQ(c->password, "b:c");  // a password may hold ':'; a user may not
  c = ParseBasicAuthorization(Basic(":"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "");
  EXPECT_FALSE(ParseBasicAuthorization(Basic("no-colon")));
  EXPECT_FALSE(ParseBasicAuthorization("Basicxx"));
  EXPECT_FALSE(ParseBasicAuthorization("Digest username=\"a\""));
}

TEST(BasicAuth, BadFilesAreOneLineErrorsThatSayHowToFixThem) {
  ScratchDir dir;
  struct Case {
    std::string text, expect;
  } cases[] = {
      {"prom:s3cret\n", "line 1: the password of 'prom' is not a crypt(3) hash (a clear-text password?)"},
      {"# only a comment\n\n", "has no USER:HASH line"},
      {"\njust-a-name\n", "line 2 is not USER:HASH"},
      {"prom:$1$salt$qJH7.N4xYta3aEG/dfqo/0\n", "MD5 hash ($1$), too weak"},
      {"prom:$9$unknown\n", "not one this system's crypt(3) knows"},
      {AuthLine("prom", "a") + AuthLine("prom", "b"), "line 2: user 'prom' appears twice"},
  };
  for (const Case& c : cases) {
    const std::string file = dir.Write("users", c.text);
    absl::StatusOr<BasicAuth> auth = BasicAuth::FromFile(file);
    ASSERT_FALSE(auth.ok()) << c.text;
    const std::string message(auth.status().message());
    EXPECT_TRUE(absl::StrContains(message, c.expect)) << message;
    EXPECT_TRUE(absl::StrContains(message, "--auth-file=" + file)) << message;
    EXPECT_TRUE(absl::StrContains(message, "htpasswd -nbB") || absl::StrContains(message, "keep one line"))
        << message;
    EXPECT_FALSE(absl::StrContains(message, "\n")) << message;
  }
  absl::StatusOr<BasicAuth> missing = BasicAuth::FromFile(dir.path() + "/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "--auth-file=" + dir.path() + "/none cannot be read"));
}

// --- auth on a real server ----------------------------------------------------

class AuthServer : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<BasicAuth> auth = BasicAuth::FromText(AuthLine("prom", "s3cret"), "test");
    ASSERT_TRUE(auth.ok()) << auth.status();
    server_.AddRoute("/healthz", HealthHandler());
    server_.RequireBasicAuth(std::make_shared<const BasicAuth>(std::move(*auth)));
    ASSERT_TRUE(server_.Start("127.0.0.1", 0, 2).ok());
  }
  HttpServer server_;
};

TEST_F(AuthServer, UnauthenticatedGets401WithAChallengeAuthenticatedGets200) {
  const testing::RawReply none = Get(server_.port(), "/healthz");
  EXPECT_EQ(none.status(), 401) << none.text;
  EXPECT_TRUE(absl::StrContains(none.text, "\r\nWWW-Authenticate: Basic realm=\"iotaxd\"")) << none.text;
  EXPECT_FALSE(absl::StrContains(none.text, "ok\n"));

  EXPECT_EQ(Get(server_.port(), "/healthz", Basic("prom:wrong")).status(), 401);
  EXPECT_EQ(Get(server_.port(), "/healthz", Basic("someone:s3cret")).status(), 401);
  const testing::RawReply good = Get(server_.port(), "/healthz", Basic("prom:s3cret"));
  EXPECT_EQ(good.status(), 200) << good.text;
  EXPECT_TRUE(absl::EndsWith(good.text, "ok\n")) << good.text;

  // Unknown pages too: no 404 with the list of routes before logging in.
  const testing::RawReply unknown = Get(server_.port(), "/secret-page");
  EXPECT_EQ(unknown.status(), 401);
  EXPECT_FALSE(absl::StrContains(unknown.text, "/healthz"));
  EXPECT_EQ(Get(server_.port(), "/secret-page", Basic("prom:s3cret")).status(), 404);
}

TEST_F(AuthServer, CurlWithUserAndPasswordGets200) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_.port()) + "/healthz";
  EXPECT_EQ(RunShell("curl -s -o /dev/null -w %{http_code} " + url).output, "401");
  EXPECT_EQ(RunShell("curl -s -u prom:s3cret " + url).output, "ok\n");
}

// --- TLS ------------------------------------------------------------------------

TEST(Tls, ServesHttpsAndRefusesPlainHttp) {
  ScratchDir dir;
  std::string cert, key;
  ASSERT_TRUE(MakeSelfSignedCert(dir, "server", &cert, &key));
  absl::StatusOr<std::shared_ptr<const TlsCredentials>> tls = TlsCredentials::Load(cert, key);
  ASSERT_TRUE(tls.ok()) << tls.status();
  absl::StatusOr<BasicAuth> auth = BasicAuth::FromText(AuthLine("prom", "s3cret"), "test");
  ASSERT_TRUE(auth.ok());

  HttpServer server;
  server.AddRoute("/healthz", HealthHandler());
  server.UseTls(*tls);
  server.RequireBasicAuth(std::make_shared<const BasicAuth>(std::move(*auth)));
  absl::Status started = server.Start("127.0.0.1", 0, 2);
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(absl::StartsWith(server.url(), "https://127.0.0.1:")) << server.url();
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/healthz";

  // Verified against the certificate itself (no -k): the server presents it.
  testing::CommandResult ok = RunShell("curl -sS --cacert " + cert + " -u prom:s3cret " + url);
  EXPECT_EQ(ok.output, "ok\n");
  EXPECT_EQ(RunShell("curl -sS -k -o /dev/null -w %{http_code} " + url).output, "401");
  // TLS 1.2 is the oldest protocol offered.
  EXPECT_NE(RunShell("curl -sS -k --tlsv1.1 --tls-max 1.1 " + url).exit_code, 0);

  // Plain HTTP on the HTTPS port gets no HTTP answer at all.
  const testing::RawReply plain = Get(server.port(), "/healthz", Basic("prom:s3cret"));
  EXPECT_TRUE(plain.connected);
  EXPECT_EQ(plain.status(), 0) << plain.text;
  EXPECT_FALSE(absl::StrContains(plain.text, "ok\n"));
  EXPECT_NE(RunShell("curl -sS -u prom:s3cret http://127.0.0.1:" + std::to_string(server.port()) + "/healthz").output,
            "ok\n");
}

TEST(Tls, StopIsPromptWithAStalledClientMidHandshake) {
  ScratchDir dir;
  std::string cert, key;
  ASSERT_TRUE(MakeSelfSignedCert(dir, "server", &cert, &key));
  absl::StatusOr<std::shared_ptr<const TlsCredentials>> tls = TlsCredentials::Load(cert, key);
  ASSERT_TRUE(tls.ok()) << tls.status();
  HttpServer server;
  server.AddRoute("/healthz", HealthHandler());
  server.UseTls(*tls);
  ASSERT_TRUE(server.Start("127.0.0.1", 0, 2).ok());
  // A client that connects and sends half a ClientHello, then nothing.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(send(fd, "\x16\x03\x01\x02\x00", 5, MSG_NOSIGNAL), 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Others are still served meanwhile.
  EXPECT_EQ(RunShell("curl -sS -k https://127.0.0.1:" + std::to_string(server.port()) + "/healthz").output, "ok\n");
  const auto t0 = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3)) << "Stop waited for the stalled client";
  close(fd);
}

TEST(Tls, BadFilesAreOneLineErrorsNamingTheFlagAndFile) {
  ScratchDir dir;
  std::string cert, key, other_cert, other_key;
  ASSERT_TRUE(MakeSelfSignedCert(dir, "a", &cert, &key));
  ASSERT_TRUE(MakeSelfSignedCert(dir, "b", &other_cert, &other_key));
  const std::string garbage = dir.Write("garbage.pem", "not a certificate\n");
  ASSERT_EQ(RunShell("openssl pkey -in " + key + " -aes256 -passout pass:pw -out " + dir.path() + "/locked.key").exit_code,
            0);
  struct Case {
    std::string cert, key, expect;
  } cases[] = {
      {dir.path() + "/missing.crt", key, "--tls-cert=" + dir.path() + "/missing.crt cannot be read"},
      {cert, dir.path() + "/missing.key", "--tls-key=" + dir.path() + "/missing.key cannot be read"},
      {garbage, key, "--tls-cert=" + garbage + " holds no PEM certificate"},
      {cert, garbage, "--tls-key=" + garbage + " holds no unencrypted PEM private key"},
      {cert, dir.path() + "/locked.key", "holds no unencrypted PEM private key"},
      {cert, other_key, "--tls-key=" + other_key + " does not belong to --tls-cert=" + cert},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::shared_ptr<const TlsCredentials>> tls = TlsCredentials::Load(c.cert, c.key);
    ASSERT_FALSE(tls.ok()) << c.expect;
    const std::string message(tls.status().message());
    EXPECT_TRUE(absl::StrContains(message, c.expect)) << message;
    EXPECT_FALSE(absl::StrContains(message, "\n")) << message;
  }
}

// --- where it listens -------------------------------------------------------------

TEST(Exposure, OnlyLoopbackAddressesCountAsLoopback) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "128.0.0.1", "::ffff:10.0.0.1", "fe80::1",
                           "example.com", ""}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(Exposure, TheDefaultListenAddressIsLoopback) {
  RawDaemonFlags raw;
  raw.pid = {"1"};
  absl::StatusOr<DaemonOptions> options = ValidateDaemonFlags(raw);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen_host, "127.0.0.1");
  EXPECT_TRUE(IsLoopbackHost(options->listen_host));
}

TEST(Exposure, TlsFlagsComeInPairs) {
  RawDaemonFlags raw;
  raw.pid = {"1"};
  raw.tls_cert = "/etc/iotax/cert.pem";
  absl::StatusOr<DaemonOptions> options = ValidateDaemonFlags(raw);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().message(), "--tls-cert without --tls-key: pass both, --tls-cert=CERT.pem --tls-key=KEY.pem");
  raw.tls_cert.clear();
  raw.tls_key = "/etc/iotax/key.pem";
  options = ValidateDaemonFlags(raw);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().message(), "--tls-key without --tls-cert: pass both, --tls-cert=CERT.pem --tls-key=KEY.pem");
  raw.tls_cert = "/etc/iotax/cert.pem";
  raw.auth_file = "/etc/iotax/users";
  raw.user = "nobody";
  options = ValidateDaemonFlags(raw);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->tls_cert, "/etc/iotax/cert.pem");
  EXPECT_EQ(options->tls_key, "/etc/iotax/key.pem");
  EXPECT_EQ(options->auth_file, "/etc/iotax/users");
  EXPECT_EQ(options->user, "nobody");
}

TEST(Exposure, HelpExplainsTheNewFlags) {
  const std::string help = DaemonUsageText();
  for (const char* flag : {"--auth-file=PATH", "--tls-cert=PATH", "--tls-key=PATH", "--user=USER"}) {
    EXPECT_TRUE(absl::StrContains(help, flag)) << flag << "\n" << help;
  }
  EXPECT_TRUE(absl::StrContains(help, "exposes the endpoint"));
}

}  // namespace
}  // namespace iotax
