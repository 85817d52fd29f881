#include "common/experiment_config.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/config.h"
#include "common/process.h"

namespace fleet {
namespace {

// The byte offset of the first byte that is not part of valid UTF-8, or npos. YAML is
// UTF-8; a key of other bytes did not read back the same (found by benchmarks/fuzz).
size_t FirstInvalidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    }
    i += n;
  }
  return std::string::npos;
}

// The first map key under `node` that holds a control character (a carriage return, a tab,
// ...), as its dotted path, or "". YAML's emitter does not keep such a key as written: a
// key "a\rb" came back as "a b" from the resolved config (found by benchmarks/fuzz).
std::string FirstKeyWithControlChar(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      const std::string here = path.empty() ? key : path + "." + key;
      for (const char c : key) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return here;
      }
      if (std::string inner = FirstKeyWithControlChar(kv.second, here); !inner.empty()) return inner;
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      std::string inner = FirstKeyWithControlChar(node[i], path + "[" + std::to_string(i) + "]");
      if (!inner.empty()) return inner;
    }
  }
  return "";
}

std::string FormatNumber(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

Status Require(bool ok, const std::string& key, const std::string& what) {
  if (ok) return OkStatus();
  return InvalidArgumentError("config key '" + key + "' " + what);
}

}  // namespace

