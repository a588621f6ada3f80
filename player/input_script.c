#define _POSIX_C_SOURCE 200809L
#include "input_script.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scripted_event {
    uint64_t turn;
    SDL_Keycode key; /* SDLK_UNKNOWN: a drop */
    char *drop;
} scripted_event;

struct ds_input_script {
    scripted_event *events;
    size_t count, next;
};

void ds_input_script_free(ds_input_script *s) {
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->count; i++) {
        free(s->events[i].drop);
    }
    free(s->events);
    free(s);
}

static ds_status parse_entry(const char *entry, uint64_t after, scripted_event *event) {
    char *end;
    unsigned long long turn = strtoull(entry, &end, 10);
    if (end == entry || *end != ':' || turn < after) {
        return ds_error(DS_ERR_ARGUMENT, "'%s' is not TURN:KEY with turns in order", entry);
    }
    const char *what = end + 1;
    *event = (scripted_event){.turn = turn};
    if (strncmp(what, "drop=", 5) == 0 && what[5]) {
        event->drop = strdup(what + 5);
        return event->drop ? ds_ok() : ds_error(DS_ERR_NO_MEMORY, "out of memory");
    }
    event->key = SDL_GetKeyFromName(what);
    return event->key != SDLK_UNKNOWN ? ds_ok()
                                      : ds_error(DS_ERR_ARGUMENT, "'%s' is not a key", what);
}

ds_status ds_input_script_parse(const char *text, ds_input_script **out) {
    *out = NULL;
    ds_input_script *s = calloc(1, sizeof *s);
    char *copy = strdup(text);
    size_t capacity = 1;
    for (const char *c = text; *c; c++) {
        capacity += *c == ';';
    }
    if (s) {
        s->events = calloc(capacity, sizeof *s->events);
    }
    if (!s || !copy || !s->events) {
        free(copy);
        ds_input_script_free(s);
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for the input script");
    }
    ds_status status = ds_ok();
    char *saved = NULL;
    for (char *entry = strtok_r(copy, ";", &saved); entry && !ds_failed(&status);
         entry = strtok_r(NULL, ";", &saved)) {
        uint64_t after = s->count ? s->events[s->count - 1].turn : 0;
        status = parse_entry(entry, after, &s->events[s->count]);
        if (!ds_failed(&status)) {
            s->count++;
        }
    }
    free(copy);
    if (ds_failed(&status)) {
        ds_input_script_free(s);
        return status;
    }
    *out = s;
    return ds_ok();
}

void ds_input_script_push(ds_input_script *s, uint64_t turn) {
    for (; s && s->next < s->count && s->events[s->next].turn <= turn; s->next++) {
        scripted_event *e = &s->events[s->next];
        SDL_Event event = {0};
        if (e->drop) {
            event.type = SDL_DROPFILE;
            event.drop.file = SDL_strdup(e->drop); /* freed by the handler, as SDL's own are */
        } else {
            event.type = SDL_KEYDOWN;
            event.key.state = SDL_PRESSED;
            event.key.keysym.sym = e->key;
            event.key.keysym.scancode = SDL_GetScancodeFromKey(e->key);
        }
        SDL_PushEvent(&event);
    }
}
