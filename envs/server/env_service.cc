#include "envs/server/env_service.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "envs/registry.h"

namespace fleet::envs {

struct EnvService::Session {
  std::string id;
  bool websocket = false;
  std::mutex mu;
  std::unique_ptr<Env> env;        // a single env (reset/step)
  std::unique_ptr<VectorEnv> vec;  // or a batch (batch/reset, batch/step)
  std::vector<float> obs, rewards, action;
  std::vector<uint8_t> terminated, truncated;
  VectorStepOutput out;
  std::string episode_id;
  int64_t episodes = 0;
  int64_t step_count = 0;
  bool was_reset = false;
  bool ended = false;  // the episode ended: reset before the next step
  std::atomic<int64_t> last_used{0};  // steady clock, ns
  void Touch() {
    last_used.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                    std::memory_order_relaxed);
  }
};

namespace {

constexpr int kMaxNesting = 32;

ServiceReply Error(int status, const char* code, std::string message) {
  return {status, Json{{"error", std::move(message)}, {"code", code}}};
}

Json FloatsJson(const float* p, size_t n) {
  Json a = Json::array();
  a.get_ref<Json::array_t&>().reserve(n);
  for (size_t i = 0; i < n; ++i) a.push_back(static_cast<double>(p[i]));
  return a;
}

// the seed of a reset: absent or null (continue the env's generator), else an integer >= 0
Status SeedFromJson(const Json& request, std::optional<uint64_t>& seed) {
  seed.reset();
  auto it = request.find("seed");
  if (it == request.end() || it->is_null()) return OkStatus();
  if (it->is_number_unsigned()) {
    seed = it->get<uint64_t>();
    return OkStatus();
  }
  if (it->is_number_integer() && it->get<int64_t>() >= 0) {
    seed = static_cast<uint64_t>(it->get<int64_t>());
    return OkStatus();
  }
  return InvalidArgumentError("'seed' must be an integer >= 0 or null, not " + it->dump());
}

// a request body: empty means {}; otherwise a JSON object, nested at most kMaxNesting deep
StatusOr<Json> ParseBody(std::string_view body) {
  size_t i = 0;
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
  if (i == body.size()) return Json::object();
  if (JsonNestingDepth(body) > kMaxNesting) {
    return InvalidArgumentError("the request body nests deeper than " +
                                std::to_string(kMaxNesting) + " levels");
  }
  Json parsed;
  try {
    // strict JSON (no NaN/Infinity tokens); exceptions are caught below
    parsed = Json::parse(body.begin(), body.end());
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the request body is not JSON: ") + e.what());
  }
  if (!parsed.is_object()) {
    return InvalidArgumentError("the request body must be a JSON object, not " +
                                std::string(parsed.type_name()));
  }
  return parsed;
}

StatusOr<std::string> StringField(const Json& request, const char* key) {
  auto it = request.find(key);
  if (it == request.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgumentError(std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

}  // namespace

int JsonNestingDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

Status ActionFromJson(const Json& value, const Space& space, std::vector<float>& out) {
  const int width = space.FlatDim();
  out.clear();
  auto number = [&](const Json& v) -> Status {
    if (!v.is_number()) {
      return InvalidArgumentError(std::string("an action holds numbers, not ") + v.type_name() +
                                  (v.is_boolean() ? " (write 0 or 1)" : ""));
    }
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) {
      return InvalidArgumentError("an action value is not a finite float32: " + v.dump());
    }
    out.push_back(static_cast<float>(d));
    return OkStatus();
  };
  if (value.is_array()) {
    if (static_cast<int>(value.size()) != width) {
      return InvalidArgumentError("expected an action of " + std::to_string(width) +
                                  (width == 1 ? " value" : " values") + " for " +
                                  space.ToString() + ", got " + std::to_string(value.size()));
    }
    for (const Json& v : value) FLEET_RETURN_IF_ERROR(number(v));
    return OkStatus();
  }
  if (width != 1) {
    return InvalidArgumentError("expected an array of " + std::to_string(width) +
                                " numbers for " + space.ToString() + ", got " +
                                std::string(value.type_name()));
  }
  return number(value);
}

StatusOr<std::unique_ptr<EnvService>> EnvService::Create(EnvServiceOptions options) {
  if (options.max_sessions < 1) return InvalidArgumentError("max_sessions must be >= 1");
  if (options.max_batch_envs < 1) return InvalidArgumentError("max_batch_envs must be >= 1");
  if (!(options.idle_timeout_s > 0)) return InvalidArgumentError("idle_timeout_s must be > 0");
  FLEET_ASSIGN_OR_RETURN(auto env, MakeEnv(options.env_id, options.env_options));
  EnvSpec spec = env->spec();
  return std::unique_ptr<EnvService>(new EnvService(std::move(options), std::move(spec)));
}

EnvService::EnvService(EnvServiceOptions options, EnvSpec spec)
    : options_(std::move(options)), spec_(std::move(spec)), id_rng_(std::random_device()()) {}

StatusOr<std::shared_ptr<EnvService::Session>> EnvService::NewSession(bool websocket) {
  auto s = std::make_shared<Session>();
  s->websocket = websocket;
  s->Touch();
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(sessions_.size()) >= options_.max_sessions) {
    return ResourceExhaustedError("the server is at capacity: " +
                                  std::to_string(sessions_.size()) + " of " +
                                  std::to_string(options_.max_sessions) +
                                  " sessions open; close one or wait for idle ones to be reaped");
  }
  do {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id_rng_()));
    s->id = buf;
  } while (sessions_.count(s->id));
  sessions_[s->id] = s;
  return s;
}

