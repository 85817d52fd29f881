// Precompiled header of the libtorch targets: torch/torch.h costs ~35 s per translation
// unit on a 2-core machine, so it is parsed once per target.
#pragma once

#include <torch/torch.h>
