// `fleet serve ENV_ID`: one env id served over HTTP and WebSocket (envs/server).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::orchestrator {

struct ServeOptions {
  std::string env_id;
  std::string host = "127.0.0.1";
  int port = 8000;
  // env.options.KEY=VALUE
  std::vector<std::string> sets;
  // the bearer token: this file's first line, else $FLEET_SERVE_TOKEN
  std::string token_file;
  int threads = 1;
  double idle_timeout_s = 300;
  int max_sessions = 256;
  int max_batch_envs = 4096;
};

// Serves until SIGINT/SIGTERM. Prints the address (and the port chosen for --port 0) on
// one line once it listens.
Status Serve(const ServeOptions& options);

}  // namespace fleet::orchestrator
