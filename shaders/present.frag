#version 450
// Shows the fp16 image the splats were blended into, letterboxed by the caller's viewport.
in vec2 v_uv;
uniform sampler2D u_image;
layout(location = 0) out vec4 fragment;

void main() {
    fragment = vec4(clamp(texture(u_image, v_uv).rgb, 0.0, 1.0), 1.0);
}
