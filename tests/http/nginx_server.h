/* A real nginx for the HTTP tests, started on a free port of 127.0.0.1 with the configuration in
 * tests/http/nginx.conf.in, serving a fresh folder. */
#ifndef DS_TESTS_NGINX_SERVER_H
#define DS_TESTS_NGINX_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct nginx_server {
    pid_t pid; /* the master */
    int port, tls_port;
    char prefix[256]; /* configuration, logs, PREFIX/fail: markers of /flaky/ */
    char root[300];   /* what it serves */
    char rate[32];    /* of /adaptive/ */
} nginx_server;

/* Whether nginx can be run here (the tests skip otherwise). */
bool nginx_server_available(void);
/* Starts it, or fails the test. */
void nginx_server_start(nginx_server *server);
void nginx_server_stop(nginx_server *server);
/* http://127.0.0.1:PORT/PATH into a static buffer. */
const char *nginx_server_url(const nginx_server *server, const char *path);
/* Rewrites the rate limit of /adaptive/ (nginx syntax: "0" unlimited, "200k") and reloads. */
void nginx_server_set_rate(nginx_server *server, const char *rate);
/* https://127.0.0.1:TLS_PORT/PATH (certificate: PREFIX/cert.pem) into a static buffer. */
const char *nginx_server_tls_url(const nginx_server *server, const char *path);
/* The worker process serving connections (0 if none): killing it cuts them. */
pid_t nginx_server_worker(const nginx_server *server);

#endif
