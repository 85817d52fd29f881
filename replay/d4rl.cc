#include "replay/d4rl.h"

namespace fleet::replay {

std::optional<D4rlReference> D4rlReferenceFor(const std::string& env_id) {
  static constexpr struct {
    const char* prefix;
    D4rlReference ref;
  } kRefs[] = {{"HalfCheetah-v", {"halfcheetah", -280.178953, 12135.0}},
               {"Hopper-v", {"hopper", -20.272305, 3234.3}},
               {"Walker2d-v", {"walker2d", 1.629008, 4592.3}}};
  for (const auto& r : kRefs) {
    if (env_id.starts_with(r.prefix)) return r.ref;
  }
  return std::nullopt;
}

}  // namespace fleet::replay
