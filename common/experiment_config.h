// The experiment config: one YAML file (configs/*.yaml) read by the orchestrator and, in
// its resolved form (run_dir/config.yaml), by every role process. This is the schema every
// component shares (run, env, actors, store, the learner's generic settings, collect);
// the algorithms' own sections are the learner's (learner/algorithm_registry.h), and the
// orchestrator and the learner load configs through learner::LoadRunConfig, which checks
// them too. Defaults follow CleanRL's ppo.py (vwxyzjn/cleanrl, cleanrl/ppo.py) unless a
// field says otherwise.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/status.h"

namespace fleet {

struct RunSection {
  std::string name = "fleet";
  int64_t seed = 1;
  // seconds between the orchestrator's status lines.
  double status_interval_s = 2.0;
  // "ipc" (unix sockets in a private temp dir) or "tcp".
  std::string transport = "ipc";
  // tcp: the address the binding roles (store, learner) listen on: a host address, or
  // "*" for every interface.
  std::string tcp_bind_host = "127.0.0.1";
  // tcp: the address the other roles connect to; empty: tcp_bind_host (which must then
  // not be "*").
  std::string tcp_connect_host;
  // tcp: the first of four consecutive ports (ingest, rollout, weights, stats); 0: free
  // ports picked on this machine.
  int tcp_base_port = 0;
  // stop the run once mean_return_100 reaches the env's reward threshold.
  bool stop_at_threshold = false;
  std::string log_level = "info";
  // tcp: the CURVE key directory (common/curve.h; `fleet keygen DIR`): every tcp socket is
  // encrypted and only clients in its authorized_clients may connect. Empty: `fleet run`
  // and `fleet collect` make one in RUN_DIR/keys.
  std::string curve_keys;
  // a watched process (a role with heartbeat_timeout_s > 0) that has not beaten once since
  // it started is given this long, or its role's heartbeat timeout if that is longer,
  // before it is taken as hung: starting (loading libtorch, a checkpoint, a dataset's
  // index) on a loaded machine can take longer than a tight steady-state timeout.
  double startup_timeout_s = 120;

  template <class V>
  void Visit(V& v) {
    v("name", name);
    v("seed", seed);
    v("status_interval_s", status_interval_s);
    v("transport", transport);
    v("tcp_bind_host", tcp_bind_host);
    v("tcp_connect_host", tcp_connect_host);
    v("tcp_base_port", tcp_base_port);
    v("stop_at_threshold", stop_at_threshold);
    v("log_level", log_level);
    v("curve_keys", curve_keys);
    v("startup_timeout_s", startup_timeout_s);
  }
};

struct EnvSection {
  std::string id = "CartPole-v1";
  // envs stepped as one vector by each actor.
  int num_envs = 4;
  // Gymnasium keyword arguments of the env (e.g. sutton_barto_reward: true).
  std::map<std::string, std::string> options;
  // 1: Gymnasium's seeding (env i seeded once, with the actor's seed base + i). K > 1:
  // grouped seeding for a group-relative policy gradient (learner.algo grpo): the envs of an
  // actor form groups of K consecutive envs, and each group starts K episodes from each of
  // its seeds in turn (so from one start state; envs/vector_env.h ResetGrouped), each
  // episode's seed reported in the chunk (TrajectoryChunk.episode_seeds). num_envs must be
  // a multiple of K.
  int group_size = 1;

