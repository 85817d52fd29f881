#include "replay/h5.h"

#include <algorithm>

namespace fleet::replay::h5 {

Status Id::Close() {
  if (id_ < 0) return OkStatus();
  const hid_t id = std::exchange(id_, H5I_INVALID_HID);
  herr_t r = -1;
  switch (H5Iget_type(id)) {
    case H5I_FILE: r = H5Fclose(id); break;
    case H5I_GROUP: r = H5Gclose(id); break;
    case H5I_DATASET: r = H5Dclose(id); break;
    case H5I_DATASPACE: r = H5Sclose(id); break;
    case H5I_DATATYPE: r = H5Tclose(id); break;
    case H5I_GENPROP_LST: r = H5Pclose(id); break;
    case H5I_ATTR: r = H5Aclose(id); break;
    default: r = H5Idec_ref(id); break;
  }
  return r < 0 ? UnavailableError("HDF5 could not close an object (data not written?)")
               : OkStatus();
}

void SilenceHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

StatusOr<Id> OpenFile(const std::string& path) {
  SilenceHdf5Errors();
  Id f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.valid()) return DataLossError("'" + path + "' is not a readable HDF5 file (truncated or corrupt)");
  return f;
}

StatusOr<Id> CreateFile(const std::string& path, bool track_creation_order, bool exclusive) {
  SilenceHdf5Errors();
  Id fcpl(H5Pcreate(H5P_FILE_CREATE));
  if (track_creation_order) {
    H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  }
  Id f(H5Fcreate(path.c_str(), exclusive ? H5F_ACC_EXCL : H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT));
  if (!f.valid()) {
    return UnavailableError("cannot create HDF5 file '" + path + "'" +
                            (exclusive ? " (it may exist already)" : ""));
  }
  return f;
}

bool Exists(hid_t loc, const std::string& name) {
  // H5Lexists fails on a missing intermediate group: check the path one level at a time.
  size_t p = 0;
  while (true) {
    p = name.find('/', p);
    const std::string prefix = name.substr(0, p);
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (p == std::string::npos) return true;
    ++p;
  }
}

template <> hid_t NativeType<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t NativeType<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t NativeType<uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t NativeType<uint32_t>() { return H5T_NATIVE_UINT32; }
template <> hid_t NativeType<uint64_t>() { return H5T_NATIVE_UINT64; }
template <> hid_t NativeType<int64_t>() { return H5T_NATIVE_INT64; }

template <class T>
StatusOr<Array<T>> Read(hid_t loc, const std::string& name) {
  if (!Exists(loc, name)) return NotFoundError("dataset '" + name + "' is missing");
  Id d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) return DataLossError("dataset '" + name + "' cannot be opened");
  Id space(H5Dget_space(d.get()));
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 2 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) {
    return DataLossError("dataset '" + name + "' is not 1-d or 2-d");
  }
  Array<T> a;
  a.rows = dims[0];
  a.cols = rank == 2 ? dims[1] : 1;
  a.data.resize(a.rows * a.cols);
  if (!a.data.empty() &&
      H5Dread(d.get(), NativeType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()) < 0) {
    return DataLossError("dataset '" + name + "' cannot be read (corrupt or truncated)");
  }
  return a;
}

template <class T>
StatusOr<Array<T>> ReadRows(hid_t loc, const std::string& name, uint64_t start, uint64_t count) {
  Id d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) return DataLossError("dataset '" + name + "' cannot be opened");
  Id space(H5Dget_space(d.get()));
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 2 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) {
    return DataLossError("dataset '" + name + "' is not 1-d or 2-d");
  }
  if (start + count > dims[0]) {
    return DataLossError("dataset '" + name + "' has " + std::to_string(dims[0]) + " rows, not " +
                         std::to_string(start + count));
  }
  Array<T> a;
  a.rows = count;
  a.cols = rank == 2 ? dims[1] : 1;
  a.data.resize(a.rows * a.cols);
  if (count == 0) return a;
  const hsize_t offset[2] = {start, 0}, size[2] = {count, a.cols};
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, offset, nullptr, size, nullptr);
  Id mem(H5Screate_simple(rank, size, nullptr));
  if (H5Dread(d.get(), NativeType<T>(), mem.get(), space.get(), H5P_DEFAULT, a.data.data()) < 0) {
    return DataLossError("rows of dataset '" + name + "' cannot be read (corrupt or truncated)");
  }
  return a;
}

