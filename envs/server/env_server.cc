#include "envs/server/env_server.h"

// <utility> before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace fleet::envs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

namespace {

// constant-time comparison: the token is a secret
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

std::string_view QueryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

struct EnvServer::Impl {
  EnvServerOptions options;
  std::unique_ptr<EnvService> service;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer reaper{ioc};
  // the open WebSocket connections by session id: how the reaper closes one
  std::mutex ws_mu;
  std::unordered_map<std::string, std::function<void()>> ws_close;

  explicit Impl(EnvServerOptions o) : options(std::move(o)), ioc(std::max(1, options.threads)) {}

  bool Authorized(const http::request<http::string_body>& req, std::string_view path) const {
    if (options.token.empty() || path == "/health") return true;
    const auto it = req.find(http::field::authorization);
    if (it == req.end()) return false;
    const std::string_view v(it->value().data(), it->value().size());
    constexpr std::string_view kBearer = "Bearer ";
    return v.substr(0, kBearer.size()) == kBearer &&
           SameSecret(v.substr(kBearer.size()), options.token);
  }

  http::response<http::string_body> Reply(unsigned version, bool keep_alive, int status,
                                          const Json& body) {
    http::response<http::string_body> res{static_cast<http::status>(status), version};
    res.set(http::field::server, "fleet-serve");
    res.set(http::field::content_type, "application/json");
    if (status == 401) res.set(http::field::www_authenticate, "Bearer");
    res.keep_alive(keep_alive);
    res.body() = DumpJson(body, -1);
    res.prepare_payload();
    return res;
  }

  http::response<http::string_body> Respond(const http::request<http::string_body>& req) {
    const std::string_view target(req.target().data(), req.target().size());
    const size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    if (!Authorized(req, path)) {
      return Reply(req.version(), req.keep_alive(), 401,
                   Json{{"error", "this server needs 'Authorization: Bearer TOKEN'"},
                        {"code", "UNAUTHORIZED"}});
    }
    const auto session = req.find("X-Session-Id");
    ServiceReply r = service->Handle(
        std::string_view(req.method_string().data(), req.method_string().size()), path,
        session == req.end() ? std::string_view()
                             : std::string_view(session->value().data(), session->value().size()),
        QueryValue(query, "session_id"), req.body());
    return Reply(req.version(), req.keep_alive(), r.status, r.body);
  }

