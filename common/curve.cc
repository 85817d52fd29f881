#include "common/curve.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/logging.h"

namespace fleet {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<CurveKeys> g_keys;

StatusOr<CurveKeyPair> NewPairImpl() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return FailedPreconditionError("this libzmq has no CURVE support (built without libsodium)");
  }
  return CurveKeyPair{pub, sec};
}

Status WriteKeyFile(const std::string& path, const std::string& text, bool secret) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text << "\n";
    if (!f) return InternalError("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), secret ? 0600 : 0644);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return InternalError("cannot write " + path + ": " + ec.message());
  return OkStatus();
}

StatusOr<std::string> ReadKey(const std::string& path) {
  std::ifstream f(path);
  if (!f) return NotFoundError("CURVE key file " + path + " cannot be read");
  std::string key;
  f >> key;
  uint8_t raw[32];
  if (key.size() != 40 || zmq_z85_decode(raw, key.c_str()) == nullptr) {
    return InvalidArgumentError("CURVE key file " + path + " does not hold a 40-character Z85 key");
  }
  return key;
}

Status WritePair(const std::string& dir, const std::string& name, const CurveKeyPair& p) {
  FLEET_RETURN_IF_ERROR(WriteKeyFile(dir + "/" + name + ".public", p.public_z85, false));
  return WriteKeyFile(dir + "/" + name + ".secret", p.secret_z85, true);
}

bool IsTcp(const std::string& endpoint) { return endpoint.starts_with("tcp://"); }

const CurveKeys& RequireKeys(const std::string& endpoint) {
  if (!g_keys) {
    throw std::logic_error("tcp endpoint " + endpoint +
                           " without CURVE keys (InitTransportSecurity was not called)");
  }
  return *g_keys;
}

}  // namespace

StatusOr<CurveKeyPair> NewCurveKeyPair() { return NewPairImpl(); }

Status GenerateCurveKeys(const std::string& dir) {
  if (fs::exists(dir + "/server.secret")) {
    return FailedPreconditionError(dir + " holds CURVE keys already");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  FLEET_ASSIGN_OR_RETURN(CurveKeyPair server, NewPairImpl());
  FLEET_ASSIGN_OR_RETURN(CurveKeyPair client, NewPairImpl());
  FLEET_RETURN_IF_ERROR(WritePair(dir, "server", server));
  FLEET_RETURN_IF_ERROR(WritePair(dir, "client", client));
  return WriteKeyFile(dir + "/authorized_clients",
                      "# CURVE public keys of the clients allowed to connect (Z85)\n" +
                          client.public_z85,
                      false);
}

StatusOr<CurveKeyPair> AddCurveClient(const std::string& dir, const std::string& name) {
  if (name.empty() || name.find_first_of("/. ") != std::string::npos || name == "server" ||
      name == "client") {
    return InvalidArgumentError("client name '" + name + "' must be a plain word other than server/client");
  }
  if (!fs::exists(dir + "/server.secret")) return NotFoundError("no CURVE keys in " + dir + " (fleet keygen " + dir + ")");
  if (fs::exists(dir + "/" + name + ".public")) return FailedPreconditionError("client " + name + " exists in " + dir);
  FLEET_ASSIGN_OR_RETURN(CurveKeyPair p, NewPairImpl());
  FLEET_RETURN_IF_ERROR(WritePair(dir, name, p));
  std::ofstream f(dir + "/authorized_clients", std::ios::app);
  f << p.public_z85 << "\n";
  if (!f) return InternalError("cannot append to " + dir + "/authorized_clients");
  return p;
}

StatusOr<CurveKeys> LoadCurveKeys(const std::string& dir) {
  CurveKeys k;
  FLEET_ASSIGN_OR_RETURN(k.server.public_z85, ReadKey(dir + "/server.public"));
  FLEET_ASSIGN_OR_RETURN(k.server.secret_z85, ReadKey(dir + "/server.secret"));
  FLEET_ASSIGN_OR_RETURN(k.client.public_z85, ReadKey(dir + "/client.public"));
  FLEET_ASSIGN_OR_RETURN(k.client.secret_z85, ReadKey(dir + "/client.secret"));
  std::ifstream f(dir + "/authorized_clients");
  if (!f) return NotFoundError("CURVE allow-list " + dir + "/authorized_clients cannot be read");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    const auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    const std::string key = line.substr(b, line.find_last_not_of(" \t\r") + 1 - b);
    uint8_t raw[32];
    if (key.size() != 40 || zmq_z85_decode(raw, key.c_str()) == nullptr) {
      return InvalidArgumentError(dir + "/authorized_clients line " + std::to_string(n) +
                                  ": not a 40-character Z85 key");
    }
    k.authorized.insert(key);
  }
  return k;
}

