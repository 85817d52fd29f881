// libFuzzer target: a config file's text. Loading must never crash, and a config it
// accepts must satisfy its own validation and survive the round trip through the
// resolved YAML every role reads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/experiment_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = fleet::ParseExperimentConfig(text);
  if (!cfg.ok()) return 0;
  if (!cfg->Validate().ok()) std::abort();
  const std::string yaml = fleet::ExperimentConfigToYaml(*cfg);
  auto again = fleet::ParseExperimentConfig(yaml);
  if (!again.ok() || fleet::ExperimentConfigToYaml(*again) != yaml) std::abort();
  return 0;
}
