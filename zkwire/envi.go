package zkwire

import (
	"os"
	"os/user"
	"runtime"
	"strconv"
)

// envLines are envi's key=value lines, in ZooKeeper's order.
func envLines(version string) []string {
	host, _ := os.Hostname()
	uname, uhome := "<NA>", "<NA>"
	if u, err := user.Current(); err == nil {
		uname, uhome = u.Username, u.HomeDir
	}
	dir, err := os.Getwd()
	if err != nil {
		dir = "<NA>"
	}
	osName := map[string]string{"linux": "Linux", "darwin": "Mac OS X", "windows": "Windows", "freebsd": "FreeBSD"}[runtime.GOOS]
	if osName == "" {
		osName = runtime.GOOS
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	kv := [][2]string{
		{"zookeeper.version", version},
		{"host.name", host},
		{"java.version", runtime.Version()},
		{"java.vendor", "The Go Authors"},
		{"java.io.tmpdir", os.TempDir()},
		{"os.name", osName},
		{"os.arch", runtime.GOARCH},
		{"os.cpus", strconv.Itoa(runtime.NumCPU())},
		{"user.name", uname},
		{"user.home", uhome},
		{"user.dir", dir},
		{"os.memory.total", strconv.FormatUint(ms.Sys>>20, 10) + "MB"},
		{"os.memory.heap", strconv.FormatUint(ms.HeapAlloc>>20, 10) + "MB"},
	}
	out := make([]string, len(kv))
	for i, p := range kv {
		out[i] = p[0] + "=" + p[1]
	}
	return out
}
