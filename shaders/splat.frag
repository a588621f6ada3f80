#version 450
// A splat's alpha as the reference rasterizer composites it (render/raster_frame.h), premultiplied
// for back-to-front blending in gamma space.
in vec2 v_offset;
flat in vec4 v_color;

layout(location = 0) out vec4 fragment;

void main() {
    float alpha = min(0.99, v_color.a * exp(-0.5 * dot(v_offset, v_offset)));
    if (alpha < 1.0 / 255.0) {
        discard;
    }
    fragment = vec4(v_color.rgb * alpha, alpha);
}
