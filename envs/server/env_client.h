// A client of `fleet serve` (or any server speaking its HTTP protocol): one session, over
// one keep-alive HTTP connection. Behind Python's `fleet.remote(url)` and the server
// benchmark. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "envs/env.h"

namespace fleet::envs {

// Space from its JSON form (SpaceToJson; a null bound reads as unbounded).
StatusOr<Space> SpaceFromJson(const Json& j);

struct RemoteStep {
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

class RemoteEnv {
 public:
  // `url`: http://HOST:PORT. Reads the spaces (GET /schema) and the name (GET /metadata).
  // `token`: sent as 'Authorization: Bearer TOKEN' when not empty.
  static StatusOr<std::unique_ptr<RemoteEnv>> Connect(const std::string& url,
                                                       const std::string& token = "");
  ~RemoteEnv();

  const EnvSpec& spec() const { return spec_; }
  const std::string& session_id() const { return session_; }

  // A new session on the first call; `obs` gets obs_dim floats.
  Status Reset(std::optional<uint64_t> seed, std::vector<float>& obs);
  StatusOr<RemoteStep> Step(std::span<const float> action, std::vector<float>& obs);
  // Ends the session on the server (POST /close).
  Status Close();

  // One request: method, path, JSON body (empty for none); the reply's status and body.
  struct Reply {
    int status = 0;
    Json body;
  };
  StatusOr<Reply> Request(const std::string& method, const std::string& path, const Json* body);

 private:
  struct Impl;
  explicit RemoteEnv(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  EnvSpec spec_;
  std::string session_;
};

}  // namespace fleet::envs
