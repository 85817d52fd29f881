#include "learner/algorithm_registry.h"

#include <algorithm>

#include "learner/mlp_config.h"
#include "learner/dt_config.h"
#include "learner/pg_config.h"
#include "learner/ppo_config.h"
#include "learner/sac_config.h"

namespace fleet::learner {
namespace {

Status ValidateNetwork(const ExperimentConfig& config) {
  MlpConfig net;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "network", net));
  return net.Validate("learner.network");
}

Status ValidateDt(const ExperimentConfig& config) {
  DtConfig dt;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "dt", dt));
  return dt.Validate(config);
}

Status ValidatePpo(const ExperimentConfig& config) {
  PpoConfig ppo;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "ppo", ppo));
  return ppo.Validate(config);
}

Status ValidateReinforce(const ExperimentConfig& config) {
  ReinforceConfig c;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "reinforce", c));
  return c.Validate(config);
}

Status ValidateGrpo(const ExperimentConfig& config) {
  GrpoConfig c;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "grpo", c));
  return c.Validate(config);
}

Status ValidateSac(const ExperimentConfig& config) {
  SacConfig c;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "sac", c));
  return c.Validate();
}

// SAC as a run: its batches come from the store's replay table, which must exist, serve
// its batch and start sampling when SAC's warm-up ends.
Status ValidateSacRun(const ExperimentConfig& config) {
  FLEET_RETURN_IF_ERROR(ValidateSac(config));
  SacConfig c;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "sac", c));
  if (config.replay.capacity == 0) {
    return InvalidArgumentError("config key 'replay.capacity' must be > 0 for learner.algo sac: "
                                "it samples from the store's replay table (CleanRL: 1000000)");
  }
  if (config.replay.max_sample < c.batch_size) {
    return InvalidArgumentError("config key 'replay.max_sample' (" + std::to_string(config.replay.max_sample) +
                                ") is below learner.sac.batch_size (" + std::to_string(c.batch_size) + ")");
  }
  if (config.replay.min_size != c.learning_starts) {
    return InvalidArgumentError(
        "config key 'replay.min_size' (" + std::to_string(config.replay.min_size) +
        ") must equal learner.sac.learning_starts (" + std::to_string(c.learning_starts) +
        "): the actors act at random until the table first serves a sample");
  }
  return OkStatus();
}

template <class T>
void Resolve(ExperimentConfig& config, const std::string& name) {
  T value;
  // validated before: reading cannot fail here.
  if (ReadLearnerSection(config, name, value).ok()) {
    config.learner.sections.nodes[name] = config::ToYamlNode(value);
  }
}

// Every section any algorithm owns, with its reader (so that a section of an algorithm
// not selected is still checked: a typo there is a typo).
struct SectionOwner {
  const char* name;
  Status (*validate)(const ExperimentConfig&);
};
constexpr SectionOwner kSections[] = {
    {"network", ValidateNetwork}, {"ppo", ValidatePpo}, {"dt", ValidateDt},
    {"reinforce", ValidateReinforce}, {"grpo", ValidateGrpo}, {"sac", ValidateSac}};

}  // namespace

