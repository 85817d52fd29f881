// Reading a whole 1-d or 2-d HDF5 dataset into a vector, for the readers in replay/
// (dataset_reader.cc, samplers.cc, minari_export.cc). Internal to replay/.
#pragma once

#include <string>
#include <vector>

#include <hdf5.h>

namespace fleet::replay {

// Reads dataset `name` of `file` as `type`. rows x cols (cols = 1 for 1-d). False with
// the reason in `why` when it is missing, cannot be opened or cannot be read.
template <class T>
bool ReadH5Dataset(hid_t file, const char* name, hid_t type, std::vector<T>& out, hsize_t& rows,
                   hsize_t& cols, std::string& why) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
    why = std::string("dataset '") + name + "' is missing";
    return false;
  }
  const hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) {
    why = std::string("dataset '") + name + "' cannot be opened";
    return false;
  }
  const hid_t s = H5Dget_space(d);
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_dims(s, dims, nullptr);
  rows = dims[0];
  cols = rank == 2 ? dims[1] : 1;
  out.resize(rows * cols);
  bool ok = true;
  if (!out.empty() && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    why = std::string("dataset '") + name + "' cannot be read (corrupt or truncated)";
    ok = false;
  }
  H5Sclose(s);
  H5Dclose(d);
  return ok;
}

// The same when only the number of columns is wanted.
template <class T>
bool ReadH5Dataset(hid_t file, const char* name, hid_t type, std::vector<T>& out,
                   hsize_t* cols = nullptr) {
  hsize_t r = 0, c = 0;
  std::string why;
  const bool ok = ReadH5Dataset(file, name, type, out, r, c, why);
  if (cols) *cols = c;
  return ok;
}

}  // namespace fleet::replay
