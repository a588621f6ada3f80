#version 450
// A splat's alpha, premultiplied for back-to-front blending in gamma space. The Gaussian falloff
// is normalised to reach 0 at the quad's edge, sqrt(8) standard deviations out, rather than be cut
// there: (exp(-q/2) - exp(-4)) / (1 - exp(-4)), so no splat shows its quad's outline. It departs
// from the reference rasterizer's (render/raster_frame.h, INRIA's) by under 2% of the opacity;
// u_falloff_edge = 0 draws the reference's own (ds_gl_draw_options.reference_falloff).
in vec2 v_offset;
flat in vec4 v_color;

layout(location = 0) out vec4 fragment;

uniform float u_falloff_edge; // exp(-4), the unnormalised falloff at sqrt(8) sigma; or 0

void main() {
    float falloff = (exp(-0.5 * dot(v_offset, v_offset)) - u_falloff_edge) / (1.0 - u_falloff_edge);
    float alpha = min(0.99, v_color.a * falloff);
    if (alpha < 1.0 / 255.0) {
        discard;
    }
    fragment = vec4(v_color.rgb * alpha, alpha);
}
