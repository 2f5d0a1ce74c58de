package config

import (
	"errors"
	"strings"
	"testing"
)

// TestMetricsProvider: ZooKeeper's metricsProvider.* keys. The
// Prometheus provider serves /metrics on httpHost:httpPort (ZooKeeper's
// defaults 0.0.0.0 and 7000); its default and null providers serve
// nothing; any other class, a bad port, host or flag is refused.
func TestMetricsProvider(t *testing.T) {
	const base = "dataDir=/d\nclientPort=2181\n"
	const prom = "metricsProvider.className=" + PrometheusMetricsProvider + "\n"
	for _, tt := range []struct {
		name, lines string
		want        Metrics
		warn        string // one warning containing it; "" none
		refuse      string
	}{
		{name: "unset", lines: ""},
		{name: "prometheus", lines: prom, want: Metrics{Enabled: true, Host: "0.0.0.0", Port: 7000, Runtime: true}},
		{name: "prometheus configured",
			lines: prom + "metricsProvider.httpHost=127.0.0.1\nmetricsProvider.httpPort=7001\nmetricsProvider.exportJvmInfo=false\n",
			want:  Metrics{Enabled: true, Host: "127.0.0.1", Port: 7001}},
		{name: "ipv6 host", lines: prom + "metricsProvider.httpHost=[::1]\n", want: Metrics{Enabled: true, Host: "::1", Port: 7000, Runtime: true}},
		{name: "null provider", lines: "metricsProvider.className=" + NullMetricsProvider + "\n"},
		{name: "default provider", lines: "metricsProvider.className=" + DefaultMetricsProvider + "\n"},
		{name: "port without provider", lines: "metricsProvider.httpPort=7001\n",
			warn: "zoo.cfg:3: metricsProvider.httpPort has no effect without metricsProvider.className=" + PrometheusMetricsProvider},
		{name: "other provider key", lines: prom + "metricsProvider.numWorkerThreads=2\n", want: Metrics{Enabled: true, Host: "0.0.0.0", Port: 7000, Runtime: true},
			warn: "zoo.cfg:4: metricsProvider.numWorkerThreads=2 is not supported and has no effect"},
		{name: "unknown provider", lines: "metricsProvider.className=com.example.Metrics\n",
			refuse: `zoo.cfg:3: metricsProvider.className: "com.example.Metrics": the metrics providers are`},
		{name: "port zero", lines: prom + "metricsProvider.httpPort=0\n", refuse: "metricsProvider.httpPort"},
		{name: "port too large", lines: prom + "metricsProvider.httpPort=70000\n", refuse: "metricsProvider.httpPort"},
		{name: "port not a number", lines: prom + "metricsProvider.httpPort=seven\n", refuse: `"seven" is not a whole number`},
		{name: "bad host", lines: prom + "metricsProvider.httpHost=no such host\n", refuse: `"no such host" is not a host name or IP address`},
		{name: "bad flag", lines: prom + "metricsProvider.exportJvmInfo=maybe\n", refuse: `metricsProvider.exportJvmInfo: "maybe": want true or false`},
		{name: "client port", lines: prom + "metricsProvider.httpPort=2181\n", refuse: "2181 is the clientPort"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(base+tt.lines), "zoo.cfg")
			if tt.refuse != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.refuse) {
					t.Fatalf("error %v, want one containing %q", err, tt.refuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Metrics != tt.want {
				t.Errorf("Metrics %+v, want %+v", c.Metrics, tt.want)
			}
			w := strings.Join(c.Warnings, "\n")
			if tt.warn == "" && w != "" || tt.warn != "" && (len(c.Warnings) != 1 || !strings.Contains(w, tt.warn)) {
				t.Errorf("warnings %q, want exactly one with %q", w, tt.warn)
			}
			wantAddr := ""
			if tt.want.Enabled {
				wantAddr = tt.want.Host + ":" + map[int]string{7000: "7000", 7001: "7001"}[tt.want.Port]
				if tt.want.Host == "::1" {
					wantAddr = "[::1]:7000"
				}
			}
			if got := c.MetricsAddr(); got != wantAddr {
				t.Errorf("MetricsAddr %q, want %q", got, wantAddr)
			}
			// Write keeps the metrics settings.
			var b strings.Builder
			if err := Write(&b, c); err != nil {
				t.Fatal(err)
			}
			back, err := Parse(strings.NewReader(b.String()), "written.cfg")
			if err != nil {
				t.Fatalf("%v\n%s", err, b.String())
			}
			if back.Metrics != c.Metrics {
				t.Errorf("after Write: %+v, want %+v", back.Metrics, c.Metrics)
			}
		})
	}
}
