# The Python module (import crema) and Python layers for the tools.
# Optional: ON when pybind11, the Python 3 headers and numpy are found
# (Debian: pybind11-dev python3-dev python3-numpy). The core library never
# includes Python headers; everything that does is built here:
#   _crema          the extension module, in build/python/crema/ next to the
#                   package's .py files (PYTHONPATH=build/python)
#   crema_python    a small library that registers the "Python" layer type
#                   and starts an interpreter on first use; the tools link it
#                   so that `train` runs nets with Python layers.
option(CREMA_WITH_PYTHON "Build the crema Python module (pybind11, Python 3, numpy)" ON)
if(NOT CREMA_WITH_PYTHON)
  return()
endif()

# Prefer the system interpreter, whose numpy and pytest the Debian packages
# provide, over another python3 earlier on PATH.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 COMPONENTS Interpreter Development.Module Development.Embed NumPy)
find_package(pybind11 CONFIG QUIET)
if(NOT Python3_FOUND OR NOT Python3_NumPy_FOUND OR NOT pybind11_FOUND)
  message(STATUS "crema: Python module off (needs pybind11-dev, python3-dev, python3-numpy)")
  set(CREMA_PYTHON_BUILT OFF)
  return()
endif()
set(CREMA_PYTHON_BUILT ON)
message(STATUS "crema: Python module on (${Python3_EXECUTABLE}, pybind11 ${pybind11_VERSION})")

set(CREMA_PY_SRC ${CMAKE_CURRENT_SOURCE_DIR}/python/crema)
set(CREMA_PY_OUT ${CMAKE_BINARY_DIR}/python/crema)
# Installed next to the package: a site folder relative to the prefix.
if(NOT CREMA_PYTHON_INSTALL_DIR)
  execute_process(
    COMMAND ${Python3_EXECUTABLE} -c
      "import sysconfig; print(sysconfig.get_path('platlib', vars={'platbase': '.', 'base': '.'}))"
    OUTPUT_VARIABLE _site OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REGEX REPLACE "^\\./" "" _site "${_site}")
  # Debian's scheme for pip puts a "local/" in front (/usr/local); the prefix says that.
  string(REGEX REPLACE "^local/" "" _site "${_site}")
  set(CREMA_PYTHON_INSTALL_DIR "${_site}" CACHE STRING
      "Where cmake --install puts the crema package, relative to the prefix")
endif()

# ---- the extension module ----
pybind11_add_module(_crema MODULE NO_EXTRAS
  ${CREMA_PY_SRC}/_crema.cpp ${CREMA_PY_SRC}/bind_blob.cpp ${CREMA_PY_SRC}/bind_net.cpp
  ${CREMA_PY_SRC}/bind_solver.cpp ${CREMA_PY_SRC}/bind_image.cpp ${CREMA_PY_SRC}/bind_onnx.cpp
  ${CREMA_PY_SRC}/python_layer.cpp)
target_link_libraries(_crema PRIVATE crema Python3::NumPy)
# The package carries its own copy of libcrema (installed, wheels) next to
# the module; in the build tree the build's library is found by its path.
set_target_properties(_crema PROPERTIES
  LIBRARY_OUTPUT_DIRECTORY ${CREMA_PY_OUT}
  INSTALL_RPATH "$ORIGIN")

# ---- the package's Python files and the generated crema_pb2 ----
file(GLOB CREMA_PY_FILES CONFIGURE_DEPENDS ${CREMA_PY_SRC}/*.py)
set(CREMA_PY_COPIES "")
foreach(file ${CREMA_PY_FILES})
  get_filename_component(name ${file} NAME)
  add_custom_command(OUTPUT ${CREMA_PY_OUT}/${name}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${file} ${CREMA_PY_OUT}/${name}
    DEPENDS ${file})
  list(APPEND CREMA_PY_COPIES ${CREMA_PY_OUT}/${name})
endforeach()
add_custom_command(
  OUTPUT ${CREMA_PY_OUT}/proto/crema_pb2.py ${CREMA_PY_OUT}/proto/__init__.py
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CREMA_PY_OUT}/proto
  COMMAND protobuf::protoc --python_out=${CREMA_PY_OUT}/proto
          -I${CMAKE_CURRENT_SOURCE_DIR}/proto ${CREMA_PROTO}
  COMMAND ${CMAKE_COMMAND} -E touch ${CREMA_PY_OUT}/proto/__init__.py
  DEPENDS ${CREMA_PROTO}
  COMMENT "Generating crema_pb2.py")
add_custom_target(crema_python_package ALL
  DEPENDS ${CREMA_PY_COPIES} ${CREMA_PY_OUT}/proto/crema_pb2.py)
add_dependencies(_crema crema_python_package)

# ---- Python layers in the tools ----
add_library(crema_python SHARED ${CREMA_PY_SRC}/python_layer.cpp ${CREMA_PY_SRC}/embed.cpp)
target_link_libraries(crema_python PUBLIC crema PRIVATE pybind11::embed)
target_compile_definitions(crema_python PRIVATE
  CREMA_PYTHON_BUILD_DIR="${CMAKE_BINARY_DIR}/python"
  CREMA_PYTHON_INSTALL_DIR="${CMAKE_INSTALL_PREFIX}/${CREMA_PYTHON_INSTALL_DIR}")
if(CREMA_BUILD_TOOLS)
  foreach(src ${CREMA_TOOL_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    set(target ${name})
    if(name STREQUAL "test")
      set(target test_tool)
    endif()
    # Nothing in a tool calls into the library: loading it is what registers
    # the layer type, so it is linked even though no symbol is used.
    target_link_libraries(${target} PRIVATE
      -Wl,--push-state,--no-as-needed crema_python -Wl,--pop-state)
  endforeach()
  # tools/draw_net: crema.draw from the command line.
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/python/draw_net.in
                 ${CMAKE_BINARY_DIR}/tools/draw_net @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
                                  GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endif()

# ---- install: cmake --install puts the package in the site folder ----
install(DIRECTORY ${CREMA_PY_OUT}/ DESTINATION ${CREMA_PYTHON_INSTALL_DIR}/crema
        FILES_MATCHING PATTERN "*.py")
install(TARGETS _crema LIBRARY DESTINATION ${CREMA_PYTHON_INSTALL_DIR}/crema)
install(TARGETS crema LIBRARY DESTINATION ${CREMA_PYTHON_INSTALL_DIR}/crema
        COMPONENT python)

# ---- tests: tests/python/test_*.py, one ctest each, run by pytest ----
if(CREMA_BUILD_TESTS)
  # The C++ side of the comparisons: one pass of a net, blobs to files.
  add_executable(reference_pass ${CMAKE_CURRENT_SOURCE_DIR}/python/tests/reference_pass.cpp)
  target_link_libraries(reference_pass PRIVATE crema)
  set_target_properties(reference_pass PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  file(GLOB CREMA_PY_TESTS CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/tests/python/test_*.py)
  foreach(test ${CREMA_PY_TESTS})
    get_filename_component(name ${test} NAME_WE)
    add_test(NAME python_${name}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/python/run.py ${test}
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    set_tests_properties(python_${name} PROPERTIES
      ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;CREMA_BUILD_DIR=${CMAKE_BINARY_DIR}"
      SKIP_RETURN_CODE 77 TIMEOUT 300 LABELS python)
  endforeach()
endif()
