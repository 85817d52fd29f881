// What `fleet serve` serves, apart from the transport: sessions of one env id, each an env
// (or a batch of envs) owned by one client, and the requests on them, JSON in and out.
// The HTTP and WebSocket transport (env_server.h) hands requests here; tests can drive
// the service directly. Thread-safe: requests on different sessions run in parallel, two
// on the same session take turns.
//
// The protocol mirrors OpenEnv's (openenv-core 0.3: GET /health, /metadata, /schema,
// POST /reset, /step, GET /state; the WebSocket /ws with {"type": "reset"|"step"|"state"|
// "close", "data": ...} messages), with what OpenEnv's stateless HTTP routes lack: a
// session id (the `X-Session-Id` header or a `session_id` field), returned by reset.
// Docs: envs/server/README.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "envs/env.h"
#include "envs/vector_env.h"

namespace fleet::envs {

struct EnvServiceOptions {
  std::string env_id;
  std::map<std::string, std::string> env_options;
  // sessions untouched this long are closed (a WebSocket's connection with them)
  double idle_timeout_s = 300;
  int max_sessions = 256;
  // the most envs one batch session may hold
  int max_batch_envs = 4096;
};

// One reply: an HTTP status and a JSON body ({"error": ..., "code": ...} for 4xx/5xx).
struct ServiceReply {
  int status = 200;
  Json body;
};

class EnvService {
 public:
  // Fails (NotFound / InvalidArgument naming the problem) if the env cannot be made with
  // these options, so a server never starts on a bad id.
  static StatusOr<std::unique_ptr<EnvService>> Create(EnvServiceOptions options);

  const EnvSpec& spec() const { return spec_; }
  const EnvServiceOptions& options() const { return options_; }

  // An HTTP request. `path` without the query; `query_session` the `session_id` query
  // parameter (for GET /state), `header_session` the X-Session-Id header, either empty.
  ServiceReply Handle(std::string_view method, std::string_view path,
                      std::string_view header_session, std::string_view query_session,
                      std::string_view body);

  // WebSocket: a connection opens a session (CAPACITY_REACHED when full), sends messages
  // and closes it. HandleMessage returns the reply frame; `close` is set by a close message.
  StatusOr<std::string> OpenSession();
  Json HandleMessage(const std::string& session_id, std::string_view text, bool& close);
  void CloseSession(const std::string& session_id);

  // Closes sessions idle longer than the timeout; returns their ids (the transport closes
  // the WebSocket connections among them).
  std::vector<std::string> ReapIdle();
  size_t session_count() const;
  int64_t steps_served() const { return steps_served_.load(std::memory_order_relaxed); }

 private:
  struct Session;
  using Clock = std::chrono::steady_clock;

  EnvService(EnvServiceOptions options, EnvSpec spec);
  StatusOr<std::shared_ptr<Session>> NewSession(bool websocket);
  std::shared_ptr<Session> Find(const std::string& id) const;

  // the requests, on a locked session
  Json ObservationJson(const Session& s, double reward, bool has_reward, bool terminated,
                       bool truncated) const;
  ServiceReply Reset(Session& s, const Json& request);
  ServiceReply Step(Session& s, const Json& action);
  ServiceReply BatchReset(Session& s, const Json& request);
  ServiceReply BatchStep(Session& s, const Json& request);
  Json State(const Session& s) const;
  Json Schema() const;
  Json Metadata() const;

  EnvServiceOptions options_;
  EnvSpec spec_;
  mutable std::mutex mu_;  // the session table
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::mt19937_64 id_rng_;
  std::atomic<int64_t> steps_served_{0};
};

// An action from JSON: a number, or an array of numbers (for a discrete space one
// integer, also as a one-element array). InvalidArgument naming the problem for anything
// else (strings, booleans, nested arrays, the wrong length); NaN cannot be written in JSON,
// and an out-of-range or non-integral value is caught by Env::ValidateAction.
Status ActionFromJson(const Json& value, const Space& space, std::vector<float>& out);

// The deepest nesting of arrays and objects in `text` (outside strings): requests nested
// deeper than a limit are refused before they are parsed.
int JsonNestingDepth(std::string_view text);

}  // namespace fleet::envs
