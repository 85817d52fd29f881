// The Decision Transformer forward pass with AVX2 and FMA (see dt_forward.h), compiled with
// -mavx2 -mfma. Eigen lives in its own namespace here, so that none of its functions built
// for AVX2 is merged with the baseline build of the same function used elsewhere.
#define Eigen FleetEigenAvx2
#define FLEET_DT_NS dt_avx2
#include "actor/dt_forward_impl.h"

namespace fleet::actor {

DtForward* NewDtForwardAvx2(const DtWeightsView& weights) { return new dt_avx2::Forward(weights); }

}  // namespace fleet::actor
