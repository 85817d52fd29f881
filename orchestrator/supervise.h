// Helpers shared by `fleet run` and `fleet collect`.
#pragma once

#include <string>

#include "common/status.h"

namespace fleet::orchestrator {

struct Endpoints {
  std::string ingest, rollout, weights, stats;
  std::string ipc_dir;  // removed at the end
};

// ipc: unix sockets in a fresh /tmp/fleet-XXXXXX; tcp: free ports on 127.0.0.1.
StatusOr<Endpoints> MakeEndpoints(const std::string& transport);
// runs/NAME-YYYYmmdd-HHMMSS
std::string DefaultRunDir(const std::string& name);
// 1.2k, 3.40M
std::string FormatCount(double v);

}  // namespace fleet::orchestrator
