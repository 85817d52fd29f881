// Observation and action spaces, mirroring Gymnasium's Box and Discrete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"

namespace fleet::envs {

enum class DType { kFloat32, kFloat64, kInt64 };
const char* DTypeName(DType dtype);

struct Space;
// The space as JSON, in the form Minari's serialize_space writes (type, dtype, shape,
// low/high or n/start). Write it with NonFinite::kPython: unbounded boxes then read back in
// Python with -Infinity/Infinity bounds, as Minari's own files have them.
Json SpaceToJson(const Space& space);

struct Space {
  enum class Kind { kBox, kDiscrete };

  Kind kind = Kind::kBox;
  std::vector<int> shape;
  DType dtype = DType::kFloat32;
  // Box: per-element bounds, (prod(shape)). Discrete: empty.
  std::vector<double> low, high;
  // Discrete: number of actions, values start at `start` (Gymnasium's Discrete(n, start)).
  int64_t n = 0;
  int64_t start = 0;

  static Space Discrete(int64_t n);
  static Space Box(std::vector<double> low, std::vector<double> high,
                   DType dtype = DType::kFloat32);

  bool is_discrete() const { return kind == Kind::kDiscrete; }
  // Number of scalars one sample holds (1 for Discrete).
  int FlatDim() const;
  std::string ToString() const;
};

}  // namespace fleet::envs
