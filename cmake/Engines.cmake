# Optional fast engines and the process-wide threading model.
# Included by CMakeLists.txt after the `crema` target exists.

# ---- threads: one OpenMP runtime for crema, oneDNN and OpenBLAS ----
# oneDNN (Debian's libdnnl) runs on GNU OpenMP. OpenBLAS's pthread flavour
# keeps a second pool of spinning threads that fights it for the cores, so
# when Debian's OpenMP flavour (libopenblas0-openmp) is installed we link
# that one by path; its directory lands in the RPATH, so it is loaded
# instead of the system default. OMP_NUM_THREADS sets the thread count of
# all three.
option(CREMA_WITH_OPENMP "Use OpenMP threads (crema loops, oneDNN, OpenBLAS)" ON)
if(CREMA_WITH_OPENMP)
  find_package(OpenMP COMPONENTS CXX)
  if(OpenMP_CXX_FOUND)
    target_link_libraries(crema PUBLIC OpenMP::OpenMP_CXX)
    find_library(CREMA_OPENBLAS_OPENMP NAMES libopenblas.so.0 openblas
                 PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp
                       /usr/lib/aarch64-linux-gnu/openblas-openmp
                 NO_DEFAULT_PATH)
    if(CREMA_OPENBLAS_OPENMP)
      target_link_libraries(crema PUBLIC ${CREMA_OPENBLAS_OPENMP})
      message(STATUS "crema: OpenMP threads; OpenBLAS (OpenMP): ${CREMA_OPENBLAS_OPENMP}")
    else()
      message(STATUS "crema: OpenMP threads; OpenBLAS's OpenMP flavour not found "
                     "(apt-get install libopenblas0-openmp)")
    endif()
  endif()
endif()

# ---- oneDNN engine ----
# Debian's dnnl-config.cmake insists on OpenCL headers (its GPU runtime),
# which the CPU engine does not use: find the header and library directly.
find_path(CREMA_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(CREMA_DNNL_LIBRARY NAMES dnnl)
if(CREMA_DNNL_INCLUDE_DIR AND CREMA_DNNL_LIBRARY)
  set(_crema_dnnl_default ON)
else()
  set(_crema_dnnl_default OFF)
endif()
option(CREMA_WITH_DNNL "Build the oneDNN (DNNL) CPU engine" ${_crema_dnnl_default})
if(CREMA_WITH_DNNL)
  if(NOT (CREMA_DNNL_INCLUDE_DIR AND CREMA_DNNL_LIBRARY))
    message(FATAL_ERROR "CREMA_WITH_DNNL is ON but oneDNN was not found "
                        "(apt-get install libdnnl-dev).")
  endif()
  file(GLOB CREMA_DNNL_SOURCES CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/src/crema/engines/dnnl/*.cpp)
  target_sources(crema PRIVATE ${CREMA_DNNL_SOURCES})
  # The LRN kernel's square roots vectorize only when they need not set errno.
  set_source_files_properties(
    ${CMAKE_CURRENT_SOURCE_DIR}/src/crema/engines/dnnl/dnnl_lrn_layer.cpp
    PROPERTIES COMPILE_OPTIONS -fno-math-errno)
  target_include_directories(crema PRIVATE ${CREMA_DNNL_INCLUDE_DIR})
  target_link_libraries(crema PRIVATE ${CREMA_DNNL_LIBRARY})
  message(STATUS "crema: oneDNN engine ON (${CREMA_DNNL_LIBRARY})")
else()
  message(STATUS "crema: oneDNN engine OFF")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/Bench.cmake OPTIONAL)
