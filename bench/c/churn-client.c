/* Reference churn client for `npm run bench`: what twstorm's engine does per connection
 * (socket, connect, send the request, read the response, close as told) with nothing else —
 * no histograms, no port tracking. One epoll loop per thread, CONCURRENCY/THREADS in flight each.
 *   churn-client PORT THREADS CONCURRENCY COUNT REQUEST RESPONSE CLOSE   CLOSE: fin | rst | server
 * fin: shutdown(SHUT_WR) after the response, close on the server's FIN; rst: SO_LINGER {1,0} and
 * close; server: wait for the server's FIN, then close. Prints one JSON line. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { FIN, RST, SERVER };
static int port, per_thread_conc, request_bytes, response_bytes, mode;
static long per_thread_count;
static long failed_total;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

struct conn { int fd; int got; int state; };

static void *churn(void *arg) {
  (void)arg;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct conn *cs = calloc(per_thread_conc, sizeof *cs);
  char req[4096], buf[65536];
  memset(req, 'q', sizeof req);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
  long started = 0, done = 0, failed = 0;
  int inflight = 0;
  struct linger lz = {1, 0};
  struct epoll_event evs[512];
  for (int i = 0; i < per_thread_conc; i++) cs[i].fd = -1;
  while (done < per_thread_count) {
    for (int i = 0; i < per_thread_conc && started < per_thread_count; i++) {
      if (cs[i].fd >= 0) continue;
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      started++;
      if (fd < 0 || (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)) {
        if (fd >= 0) close(fd);
        failed++; done++;
        continue;
      }
      cs[i] = (struct conn){fd, 0, 0};
      struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = i};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      inflight++;
    }
    if (inflight == 0) continue;
    int n = epoll_wait(ep, evs, 512, 100);
    for (int k = 0; k < n; k++) {
      struct conn *c = &cs[evs[k].data.u32];
      if (c->fd < 0) continue;
      if (c->state == 0) {
        if (evs[k].events & (EPOLLERR | EPOLLHUP)) { close(c->fd); c->fd = -1; inflight--; failed++; done++; continue; }
        if (!(evs[k].events & EPOLLOUT)) continue;
        send(c->fd, req, request_bytes, MSG_NOSIGNAL);
        c->state = 1;
      }
      for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r > 0) {
          c->got += (int)r;
          if (c->state == 1 && c->got >= response_bytes) {
            c->state = 2;
            if (mode == RST) { setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lz, sizeof lz); close(c->fd); c->fd = -1; inflight--; done++; break; }
            if (mode == FIN) shutdown(c->fd, SHUT_WR);
          }
          continue;
        }
        if (r == 0 || errno != EAGAIN) {
          if (r != 0 || c->state < 2) failed++;
          close(c->fd); c->fd = -1; inflight--; done++;
        }
        break;
      }
    }
  }
  pthread_mutex_lock(&mu);
  failed_total += failed;
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 8) { fprintf(stderr, "usage: churn-client PORT THREADS CONCURRENCY COUNT REQUEST RESPONSE fin|rst|server\n"); return 2; }
  port = atoi(argv[1]);
  int threads = atoi(argv[2]);
  per_thread_conc = atoi(argv[3]) / threads;
  per_thread_count = atol(argv[4]) / threads;
  request_bytes = atoi(argv[5]);
  response_bytes = atoi(argv[6]);
  mode = strcmp(argv[7], "rst") == 0 ? RST : strcmp(argv[7], "server") == 0 ? SERVER : FIN;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t th[64];
  for (int t = 0; t < threads; t++) pthread_create(&th[t], NULL, churn, NULL);
  for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  long total = per_thread_count * threads;
  printf("{\"connections\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"ratePerSec\":%.0f}\n", total, failed_total, s, (total - failed_total) / s);
  return 0;
}
