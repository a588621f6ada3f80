#define _POSIX_C_SOURCE 200809L
#include "nginx_server.h"

#include "test_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *nginx_binary(void) {
    static const char *const candidates[] = {"/usr/sbin/nginx", "/usr/local/sbin/nginx",
                                             "/usr/bin/nginx"};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (access(candidates[i], X_OK) == 0) {
            return candidates[i];
        }
    }
    return NULL;
}

bool nginx_server_available(void) {
    return nginx_binary() != NULL;
}

/* A port nobody listens on now (the kernel's choice for port 0). */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    close(fd);
    return ntohs(address.sin_port);
}

static bool accepts_connections(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return ok;
}

/* Copies the template with the @...@ fields filled. */
static void write_configuration(const nginx_server *s, const char *path) {
    size_t size;
    uint8_t *template = test_read_file(DS_TEST_HTTP_DIR "/nginx.conf.in", &size);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    char port[16], tls_port[16];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(tls_port, sizeof tls_port, "%d", s->tls_port);
    const char *text = (const char *)template, *end = text + size;
    while (text < end) {
        const char *at = memchr(text, '@', (size_t)(end - text));
        if (!at) {
            fwrite(text, 1, (size_t)(end - text), out);
            break;
        }
        fwrite(text, 1, (size_t)(at - text), out);
        const char *close = memchr(at + 1, '@', (size_t)(end - at - 1));
        assert_non_null(close);
        size_t name = (size_t)(close - at - 1);
        const char *value = strncmp(at + 1, "PORT", name) == 0       ? port
                            : strncmp(at + 1, "ROOT", name) == 0     ? s->root
                            : strncmp(at + 1, "PREFIX", name) == 0   ? s->prefix
                            : strncmp(at + 1, "RATE", name) == 0     ? s->rate
                            : strncmp(at + 1, "TLS_PORT", name) == 0 ? tls_port
                                                                     : NULL;
        assert_non_null(value);
        fputs(value, out);
        text = close + 1;
    }
    fclose(out);
    free(template);
}

void nginx_server_start(nginx_server *s) {
    *s = (nginx_server){0};
    snprintf(s->prefix, sizeof s->prefix, "/tmp/ds_test_nginx_%d", (int)getpid());
    char command[1200];
    snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s/www' '%s/fail'", s->prefix,
             s->prefix, s->prefix);
    assert_int_equal(system(command), 0);
    snprintf(s->root, sizeof s->root, "%s/www", s->prefix);
    /* Run as root, nginx serves with an unprivileged user: let it in (and let it see the
     * markers of /flaky/). */
    chmod(s->prefix, 0755);
    chmod(s->root, 0755);
    snprintf(command, sizeof command, "%s/fail", s->prefix);
    chmod(command, 0755);
    s->port = free_port();
    s->tls_port = free_port();
    snprintf(s->rate, sizeof s->rate, "0");
    /* A self-signed certificate for 127.0.0.1, which the https test trusts explicitly. */
    snprintf(command, sizeof command,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 -keyout '%s/key.pem' -out '%s/cert.pem' "
             ">/dev/null 2>&1",
             s->prefix, s->prefix);
    assert_int_equal(system(command), 0);
    char configuration[400];
    snprintf(configuration, sizeof configuration, "%s/nginx.conf", s->prefix);
    write_configuration(s, configuration);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        execl(nginx_binary(), "nginx", "-p", s->prefix, "-c", configuration, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !accepts_connections(s->port); i++) {
        struct timespec wait = {0, 25 * 1000000};
        nanosleep(&wait, NULL);
    }
    if (!accepts_connections(s->port)) {
        nginx_server_stop(s);
        fail_msg("nginx did not start on port %d (see %s/error.log)", s->port, s->prefix);
    }
}

void nginx_server_set_rate(nginx_server *s, const char *rate) {
    snprintf(s->rate, sizeof s->rate, "%s", rate);
    char configuration[400];
    snprintf(configuration, sizeof configuration, "%s/nginx.conf", s->prefix);
    write_configuration(s, configuration);
    pid_t old = nginx_server_worker(s);
    assert_int_equal(kill(s->pid, SIGHUP), 0);
    /* Reloaded when a new worker serves (the old one leaves once its connections close). */
    for (int i = 0; i < 200; i++) {
        pid_t worker = nginx_server_worker(s);
        if (worker != 0 && worker != old) {
            break;
        }
        struct timespec wait = {0, 25 * 1000000};
        nanosleep(&wait, NULL);
    }
}

void nginx_server_stop(nginx_server *s) {
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", s->prefix);
    if (system(command) != 0) {
        fprintf(stderr, "could not remove %s\n", s->prefix);
    }
}

const char *nginx_server_tls_url(const nginx_server *s, const char *path) {
    static char url[512];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/%s", s->tls_port, path);
    return url;
}

const char *nginx_server_url(const nginx_server *s, const char *path) {
    static char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/%s", s->port, path);
    return url;
}

pid_t nginx_server_worker(const nginx_server *s) {
    DIR *proc = opendir("/proc");
    pid_t worker = 0;
    struct dirent *entry;
    while (proc && (entry = readdir(proc)) != NULL && worker == 0) {
        char path[300], state;
        int pid, parent;
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *stat = fopen(path, "r");
        if (!stat) {
            continue;
        }
        /* "pid (name) state ppid ..." */
        if (fscanf(stat, "%d %*s %c %d", &pid, &state, &parent) == 3 && parent == s->pid) {
            worker = pid;
        }
        fclose(stat);
    }
    if (proc) {
        closedir(proc);
    }
    return worker;
}
