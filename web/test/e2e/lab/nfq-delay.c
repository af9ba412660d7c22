// nfq-delay: holds every packet of one NFQUEUE for a delay (+/- jitter), then accepts it.
// The network lab's delay and jitter (this kernel has no netem; shared notes: network-lab.md).
//
//   nfq-delay <queue-num> <delay-ms> <jitter-ms>
//
// stdin: lines "<delay-ms> <jitter-ms>" change the setting while running (a profile switch
// without dropping the packets being held); end of stdin ends the program (the lab holds it).
// Packets keep their order (a packet is never released before the one queued ahead of it), so
// jitter shows up as varying delay, not as reordering — the way a queue in a real link behaves.
// Build: cc -O2 -o nfq-delay nfq-delay.c -lnetfilter_queue -lm  (scripts/install-test-tools.sh)
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <math.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING 65536 /* packets held at once; a full ring accepts at once (never drops) */

static uint32_t ids[RING];
static int64_t due[RING];
static unsigned head, tail; /* held = tail - head */
static int64_t last_due;
static double delay_ms, jitter_ms;
static struct nfq_q_handle *qh;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Uniform in [-1, 1]. */
static double unit(void) { return (double)rand() / RAND_MAX * 2.0 - 1.0; }

/*
 * The jitter is a bounded random walk in time (AR(1), time constant 40 ms, clamped to +/- jitter),
 * not an independent draw per packet: queueing delay on a real link drifts. Independent draws
 * on back-to-back packets would, with the order kept, push every packet up to the largest delay
 * drawn recently (a 120 +/- 40 ms link measured 145 ms median that way).
 */
static double offset; /* in units of jitter, [-1, 1] */
static int64_t offset_at;
static double jitter_now(int64_t now) {
  double dt = (double)(now - offset_at) / 1000.0;
  offset_at = now;
  double a = exp(-dt / 40.0);
  offset = a * offset + sqrt(1.0 - a * a) * unit();
  if (offset > 1) offset = 1;
  if (offset < -1) offset = -1;
  return offset * jitter_ms;
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *m, struct nfq_data *d, void *u) {
  (void)m; (void)u;
  struct nfqnl_msg_packet_hdr *h = nfq_get_msg_packet_hdr(d);
  if (!h) return 0;
  uint32_t id = ntohl(h->packet_id);
  if (tail - head >= RING) return nfq_set_verdict(q, id, NF_ACCEPT, 0, NULL);
  int64_t n = now_us();
  double ms = delay_ms + jitter_now(n);
  if (ms < 0) ms = 0;
  int64_t t = n + (int64_t)(ms * 1000);
  if (t < last_due) t = last_due; /* keep order */
  last_due = t;
  ids[tail % RING] = id;
  due[tail % RING] = t;
  tail++;
  return 0;
}

static void release_due(void) {
  int64_t n = now_us();
  while (head != tail && due[head % RING] <= n) {
    nfq_set_verdict(qh, ids[head % RING], NF_ACCEPT, 0, NULL);
    head++;
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: nfq-delay <queue-num> <delay-ms> <jitter-ms>\n");
    return 2;
  }
  int queue = atoi(argv[1]);
  delay_ms = atof(argv[2]);
  jitter_ms = atof(argv[3]);
  srand((unsigned)now_us());
  struct nfq_handle *h = nfq_open();
  if (!h) { perror("nfq_open"); return 1; }
  qh = nfq_create_queue(h, (uint16_t)queue, &on_packet, NULL);
  if (!qh) { perror("nfq_create_queue"); return 1; }
  /* Metadata only (the payload is not needed), and a long kernel queue that fails open. */
  nfq_set_mode(qh, NFQNL_COPY_META, 0);
  nfq_set_queue_maxlen(qh, RING);
  nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int fd = nfq_fd(h);
  char buf[65536];
  char line[128];
  size_t line_len = 0;
  printf("NFQ_DELAY_READY %d\n", queue);
  fflush(stdout);
  for (;;) {
    int timeout = -1;
    if (head != tail) {
      int64_t wait = due[head % RING] - now_us();
      timeout = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
    }
    struct pollfd fds[2] = { { fd, POLLIN, 0 }, { 0, POLLIN, 0 } };
    int r = poll(fds, 2, timeout);
    if (r < 0 && errno != EINTR) { perror("poll"); return 1; }
    if (r > 0 && (fds[0].revents & POLLIN)) {
      /* Drain what the kernel has queued, then go back to releasing. */
      for (int i = 0; i < 256; i++) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        nfq_handle_packet(h, buf, (int)n);
      }
    }
    if (r > 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      char c;
      ssize_t n = read(0, &c, 1);
      if (n <= 0) break; /* the lab went away */
      if (c == '\n') {
        line[line_len] = 0;
        double d, j;
        if (sscanf(line, "%lf %lf", &d, &j) == 2 && d >= 0 && j >= 0) {
          delay_ms = d;
          jitter_ms = j;
          printf("NFQ_DELAY_SET %g %g\n", d, j);
          fflush(stdout);
        }
        line_len = 0;
      } else if (line_len < sizeof line - 1) {
        line[line_len++] = c;
      }
    }
    release_due();
  }
  /* Let go of everything still held. */
  while (head != tail) nfq_set_verdict(qh, ids[head++ % RING], NF_ACCEPT, 0, NULL);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
