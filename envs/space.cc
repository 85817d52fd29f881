#include "envs/space.h"

#include <sstream>


namespace fleet::envs {

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt64: return "int64";
  }
  return "?";
}

Json SpaceToJson(const Space& s) {
  if (s.is_discrete()) {
    return Json{{"type", "Discrete"}, {"dtype", "int64"}, {"start", s.start}, {"n", s.n}};
  }
  return Json{{"type", "Box"}, {"dtype", DTypeName(s.dtype)}, {"shape", s.shape},
              {"low", s.low}, {"high", s.high}};
}

Space Space::Discrete(int64_t n) {
  Space s;
  s.kind = Kind::kDiscrete;
  s.dtype = DType::kInt64;
  s.n = n;
  return s;
}

Space Space::Box(std::vector<double> low, std::vector<double> high, DType dtype) {
  Space s;
  s.kind = Kind::kBox;
  s.dtype = dtype;
  s.shape = {static_cast<int>(low.size())};
  s.low = std::move(low);
  s.high = std::move(high);
  return s;
}

int Space::FlatDim() const {
  if (is_discrete()) return 1;
  int d = 1;
  for (int s : shape) d *= s;
  return d;
}

std::string Space::ToString() const {
  std::ostringstream os;
  if (is_discrete()) {
    os << "Discrete(" << n << ")";
  } else {
    os << "Box(shape=(";
    for (size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
    os << "), " << DTypeName(dtype) << ")";
  }
  return os.str();
}

}  // namespace fleet::envs