std::shared_ptr<EnvService::Session> EnvService::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

StatusOr<std::string> EnvService::OpenSession() {
  FLEET_ASSIGN_OR_RETURN(auto s, NewSession(true));
  return s->id;
}

void EnvService::CloseSession(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session_id);
}

size_t EnvService::session_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

std::vector<std::string> EnvService::ReapIdle() {
  const int64_t now = Clock::now().time_since_epoch().count();
  const auto limit = static_cast<int64_t>(options_.idle_timeout_s * 1e9);
  std::vector<std::string> reaped;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second->last_used.load(std::memory_order_relaxed) > limit) {
      reaped.push_back(it->first);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return reaped;
}

Json EnvService::ObservationJson(const Session& s, double reward, bool has_reward,
                                 bool terminated, bool truncated) const {
  Json observation{{"obs", FloatsJson(s.obs.data(), s.obs.size())},
                   {"terminated", terminated},
                   {"truncated", truncated}};
  return Json{{"observation", std::move(observation)},
              {"reward", has_reward ? Json(reward) : Json(nullptr)},
              {"done", terminated || truncated},
              {"session_id", s.id},
              {"episode_id", s.episode_id},
              {"step_count", s.step_count}};
}

ServiceReply EnvService::Reset(Session& s, const Json& request) {
  if (s.vec) return Error(400, "VALIDATION_ERROR", "a batch session: use /batch/reset");
  std::optional<uint64_t> seed;
  if (Status st = SeedFromJson(request, seed); !st.ok()) {
    return Error(400, "VALIDATION_ERROR", st.message());
  }
  auto episode_id = StringField(request, "episode_id");
  if (!episode_id.ok()) return Error(400, "VALIDATION_ERROR", episode_id.status().message());
  if (!s.env) {
    auto env = MakeEnv(options_.env_id, options_.env_options);
    if (!env.ok()) return Error(500, "FACTORY_ERROR", env.status().message());
    s.env = std::move(env).value();
    s.obs.resize(s.env->obs_dim());
  }
  s.env->Reset(seed, s.obs);
  s.was_reset = true;
  s.ended = false;
  s.step_count = 0;
  ++s.episodes;
  s.episode_id = episode_id->empty() ? s.id + "-" + std::to_string(s.episodes) : *episode_id;
  return {200, ObservationJson(s, 0.0, false, false, false)};
}

ServiceReply EnvService::Step(Session& s, const Json& action) {
  if (s.vec) return Error(400, "VALIDATION_ERROR", "a batch session: use /batch/step");
  if (!s.was_reset) {
    return Error(409, "RESET_NEEDED", spec_.id + ": reset before the first step");
  }
  if (s.ended) {
    return Error(409, "RESET_NEEDED",
                 spec_.id + ": the episode ended (terminated or truncated); reset before stepping");
  }
  // OpenEnv's action is an object with the action in a field; a bare value is accepted too
  const Json* value = &action;
  if (action.is_object()) {
    auto it = action.find("action");
    if (it == action.end()) {
      return Error(400, "VALIDATION_ERROR", "the action object has no 'action' field");
    }
    value = &*it;
  }
  if (Status st = ActionFromJson(*value, spec_.action_space, s.action); !st.ok()) {
    return Error(400, "VALIDATION_ERROR", spec_.id + ": " + st.message());
  }
  auto r = s.env->Step(s.action, s.obs);
  if (!r.ok()) return Error(400, "VALIDATION_ERROR", r.status().message());
  ++s.step_count;
  steps_served_.fetch_add(1, std::memory_order_relaxed);
  if (r->terminated || r->truncated) s.ended = true;
  return {200, ObservationJson(s, r->reward, true, r->terminated, r->truncated)};
}