Status InitTransportSecurity(const RunSection& run) {
  if (run.transport != "tcp") return OkStatus();
  if (run.curve_keys.empty()) {
    return InvalidArgumentError(
        "config key 'run.curve_keys': tcp endpoints need CURVE keys (fleet keygen DIR); "
        "fleet run and fleet collect make them in the run directory");
  }
  auto keys = LoadCurveKeys(run.curve_keys);
  if (!keys.ok()) return Status(keys.status().code(), "run.curve_keys: " + keys.status().message());
  g_keys = std::make_unique<CurveKeys>(std::move(*keys));
  return OkStatus();
}

const CurveKeys* TransportKeys() { return g_keys.get(); }

void SecureServer(zmq::socket_t& socket, const std::string& endpoint) {
  if (!IsTcp(endpoint)) return;
  const CurveKeys& k = RequireKeys(endpoint);
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, k.server.secret_z85);
  socket.set(zmq::sockopt::zap_domain, "fleet");
}

void SecureClient(zmq::socket_t& socket, const std::string& endpoint) {
  if (!IsTcp(endpoint)) return;
  const CurveKeys& k = RequireKeys(endpoint);
  socket.set(zmq::sockopt::curve_serverkey, k.server.public_z85);
  socket.set(zmq::sockopt::curve_publickey, k.client.public_z85);
  socket.set(zmq::sockopt::curve_secretkey, k.client.secret_z85);
}

ZapHandler::ZapHandler(zmq::context_t& ctx, std::set<std::string> authorized_z85)
    : authorized_(std::move(authorized_z85)) {
  zmq::socket_t socket(ctx, zmq::socket_type::rep);
  socket.set(zmq::sockopt::linger, 0);
  socket.bind("inproc://zeromq.zap.01");  // bound before any server socket asks
  thread_ = std::thread([this, s = std::move(socket)]() mutable { Loop(std::move(s)); });
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::Loop(zmq::socket_t socket) {
  // stop signals are the main thread's: blocked here, they never interrupt this loop
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto log = GetLogger("zap");
  while (!stop_) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) <= 0) continue;
    // version, request id, domain, address, identity, mechanism, credentials...
    std::vector<zmq::message_t> frames;
    while (true) {
      zmq::message_t m;
      if (!socket.recv(m, zmq::recv_flags::dontwait)) break;
      const bool more = m.more();
      frames.push_back(std::move(m));
      if (!more) break;
    }
    if (frames.size() < 6) continue;
    const std::string mechanism = frames[5].to_string();
    const std::string address = frames[3].to_string();
    bool ok = false;
    if (mechanism == "CURVE" && frames.size() >= 7 && frames[6].size() == 32) {
      char z85[41];
      zmq_z85_encode(z85, static_cast<const uint8_t*>(frames[6].data()), 32);
      ok = authorized_.count(z85) > 0;
    }
    if (!ok) {
      const int64_t n = ++refused_;
      if (n <= 10 || n % 1000 == 0) {
        log->warn("refused a {} client from {} (key not in authorized_clients; {} refused so far)",
                  mechanism, address, n);
      }
    }
    // reply: version, request id, status code, status text, user id, metadata
    socket.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket.send(frames[1], zmq::send_flags::sndmore);
    socket.send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(std::string(ok ? "OK" : "client key not authorized")),
                zmq::send_flags::sndmore);
    socket.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
    socket.send(zmq::str_buffer(""), zmq::send_flags::none);
  }
}

std::unique_ptr<ZapHandler> StartZapIfSecure(zmq::context_t& ctx) {
  if (!g_keys) return nullptr;
  return std::make_unique<ZapHandler>(ctx, g_keys->authorized);
}

}  // namespace fleet
