// `fleet serve`'s transport: HTTP/1.1 with keep-alive and a WebSocket at /ws, over
// Boost.Beast (Debian's libboost-dev), in front of an EnvService. Requests run on an
// io_context served by `threads` threads (default 1: one core); one connection's requests
// run in order, different connections' in parallel.
//
// Security: the server binds 127.0.0.1 by default. Binding any other address needs a
// token; every request except GET /health must then carry `Authorization: Bearer TOKEN`
// (401 otherwise), the WebSocket handshake included.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "envs/server/env_service.h"

namespace fleet::envs {

struct EnvServerOptions {
  EnvServiceOptions service;
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: a free port, see EnvServer::port()
  std::string token;
  int threads = 1;
  // requests larger than this get 413 (a batch of 4096 MuJoCo actions is ~1 MiB)
  size_t max_body_bytes = 8u << 20;
};

// 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

class EnvServer {
 public:
  // Makes the service and binds; InvalidArgument for a non-loopback host without a token,
  // Unavailable when the address cannot be bound.
  static StatusOr<std::unique_ptr<EnvServer>> Create(EnvServerOptions options);
  ~EnvServer();

  int port() const;
  EnvService& service();
  // Serves until Stop(), on the calling thread and threads - 1 more.
  void Run();
  // From any thread (not from a signal handler).
  void Stop();

 private:
  struct Impl;
  explicit EnvServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleet::envs
