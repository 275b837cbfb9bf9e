# Data-parallel training over MPI (docs/distributed.md). On when an MPI
# implementation with C++ support is found (Debian: libopenmpi-dev, which
# scripts/install_deps.sh installs). Adds src/crema/parallel/mpi_*.cpp to the
# library; nothing outside those files includes mpi.h.
set(MPI_CXX_SKIP_MPICXX ON)  # only the C API is used
find_package(MPI COMPONENTS CXX QUIET)
option(CREMA_WITH_MPI "Data-parallel training over MPI (mpirun -np K tools/train)" ${MPI_CXX_FOUND})

# The multi-process tests (tests/mpi/NAME.sh).
set(CREMA_MPI_TESTS equivalence accuracy failure shutdown)

if(NOT CREMA_WITH_MPI)
  message(STATUS "crema: MPI support off (no MPI found or CREMA_WITH_MPI=OFF); the MPI tests are skipped")
  # Listed all the same, so that ctest reports them as skipped rather than
  # leaving them out without a word.
  if(CREMA_BUILD_TESTS AND CREMA_BUILD_TOOLS)
    foreach(name ${CREMA_MPI_TESTS})
      add_test(NAME mpi_${name}
               COMMAND sh -c "echo 'SKIPPED: mpi_${name} needs MPI support; this build has none (no MPI found, or CREMA_WITH_MPI=OFF; scripts/install_deps.sh installs Open MPI)'; exit 77")
      set_tests_properties(mpi_${name} PROPERTIES SKIP_RETURN_CODE 77)
    endforeach()
  endif()
  return()
endif()
if(NOT MPI_CXX_FOUND)
  message(FATAL_ERROR "CREMA_WITH_MPI is ON but no MPI was found; install libopenmpi-dev "
                      "(scripts/install_deps.sh) or configure with -DCREMA_WITH_MPI=OFF.")
endif()
message(STATUS "crema: MPI support on (${MPIEXEC_EXECUTABLE})")

file(GLOB CREMA_MPI_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/src/crema/parallel/mpi_*.cpp)
target_sources(crema PRIVATE ${CREMA_MPI_SOURCES})
# MPI's include path and definitions go to these files only, so a core file
# that includes mpi.h does not compile; the library links MPI::MPI_CXX's libraries.
set_source_files_properties(${CREMA_MPI_SOURCES} PROPERTIES
  INCLUDE_DIRECTORIES "$<TARGET_PROPERTY:MPI::MPI_CXX,INTERFACE_INCLUDE_DIRECTORIES>"
  COMPILE_DEFINITIONS "$<TARGET_PROPERTY:MPI::MPI_CXX,INTERFACE_COMPILE_DEFINITIONS>")
target_link_libraries(crema PRIVATE
  "$<TARGET_PROPERTY:MPI::MPI_CXX,INTERFACE_LINK_LIBRARIES>")

# Multi-process tests: shell scripts that run tools/train under mpirun and
# compare the weights with tests/mpi/compare_weights.
if(CREMA_BUILD_TESTS AND CREMA_BUILD_TOOLS)
  add_executable(mpi_compare_weights ${CMAKE_CURRENT_SOURCE_DIR}/tests/mpi/compare_weights.cpp)
  target_link_libraries(mpi_compare_weights PRIVATE crema)
  set_target_properties(mpi_compare_weights PROPERTIES
                        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/mpi)
  set(CREMA_MPI_TEST_ARGS
      ${CMAKE_BINARY_DIR}/tools $<TARGET_FILE:mpi_compare_weights> ${MPIEXEC_EXECUTABLE})
  foreach(name ${CREMA_MPI_TESTS})
    add_test(NAME mpi_${name}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/mpi/${name}.sh ${CREMA_MPI_TEST_ARGS}
             WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    # Each test uses both cores of a small machine; run them one at a time.
    set_tests_properties(mpi_${name} PROPERTIES TIMEOUT 180 RUN_SERIAL TRUE
                         SKIP_RETURN_CODE 77)
  endforeach()
endif()
