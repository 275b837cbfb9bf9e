# cmake -DPATTERN=REGEX [-DEXPECT_FAILURE=ON] -P RunAndMatch.cmake -- PROGRAM ARGS...
# Runs PROGRAM and passes when its exit status is 0 (non-zero with
# EXPECT_FAILURE) and its output matches REGEX. CTest's
# PASS_REGULAR_EXPRESSION alone would ignore the exit status.
set(command "")
set(after_separator OFF)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(after_separator ON)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "RunAndMatch.cmake: no command after '--'")
endif()

execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message("${out}${err}")
if(EXPECT_FAILURE)
  if(status EQUAL 0)
    message(FATAL_ERROR "expected a failure, but the command exited with status 0")
  endif()
elseif(NOT status STREQUAL "0")
  message(FATAL_ERROR "the command failed (exit status: ${status})")
endif()
if(NOT "${out}${err}" MATCHES "${PATTERN}")
  message(FATAL_ERROR "the output does not match '${PATTERN}'")
endif()
