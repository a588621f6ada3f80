# Writes OUTPUT, a C file defining one NUL-terminated char array per GLSL source in SOURCES
# (a ;-separated list): ds_shader_<name>_<stage> for <name>.<stage>. Run by shaders/CMakeLists.txt
# at build time, so the program carries its shaders and never looks them up on disk.
set(code "/* Generated from the GLSL in shaders/ by cmake/embed_shaders.cmake. Do not edit. */\n")
string(APPEND code "#include \"shaders/shader_sources.h\"\n")
foreach(source IN LISTS SOURCES)
  get_filename_component(file_name ${source} NAME)
  string(REPLACE "." "_" symbol ${file_name})
  file(READ ${source} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND code "const char ds_shader_${symbol}[] = {${bytes}0x00};\n")
endforeach()
file(WRITE ${OUTPUT}.new "${code}")
# Only touch OUTPUT when it changes, so an unchanged shader set rebuilds nothing.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.new ${OUTPUT})
file(REMOVE ${OUTPUT}.new)
