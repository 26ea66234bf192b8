// How many entries must an LRU hash map have so that inserting the key it already holds
// (BPF_NOEXIST, as the generated counter's racing first inserts do) never evicts that key?
//
// For each LRU map type, with the common LRU list (flags 0) and with per-CPU lists
// (BPF_F_NO_COMMON_LRU), and each size from 1: insert key 0 with value 5 on CPU 0, then, three
// rounds, insert key 0 again with BPF_NOEXIST from every other CPU in turn ("others"), or from
// every CPU, CPU 0 too ("all"), and look it up. A program inserts a key only after its lookup
// missed, so only on a CPU other than the one that inserted it: "others" is the counter's case.
// An update from userspace runs the kernel's own update code on the calling CPU, so pinning this
// thread picks the CPU. Prints the smallest size that kept the key, and the first larger one (up
// to 300) that did not. Built static (gcc -static) to run in an initramfs: see run.sh.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

static int ncpu;
static uint64_t value[1024];

static int create(int type, int flags, int entries) {
	union bpf_attr attr = {
		.map_type = type, .key_size = 4, .value_size = 8, .max_entries = entries, .map_flags = flags};
	return bpf(BPF_MAP_CREATE, &attr);
}

static int update(int fd, uint32_t key, uint64_t v, uint64_t flags) {
	for (int i = 0; i < ncpu; i++) value[i] = v;
	union bpf_attr attr = {.map_fd = fd, .key = (uintptr_t)&key, .value = (uintptr_t)value, .flags = flags};
	return bpf(BPF_MAP_UPDATE_ELEM, &attr) ? -errno : 0;
}

static int lookup(int fd, uint32_t key, uint64_t *v) {
	union bpf_attr attr = {.map_fd = fd, .key = (uintptr_t)&key, .value = (uintptr_t)value};
	if (bpf(BPF_MAP_LOOKUP_ELEM, &attr)) return -errno;
	*v = value[0];
	return 0;
}

static void on(int cpu) {
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

// Whether a map of `entries` kept its key through re-inserts from the other CPUs (or all); < 0:
// the map cannot be created.
static int keeps(int type, int flags, int all, int entries) {
	int fd = create(type, flags, entries);
	if (fd < 0) return -errno;
	on(0);
	int kept = update(fd, 0, 5, BPF_NOEXIST) == 0;
	for (int round = 0; round < 3 && kept; round++)
		for (int cpu = all ? 0 : 1; cpu < ncpu && kept; cpu++) {
			uint64_t v = 0;
			on(cpu);
			kept = update(fd, 0, 1, BPF_NOEXIST) == -EEXIST && lookup(fd, 0, &v) == 0 && v == 5;
		}
	close(fd);
	return kept;
}

int main(void) {
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	// Kernels before 5.11 charge map memory to RLIMIT_MEMLOCK; hundreds of maps exceed the default.
	struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	struct utsname uts;
	uname(&uts);
	const struct {
		int type;
		const char *name;
	} maps[] = {{BPF_MAP_TYPE_LRU_HASH, "lru-hash"}, {BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru-per-cpu-hash"}};
	const struct {
		int flags;
		const char *name;
	} lists[] = {{0, "common"}, {BPF_F_NO_COMMON_LRU, "per-cpu"}};
	for (int m = 0; m < 2; m++)
		for (int l = 0; l < 2; l++)
			for (int all = 0; all < 2; all++) {
				int type = maps[m].type, flags = lists[l].flags, smallest = 0, lost = 0;
				for (int entries = 1; entries <= 300 && !smallest; entries++) {
					int kept = keeps(type, flags, all, entries);
					if (kept < 0) {
						printf("lru-room: %s: cannot create: %s\n", maps[m].name, strerror(-kept));
						return 1;
					}
					if (kept) smallest = entries;
				}
				for (int entries = smallest + 1; smallest && entries <= 300 && !lost; entries++)
					if (keeps(type, flags, all, entries) != 1) lost = entries;
				printf("lru-room: kernel %s cpus %d %s, %s lists, re-inserts from %s CPUs: smallest that "
				       "kept the key %d",
				       uts.release, ncpu, maps[m].name, lists[l].name, all ? "all" : "other", smallest);
				if (lost) printf(", but %d lost it\n", lost);
				else printf(", and every larger one to 300\n");
			}
	return 0;
}