Status ExperimentConfig::Validate() const {
  FLEET_RETURN_IF_ERROR(Require(run.transport == "ipc" || run.transport == "tcp",
                                "run.transport", "must be 'ipc' or 'tcp'"));
  FLEET_RETURN_IF_ERROR(Require(!run.tcp_bind_host.empty(), "run.tcp_bind_host", "must not be empty"));
  FLEET_RETURN_IF_ERROR(Require(run.tcp_base_port == 0 ||
                                    (run.tcp_base_port >= 1024 && run.tcp_base_port <= 65532),
                                "run.tcp_base_port", "must be 0 (free ports) or 1024 to 65532"));
  FLEET_RETURN_IF_ERROR(Require(run.transport != "tcp" || run.tcp_bind_host != "*" ||
                                    !run.tcp_connect_host.empty(),
                                "run.tcp_connect_host",
                                "must name the address to connect to when run.tcp_bind_host is '*'"));
  FLEET_RETURN_IF_ERROR(Require(run.status_interval_s > 0, "run.status_interval_s", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(!env.id.empty(), "env.id", "must not be empty"));
  // sizes: bounded here by what any machine holds; against this machine's memory and the
  // env's shapes in the orchestrator (orchestrator/run_setup.h CheckSizes)
  FLEET_RETURN_IF_ERROR(Require(env.num_envs >= 1 && env.num_envs <= 65536, "env.num_envs",
                                "must be 1 to 65536 (envs per actor)"));
  FLEET_RETURN_IF_ERROR(Require(env.group_size >= 1 && env.num_envs % env.group_size == 0,
                                "env.group_size",
                                "must be >= 1 and divide env.num_envs (" +
                                    std::to_string(env.num_envs) + ")"));
  FLEET_RETURN_IF_ERROR(Require(replay.capacity >= 0, "replay.capacity", "must be >= 0 (0: no replay table)"));
  if (replay.capacity > 0) {
    FLEET_RETURN_IF_ERROR(Require(replay.samples_per_insert > 0, "replay.samples_per_insert", "must be > 0"));
    FLEET_RETURN_IF_ERROR(Require(replay.min_size >= 1 && replay.min_size <= replay.capacity,
                                  "replay.min_size", "must be 1 to replay.capacity (" +
                                      std::to_string(replay.capacity) + ")"));
    FLEET_RETURN_IF_ERROR(Require(replay.max_sample >= 1, "replay.max_sample", "must be >= 1"));
    // inserts of a chunk (n steps) and samples of up to max_sample (k) could block each
    // other for ever below (n x samples_per_insert + k) / 2 (replay/rate_limiter.h)
    const double chunk_steps = double(actors.steps_per_chunk) * env.num_envs;
    const double least = (chunk_steps * replay.samples_per_insert + replay.max_sample) / 2;
    FLEET_RETURN_IF_ERROR(Require(
        replay.error_buffer == 0 || replay.error_buffer >= least, "replay.error_buffer",
        "must be 0 (the default) or >= (actors.steps_per_chunk x env.num_envs x "
        "replay.samples_per_insert + replay.max_sample) / 2 = " + FormatNumber(least) +
            ", or inserts and samples could block each other for ever"));
  }
  FLEET_RETURN_IF_ERROR(Require(selfplay.pool_size >= 1, "selfplay.pool_size", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(selfplay.snapshot_every >= 1, "selfplay.snapshot_every", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(selfplay.latest_prob >= 0.0 && selfplay.latest_prob <= 1.0,
                                "selfplay.latest_prob", "must be in [0, 1]"));
  FLEET_RETURN_IF_ERROR(Require(selfplay.builtin_prob >= 0.0 && selfplay.builtin_prob <= 1.0,
                                "selfplay.builtin_prob", "must be in [0, 1]"));
  FLEET_RETURN_IF_ERROR(Require(selfplay.greedy_prob >= 0.0 && selfplay.greedy_prob <= 1.0,
                                "selfplay.greedy_prob", "must be in [0, 1]"));
  FLEET_RETURN_IF_ERROR(Require(actors.count >= 1 && actors.count <= 4096, "actors.count",
                                "must be 1 to 4096"));
  FLEET_RETURN_IF_ERROR(Require(actors.steps_per_chunk >= 1 && actors.steps_per_chunk <= 1000000,
                                "actors.steps_per_chunk", "must be 1 to 1000000"));
  FLEET_RETURN_IF_ERROR(Require(actors.max_in_flight >= 1 && actors.max_in_flight <= 1024,
                                "actors.max_in_flight", "must be 1 to 1024"));
  FLEET_RETURN_IF_ERROR(Require(actors.ack_timeout_ms >= 1, "actors.ack_timeout_ms", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(actors.weights_timeout_ms >= 1, "actors.weights_timeout_ms",
                                "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(actors.max_restarts >= 0, "actors.max_restarts", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(actors.restart_backoff_ms >= 0, "actors.restart_backoff_ms",
                                "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(actors.noise_hold_steps >= 1, "actors.noise_hold_steps", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(std::isfinite(run.startup_timeout_s) && run.startup_timeout_s >= 0 &&
                                    run.startup_timeout_s <= 86400,
                                "run.startup_timeout_s", "must be in [0, 86400] seconds"));
  FLEET_RETURN_IF_ERROR(Require(std::isfinite(actors.heartbeat_timeout_s) &&
                                    actors.heartbeat_timeout_s >= 0,
                                "actors.heartbeat_timeout_s", "must be >= 0 (0: not watched)"));
  FLEET_RETURN_IF_ERROR(Require(store.queue_chunks >= 1 && store.queue_chunks <= 1000000,
                                "store.queue_chunks", "must be 1 to 1000000"));
  FLEET_RETURN_IF_ERROR(Require(store.max_policy_lag >= 0, "store.max_policy_lag", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(store.max_chunk_bytes >= 1024 && store.max_chunk_bytes <= 2147483647,
                                "store.max_chunk_bytes",
                                "must be 1024 to 2147483647 (protobuf's message limit)"));
  FLEET_RETURN_IF_ERROR(Require(store.shard_max_steps >= 1, "store.shard_max_steps",
                                "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(store.compression >= 0 && store.compression <= 9,
                                "store.compression", "must be 0 (none) to 9"));
  FLEET_RETURN_IF_ERROR(Require(store.max_restarts >= 0, "store.max_restarts", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(learner.max_restarts >= 0, "learner.max_restarts", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(learner.heartbeat_timeout_s >= 0, "learner.heartbeat_timeout_s",
                                "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(store.heartbeat_timeout_s >= 0, "store.heartbeat_timeout_s",
                                "must be >= 0 (0: not watched)"));
  FLEET_RETURN_IF_ERROR(Require(collect.policy == "random" || collect.policy == "scripted" ||
                                    collect.policy == "checkpoint",
                                "collect.policy", "must be 'random', 'scripted' or 'checkpoint'"));
  FLEET_RETURN_IF_ERROR(Require(collect.policy != "checkpoint" || !collect.checkpoint.empty(),
                                "collect.checkpoint", "must name a policy.pb file for policy 'checkpoint'"));
  FLEET_RETURN_IF_ERROR(Require(collect.episodes >= 0, "collect.episodes", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(collect.steps >= 0, "collect.steps", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(collect.evaluated_episodes >= 0, "collect.evaluated_episodes",
                                "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(std::isfinite(collect.evaluated_return), "collect.evaluated_return",
                                "must be finite"));
  FLEET_RETURN_IF_ERROR(Require(std::isfinite(collect.target_return), "collect.target_return",
                                "must be finite"));
  FLEET_RETURN_IF_ERROR(Require(!learner.algo.empty(), "learner.algo", "must not be empty"));
  FLEET_RETURN_IF_ERROR(Require(learner.total_env_steps >= 1, "learner.total_env_steps",
                                "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(learner.device == "cpu" || learner.device == "cuda" ||
                                    learner.device == "auto",
                                "learner.device", "must be 'cpu', 'cuda' or 'auto'"));
  FLEET_RETURN_IF_ERROR(Require(learner.threads >= 1, "learner.threads", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(learner.chunks_per_update >= 0, "learner.chunks_per_update",
                                "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(learner.dataset_cache_mb >= 1, "learner.dataset_cache_mb", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(learner.eval_every >= 0, "learner.eval_every", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(learner.eval_episodes >= 0, "learner.eval_episodes", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(learner.eval_actors >= 1, "learner.eval_actors", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(learner.eval_every == 0 || learner.eval_episodes > 0,
                                "learner.eval_episodes", "must be > 0 when learner.eval_every is set"));
  FLEET_RETURN_IF_ERROR(Require(learner.policy_snapshot_every >= 0,
                                "learner.policy_snapshot_every", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(learner.checkpoint_every >= 0, "learner.checkpoint_every",
                                "must be >= 0"));
  if (learner.chunks_per_update == 0) {  // one chunk per actor per update
    FLEET_RETURN_IF_ERROR(Require(
        actors.count <= store.queue_chunks, "actors.count",
        "(" + std::to_string(actors.count) + ") must not exceed store.queue_chunks (" +
            std::to_string(store.queue_chunks) + "): an update takes one chunk per actor "
            "(raise store.queue_chunks, or set learner.chunks_per_update)"));
  }
  FLEET_RETURN_IF_ERROR(Require(ChunksPerUpdate() <= store.queue_chunks,
                                "learner.chunks_per_update",
                                "must not exceed store.queue_chunks"));
  for (const auto& [key, text] : {std::pair{"actors.cpus", actors.cpus},
                                  {"store.cpus", store.cpus},
                                  {"learner.cpus", learner.cpus}}) {
    auto cpus = ParseCpuList(text);
    FLEET_RETURN_IF_ERROR(Require(cpus.ok(), key, cpus.ok() ? "" : cpus.status().message()));
  }
  FLEET_RETURN_IF_ERROR(Require(slurm.actor_nodes >= 0, "slurm.actor_nodes", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(slurm.cpus_per_actor >= 1, "slurm.cpus_per_actor", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(slurm.mem_per_cpu_mb >= 0, "slurm.mem_per_cpu_mb", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(slurm.signal_lead_s >= 0 && slurm.signal_lead_s <= 65535,
                                "slurm.signal_lead_s", "must be 0 to 65535"));
  FLEET_RETURN_IF_ERROR(Require(
      slurm.time_limit.find_first_not_of("0123456789:-") == std::string::npos,
      "slurm.time_limit", "must be a Slurm time (MM, HH:MM:SS or D-HH:MM:SS)"));
  for (const auto& [key, text] : {std::pair{"slurm.partition", slurm.partition},
                                  {"slurm.account", slurm.account},
                                  {"slurm.gpu_gres", slurm.gpu_gres}}) {
    FLEET_RETURN_IF_ERROR(Require(text.find_first_of(" \t\n'\"$`\\;") == std::string::npos, key,
                                  "must be one word (no spaces, quotes or shell characters)"));
  }
  for (const auto& o : slurm.sbatch_options) {
    FLEET_RETURN_IF_ERROR(Require(o.starts_with("-") && o.find('\n') == std::string::npos,
                                  "slurm.sbatch_options",
                                  "must hold sbatch options, each starting with '-' (got '" + o + "')"));
  }
  FLEET_RETURN_IF_ERROR(Require(!k8s.image.empty(), "k8s.image", "must not be empty"));
  FLEET_RETURN_IF_ERROR(Require(k8s.backoff_limit >= 0, "k8s.backoff_limit", "must be >= 0"));
  return OkStatus();
}

StatusOr<ExperimentConfig> ParseExperimentConfig(const std::string& yaml_text,
                                                 const std::vector<std::string>& overrides) {
  if (const size_t bad = FirstInvalidUtf8(yaml_text); bad != std::string::npos) {
    return InvalidArgumentError("config is not UTF-8 text (byte " + std::to_string(bad) + ")");
  }
  for (const auto& o : overrides) {
    if (FirstInvalidUtf8(o) != std::string::npos) {
      return InvalidArgumentError("--set " + o.substr(0, o.find('=')) + ": not UTF-8 text");
    }
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string("config is not valid YAML: ") + e.what());
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) return InvalidArgumentError("config must be a YAML mapping");
  for (const auto& o : overrides) FLEET_RETURN_IF_ERROR(config::ApplyOverride(root, o));
  if (std::string key = FirstKeyWithControlChar(root, ""); !key.empty()) {
    std::string shown;
    for (const char c : key) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        shown += buf;
      } else {
        shown += c;
      }
    }
    return InvalidArgumentError("config key '" + shown + "' holds a control character");
  }
  ExperimentConfig cfg;
  FLEET_RETURN_IF_ERROR(config::YamlReader::Read(root, "", cfg));
  FLEET_RETURN_IF_ERROR(cfg.Validate());
  // an escape in a quoted string ("\xff") can make bytes that are not UTF-8: the resolved
  // config every role reads would not read back (found by benchmarks/fuzz)
  if (FirstInvalidUtf8(ExperimentConfigToYaml(cfg)) != std::string::npos) {
    return InvalidArgumentError("config holds a string that is not UTF-8 text (an escape such as \\xff)");
  }
  return cfg;
}

StatusOr<ExperimentConfig> LoadExperimentConfig(const std::string& path,
                                                const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot open config file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = ParseExperimentConfig(ss.str(), overrides);
  if (!cfg.ok()) return Status(cfg.status().code(), path + ": " + cfg.status().message());
  return cfg;
}

std::string ExperimentConfigToYaml(const ExperimentConfig& config) {
  return config::ToYaml(config);
}

}  // namespace fleet
