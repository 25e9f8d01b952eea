# Warning and sanitizer flags for project targets. MLIR/LLVM headers are
# included as system headers (see GemmaDependencies.cmake), so -Wall -Wextra
# applies to our code only.

set(GEMMA_WARNING_FLAGS -Wall -Wextra)
if(GEMMA_WERROR)
  list(APPEND GEMMA_WARNING_FLAGS -Werror)
endif()

if(GEMMA_SANITIZE)
  set(GEMMA_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
                            -fno-omit-frame-pointer)
  add_compile_options(${GEMMA_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
  # Defaults every sanitized executable starts with (see the file's comment).
  add_library(GemmaAsanDefaults OBJECT
    ${PROJECT_SOURCE_DIR}/tools/sanitizer/AsanDefaultOptions.cpp)
  link_libraries(GemmaAsanDefaults)
endif()

# Fuzzing builds (scripts/fuzz.sh, clang only): every project library gets
# coverage instrumentation and ASan, so libFuzzer is guided through the
# parsers themselves, not only through the fuzz target's own file.
option(GEMMA_FUZZ "Build libFuzzer targets (needs clang)" OFF)
if(GEMMA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "GEMMA_FUZZ needs clang (scripts/fuzz.sh sets it up)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address)
endif()

# Applies the project's warning flags to a target of ours.
function(gemma_target_warnings target)
  target_compile_options(${target} PRIVATE ${GEMMA_WARNING_FLAGS})
endfunction()
