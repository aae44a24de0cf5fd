// iotax-test-echo-server: the client tests' epoll echo server as a program,
// for measuring the clients without the servers branch:
//   iotax-test-echo-server [--cpus=LIST] [--chunk=BYTES]
// prints "listening on 127.0.0.1:PORT" and echoes until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "cpu_list.h"
#include "test_echo_server.h"

int main(int argc, char** argv) {
  iotax::testing::TestEchoServerOptions options;
  std::string cpus;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--cpus=", 7) == 0) {
      cpus = argv[i] + 7;
    } else if (std::strncmp(argv[i], "--chunk=", 8) == 0) {
      options.chunk = std::strtoul(argv[i] + 8, nullptr, 10);
    } else {
      std::cerr << "usage: iotax-test-echo-server [--cpus=LIST] [--chunk=BYTES]\n";
      return 2;
    }
  }
  auto list = iotax::net::ParseCpuList(cpus);
  if (!list.ok() || !iotax::net::PinCurrentThread(*list).ok()) {
    std::cerr << "bad --cpus\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the server thread starts
  iotax::testing::TestEchoServer server(options);
  std::cout << "listening on 127.0.0.1:" << server.port() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
