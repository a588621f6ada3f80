#version 450
// After the sort: the splat budget. Only the nearest `u_budget` splats are drawn, the last ones of
// the back-to-front order, so the draw starts `first` into it; the far ones left out are mostly
// hidden behind the near ones anyway.
layout(local_size_x = 1) in;

layout(std430, binding = 8) buffer DrawCommand {
    uint vertex_count;
    uint instance_count;
    uint first_vertex;
    uint base_instance;
};
layout(std430, binding = 9) writeonly buffer DrawRange {
    uint visible;
    uint first;
};

uniform uint u_budget;

void main() {
    uint count = instance_count;
    uint drawn = min(count, u_budget);
    visible = count;
    first = count - drawn;
    instance_count = drawn;
}