const std::vector<AlgorithmInfo>& Algorithms() {
  static const std::vector<AlgorithmInfo> algorithms = {
      {"ppo",
       "PPO with the clipped surrogate objective (Schulman et al. 2017), CleanRL's ppo.py",
       BatchSource::kRollouts,
       {"infos/logprob", "infos/value"},
       {"network", "ppo"},
       [](const ExperimentConfig& c) {
         FLEET_RETURN_IF_ERROR(ValidateNetwork(c));
         return ValidatePpo(c);
       },
       [](ExperimentConfig& c) {
         Resolve<MlpConfig>(c, "network");
         Resolve<PpoConfig>(c, "ppo");
       }},
      {"dt",
       "Decision Transformer (Chen et al. 2021) trained offline from learner.dataset, the "
       "official gym code's recipe",
       BatchSource::kOffline,
       {},  // its actors report neither log-probs nor values
       {"dt"},
       [](const ExperimentConfig& c) {
         if (c.learner.dataset.empty()) {
           return InvalidArgumentError(
               "config key 'learner.dataset' must name the dataset algorithm 'dt' trains from");
         }
         return ValidateDt(c);
       },
       [](ExperimentConfig& c) { Resolve<DtConfig>(c, "dt"); }},
      {"reinforce",
       "REINFORCE (Williams 1992): Monte-Carlo returns of whole episodes, optional learned "
       "baseline",
       BatchSource::kRollouts,
       {"infos/logprob", "infos/value"},
       {"network", "reinforce"},
       [](const ExperimentConfig& c) {
         FLEET_RETURN_IF_ERROR(ValidateNetwork(c));
         return ValidateReinforce(c);
       },
       [](ExperimentConfig& c) {
         Resolve<MlpConfig>(c, "network");
         Resolve<ReinforceConfig>(c, "reinforce");
       }},
      {"grpo",
       "group-relative policy gradient (GRPO's advantage, Shao et al. 2024) for control: "
       "groups of episodes from one seed, PPO's clipped ratio, no critic",
       BatchSource::kRollouts,
       {"infos/logprob"},
       {"network", "grpo"},
       [](const ExperimentConfig& c) {
         FLEET_RETURN_IF_ERROR(ValidateNetwork(c));
         return ValidateGrpo(c);
       },
       [](ExperimentConfig& c) {
         Resolve<MlpConfig>(c, "network");
         Resolve<GrpoConfig>(c, "grpo");
       }},
      {"sac",
       "Soft Actor-Critic (Haarnoja et al. 2018) with automatic entropy tuning, CleanRL's "
       "sac_continuous_action.py, sampling the store's replay table",
       BatchSource::kReplay,
       {},  // trains from (s, a, r, s') alone
       {"sac"},
       ValidateSacRun,
       [](ExperimentConfig& c) { Resolve<SacConfig>(c, "sac"); }},
  };
  return algorithms;
}

StatusOr<const AlgorithmInfo*> FindAlgorithm(const std::string& name) {
  std::string known;
  for (const AlgorithmInfo& a : Algorithms()) {
    if (a.name == name) return &a;
    known += (known.empty() ? "" : ", ") + a.name;
  }
  return InvalidArgumentError("config key 'learner.algo': unknown algorithm '" + name +
                              "' (known: " + known + ")");
}

Status ValidateLearnerConfig(const ExperimentConfig& config) {
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* algo, FindAlgorithm(config.learner.algo));
  for (const auto& [key, node] : config.learner.sections.nodes) {
    const auto* owner = std::find_if(std::begin(kSections), std::end(kSections),
                                     [&](const SectionOwner& s) { return key == s.name; });
    if (owner == std::end(kSections)) {
      std::string known = "algo, total_env_steps, device, threads, chunks_per_update, checkpoint_every, policy_snapshot_every, dataset, dataset_cache_mb, eval_every, eval_episodes, eval_actors";
      for (const SectionOwner& s : kSections) known += std::string(", ") + s.name;
      return InvalidArgumentError("unknown config key 'learner." + key + "' (known keys here: " +
                                  known + ")");
    }
    FLEET_RETURN_IF_ERROR(owner->validate(config));
  }
  if (algo->source != BatchSource::kReplay && config.replay.capacity > 0) {
    return InvalidArgumentError("config key 'replay.capacity' is for off-policy algorithms "
                                "(learner.algo sac); " + algo->name + " takes " +
                                (algo->source == BatchSource::kOffline ? "dataset windows" : "rollouts") +
                                ": set it to 0");
  }
  return algo->validate(config);
}

StatusOr<ExperimentConfig> ParseRunConfig(const std::string& yaml_text,
                                          const std::vector<std::string>& overrides) {
  FLEET_ASSIGN_OR_RETURN(ExperimentConfig config, ParseExperimentConfig(yaml_text, overrides));
  FLEET_RETURN_IF_ERROR(ValidateLearnerConfig(config));
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* algo, FindAlgorithm(config.learner.algo));
  algo->resolve(config);
  return config;
}

StatusOr<ExperimentConfig> LoadRunConfig(const std::string& path,
                                         const std::vector<std::string>& overrides) {
  FLEET_ASSIGN_OR_RETURN(ExperimentConfig config, LoadExperimentConfig(path, overrides));
  if (Status st = ValidateLearnerConfig(config); !st.ok()) {
    return Status(st.code(), path + ": " + st.message());
  }
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* algo, FindAlgorithm(config.learner.algo));
  algo->resolve(config);
  return config;
}

}  // namespace fleet::learner