ServiceReply EnvService::BatchReset(Session& s, const Json& request) {
  if (s.env) return Error(400, "VALIDATION_ERROR", "a single-env session: use /reset");
  std::optional<uint64_t> seed;
  if (Status st = SeedFromJson(request, seed); !st.ok()) {
    return Error(400, "VALIDATION_ERROR", st.message());
  }
  int n = s.vec ? s.vec->num_envs() : 0;
  if (auto it = request.find("num_envs"); it != request.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > options_.max_batch_envs) {
      return Error(400, "VALIDATION_ERROR",
                   "'num_envs' must be an integer from 1 to " +
                       std::to_string(options_.max_batch_envs) + " (the server's --max-batch)");
    }
    if (s.vec && it->get<int64_t>() != n) {
      return Error(400, "VALIDATION_ERROR", "this batch session holds " + std::to_string(n) +
                                                " envs; open a new session for another size");
    }
    n = static_cast<int>(it->get<int64_t>());
  }
  if (n == 0) return Error(400, "VALIDATION_ERROR", "a batch reset needs 'num_envs'");
  if (!s.vec) {
    auto vec = VectorEnv::Create(options_.env_id, n, options_.env_options);
    if (!vec.ok()) return Error(500, "FACTORY_ERROR", vec.status().message());
    s.vec = std::move(vec).value();
    s.obs.resize(static_cast<size_t>(n) * s.vec->obs_dim());
    s.rewards.resize(n);
    s.terminated.resize(n);
    s.truncated.resize(n);
  }
  s.vec->Reset(seed ? *seed : std::random_device()(), s.obs);
  s.was_reset = true;
  s.step_count = 0;
  const int d = s.vec->obs_dim();
  Json obs = Json::array();
  for (int i = 0; i < n; ++i) obs.push_back(FloatsJson(s.obs.data() + i * d, d));
  return {200, Json{{"observations", std::move(obs)}, {"session_id", s.id}, {"num_envs", n}}};
}

ServiceReply EnvService::BatchStep(Session& s, const Json& request) {
  if (!s.vec || !s.was_reset) {
    return Error(409, "RESET_NEEDED", "call /batch/reset with num_envs before /batch/step");
  }
  const int n = s.vec->num_envs(), w = s.vec->action_width(), d = s.vec->obs_dim();
  auto it = request.find("actions");
  if (it == request.end() || !it->is_array() || static_cast<int>(it->size()) != n) {
    return Error(400, "VALIDATION_ERROR",
                 "'actions' must be an array of " + std::to_string(n) + " actions, one per env");
  }
  std::vector<float> all;
  all.reserve(static_cast<size_t>(n) * w);
  for (int i = 0; i < n; ++i) {
    if (Status st = ActionFromJson((*it)[i], spec_.action_space, s.action); !st.ok()) {
      return Error(400, "VALIDATION_ERROR",
                   spec_.id + ": env " + std::to_string(i) + ": " + st.message());
    }
    all.insert(all.end(), s.action.begin(), s.action.end());
  }
  if (Status st = s.vec->Step(all, s.obs, s.rewards, s.terminated, s.truncated, s.out); !st.ok()) {
    return Error(400, "VALIDATION_ERROR", st.message());
  }
  ++s.step_count;
  steps_served_.fetch_add(n, std::memory_order_relaxed);
  Json obs = Json::array(), rew = Json::array(), term = Json::array(), trunc = Json::array();
  for (int i = 0; i < n; ++i) {
    obs.push_back(FloatsJson(s.obs.data() + i * d, d));
    rew.push_back(static_cast<double>(s.rewards[i]));
    term.push_back(s.terminated[i] != 0);
    trunc.push_back(s.truncated[i] != 0);
  }
  Json episodes = Json::array();
  for (size_t k = 0; k < s.out.final_indices.size(); ++k) {
    episodes.push_back(Json{{"index", s.out.final_indices[k]},
                            {"final_observation", FloatsJson(s.out.final_observations.data() + k * d, d)},
                            {"return", s.out.episode_returns[k]},
                            {"length", s.out.episode_lengths[k]}});
  }
  return {200, Json{{"observations", std::move(obs)}, {"rewards", std::move(rew)},
                    {"terminated", std::move(term)}, {"truncated", std::move(trunc)},
                    {"episodes", std::move(episodes)}, {"session_id", s.id}}};
}

