# Finds every dependency of the product (docs/design.md section 11). Each missing
# one stops the configure step with a message naming the Debian package that
# provides it; scripts/setup.sh installs all of them.

include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)

function(gemma_missing what packages)
  message(FATAL_ERROR
    "${what} not found: install the Debian package(s) `${packages}` "
    "(scripts/setup.sh installs every dependency)")
endfunction()

#===----------------------------------------------------------------------===#
# LLVM / MLIR 22 (bookworm-security)
#===----------------------------------------------------------------------===#

set(GEMMA_LLVM_ROOT "/usr/lib/llvm-22" CACHE PATH "Root of the LLVM/MLIR 22 installation")
# MLIRConfigVersion accepts only an exact x.y.z request, so the major version
# is checked by hand.
find_package(MLIR CONFIG QUIET HINTS ${GEMMA_LLVM_ROOT}/lib/cmake/mlir)
if(NOT MLIR_FOUND OR NOT LLVM_VERSION_MAJOR EQUAL 22)
  gemma_missing("MLIR 22" "libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools libzstd-dev")
endif()
message(STATUS "MLIR ${LLVM_PACKAGE_VERSION} from ${MLIR_DIR}")

list(APPEND CMAKE_MODULE_PATH ${MLIR_CMAKE_DIR} ${LLVM_CMAKE_DIR})
include(TableGen)
include(AddLLVM)
include(AddMLIR)

# LLVM_DEFINITIONS is one space-separated string; add_definitions wants a list.
separate_arguments(GEMMA_LLVM_DEFINITIONS NATIVE_COMMAND ${LLVM_DEFINITIONS})
add_definitions(${GEMMA_LLVM_DEFINITIONS})
# LLVM and MLIR headers are not ours to keep warning-free.
include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
link_directories(${LLVM_BUILD_LIBRARY_DIR})

set(GEMMA_LLVM_TOOLS_DIR ${LLVM_TOOLS_BINARY_DIR})
foreach(tool lit FileCheck not)
  string(TOUPPER "${tool}" var)
  find_program(GEMMA_${var} ${tool} HINTS ${GEMMA_LLVM_TOOLS_DIR} NO_DEFAULT_PATH)
  if(NOT GEMMA_${var})
    gemma_missing("${tool} (LLVM 22 test tool)" "llvm-22-tools")
  endif()
endforeach()

#===----------------------------------------------------------------------===#
# Libraries from Debian
#===----------------------------------------------------------------------===#

find_package(fmt CONFIG QUIET)
if(NOT fmt_FOUND)
  gemma_missing("fmt" "libfmt-dev")
endif()

find_package(absl CONFIG QUIET)
if(NOT absl_FOUND)
  gemma_missing("Abseil" "libabsl-dev")
endif()

find_package(GTest CONFIG QUIET)
if(NOT GTest_FOUND OR NOT TARGET GTest::gmock)
  gemma_missing("GoogleTest/GoogleMock" "libgtest-dev libgmock-dev")
endif()

find_package(benchmark CONFIG QUIET)
if(NOT benchmark_FOUND)
  gemma_missing("google-benchmark" "libbenchmark-dev")
endif()

find_package(nlohmann_json CONFIG QUIET)
if(NOT nlohmann_json_FOUND)
  gemma_missing("nlohmann-json" "nlohmann-json3-dev")
endif()

# Highway 1.0.3 runs scalar code unless kernels use dynamic dispatch
# (hwy/foreach_target.h + HWY_DYNAMIC_DISPATCH); every kernel file does.
find_package(hwy CONFIG QUIET)
if(NOT hwy_FOUND)
  gemma_missing("Highway" "libhwy-dev")
endif()

find_package(ZLIB QUIET)
pkg_check_modules(ZSTD QUIET IMPORTED_TARGET libzstd)
if(NOT ZSTD_FOUND)
  gemma_missing("zstd" "libzstd-dev")
endif()

# SentencePiece ships no CMake package, only a pkg-config file.
if(NOT PKG_CONFIG_FOUND)
  gemma_missing("pkg-config" "pkg-config")
endif()
pkg_check_modules(SENTENCEPIECE QUIET IMPORTED_TARGET sentencepiece)
if(NOT SENTENCEPIECE_FOUND)
  gemma_missing("SentencePiece" "libsentencepiece-dev")
endif()
find_program(GEMMA_SPM_TRAIN spm_train)
if(NOT GEMMA_SPM_TRAIN)
  gemma_missing("spm_train (SentencePiece tools)" "sentencepiece")
endif()

#===----------------------------------------------------------------------===#
# Vulkan and SPIR-V tools
#===----------------------------------------------------------------------===#

find_package(Vulkan QUIET)
if(NOT Vulkan_FOUND)
  gemma_missing("Vulkan loader and headers" "libvulkan-dev")
endif()
find_program(GEMMA_GLSLC glslc)
if(NOT GEMMA_GLSLC)
  gemma_missing("glslc" "glslc")
endif()
find_program(GEMMA_SPIRV_VAL spirv-val)
if(NOT GEMMA_SPIRV_VAL)
  gemma_missing("spirv-val" "spirv-tools")
endif()

#===----------------------------------------------------------------------===#
# CUDA: nothing of it is linked. The driver and NVRTC are dlopen'ed at run
# time (CUDA::cuda_driver or CUDA::nvrtc would stop the binaries from
# starting on machines without them), so the CUDA backend always builds. A
# toolkit found here (it is not a Debian package) only gives the default
# path of libnvrtc.so and makes the NVRTC compile tests mandatory: without
# one they skip, saying so.
#===----------------------------------------------------------------------===#

if(NOT DEFINED CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
  set(CUDAToolkit_ROOT /usr/local/cuda)
endif()
find_package(CUDAToolkit QUIET)
if(CUDAToolkit_FOUND AND TARGET CUDA::nvrtc)
  set(GEMMA_HAVE_NVRTC ON)
  get_target_property(GEMMA_NVRTC_LIBRARY CUDA::nvrtc IMPORTED_LOCATION)
  if(NOT GEMMA_NVRTC_LIBRARY)
    set(GEMMA_NVRTC_LIBRARY ${CUDAToolkit_LIBRARY_DIR}/libnvrtc.so)
  endif()
  message(STATUS "NVRTC ${CUDAToolkit_VERSION}: ${GEMMA_NVRTC_LIBRARY} (loaded at run time)")
else()
  set(GEMMA_HAVE_NVRTC OFF)
  message(STATUS "CUDA toolkit with NVRTC not found (expected at /usr/local/cuda): "
                 "the CUDA backend looks for libnvrtc.so at run time; "
                 "its NVRTC compile tests skip")
endif()
