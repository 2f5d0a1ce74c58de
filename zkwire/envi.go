package zkwire

import (
	"os"
	"os/user"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// na is what Environment.list prints for a property that is not set.
const na = "<NA>"

// envLines are envi's key=value lines.
func envLines(version string) []string {
	kv := Environment(version)
	out := make([]string, len(kv))
	for i, p := range kv {
		out[i] = p[0] + "=" + p[1]
	}
	return out
}

// Environment is what envi and the AdminServer's environment command
// print: ZooKeeper's keys in its order (Environment.list), with Go's
// figures where Java's have a counterpart (java.class.path is the
// executable) and <NA> where they have none.
func Environment(version string) [][2]string {
	host, err := os.Hostname()
	if err != nil {
		host = na
	}
	uname, uhome := na, na
	if u, err := user.Current(); err == nil {
		uname, uhome = u.Username, u.HomeDir
	}
	dir, err := os.Getwd()
	if err != nil {
		dir = na
	}
	exe := na
	if p, err := os.Executable(); err == nil {
		exe = p
	}
	osName := map[string]string{"linux": "Linux", "darwin": "Mac OS X", "windows": "Windows", "freebsd": "FreeBSD"}[runtime.GOOS]
	if osName == "" {
		osName = runtime.GOOS
	}
	osVersion := na
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osVersion = strings.TrimSpace(string(b))
	}
	// Java's Runtime memory figures are of its heap: free within what it
	// holds, the most it may hold, what it holds.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	held := ms.HeapSys
	maxMem := held
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < 1<<62 {
		maxMem = uint64(lim)
	}
	mb := func(n uint64) string { return strconv.FormatUint(n>>20, 10) + "MB" }
	kv := [][2]string{
		{"zookeeper.version", version},
		{"host.name", host},
		{"java.version", runtime.Version()},
		{"java.vendor", "The Go Authors"},
		{"java.home", na},
		{"java.class.path", exe},
		{"java.library.path", na},
		{"java.io.tmpdir", os.TempDir()},
		{"java.compiler", na},
		{"os.name", osName},
		{"os.arch", runtime.GOARCH},
		{"os.version", osVersion},
		{"user.name", uname},
		{"user.home", uhome},
		{"user.dir", dir},
		{"os.memory.free", mb(held - min(held, ms.HeapInuse))},
		{"os.memory.max", mb(maxMem)},
		{"os.memory.total", mb(held)},
	}
	return kv
}
