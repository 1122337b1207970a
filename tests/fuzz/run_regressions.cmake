# Runs a libFuzzer harness once over every regression file and seed of its corpus.
file(GLOB inputs ${SRC}/regressions/${NAME}-* ${SRC}/corpus/${NAME}/*)
if(NOT inputs)
  message(FATAL_ERROR "no regression inputs for ${NAME}")
endif()
execute_process(COMMAND ${HARNESS} ${inputs} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NAME}: a regression input fails (exit ${rc})")
endif()
