// The Decision Transformer forward pass for baseline x86-64 (see dt_forward.h).
#define FLEET_DT_NS dt_baseline
#include "actor/dt_forward_impl.h"

namespace fleet::actor {

DtForward* NewDtForwardBaseline(const DtWeightsView& weights) {
  return new dt_baseline::Forward(weights);
}

}  // namespace fleet::actor