  template <class V>
  void Visit(V& v) {
    v("id", id);
    v("num_envs", num_envs);
    v("options", options);
    v("group_size", group_size);
  }
};

struct ActorsSection {
  int count = 2;
  // steps per env in one trajectory chunk (CleanRL's num_steps).
  int steps_per_chunk = 128;
  // synchronous mode: after sending a chunk made with policy version v, wait for weights
  // of version > v. Deterministic under a seed; async mode overlaps acting and learning.
  bool sync = true;
  // unacknowledged chunks an actor may have outstanding before it blocks (its credit).
  int max_in_flight = 2;
  // resend an unacknowledged chunk after this long.
  int ack_timeout_ms = 2000;
  // give up when no weights arrive for this long.
  int weights_timeout_ms = 60000;
  // an actor that dies (non-zero exit, killed) is started again, up to this many times
  // per actor, after restart_backoff_ms doubled with each restart (at most 30 s); its
  // unacknowledged chunks are lost, the run goes on. Beyond the budget the run fails.
  int max_restarts = 3;
  int restart_backoff_ms = 1000;
  // an actor that gives no sign of life (common/heartbeat.h) for this long is taken as
  // hung (or stopped) and killed, then restarted as above; 0: not watched.
  double heartbeat_timeout_s = 60.0;
  // a Gaussian actor-critic's exploration noise (continuous actions) is drawn anew every
  // this many steps of an env and held in between: temporally correlated exploration, for
  // tasks that per-step noise cannot explore (MountainCarContinuous: uniform random
  // actions never reach the flag, held ones do). The sampled action's log-probability is
  // still its density under the policy's Gaussian. A hold also ends with the env's
  // episode and at each new weights version. 1: fresh noise every step.
  int noise_hold_steps = 1;
  // the CPUs (a list as taskset -c takes it: "1", "0-3,6") the local launcher runs the actors
  // on; empty: wherever the orchestrator may run. E.g. a learner on a core of its own,
  // apart from the actors that feed it. Slurm and Kubernetes place processes themselves.
  std::string cpus;

  template <class V>
  void Visit(V& v) {
    v("count", count);
    v("steps_per_chunk", steps_per_chunk);
    v("sync", sync);
    v("max_in_flight", max_in_flight);
    v("ack_timeout_ms", ack_timeout_ms);
    v("weights_timeout_ms", weights_timeout_ms);
    v("max_restarts", max_restarts);
    v("restart_backoff_ms", restart_backoff_ms);
    v("heartbeat_timeout_s", heartbeat_timeout_s);
    v("noise_hold_steps", noise_hold_steps);
    v("cpus", cpus);
  }
};

struct StoreSection {
  // chunks held in memory for the learner; when full the store stops taking chunks and
  // actors block (backpressure).
  int queue_chunks = 64;
  // chunks older than learner_version - max_policy_lag are dropped (counted).
  int max_policy_lag = 1;
  // record every step to HDF5 under run_dir/dataset/.
  bool record = false;
  // reject chunks larger than this.
  int64_t max_chunk_bytes = 64 << 20;
  // recording: start a new HDF5 shard after this many steps (at an episode boundary).
  int64_t shard_max_steps = 1000000;
  // recording: deflate level of the HDF5 datasets (0: none, 1-9).
  int compression = 1;
  // recording: fdatasync the write-ahead log before every ack (survives power loss, not
  // only a crash of the store; slower).
  bool wal_fsync = false;
  // restart a store that died (crashed, killed, hung) this many times: it recovers its
  // dataset from its log, actors resend what it had not acknowledged, and in fleet run the
  // learner asks it again for its batch. Beyond the budget the run or collect fails.
  int max_restarts = 3;
  // kill a store that gives no sign of life (RUN_DIR/logs/store.alive untouched) for this
  // long: hung or stopped (0: not watched); it is then restarted as above.
  double heartbeat_timeout_s = 60;
  // the CPUs (a list as taskset -c takes it: "1", "0-3,6") the local launcher runs the store
  // on; empty: wherever the orchestrator may run. E.g. a learner on a core of its own,
  // apart from the actors that feed it. Slurm and Kubernetes place processes themselves.
  std::string cpus;

