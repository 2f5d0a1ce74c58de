package zkwire

import (
	"os"
	"syscall"
)

// fileDescriptors are the process's open file descriptors and their
// limit, as mntr's zk_open_file_descriptor_count and
// zk_max_file_descriptor_count; -1 where they cannot be read.
func fileDescriptors() (open, limit int64) {
	open, limit = -1, -1
	if es, err := os.ReadDir("/proc/self/fd"); err == nil {
		open = int64(len(es))
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		limit = int64(rl.Cur)
	}
	return open, limit
}
