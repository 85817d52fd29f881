#include "orchestrator/endpoints.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <utility>

namespace fleet::orchestrator {
namespace {

// A port the kernel considers free for `host` (an IPv4 address or "*") right now.
StatusOr<int> FreeTcpPort(const std::string& host) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return UnavailableError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (host == "*") {
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return InvalidArgumentError("config key 'run.tcp_bind_host': '" + host +
                                "' is not an IPv4 address or '*' (free ports are looked up "
                                "on it; with a host name, set run.tcp_base_port)");
  }
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return UnavailableError("cannot find a free TCP port on " + host);
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

}  // namespace

StatusOr<Endpoints> Endpoints::Make(const RunSection& run) {
  Endpoints e;
  Endpoint* all[] = {&e.ingest, &e.rollout, &e.weights, &e.stats};
  const char* names[] = {"ingest", "rollout", "weights", "stats"};
  if (run.transport == "ipc") {
    // unix socket paths are limited to ~107 bytes, so they live in a short temp dir.
    char tmpl[] = "/tmp/fleet-XXXXXX";
    if (!::mkdtemp(tmpl)) return UnavailableError("cannot create a temp dir for ipc sockets");
    e.ipc_dir_ = tmpl;
    for (int i = 0; i < 4; ++i) {
      all[i]->bind = all[i]->connect = "ipc://" + e.ipc_dir_ + "/" + names[i];
    }
    return e;
  }
  const std::string connect_host = run.tcp_connect_host.empty() ? run.tcp_bind_host
                                                                : run.tcp_connect_host;
  for (int i = 0; i < 4; ++i) {
    int port = run.tcp_base_port + i;
    if (run.tcp_base_port == 0) {
      FLEET_ASSIGN_OR_RETURN(port, FreeTcpPort(run.tcp_bind_host));
    }
    all[i]->bind = "tcp://" + run.tcp_bind_host + ":" + std::to_string(port);
    all[i]->connect = "tcp://" + connect_host + ":" + std::to_string(port);
  }
  return e;
}

Endpoints::Endpoints(Endpoints&& o) noexcept
    : ingest(std::move(o.ingest)),
      rollout(std::move(o.rollout)),
      weights(std::move(o.weights)),
      stats(std::move(o.stats)),
      ipc_dir_(std::exchange(o.ipc_dir_, "")) {}

Endpoints::~Endpoints() {
  if (!ipc_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(ipc_dir_, ec);
  }
}

}  // namespace fleet::orchestrator
