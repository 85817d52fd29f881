#include "envs/server/env_client.h"

#include <utility>  // before Asio (see env_server.cc)

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <cmath>
#include <limits>

namespace fleet::envs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

StatusOr<Space> SpaceFromJson(const Json& j) {
  try {
    const std::string type = j.at("type").get<std::string>();
    if (type == "Discrete") {
      Space s = Space::Discrete(j.at("n").get<int64_t>());
      s.start = j.value("start", int64_t{0});
      return s;
    }
    if (type != "Box") return InvalidArgumentError("unknown space type '" + type + "'");
    auto bounds = [](const Json& a, double unbounded) {
      std::vector<double> v;
      for (const Json& x : a) v.push_back(x.is_null() ? unbounded : x.get<double>());
      return v;
    };
    const double inf = std::numeric_limits<double>::infinity();
    const std::string dtype = j.value("dtype", std::string("float32"));
    Space s = Space::Box(bounds(j.at("low"), -inf), bounds(j.at("high"), inf),
                         dtype == "float64" ? DType::kFloat64 : DType::kFloat32);
    s.shape = j.at("shape").get<std::vector<int>>();
    if (s.FlatDim() != static_cast<int>(s.low.size()) || s.low.size() != s.high.size()) {
      return InvalidArgumentError("a Box space's bounds do not match its shape");
    }
    return s;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("malformed space: ") + e.what());
  }
}

struct RemoteEnv::Impl {
  std::string host, port, token;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;

  Status Connect() {
    boost::system::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, port, ec);
    if (!ec) stream.connect(results, ec);
    if (ec) return UnavailableError("cannot connect to " + host + ":" + port + ": " + ec.message());
    stream.socket().set_option(tcp::no_delay(true), ec);
    buffer.clear();
    connected = true;
    return OkStatus();
  }

  StatusOr<Reply> Once(const std::string& method, const std::string& path, const std::string* body,
                       bool& retry) {
    if (!connected) FLEET_RETURN_IF_ERROR(Connect());
    http::request<http::string_body> req{http::string_to_verb(method), path, 11};
    req.set(http::field::host, host);
    req.keep_alive(true);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (body) {
      req.set(http::field::content_type, "application/json");
      req.body() = *body;
    }
    req.prepare_payload();
    boost::system::error_code ec;
    http::write(stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(stream, buffer, res, ec);
    if (ec) {
      // a keep-alive connection the server closed (idle): one fresh try
      connected = false;
      stream.close();
      retry = true;
      return UnavailableError(method + " " + path + ": " + ec.message());
    }
    if (!res.keep_alive()) {
      connected = false;
      stream.close();
    }
    Reply reply;
    reply.status = static_cast<int>(res.result_int());
    auto parsed = ParseJson(res.body(), "the server's reply to " + path);
    if (!parsed.ok()) return parsed.status();
    reply.body = std::move(parsed).value();
    return reply;
  }
};

RemoteEnv::RemoteEnv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RemoteEnv::~RemoteEnv() = default;

StatusOr<RemoteEnv::Reply> RemoteEnv::Request(const std::string& method, const std::string& path,
                                              const Json* body) {
  const std::string text = body ? DumpJson(*body, -1) : std::string();
  bool retry = false;
  auto r = impl_->Once(method, path, body ? &text : nullptr, retry);
  if (!r.ok() && retry) r = impl_->Once(method, path, body ? &text : nullptr, retry);
  return r;
}

namespace {

// the server's error as a Status: 400 InvalidArgument, 404 NotFound, 409 FailedPrecondition
Status ReplyStatus(const RemoteEnv::Reply& r, const std::string& what) {
  if (r.status == 200) return OkStatus();
  const std::string message =
      r.body.is_object() && r.body.contains("error") && r.body["error"].is_string()
          ? r.body["error"].get<std::string>()
          : what + ": HTTP " + std::to_string(r.status);
  switch (r.status) {
    case 400: return InvalidArgumentError(message);
    case 404: return NotFoundError(message);
    case 409: return FailedPreconditionError(message);
    case 503: return ResourceExhaustedError(message);
    default: return UnavailableError(message + " (HTTP " + std::to_string(r.status) + ")");
  }
}

Status ObsFromJson(const Json& reply, int dim, std::vector<float>& obs) {
  try {
    const Json& o = reply.at("observation").at("obs");
    if (static_cast<int>(o.size()) != dim) {
      return InvalidArgumentError("the server sent " + std::to_string(o.size()) +
                                  " observation values, expected " + std::to_string(dim));
    }
    obs.resize(dim);
    for (int i = 0; i < dim; ++i) obs[i] = static_cast<float>(o[i].get<double>());
    return OkStatus();
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("malformed reply: ") + e.what());
  }
}

}  // namespace