  template <class V>
  void Visit(V& v) {
    v("queue_chunks", queue_chunks);
    v("max_policy_lag", max_policy_lag);
    v("record", record);
    v("max_chunk_bytes", max_chunk_bytes);
    v("shard_max_steps", shard_max_steps);
    v("compression", compression);
    v("wal_fsync", wal_fsync);
    v("max_restarts", max_restarts);
    v("heartbeat_timeout_s", heartbeat_timeout_s);
    v("cpus", cpus);
  }
};

// The store's replay table for off-policy learners: accepted steps kept as transitions in
// a bounded ring (the oldest overwritten) and served as uniform samples under Reverb's
// samples-per-insert rate limiter (replay/rate_limiter.h): actors are slowed (the store
// stops reading their chunks) when the learner falls behind the ratio, and the learner
// waits when the actors do. capacity 0: no table; the store serves on-policy rollouts.
struct ReplaySection {
  // transitions held (CleanRL's SAC: buffer_size 1e6).
  int64_t capacity = 0;
  // transitions sampled per transition inserted: CleanRL's SAC draws one batch of 256 per
  // env step.
  double samples_per_insert = 256;
  // no sample until the table holds this many transitions (CleanRL: learning_starts 5e3).
  int64_t min_size = 5000;
  // how far sampling may run ahead of or behind the ratio, in sampled transitions; 0: one
  // chunk's steps x samples_per_insert + max_sample, twice the least that rules out
  // inserts and samples blocking each other for ever (which is refused).
  double error_buffer = 0;
  // the largest sample a learner may ask for.
  int max_sample = 4096;
  // the learner asks for its next sample before it updates on the current one, so that
  // the store draws it (and its limiter waits for the actors' inserts) while the learner
  // computes: one sample in flight, as Reverb's datasets prefetch. The sample then cannot
  // hold what the actors insert during that update (one env step at CleanRL's ratio).
  // false: each sample is asked for after the update before it, as CleanRL's loop draws.
  bool prefetch = true;

  template <class V>
  void Visit(V& v) {
    v("capacity", capacity);
    v("samples_per_insert", samples_per_insert);
    v("min_size", min_size);
    v("error_buffer", error_buffer);
    v("max_sample", max_sample);
    v("prefetch", prefetch);
  }
};

// The learner's generic settings. Everything else under `learner:` belongs to the
// algorithms (learner.ppo, learner.network, ...): it is kept as YAML here and read and
// validated by the learner's algorithm registry (learner/algorithm_registry.h), so adding
// an algorithm changes neither this schema nor the components that only include it.
struct LearnerSection {
  // the algorithm (learner/algorithm_registry.h lists them).
  std::string algo = "ppo";
  int64_t total_env_steps = 500000;
  // "cpu", "cuda" or "auto".
  std::string device = "cpu";
  // intra-op threads of libtorch in the learner.
  int threads = 1;
  // chunks per learner batch (a PPO update); 0 means one per actor.
  int chunks_per_update = 0;
  // write RUN_DIR/checkpoints/latest every this many updates (and at the end); 0: only at
  // the end. `fleet run --resume RUN_DIR` continues from it.
  int checkpoint_every = 25;
  // fleet run: a learner that crashes (non-zero exit, killed) is started again this many
  // times, from its latest checkpoint (from scratch before the first); actors take the
  // restarted learner's weights whatever their version. Beyond the budget the run fails.
  int max_restarts = 3;
  // a learner that gives no sign of life (RUN_DIR/logs/learner.alive untouched: it beats
  // while it waits for batches, after each update and between offline steps) for this
  // long is taken as hung and killed, then restarted as above; 0: not watched. Generous:
  // one update must finish within it.
  double heartbeat_timeout_s = 600;
  // offline algorithms (learner.algo dt): the recorded dataset they train from, a folder of
  // shards such as a collect's dataset/.
  std::string dataset;
  // offline algorithms: memory for the episodes read from learner.dataset (the rest is
  // read again from its shards when drawn).
  int64_t dataset_cache_mb = 2048;
  // evaluate the policy every this many updates in actor processes (`fleet eval` on a
  // snapshot, beside training; results in evals.csv and TensorBoard, the last one in
  // summary.json); 0: only at the end, and only with eval_episodes > 0. Offline
  // algorithms; online ones have their training episodes.
  int eval_every = 0;
  int eval_episodes = 0;
  int eval_actors = 1;
  // keep the policy of every this many updates as checkpoints/policy-vNNNNNN.pb (policies
  // along the run, e.g. for datasets of a given quality); 0: none.
  int policy_snapshot_every = 0;
  // the CPUs (a list as taskset -c takes it: "1", "0-3,6") the local launcher runs the learner
  // on; empty: wherever the orchestrator may run. E.g. a learner on a core of its own,
  // apart from the actors that feed it. Slurm and Kubernetes place processes themselves.
  std::string cpus;
  // the algorithms' sections, e.g. `network` and `ppo`.
  config::OpenSections sections;