template StatusOr<Array<float>> ReadRows(hid_t, const std::string&, uint64_t, uint64_t);
template StatusOr<Array<int64_t>> ReadRows(hid_t, const std::string&, uint64_t, uint64_t);

template StatusOr<Array<float>> Read(hid_t, const std::string&);
template StatusOr<Array<double>> Read(hid_t, const std::string&);
template StatusOr<Array<uint8_t>> Read(hid_t, const std::string&);
template StatusOr<Array<uint32_t>> Read(hid_t, const std::string&);
template StatusOr<Array<uint64_t>> Read(hid_t, const std::string&);
template StatusOr<Array<int64_t>> Read(hid_t, const std::string&);

StatusOr<bool> IsInteger(hid_t loc, const std::string& name) {
  if (!Exists(loc, name)) return NotFoundError("dataset '" + name + "' is missing");
  Id d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) return DataLossError("dataset '" + name + "' cannot be opened");
  Id t(H5Dget_type(d.get()));
  return H5Tget_class(t.get()) == H5T_INTEGER;
}

template <class T>
Status Write(hid_t loc, const std::string& name, const T* data, uint64_t rows, uint64_t cols,
             hid_t file_type) {
  const hsize_t dims[2] = {rows, cols};
  Id space(H5Screate_simple(cols ? 2 : 1, dims, nullptr));
  const hid_t type = file_type >= 0 ? file_type : NativeType<T>();
  Id d(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!d.valid() ||
      (rows > 0 && H5Dwrite(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)) {
    return UnavailableError("cannot write HDF5 dataset '" + name + "'");
  }
  return d.Close();
}

template Status Write(hid_t, const std::string&, const float*, uint64_t, uint64_t, hid_t);
template Status Write(hid_t, const std::string&, const double*, uint64_t, uint64_t, hid_t);
template Status Write(hid_t, const std::string&, const uint8_t*, uint64_t, uint64_t, hid_t);
template Status Write(hid_t, const std::string&, const int64_t*, uint64_t, uint64_t, hid_t);

StatusOr<GrowingDataset> GrowingDataset::Create(hid_t loc, const std::string& name, hid_t type,
                                                uint64_t cols, int deflate) {
  const int rank = cols ? 2 : 1;
  const hsize_t dims[2] = {0, cols}, maxdims[2] = {H5S_UNLIMITED, cols};
  // chunks of ~16k values: large enough to compress, small enough for short shards.
  const hsize_t chunk[2] = {cols ? std::max<hsize_t>(1, 16384 / cols) : 16384, cols};
  Id space(H5Screate_simple(rank, dims, maxdims));
  Id plist(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(plist.get(), rank, chunk);
  if (deflate > 0) {
    H5Pset_shuffle(plist.get());
    H5Pset_deflate(plist.get(), static_cast<unsigned>(deflate));
  }
  Id lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  GrowingDataset g;
  g.dataset_ = Id(H5Dcreate2(loc, name.c_str(), type, space.get(), lcpl.get(), plist.get(),
                             H5P_DEFAULT));
  if (!g.dataset_.valid()) return UnavailableError("cannot create HDF5 dataset '" + name + "'");
  g.name_ = name;
  g.type_ = type;
  g.cols_ = cols;
  return g;
}

Status GrowingDataset::Append(const void* data, uint64_t n) {
  if (n == 0) return OkStatus();
  const int rank = cols_ ? 2 : 1;
  const hsize_t new_dims[2] = {rows_ + n, cols_};
  if (H5Dset_extent(dataset_.get(), new_dims) < 0) {
    return UnavailableError("cannot extend HDF5 dataset '" + name_ + "'");
  }
  Id file_space(H5Dget_space(dataset_.get()));
  const hsize_t start[2] = {rows_, 0}, count[2] = {n, cols_};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  Id mem_space(H5Screate_simple(rank, count, nullptr));
  if (H5Dwrite(dataset_.get(), type_, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
    return UnavailableError("cannot write to HDF5 dataset '" + name_ + "'");
  }
  rows_ += n;
  return OkStatus();
}

Status WriteAttribute(hid_t obj, const std::string& name, int64_t value) {
  Id space(H5Screate(H5S_SCALAR));
  Id a(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!a.valid() || H5Awrite(a.get(), H5T_NATIVE_INT64, &value) < 0) {
    return UnavailableError("cannot write HDF5 attribute '" + name + "'");
  }
  return a.Close();
}

}  // namespace fleet::replay::h5
