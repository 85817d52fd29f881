#include "orchestrator/serve.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "common/signals.h"
#include "envs/server/env_server.h"

namespace fleet::orchestrator {

namespace {

constexpr char kOptionPrefix[] = "env.options.";

StatusOr<std::string> ReadToken(const std::string& token_file) {
  if (token_file.empty()) {
    const char* env = std::getenv("FLEET_SERVE_TOKEN");
    return std::string(env ? env : "");
  }
  std::ifstream in(token_file);
  std::string token;
  if (!in || !std::getline(in, token)) {
    return InvalidArgumentError("cannot read a token from '" + token_file + "'");
  }
  if (token.empty()) return InvalidArgumentError("the token file '" + token_file + "' is empty");
  return token;
}

}  // namespace

Status Serve(const ServeOptions& options) {
  envs::EnvServerOptions o;
  o.service.env_id = options.env_id;
  if (options.env_id.empty()) return InvalidArgumentError("ENV_ID is empty");
  for (const std::string& set : options.sets) {
    const size_t eq = set.find('=');
    if (eq == std::string::npos) {
      return InvalidArgumentError("--set '" + set + "': expected env.options.KEY=VALUE");
    }
    const std::string key = set.substr(0, eq);
    if (key.rfind(kOptionPrefix, 0) != 0 || key.size() == sizeof(kOptionPrefix) - 1) {
      return InvalidArgumentError("--set '" + key + "': fleet serve takes env.options.KEY only");
    }
    o.service.env_options[key.substr(sizeof(kOptionPrefix) - 1)] = set.substr(eq + 1);
  }
  o.service.idle_timeout_s = options.idle_timeout_s;
  o.service.max_sessions = options.max_sessions;
  o.service.max_batch_envs = options.max_batch_envs;
  o.host = options.host;
  o.port = options.port;
  o.threads = options.threads;
  FLEET_ASSIGN_OR_RETURN(o.token, ReadToken(options.token_file));
  FLEET_ASSIGN_OR_RETURN(auto server, envs::EnvServer::Create(o));
  const bool loopback = envs::IsLoopbackHost(o.host);
  std::printf("fleet serve: %s on http://%s:%d (WebSocket /ws), %s\n", options.env_id.c_str(),
              o.host.c_str(), server->port(),
              loopback && o.token.empty()
                  ? "loopback only"
                  : "every request but /health needs 'Authorization: Bearer TOKEN'");
  std::fflush(stdout);
  std::thread watcher([&] {
    while (!StopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server->Stop();
  });
  server->Run();
  RequestStop();
  watcher.join();
  std::printf("fleet serve: stopped after %lld steps\n",
              static_cast<long long>(server->service().steps_served()));
  return OkStatus();
}

}  // namespace fleet::orchestrator
