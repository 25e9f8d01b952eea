//===- FakeCudaDriver.cpp - A stand-in libcuda for the loader's tests -----===//
//
// Built as several shared libraries (FAKE_MODE): a driver with two GPUs, one
// that finds no device, the toolkit's stub, and one missing an entry point.
// CudaDriverTest loads each through GEMMA_CUDA_DRIVER's path argument.
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstring>

extern "C" {

int cuInit(unsigned) {
#if FAKE_MODE == 1
  return 100; // CUDA_ERROR_NO_DEVICE
#elif FAKE_MODE == 2
  return 34; // CUDA_ERROR_STUB_LIBRARY
#else
  return 0;
#endif
}
int cuDriverGetVersion(int *version) {
  *version = 12040;
  return 0;
}
int cuDeviceGetCount(int *count) {
  *count = 2;
  return 0;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}
int cuDeviceGetName(char *name, int length, int device) {
  std::strncpy(name, device == 0 ? "Fake H200" : "Fake A100",
               std::size_t(length));
  return 0;
}
int cuDeviceGetAttribute(int *value, int attribute, int device) {
  *value = attribute == 75 ? (device == 0 ? 9 : 8) : 0;
  return 0;
}
int cuDeviceTotalMem_v2(std::size_t *bytes, int device) {
  *bytes = std::size_t(device == 0 ? 141 : 80) << 30;
  return 0;
}
int cuDevicePrimaryCtxRetain(void **context, int) {
  static int dummy;
  *context = &dummy;
  return 0;
}
int cuDevicePrimaryCtxRelease_v2(int) { return 0; }
int cuCtxSetCurrent(void *) { return 0; }
#if FAKE_MODE != 3
int cuMemGetInfo_v2(std::size_t *free, std::size_t *total) {
  *free = std::size_t(100) << 30;
  *total = std::size_t(141) << 30;
  return 0;
}
#endif
int cuGetErrorName(int, const char **name) {
  *name = "CUDA_ERROR_FAKE";
  return 0;
}
}
