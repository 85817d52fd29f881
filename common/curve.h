// Authenticated, encrypted transport on tcp endpoints: ZeroMQ CURVE with an allow-list of
// client keys checked through ZAP (the ZeroMQ Authentication Protocol, RFC 27).
//
// A key directory (`fleet keygen DIR`; `run.curve_keys`) holds
//   server.public, server.secret   the binding roles' pair (store, learner)
//   client.public, client.secret   the connecting roles' pair (actors, learner, orchestrator)
//   authorized_clients             client public keys allowed to connect, one per line
//   NAME.public, NAME.secret       further client pairs (`fleet keygen DIR --client NAME`)
// as Z85 text (40 characters); secrets are mode 0600 in a 0700 directory. ipc endpoints
// (unix sockets in a private 0700 directory) are left as they are.
//
// Every process calls InitTransportSecurity with its config before making sockets; then
// SecureServer / SecureClient set the CURVE options on sockets whose endpoint is tcp://,
// and a ZapHandler in each process with server sockets admits only authorized clients. A
// tcp socket with no keys loaded is a programming error and throws: nothing falls back to
// plain text.
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet {

struct CurveKeyPair {
  std::string public_z85, secret_z85;
};

struct CurveKeys {
  CurveKeyPair server, client;
  std::set<std::string> authorized;  // Z85 public keys
};

// A fresh key pair (FailedPrecondition when libzmq has no CURVE).
StatusOr<CurveKeyPair> NewCurveKeyPair();
// Creates DIR with a server pair, a client pair and authorized_clients naming the client;
// FailedPrecondition if DIR already holds keys.
Status GenerateCurveKeys(const std::string& dir);
// Adds the client pair NAME.public / NAME.secret and authorizes it.
StatusOr<CurveKeyPair> AddCurveClient(const std::string& dir, const std::string& name);
// Reads DIR; errors name the file.
StatusOr<CurveKeys> LoadCurveKeys(const std::string& dir);

// Loads run.curve_keys when run.transport is tcp (an error if it is not set or unreadable).
Status InitTransportSecurity(const RunSection& run);
// The keys loaded by InitTransportSecurity, or null.
const CurveKeys* TransportKeys();

// CURVE server / client options on `socket` when `endpoint` is tcp://; call before
// bind / connect.
void SecureServer(zmq::socket_t& socket, const std::string& endpoint);
void SecureClient(zmq::socket_t& socket, const std::string& endpoint);

// Answers ZAP requests of `ctx`'s CURVE server sockets on a thread: clients whose public
// key is in the allow-list are admitted, others refused (and counted, logged at warn).
// One per context; it must be created before the server sockets bind and destroyed
// before the context.
class ZapHandler {
 public:
  ZapHandler(zmq::context_t& ctx, std::set<std::string> authorized_z85);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;
  int64_t refused() const { return refused_.load(); }

 private:
  void Loop(zmq::socket_t socket);

  std::set<std::string> authorized_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> refused_{0};
  std::thread thread_;
};

// A ZapHandler for `ctx` when keys are loaded (tcp transport), else null.
std::unique_ptr<ZapHandler> StartZapIfSecure(zmq::context_t& ctx);

}  // namespace fleet
