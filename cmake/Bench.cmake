# Benchmark helpers for `make bench` (bench/run.sh). Built only when their
# optional dependencies are present.
find_package(OpenCV QUIET COMPONENTS dnn)
if(OpenCV_FOUND AND CREMA_BUILD_TOOLS)
  add_executable(opencv_dnn_bench ${CMAKE_CURRENT_SOURCE_DIR}/bench/opencv_dnn_bench.cpp)
  target_link_libraries(opencv_dnn_bench PRIVATE crema ${OpenCV_LIBS})
  set_target_properties(opencv_dnn_bench PROPERTIES
                        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()
if(CREMA_BUILD_TOOLS)
  add_executable(sgemm_ceiling ${CMAKE_CURRENT_SOURCE_DIR}/bench/sgemm_ceiling.cpp)
  target_link_libraries(sgemm_ceiling PRIVATE crema)
  set_target_properties(sgemm_ceiling PROPERTIES
                        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()
