// The run's ZeroMQ endpoints, each with the address its binding role listens on and the
// one the other roles connect to, which differ on a cluster (bind tcp://*:P, connect
// tcp://node7:P). The store binds ingest and rollout, the learner weights and stats.
//   run.transport ipc: unix sockets in a fresh private /tmp/fleet-XXXXXX (removed with
//     the Endpoints object); bind = connect.
//   run.transport tcp: run.tcp_bind_host and run.tcp_connect_host (default: the bind
//     host), ports run.tcp_base_port.. +3, or free ones picked here.
#pragma once

#include <string>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::orchestrator {

struct Endpoint {
  std::string bind, connect;
};

class Endpoints {
 public:
  static StatusOr<Endpoints> Make(const RunSection& run);
  Endpoints(Endpoints&& o) noexcept;
  Endpoints& operator=(Endpoints&&) = delete;
  ~Endpoints();

  Endpoint ingest, rollout, weights, stats;

 private:
  Endpoints() = default;
  std::string ipc_dir_;  // removed at the end
};

}  // namespace fleet::orchestrator
