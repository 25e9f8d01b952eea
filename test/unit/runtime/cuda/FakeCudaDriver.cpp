//===- FakeCudaDriver.cpp - A stand-in libcuda for the loader's tests -----===//
//
// Built as several shared libraries (FAKE_MODE): a driver with two GPUs, one
// that finds no device, the toolkit's stub, and one missing an entry point.
// CudaDriverTest loads each through GEMMA_CUDA_DRIVER's path argument. Mode
// 4 also has the compute entry points, on host memory: modules load if they
// are ELF images and kernels "run" without doing anything, so the CUDA
// backend's plumbing (NVRTC, the cubin cache on disk, graph capture) runs
// end to end without a GPU; its numbers are zeros (test/tools/cuda.test).
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdlib>
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

#if FAKE_MODE == 4
int cuMemAlloc_v2(unsigned long long *p, std::size_t bytes) {
  *p = reinterpret_cast<unsigned long long>(std::calloc(bytes, 1));
  return *p ? 0 : 2; // CUDA_ERROR_OUT_OF_MEMORY
}
int cuMemFree_v2(unsigned long long p) {
  std::free(reinterpret_cast<void *>(p));
  return 0;
}
int cuMemsetD8_v2(unsigned long long p, unsigned char v, std::size_t n) {
  std::memset(reinterpret_cast<void *>(p), v, n);
  return 0;
}
int cuMemcpyHtoD_v2(unsigned long long to, const void *from, std::size_t n) {
  std::memcpy(reinterpret_cast<void *>(to), from, n);
  return 0;
}
int cuMemcpyDtoH_v2(void *to, unsigned long long from, std::size_t n) {
  std::memcpy(to, reinterpret_cast<const void *>(from), n);
  return 0;
}
int cuMemcpyDtoDAsync_v2(unsigned long long to, unsigned long long from,
                         std::size_t n, void *) {
  std::memcpy(reinterpret_cast<void *>(to),
              reinterpret_cast<const void *>(from), n);
  return 0;
}
int cuMemcpyHtoDAsync_v2(unsigned long long to, const void *from, std::size_t n,
                         void *) {
  return cuMemcpyHtoD_v2(to, from, n);
}
int cuMemcpyDtoHAsync_v2(void *to, unsigned long long from, std::size_t n,
                         void *) {
  return cuMemcpyDtoH_v2(to, from, n);
}
int cuModuleLoadData(void **module, const void *image) {
  static int dummy;
  *module = &dummy;
  // CUDA_ERROR_INVALID_IMAGE for anything but an ELF image.
  return std::memcmp(image,
                     "\x7f"
                     "ELF",
                     4) == 0
             ? 0
             : 200;
}
int cuModuleUnload(void *) { return 0; }
int cuModuleGetFunction(void **function, void *, const char *) {
  static int dummy;
  *function = &dummy;
  return 0;
}
int cuLaunchKernel(void *, unsigned, unsigned, unsigned, unsigned, unsigned,
                   unsigned, unsigned, void *, void **, void **) {
  return 0;
}
int cuStreamCreate(void **stream, unsigned) {
  static int dummy;
  *stream = &dummy;
  return 0;
}
int cuStreamDestroy_v2(void *) { return 0; }
int cuStreamSynchronize(void *) { return 0; }
int cuStreamBeginCapture_v2(void *, int) { return 0; }
int cuStreamEndCapture(void *, void **graph) {
  static int dummy;
  *graph = &dummy;
  return 0;
}
int cuGraphInstantiateWithFlags(void **exec, void *, unsigned long long) {
  static int dummy;
  *exec = &dummy;
  return 0;
}
int cuGraphLaunch(void *, void *) { return 0; }
int cuGraphExecDestroy(void *) { return 0; }
int cuGraphDestroy(void *) { return 0; }
int cuEventCreate(void **event, unsigned) {
  static int dummy;
  *event = &dummy;
  return 0;
}
int cuEventRecord(void *, void *) { return 0; }
int cuEventSynchronize(void *) { return 0; }
int cuEventElapsedTime(float *ms, void *, void *) {
  *ms = 0.001f;
  return 0;
}
int cuEventDestroy_v2(void *) { return 0; }
#endif
}