StatusOr<std::unique_ptr<RemoteEnv>> RemoteEnv::Connect(const std::string& url,
                                                        const std::string& token) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  } else if (rest.find("://") != std::string::npos) {
    return InvalidArgumentError("'" + url + "': only http:// URLs are served by fleet serve");
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  auto impl = std::make_unique<Impl>();
  const size_t colon = rest.rfind(':');
  impl->host = colon == std::string::npos ? rest : rest.substr(0, colon);
  impl->port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  impl->token = token;
  if (impl->host.empty()) return InvalidArgumentError("'" + url + "' names no host");
  std::unique_ptr<RemoteEnv> env(new RemoteEnv(std::move(impl)));
  FLEET_ASSIGN_OR_RETURN(Reply schema, env->Request("GET", "/schema", nullptr));
  FLEET_RETURN_IF_ERROR(ReplyStatus(schema, "GET /schema"));
  FLEET_ASSIGN_OR_RETURN(Reply meta, env->Request("GET", "/metadata", nullptr));
  FLEET_RETURN_IF_ERROR(ReplyStatus(meta, "GET /metadata"));
  try {
    const Json& spaces = schema.body.at("spaces");
    FLEET_ASSIGN_OR_RETURN(env->spec_.observation_space, SpaceFromJson(spaces.at("observation_space")));
    FLEET_ASSIGN_OR_RETURN(env->spec_.action_space, SpaceFromJson(spaces.at("action_space")));
    env->spec_.id = meta.body.at("name").get<std::string>();
    if (spaces.at("max_episode_steps").is_number()) {
      env->spec_.max_episode_steps = spaces["max_episode_steps"].get<int>();
    }
    if (spaces.at("reward_threshold").is_number()) {
      env->spec_.reward_threshold = spaces["reward_threshold"].get<double>();
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(url + " is not a fleet serve server (its /schema has no "
                                "'spaces'): " + e.what());
  }
  return env;
}

Status RemoteEnv::Reset(std::optional<uint64_t> seed, std::vector<float>& obs) {
  Json body = Json::object();
  if (seed) body["seed"] = *seed;
  if (!session_.empty()) body["session_id"] = session_;
  FLEET_ASSIGN_OR_RETURN(Reply r, Request("POST", "/reset", &body));
  FLEET_RETURN_IF_ERROR(ReplyStatus(r, "POST /reset"));
  session_ = r.body.value("session_id", std::string());
  return ObsFromJson(r.body, spec_.observation_space.FlatDim(), obs);
}

StatusOr<RemoteStep> RemoteEnv::Step(std::span<const float> action, std::vector<float>& obs) {
  if (session_.empty()) return FailedPreconditionError(spec_.id + ": reset before the first step");
  Json a = Json::array();
  for (float v : action) a.push_back(static_cast<double>(v));
  Json body{{"session_id", session_}, {"action", std::move(a)}};
  FLEET_ASSIGN_OR_RETURN(Reply r, Request("POST", "/step", &body));
  FLEET_RETURN_IF_ERROR(ReplyStatus(r, "POST /step"));
  FLEET_RETURN_IF_ERROR(ObsFromJson(r.body, spec_.observation_space.FlatDim(), obs));
  RemoteStep step;
  try {
    step.reward = r.body.at("reward").get<double>();
    step.terminated = r.body.at("observation").at("terminated").get<bool>();
    step.truncated = r.body.at("observation").at("truncated").get<bool>();
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("malformed step reply: ") + e.what());
  }
  return step;
}

Status RemoteEnv::Close() {
  if (session_.empty()) return OkStatus();
  Json body{{"session_id", session_}};
  session_.clear();
  FLEET_ASSIGN_OR_RETURN(Reply r, Request("POST", "/close", &body));
  return ReplyStatus(r, "POST /close");
}

}  // namespace fleet::envs
