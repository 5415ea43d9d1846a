# Included by CTest after the discovered sdk_example_test tests (see CMakeLists.txt).
if(sdk_example_test_TESTS)
  set_tests_properties(${sdk_example_test_TESTS} PROPERTIES FIXTURES_REQUIRED sdk_example)
endif()
