# Instrumented builds. Included before the library so every crema source
# gets the flags; each lives in its own build folder (the Makefile's
# test-sanitize and fuzz targets), never in the normal build.
option(CREMA_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(CREMA_FUZZ "Build the libFuzzer targets under fuzz/ (needs clang)" OFF)
# A regex: only test sources matching it go into crema_tests (the sanitizer
# build runs a subset that fits the CI time limit).
set(CREMA_TEST_SUBSET "" CACHE STRING "Regex of test sources to build (empty: all)")

if(CREMA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(CREMA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CREMA_FUZZ needs clang (libFuzzer): configure with "
                        "CXX=clang++, or use `make fuzz`.")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer -gline-tables-only)
  add_link_options(-fsanitize=address,undefined)
endif()