Json EnvService::State(const Session& s) const {
  return Json{{"episode_id", s.episode_id.empty() ? Json(nullptr) : Json(s.episode_id)},
              {"step_count", s.step_count},
              {"session_id", s.id},
              {"env_id", spec_.id},
              {"done", s.ended},
              {"batch", s.vec ? Json(s.vec->num_envs()) : Json(nullptr)}};
}

Json EnvService::Metadata() const {
  return Json{{"name", spec_.id},
              {"description", spec_.id + " from Fleet (C++), Gymnasium 1.x semantics; "
                              "the spaces are under GET /schema, key 'spaces'"},
              {"readme_content", nullptr},
              {"version", "1.0.0"},
              {"author", nullptr},
              {"documentation_url", nullptr}};
}

Json EnvService::Schema() const {
  const Space& as = spec_.action_space;
  Json action_value =
      as.is_discrete()
          ? Json{{"type", "integer"}, {"minimum", as.start}, {"maximum", as.start + as.n - 1}}
          : Json{{"type", "array"}, {"items", {{"type", "number"}}},
                 {"minItems", as.FlatDim()}, {"maxItems", as.FlatDim()}};
  const int od = spec_.observation_space.FlatDim();
  Json spaces{{"observation_space", SpaceToJson(spec_.observation_space)},
              {"action_space", SpaceToJson(as)},
              {"max_episode_steps", spec_.max_episode_steps > 0 ? Json(spec_.max_episode_steps)
                                                                : Json(nullptr)},
              {"reward_threshold",
               spec_.reward_threshold ? Json(*spec_.reward_threshold) : Json(nullptr)}};
  return Json{
      {"action", {{"title", "Action"}, {"type", "object"},
                  {"properties", {{"action", action_value}}}, {"required", {"action"}}}},
      {"observation",
       {{"title", "Observation"}, {"type", "object"},
        {"properties",
         {{"obs", {{"type", "array"}, {"items", {{"type", "number"}}},
                   {"minItems", od}, {"maxItems", od}}},
          {"terminated", {{"type", "boolean"}}},
          {"truncated", {{"type", "boolean"}}}}}}},
      {"state",
       {{"title", "State"}, {"type", "object"},
        {"properties",
         {{"episode_id", {{"type", {"string", "null"}}}},
          {"step_count", {{"type", "integer"}, {"minimum", 0}}}}}}},
      {"spaces", std::move(spaces)}};
}

