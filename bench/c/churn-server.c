/* Reference echo server for `npm run bench`: the smallest epoll server that does the bundled
 * server's exchange (read the request, write the response, close as told), one SO_REUSEPORT
 * listener and epoll loop per thread. Built by bench.ts with `cc -O2 -pthread`.
 *   churn-server PORT THREADS REQUEST RESPONSE CLOSE   CLOSE: client | server | rst
 * client: wait for the client's FIN, then close; server: close (FIN) after the response;
 * rst: as client (the client resets; the server closes on the RST).
 * Prints "ready" once every thread listens; runs until killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int port, request_bytes, response_bytes, server_first;
static char *response;
static pthread_barrier_t ready;

static int *got; /* bytes of the request read, per fd */

static void *serve(void *arg) {
  (void)arg;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0) { perror("listen"); exit(1); }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  pthread_barrier_wait(&ready);
  struct epoll_event evs[512];
  char buf[65536];
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          got[c] = 0;
          struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r > 0) {
          int before = got[fd];
          got[fd] += (int)r;
          if (before < request_bytes && got[fd] >= request_bytes) {
            send(fd, response, response_bytes, MSG_NOSIGNAL);
            if (server_first) { close(fd); break; }
          }
          continue;
        }
        if (r == 0 || errno != EAGAIN) { close(fd); }
        break;
      }
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: churn-server PORT THREADS REQUEST RESPONSE client|server|rst\n"); return 2; }
  port = atoi(argv[1]);
  int threads = atoi(argv[2]);
  request_bytes = atoi(argv[3]);
  response_bytes = atoi(argv[4]);
  server_first = strcmp(argv[5], "server") == 0;
  response = calloc(1, response_bytes + 1);
  memset(response, 'r', response_bytes);
  got = calloc(1 << 20, sizeof *got);
  pthread_barrier_init(&ready, NULL, threads + 1);
  for (int t = 0; t < threads; t++) { pthread_t th; pthread_create(&th, NULL, serve, NULL); }
  pthread_barrier_wait(&ready);
  printf("ready\n");
  fflush(stdout);
  pause();
  return 0;
}