  asio::awaitable<void> Listen() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(
          asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // e.g. out of file descriptors: keep serving the others
      socket.set_option(tcp::no_delay(true), ec);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Connection(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Connection(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    const auto idle = std::chrono::milliseconds(
        static_cast<int64_t>(std::min(options.service.idle_timeout_s, 3600.0) * 1000));
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      boost::system::error_code ec;
      stream.expires_after(idle);
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
        break;
      }
      if (ec) {
        // a request that cannot be read to its end: answer it and close the connection
        const bool too_big = ec == http::error::body_limit;
        auto res = Reply(11, false, too_big ? 413 : 400,
                         Json{{"error", too_big ? "the request body is larger than the server's "
                                                  "limit of " + std::to_string(options.max_body_bytes) + " bytes"
                                                : "malformed HTTP request: " + ec.message()},
                              {"code", too_big ? "TOO_LARGE" : "BAD_REQUEST"}});
        stream.expires_after(std::chrono::seconds(5));
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      http::request<http::string_body> req = parser.release();
      if (websocket::is_upgrade(req)) {
        const std::string_view target(req.target().data(), req.target().size());
        if (target.substr(0, target.find('?')) == "/ws" && Authorized(req, "/ws")) {
          co_await WebSocket(std::move(stream), std::move(req));
          co_return;
        }
      }
      auto res = Respond(req);
      const bool keep = res.keep_alive();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> WebSocket(beast::tcp_stream stream, http::request<http::string_body> req) {
    auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(stream));
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(30);
    timeouts.idle_timeout = websocket::stream_base::none();  // the reaper closes idle sessions
    timeouts.keep_alive_pings = false;
    ws->set_option(timeouts);
    ws->read_message_max(options.max_body_bytes);
    ws->set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "fleet-serve"); }));
    boost::system::error_code ec;
    co_await ws->async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ws->text(true);
    auto id = service->OpenSession();
    if (!id.ok()) {
      const std::string full = DumpJson(
          Json{{"type", "error"}, {"data", {{"message", id.status().message()},
                                            {"code", "CAPACITY_REACHED"}}}}, -1);
      co_await ws->async_write(asio::buffer(full), asio::redirect_error(asio::use_awaitable, ec));
      co_await ws->async_close(websocket::close_code::try_again_later,
                               asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    {
      std::weak_ptr<websocket::stream<beast::tcp_stream>> weak = ws;
      auto executor = ws->get_executor();
      std::lock_guard<std::mutex> lock(ws_mu);
      // a polite close frame (the client's library reports the reason); the pending read
      // then ends. Beast allows a close while a read is outstanding.
      ws_close[*id] = [weak, executor] {
        asio::co_spawn(executor, [weak]() -> asio::awaitable<void> {
          auto s = weak.lock();
          if (!s) co_return;
          boost::system::error_code ec;
          co_await s->async_close(websocket::close_reason(websocket::close_code::going_away,
                                                          "session idle too long: closed"),
                                  asio::redirect_error(asio::use_awaitable, ec));
        }, asio::detached);
      };
    }
    beast::flat_buffer buffer;
    std::string out;
    for (;;) {
      buffer.clear();
      co_await ws->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;  // closed by the client, reaped, or a protocol error
      bool close = false;
      const Json reply = service->HandleMessage(
          *id, std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()),
          close);
      if (close) {
        co_await ws->async_close(websocket::close_code::normal,
                                 asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      out = DumpJson(reply, -1);
      co_await ws->async_write(asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    service->CloseSession(*id);
    std::lock_guard<std::mutex> lock(ws_mu);
    ws_close.erase(*id);
  }

  asio::awaitable<void> Reap() {
    const auto every = std::chrono::milliseconds(static_cast<int64_t>(
        std::clamp(options.service.idle_timeout_s / 4, 0.05, 1.0) * 1000));
    for (;;) {
      boost::system::error_code ec;
      reaper.expires_after(every);
      co_await reaper.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      for (const std::string& id : service->ReapIdle()) {
        std::lock_guard<std::mutex> lock(ws_mu);
        if (auto it = ws_close.find(id); it != ws_close.end()) it->second();
      }
    }
  }
};

StatusOr<std::unique_ptr<EnvServer>> EnvServer::Create(EnvServerOptions options) {
  if (!IsLoopbackHost(options.host) && options.token.empty()) {
    return InvalidArgumentError("serving on '" + options.host +
                                "' (not loopback) needs a token: set FLEET_SERVE_TOKEN or "
                                "--token-file; clients send 'Authorization: Bearer TOKEN'");
  }
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgumentError("port " + std::to_string(options.port) + " is not 0..65535");
  }
  if (options.threads < 1) return InvalidArgumentError("threads must be >= 1");
  auto impl = std::make_unique<Impl>(options);
  FLEET_ASSIGN_OR_RETURN(impl->service, EnvService::Create(options.service));
  boost::system::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return InvalidArgumentError("cannot resolve host '" + options.host + "': " + ec.message());
  }
  const tcp::endpoint ep = endpoints.begin()->endpoint();
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("cannot listen on " + options.host + ":" +
                            std::to_string(options.port) + ": " + ec.message());
  }
  asio::co_spawn(impl->ioc, impl->Listen(), asio::detached);
  asio::co_spawn(impl->ioc, impl->Reap(), asio::detached);
  return std::unique_ptr<EnvServer>(new EnvServer(std::move(impl)));
}

EnvServer::EnvServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EnvServer::~EnvServer() { Stop(); }

int EnvServer::port() const { return impl_->acceptor.local_endpoint().port(); }
EnvService& EnvServer::service() { return *impl_->service; }

void EnvServer::Run() {
  std::vector<std::thread> more;
  for (int i = 1; i < impl_->options.threads; ++i) more.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : more) t.join();
}

void EnvServer::Stop() { impl_->ioc.stop(); }

}  // namespace fleet::envs