ServiceReply EnvService::Handle(std::string_view method, std::string_view path,
                                std::string_view header_session, std::string_view query_session,
                                std::string_view body) {
  const bool get = method == "GET", post = method == "POST";
  if (path == "/health") {
    if (!get) return Error(405, "METHOD_NOT_ALLOWED", "GET /health");
    return {200, Json{{"status", "healthy"}}};
  }
  if (path == "/metadata" || path == "/schema" || path == "/openapi.json") {
    if (!get) return Error(405, "METHOD_NOT_ALLOWED", "GET " + std::string(path));
    if (path == "/metadata") return {200, Metadata()};
    if (path == "/schema") return {200, Schema()};
    // enough of an OpenAPI document for `openenv validate` to see the simulation routes
    Json paths = Json::object();
    for (const char* p : {"/reset", "/step", "/close", "/batch/reset", "/batch/step"}) {
      paths[p] = {{"post", {{"summary", p}}}};
    }
    for (const char* p : {"/state", "/health", "/metadata", "/schema"}) {
      paths[p] = {{"get", {{"summary", p}}}};
    }
    return {200, Json{{"openapi", "3.0.2"},
                      {"info", {{"title", "Fleet environment server: " + spec_.id},
                                {"version", "1.0.0"}}},
                      {"paths", std::move(paths)}}};
  }
  const bool reset = path == "/reset", step = path == "/step", state = path == "/state",
             close = path == "/close", batch_reset = path == "/batch/reset",
             batch_step = path == "/batch/step";
  if (!(reset || step || state || close || batch_reset || batch_step)) {
    return Error(404, "NOT_FOUND", "no route " + std::string(method) + " " + std::string(path) +
                                       " (routes: /health /metadata /schema /reset /step "
                                       "/state /close /batch/reset /batch/step, WebSocket /ws)");
  }
  if (state ? !get : !post) {
    return Error(405, "METHOD_NOT_ALLOWED",
                 std::string(state ? "GET " : "POST ") + std::string(path));
  }
  StatusOr<Json> request = state ? StatusOr<Json>(Json::object()) : ParseBody(body);
  if (!request.ok()) return Error(400, "INVALID_JSON", request.status().message());
  auto field = StringField(*request, "session_id");
  if (!field.ok()) return Error(400, "VALIDATION_ERROR", field.status().message());
  std::string id = !field->empty() ? *field
                   : !header_session.empty() ? std::string(header_session)
                                             : std::string(query_session);
  std::shared_ptr<Session> s;
  if (!id.empty()) {
    s = Find(id);
    if (!s) {
      return Error(404, "SESSION_ERROR",
                   "unknown session '" + id + "' (closed, reaped after " +
                       std::to_string(static_cast<int>(options_.idle_timeout_s)) +
                       " s idle, or never opened); reset without a session_id opens one");
    }
  } else if (reset || batch_reset) {
    auto made = NewSession(false);
    if (!made.ok()) return Error(503, "CAPACITY_REACHED", made.status().message());
    s = *made;
  } else {
    return Error(400, "SESSION_ERROR",
                 std::string(path) + " needs a session: the session_id that /reset returned, "
                 "in the X-Session-Id header or a 'session_id' field");
  }
  if (close) {
    CloseSession(s->id);
    return {200, Json{{"closed", s->id}}};
  }
  std::lock_guard<std::mutex> lock(s->mu);
  s->Touch();
  if (state) return {200, State(*s)};
  if (reset) return Reset(*s, *request);
  if (batch_reset) return BatchReset(*s, *request);
  if (batch_step) return BatchStep(*s, *request);
  auto action = request->find("action");
  if (action == request->end()) return Error(400, "VALIDATION_ERROR", "/step needs an 'action'");
  return Step(*s, *action);
}

Json EnvService::HandleMessage(const std::string& session_id, std::string_view text, bool& close) {
  auto error = [](const char* code, std::string message) {
    return Json{{"type", "error"}, {"data", {{"message", std::move(message)}, {"code", code}}}};
  };
  close = false;
  auto msg = ParseBody(text);
  if (!msg.ok()) return error("INVALID_JSON", msg.status().message());
  auto type = msg->find("type");
  if (type == msg->end() || !type->is_string()) {
    return error("VALIDATION_ERROR", "a message needs a string 'type' (reset, step, state, close)");
  }
  const std::string t = type->get<std::string>();
  if (t == "close") {
    close = true;
    return Json();
  }
  if (t != "reset" && t != "step" && t != "state") {
    return error("UNKNOWN_TYPE", "Unknown message type: " + t);
  }
  std::shared_ptr<Session> s = Find(session_id);
  if (!s) return error("SESSION_ERROR", "the session was closed (idle too long)");
  const Json empty = Json::object();
  auto data_it = msg->find("data");
  const Json& data = data_it == msg->end() || data_it->is_null() ? empty : *data_it;
  std::lock_guard<std::mutex> lock(s->mu);
  s->Touch();
  if (t == "state") return Json{{"type", "state"}, {"data", State(*s)}};
  if (t == "step" && data_it == msg->end()) {
    return error("VALIDATION_ERROR", "a step message needs 'data': the action");
  }
  if (t == "reset" && !data.is_object()) {
    return error("VALIDATION_ERROR", "a reset message's 'data' is an object (seed, episode_id)");
  }
  ServiceReply r = t == "reset" ? Reset(*s, data) : Step(*s, data);
  if (r.status != 200) return error(r.body["code"].get<std::string>().c_str(),
                                    r.body["error"].get<std::string>());
  return Json{{"type", "observation"}, {"data", std::move(r.body)}};
}

}  // namespace fleet::envs