  template <class V>
  void Visit(V& v) {
    v("algo", algo);
    v("total_env_steps", total_env_steps);
    v("device", device);
    v("threads", threads);
    v("chunks_per_update", chunks_per_update);
    v("checkpoint_every", checkpoint_every);
    v("max_restarts", max_restarts);
    v("heartbeat_timeout_s", heartbeat_timeout_s);
    v("policy_snapshot_every", policy_snapshot_every);
    v("dataset", dataset);
    v("dataset_cache_mb", dataset_cache_mb);
    v("eval_every", eval_every);
    v("eval_episodes", eval_episodes);
    v("eval_actors", eval_actors);
    v("cpus", cpus);
    v.Rest(sections);
  }
};

// Self-play (two-player envs whose opponent sits inside the env, envs::OpponentSeat, e.g.
// TicTacToe-v0): each actor keeps a pool of frozen past versions of the policy the learner
// published, and every game's opponent is drawn from it (or is the current policy).
struct SelfPlaySection {
  bool enabled = false;
  // frozen versions kept (the oldest leaves first).
  int pool_size = 10;
  // a published version joins the pool when it is at least this many versions after the
  // last one that joined (the first weights always join).
  int snapshot_every = 10;
  // probability that a game's opponent is the actor's current policy instead of a frozen one.
  double latest_prob = 0.2;
  // probability that a game's opponent is the env's built-in one instead (TicTacToe-v0's
  // env.options.opponent: random by default): a mix of states past selves would not reach.
  double builtin_prob = 0.0;
  // probability that a game's opponent (a frozen version or the current policy) takes
  // its most probable legal move throughout the game instead of sampling: 1 gives the
  // strongest opponents, 0 the most varied games, between the two a mix.
  double greedy_prob = 0.0;

  template <class V>
  void Visit(V& v) {
    v("enabled", enabled);
    v("pool_size", pool_size);
    v("snapshot_every", snapshot_every);
    v("latest_prob", latest_prob);
    v("builtin_prob", builtin_prob);
    v("greedy_prob", greedy_prob);
  }
};

// fleet collect: actors and a recording store, no learner.
struct CollectSection {
  // "random" (uniform over the action space), "scripted" (the env's heuristic controller;
  // LunarLander only) or "checkpoint" (a policy.pb written by a run's learner).
  std::string policy = "random";
  std::string checkpoint;
  // checkpoint policies: take the mode (argmax / mean) instead of sampling.
  bool deterministic = false;
  // checkpoint policies that are Decision Transformers: the return to condition on (env
  // units); 0: the one it was trained with.
  double target_return = 0.0;
  // stop once the store has recorded this many episodes / steps (0: no limit; one of the
  // two must be set).
  int64_t episodes = 0;
  int64_t steps = 0;
  // what the dataset is, for its manifests' behaviour block: a name (e.g. "medium") and
  // the policy's return as evaluated beforehand (evaluated_episodes 0: not evaluated).
  std::string label;
  double evaluated_return = 0.0;
  int evaluated_episodes = 0;

  template <class V>
  void Visit(V& v) {
    v("policy", policy);
    v("checkpoint", checkpoint);
    v("deterministic", deterministic);
    v("target_return", target_return);
    v("episodes", episodes);
    v("steps", steps);
    v("label", label);
    v("evaluated_return", evaluated_return);
    v("evaluated_episodes", evaluated_episodes);
  }
};

// fleet slurm script / submit (orchestrator/slurm.h): the batch job. Store and learner
// run in the heterogeneous job's first component (one node), the actors in the second.
struct SlurmSection {
  // sbatch --partition / --account; empty: the cluster's default.
  std::string partition;
  std::string account;
  // sbatch --time ("MM", "HH:MM:SS", "D-HH:MM:SS"); empty: the partition's limit.
  std::string time_limit;
  // nodes for the actors (sbatch --nodes of the second component); 0: Slurm decides.
  int actor_nodes = 0;
  int cpus_per_actor = 1;
  // --mem-per-cpu of every component and step (MB); 0: not given (the cluster's default).
  // Where memory is a consumable resource, set it: a step given the whole job's memory
  // keeps the next step waiting.
  int mem_per_cpu_mb = 0;
  // Slurm signals the job this long before its time limit: the run checkpoints, stops and,
  // with `requeue`, is requeued to resume from that checkpoint.
  int signal_lead_s = 300;
  bool requeue = true;
  // the learner's GPU request (--gres) when learner.device is cuda.
  std::string gpu_gres = "gpu:1";
  // further lines for the first component, each given as `#SBATCH <option>`.
  std::vector<std::string> sbatch_options;

