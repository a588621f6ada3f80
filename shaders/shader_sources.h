/* The renderer's GLSL sources, embedded at build time (shaders/CMakeLists.txt): one
 * NUL-terminated string per file, named after it. */
#ifndef DS_SHADERS_SHADER_SOURCES_H
#define DS_SHADERS_SHADER_SOURCES_H

extern const char ds_shader_draw_range_comp[];
extern const char ds_shader_preprocess_comp[];
extern const char ds_shader_radix_histogram_comp[];
extern const char ds_shader_radix_scan_comp[];
extern const char ds_shader_radix_scatter_comp[];
extern const char ds_shader_splat_vert[];
extern const char ds_shader_splat_frag[];
extern const char ds_shader_present_vert[];
extern const char ds_shader_present_frag[];
extern const char ds_shader_overlay_vert[];
extern const char ds_shader_overlay_frag[];

#endif