  template <class V>
  void Visit(V& v) {
    v("partition", partition);
    v("account", account);
    v("time_limit", time_limit);
    v("actor_nodes", actor_nodes);
    v("cpus_per_actor", cpus_per_actor);
    v("mem_per_cpu_mb", mem_per_cpu_mb);
    v("signal_lead_s", signal_lead_s);
    v("requeue", requeue);
    v("gpu_gres", gpu_gres);
    v("sbatch_options", sbatch_options);
  }
};

// fleet k8s render (orchestrator/k8s.h): the manifests.
struct K8sSection {
  // the container image with Fleet installed (deploy/docker/Dockerfile builds one).
  std::string image = "fleet:latest";
  std::string namespace_ = "default";
  // the run directory's volume: a PersistentVolumeClaim of this size and class (empty:
  // the cluster's default class).
  std::string storage = "10Gi";
  std::string storage_class;
  // cpu requests of the roles (Kubernetes quantities), memory limits.
  std::string learner_cpu = "2";
  std::string actor_cpu = "1";
  std::string memory = "4Gi";
  // the learner's GPU resource name when learner.device is cuda.
  std::string gpu_resource = "nvidia.com/gpu";
  // how often Kubernetes restarts a failed role's pod before the run fails.
  int backoff_limit = 6;

  template <class V>
  void Visit(V& v) {
    v("image", image);
    v("namespace", namespace_);
    v("storage", storage);
    v("storage_class", storage_class);
    v("learner_cpu", learner_cpu);
    v("actor_cpu", actor_cpu);
    v("memory", memory);
    v("gpu_resource", gpu_resource);
    v("backoff_limit", backoff_limit);
  }
};

struct ExperimentConfig {
  RunSection run;
  EnvSection env;
  ActorsSection actors;
  StoreSection store;
  ReplaySection replay;
  LearnerSection learner;
  CollectSection collect;
  SelfPlaySection selfplay;
  SlurmSection slurm;
  K8sSection k8s;

  template <class V>
  void Visit(V& v) {
    v("run", run);
    v("env", env);
    v("actors", actors);
    v("store", store);
    v("replay", replay);
    v("learner", learner);
    v("collect", collect);
    v("selfplay", selfplay);
    v("slurm", slurm);
    v("k8s", k8s);
  }

  // the replay table's error buffer: replay.error_buffer, or its default (ReplaySection).
  double ReplayErrorBuffer() const {
    const double chunk_steps = double(actors.steps_per_chunk) * env.num_envs;
    return replay.error_buffer > 0 ? replay.error_buffer
                                   : chunk_steps * replay.samples_per_insert + replay.max_sample;
  }
  int ChunksPerUpdate() const {
    return learner.chunks_per_update > 0 ? learner.chunks_per_update : actors.count;
  }
  // Checks ranges and enumerations; names the offending key.
  Status Validate() const;
};

// Reads a config file, applies "key=value" overrides, validates. Errors name the file and
// the key.
StatusOr<ExperimentConfig> LoadExperimentConfig(const std::string& path,
                                                const std::vector<std::string>& overrides = {});
StatusOr<ExperimentConfig> ParseExperimentConfig(const std::string& yaml_text,
                                                 const std::vector<std::string>& overrides = {});
std::string ExperimentConfigToYaml(const ExperimentConfig& config);

}  // namespace fleet
